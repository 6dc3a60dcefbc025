"""Unit tests of the autoregressive heads (shared machinery, MADE, PixelCNN-style).

Exact values, errors and edge cases; the mutants left as equivalent are listed, with the reason,
in tests/mutation_equivalent.txt.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from tensor_asserts import assert_tensors_close

from vae_tutorial.likelihoods.autoregressive import AutoregressiveHead, make_conditional
from vae_tutorial.likelihoods.categorical import CategoricalHead
from vae_tutorial.likelihoods.made import MADEHead, MaskedLinear, made_degrees
from vae_tutorial.likelihoods.pixelcnn import MaskedConv2d, PixelCNNHead, causal_mask

F64 = torch.float64


def randomised(head: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """``head`` in float64 with every parameter (biases too) redrawn from N(0, 0.5^2)."""
    torch.manual_seed(seed)
    for p in head.parameters():
        torch.nn.init.normal_(p, std=0.5)
    return head.to(F64)


def num_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# -- the shared machinery (autoregressive.py) ---------------------------------------------------


def test_make_conditional_defaults_to_one_logistic_component() -> None:
    """One logistic component has 2 raw parameters per pixel (location, log-scale)."""
    head = make_conditional("discretized_logistic", 5)
    assert head.num_components == 1 and head.params_per_dim == 2 and head.num_levels == 5


def test_base_head_defaults() -> None:
    """Categorical conditional, one logistic component, validation on."""
    head = AutoregressiveHead(4, 1, num_levels=3)
    assert isinstance(head.conditional, CategoricalHead) and head.out_channels == 3
    assert head.validate_args is True
    assert AutoregressiveHead(4, 1, "discretized_logistic").out_channels == 2


def test_base_head_smallest_valid_sizes_are_accepted() -> None:
    """data_dim = 2 and context_channels = 1 are the smallest allowed sizes."""
    head = AutoregressiveHead(2, 1)
    assert head.data_dim == 2 and head.params_per_dim == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data_dim": 1}, "made: data_dim must be >= 2, got 1"),
        ({"context_channels": 0}, "made: context_channels must be >= 1, got 0"),
        ({"num_hidden_layers": 0}, "made: num_hidden_layers must be >= 1, got 0"),
    ],
)
def test_made_size_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        MADEHead(**kwargs)
    assert str(err.value) == message


def test_network_input_maps_levels_to_minus_one_one() -> None:
    """Levels 0..K-1 -> 2 x / (K - 1) - 1, by hand for K = 5."""
    head = AutoregressiveHead(4, 1, num_levels=5)
    x = torch.tensor([0.0, 1.0, 2.0, 3.0, 4.0], dtype=F64)
    expected = torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0], dtype=F64)
    assert_tensors_close(head.network_input(x), expected, rtol=0, atol=0)


def test_expand_keeps_the_head_and_broadcasts_the_context() -> None:
    """``expand`` to batch (4, 2) from context of batch (1, 2): same log-probabilities."""
    head = randomised(MADEHead(3, 1, num_levels=3))
    context = torch.randn(1, 2, 3, dtype=F64)
    dist = head(context)
    big = dist.expand((4, 2))
    assert big.batch_shape == (4, 2) and big.event_shape == (3,) and big.head is head
    assert big.context.shape == (4, 2, 3)
    x = torch.tensor([[0.0, 2.0, 1.0], [1.0, 1.0, 2.0]], dtype=F64)
    assert_tensors_close(big.log_prob(x), dist.log_prob(x).expand(4, 2), rtol=0, atol=0)


# -- MADE (made.py) ------------------------------------------------------------------------------


def test_made_degrees_cycle_through_one_to_d_minus_one() -> None:
    assert torch.equal(made_degrees(4, 7), torch.tensor([1, 2, 3, 1, 2, 3, 1]))
    assert torch.equal(made_degrees(2, 3), torch.tensor([1, 1, 1]))


def test_masked_linear_stores_a_float_mask_and_keeps_its_bias() -> None:
    """A boolean mask is stored in the weight's dtype; ``bias`` defaults to True and is used."""
    mask = torch.tensor([[True, False], [True, True]])
    layer = MaskedLinear(mask).to(F64)
    assert layer.mask.dtype == F64 and torch.equal(layer.mask, mask.to(F64))
    assert layer.bias is not None and MaskedLinear(mask, bias=False).bias is None
    torch.nn.init.normal_(layer.bias)
    x = torch.tensor([[0.3, -1.2]], dtype=F64)
    w, b = layer.weight, layer.bias
    expected = torch.stack([w[0, 0] * x[0, 0] + b[0], w[1, 0] * x[0, 0] + w[1, 1] * x[0, 1] + b[1]])
    assert_tensors_close(layer(x)[0], expected, rtol=1e-12, atol=1e-14)


def made_masks_by_hand() -> dict[str, torch.Tensor]:
    """D = 3 pixels, C = 2 (H = 6 hidden units of degrees 1, 2, 1, 2, 1, 2), K = 3 levels."""
    first = torch.tensor([[1, 0, 0], [1, 1, 0]] * 3)  # hidden degree >= input
    hidden = torch.tensor([[1, 0, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1]] * 3)  # degree >= degree
    out_block = [[0, 0, 0, 0, 0, 0], [1, 0, 1, 0, 1, 0], [1, 1, 1, 1, 1, 1]]  # pixel > degree
    direct_block = [[0, 0, 0], [1, 0, 0], [1, 1, 0]]  # pixel > input, strictly
    return {
        "first": first,
        "hidden": hidden,
        "out": torch.tensor(out_block * 3),  # one block per categorical logit
        "direct": torch.tensor(direct_block * 3),
    }


def test_made_masks_equal_the_hand_built_ones() -> None:
    head = MADEHead(3, 2, num_hidden_layers=3, num_levels=3)
    masks = made_masks_by_hand()
    assert len(head.hidden) == 2
    for name in ("first", "out", "direct"):
        assert torch.equal(getattr(head, name).mask, masks[name].float()), name
    for layer in head.hidden:
        assert torch.equal(layer.mask, masks["hidden"].float())


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_made_parameter_count(layers: int) -> None:
    """Biases on the first, hidden and output layers; none on the direct and context maps."""
    d, c, p = 3, 2, 3
    h = d * c
    expected = (h * d + h) + (layers - 1) * (h * h + h) + (d * p * h + d * p) + d * p * d
    expected += h * d * p  # context_out
    head = MADEHead(d, c, num_hidden_layers=layers, num_levels=p)
    assert len(head.hidden) == layers - 1 and num_params(head) == expected
    assert head.direct.bias is None and head.context_out.bias is None


def test_made_conditional_raw_equals_the_formula_with_hand_built_masks() -> None:
    """eta = (M_o W_o) h + b_o + (M_d W_d) x~ + V c, h from two tanh layers, by hand."""
    head = randomised(MADEHead(3, 2, num_hidden_layers=2, num_levels=3))
    masks = {k: v.to(F64) for k, v in made_masks_by_hand().items()}
    x = torch.tensor([[0.0, 2.0, 1.0], [2.0, 1.0, 0.0]], dtype=F64)
    context = torch.randn(2, 6, dtype=F64, generator=torch.Generator().manual_seed(5))
    xt = x - 1.0  # 2 x / (K - 1) - 1 with K = 3
    first, hidden, out = head.first, head.hidden[0], head.out
    h = torch.tanh(xt @ (masks["first"] * first.weight).T + first.bias + context)
    h = torch.tanh(h @ (masks["hidden"] * hidden.weight).T + hidden.bias)
    eta = h @ (masks["out"] * out.weight).T + out.bias
    eta = eta + xt @ (masks["direct"] * head.direct.weight).T + context @ head.context_out.weight.T
    assert_tensors_close(head.conditional_raw(x, context), eta, rtol=1e-12, atol=1e-12)


def test_made_defaults() -> None:
    head = MADEHead()
    assert (head.data_dim, head.params_per_dim, head.num_levels) == (64, 4, 17)
    assert len(head.hidden) == 0 and isinstance(head.conditional, CategoricalHead)
    assert MADEHead(conditional="discretized_logistic").out_channels == 2


def test_made_passes_num_components_on() -> None:
    head = MADEHead(4, 1, conditional="discretized_logistic", num_components=3)
    assert head.conditional.num_components == 3 and head.out_channels == 9


@pytest.mark.parametrize("kind", ["made", "pixelcnn"])
def test_validation_is_on_by_default_and_can_be_turned_off(kind: str) -> None:
    """A NaN in the z-features is refused by default and passed through with
    ``validate_args=False``."""

    def build(**kw):
        if kind == "made":
            return MADEHead(4, 1, num_levels=3, **kw)
        return PixelCNNHead((2, 2), 3, 1, 2, num_levels=3, **kw)

    raw = torch.tensor([0.0, float("nan"), 0.0, 0.0])
    with pytest.raises(ValueError) as err:
        build()(raw)
    assert str(err.value) == f"{kind}: raw decoder output contains NaN; expected finite numbers"
    head = build(validate_args=False)
    assert head.validate_args is False
    head(raw)  # no error
    # nor is x checked: a half level has a (meaningless) log-probability instead of an error
    assert head(torch.zeros(4)).log_prob(torch.full((4,), 0.5)).shape == ()


# -- PixelCNN-style (pixelcnn.py) ---------------------------------------------------------------


def test_causal_mask_5_and_7_by_hand() -> None:
    expected5 = torch.tensor(
        [
            [1, 1, 1, 1, 1],
            [1, 1, 1, 1, 1],
            [1, 1, 0, 0, 0],
            [0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0],
        ],
        dtype=torch.float32,
    )
    assert torch.equal(causal_mask(5), expected5)
    mask7 = causal_mask(7)
    assert mask7[:3].eq(1).all() and mask7[4:].eq(0).all()
    assert mask7[3].tolist() == [1, 1, 1, 0, 0, 0, 0]


def test_masked_conv_sums_the_causal_neighbours_plus_bias() -> None:
    """3x3 mask A on a 3x4 image: the upper-left, upper, upper-right and left neighbours."""
    conv = randomised(MaskedConv2d(1, 2, 3))
    image = torch.randn(1, 1, 3, 4, dtype=F64, generator=torch.Generator().manual_seed(2))
    got = conv(image)
    assert got.shape == (1, 2, 3, 4)
    w, b, x = conv.weight[:, 0], conv.bias, image[0, 0]
    for r in range(3):
        for c in range(4):
            total = b.clone()
            for dr, dc in [(-1, -1), (-1, 0), (-1, 1), (0, -1)]:
                if 0 <= r + dr < 3 and 0 <= c + dc < 4:
                    total = total + w[:, 1 + dr, 1 + dc] * x[r + dr, c + dc]
            assert_tensors_close(got[0, :, r, c], total, rtol=1e-12, atol=1e-12)


def test_pixelcnn_conditional_raw_equals_a_pixel_by_pixel_computation() -> None:
    """3x4 image, 3x3 kernel, 2 hidden per-pixel layers: eta_d by hand, block-major layout."""
    head = PixelCNNHead((3, 4), 3, 2, hidden_channels=3, num_hidden_layers=2, num_levels=3)
    head = randomised(head)
    g = torch.Generator().manual_seed(4)
    x = torch.randint(0, 3, (12,), generator=g).to(F64)
    context = torch.randn(24, dtype=F64, generator=g)  # block j = channel j of every pixel
    grid = (x - 1.0).reshape(3, 4)  # 2 x / (K - 1) - 1 with K = 3
    lin1, lin2, lin_out = head.per_pixel[0], head.per_pixel[2], head.per_pixel[4]
    eta = torch.zeros(3 * 12, dtype=F64)
    for d in range(12):
        r, c = divmod(d, 4)
        feat = head.conv.bias.clone()
        for dr, dc in [(-1, -1), (-1, 0), (-1, 1), (0, -1)]:
            if 0 <= r + dr < 3 and 0 <= c + dc < 4:
                feat = feat + head.conv.weight[:, 0, 1 + dr, 1 + dc] * grid[r + dr, c + dc]
        feat = feat + head.context_in.weight @ torch.stack([context[d], context[12 + d]])
        h = F.elu(feat)
        h = F.elu(lin1.weight @ h + lin1.bias)
        h = F.elu(lin2.weight @ h + lin2.bias)
        out = lin_out.weight @ h + lin_out.bias
        eta[[d, 12 + d, 24 + d]] = out
    assert_tensors_close(head.conditional_raw(x, context), eta, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layers", [0, 1, 2])
def test_pixelcnn_parameter_count(layers: int) -> None:
    """Masked conv (with bias) + bias-free z-map + ``layers`` hidden linears + output linear."""
    k, c, hc, p = 3, 2, 5, 4
    head = PixelCNNHead((3, 3), k, c, hc, num_hidden_layers=layers, num_levels=p)
    expected = (hc * k * k + hc) + c * hc + layers * (hc * hc + hc) + (hc * p + p)
    assert num_params(head) == expected and len(head.per_pixel) == 2 * layers + 1
    assert head.context_in.bias is None


def test_pixelcnn_defaults() -> None:
    head = PixelCNNHead()
    assert head.image_shape == (8, 8) and head.kernel_size == 5 and head.params_per_dim == 8
    assert head.conv.out_channels == 32 and len(head.per_pixel) == 3
    assert head.out_channels == 17 and head.validate_args is True
    assert PixelCNNHead(conditional="discretized_logistic").out_channels == 2


def test_pixelcnn_negative_hidden_layers_error() -> None:
    with pytest.raises(ValueError) as err:
        PixelCNNHead(num_hidden_layers=-1)
    assert str(err.value) == "pixelcnn: num_hidden_layers must be >= 0, got -1"
