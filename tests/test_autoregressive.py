"""Autoregressive heads (MADE, PixelCNN-style): the chain rule computed pixel by pixel equals the
one-pass teacher-forced log_prob; they normalise (every image of a tiny 2x2, 3-level case);
each output depends on earlier pixels only (Jacobian); and the package runs with them."""

from __future__ import annotations

import itertools

import pytest
import torch

from vae_tutorial.evaluation import discrete_log_likelihood
from vae_tutorial.likelihoods import NONFACTORIZED, MADEHead, PixelCNNHead
from vae_tutorial.likelihoods.pixelcnn import causal_mask
from vae_tutorial.model import VAE
from vae_tutorial.objectives import elbo, iwae_bound
from vae_tutorial.training import train

F64 = torch.float64
CONDITIONALS = [("categorical", 1), ("discretized_logistic", 1), ("discretized_logistic", 3)]


def make(kind: str, conditional: str, m: int, num_levels: int = 17, side: int = 8, **kw):
    torch.manual_seed(0)
    if kind == "made":
        head = MADEHead(
            side * side, conditional=conditional, num_components=m, num_levels=num_levels, **kw
        )
    else:
        head = PixelCNNHead(
            (side, side),
            kernel_size=3,
            conditional=conditional,
            num_components=m,
            num_levels=num_levels,
            **kw,
        )
    for p in head.parameters():  # larger weights than the default init: a harder test
        torch.nn.init.normal_(p, std=0.5)
    return head.to(F64)


CASES = [(k, c, m) for k in ("made", "pixelcnn") for c, m in CONDITIONALS]
IDS = [f"{k}-{c}-{m}" for k, c, m in CASES]


@pytest.mark.parametrize(("kind", "conditional", "m"), CASES, ids=IDS)
def test_log_prob_is_the_product_of_conditionals_pixel_by_pixel(kind, conditional, m) -> None:
    """log p(x|z) in one pass == sum_d log p(x_d | x_<d, z), each term computed from an image
    whose pixels d, d+1, ... are replaced by random levels (they must not matter)."""
    head = make(kind, conditional, m, side=4)
    g = torch.Generator().manual_seed(1)
    d = head.data_dim
    x = torch.randint(0, 17, (3, d), generator=g).to(F64)
    dist = head(torch.randn(3, d * head.params_per_dim, generator=g, dtype=F64))
    total = torch.zeros(3, dtype=F64)
    for i in range(d):
        scrambled = x.clone()
        scrambled[:, i:] = torch.randint(0, 17, (3, d - i), generator=g).to(F64)
        cond = dist.conditionals(scrambled).base_dist  # batch [3, D]
        total += cond.log_prob(x)[:, i]
    torch.testing.assert_close(dist.log_prob(x), total, rtol=1e-12, atol=1e-10)


@pytest.mark.parametrize(("kind", "conditional", "m"), CASES, ids=IDS)
def test_normalised_over_every_2x2_image_with_3_levels(kind, conditional, m) -> None:
    head = make(kind, conditional, m, num_levels=3, side=2)
    images = torch.tensor(list(itertools.product(range(3), repeat=4)), dtype=F64)  # 81
    context = torch.randn(2, 1, 4 * head.params_per_dim, dtype=F64)  # two z, broadcast over x
    log_p = head(context).log_prob(images)  # [2, 81]
    assert log_p.shape == (2, 81)
    torch.testing.assert_close(log_p.logsumexp(-1), torch.zeros(2, dtype=F64), atol=1e-12, rtol=0)


@pytest.mark.parametrize(("kind", "conditional", "m"), CASES, ids=IDS)
def test_each_output_depends_only_on_earlier_pixels(kind, conditional, m) -> None:
    """Jacobian of every conditional parameter of pixel d w.r.t. x: zero at j >= d."""
    head = make(kind, conditional, m, side=4)
    d = head.data_dim
    context = torch.randn(d * head.params_per_dim, dtype=F64)
    x = 16 * torch.rand(d, dtype=F64)
    jac = torch.autograd.functional.jacobian(lambda v: head.conditional_raw(v, context), x)
    jac = jac.unflatten(0, (head.out_channels, d))  # [P, D_out, D_in]
    future = torch.triu(torch.ones(d, d, dtype=torch.bool))  # j >= d
    assert (jac[:, future] == 0).all()
    # ... and a MADE output may use the whole past; a 3x3 causal kernel sees its left and upper
    # neighbours, and nothing two rows up
    past = jac.abs().sum(0) > 0
    if kind == "made":
        assert past[~future].all()
    else:
        side = 4
        pix = [(r, c) for r in range(side) for c in range(side)]
        for i, (r, c) in enumerate(pix):
            for j, (r2, c2) in enumerate(pix[:i]):
                near = r - r2 <= 1 and abs(c - c2) <= 1
                assert bool(past[i, j]) == near, (i, j)


def test_causal_mask_and_receptive_field() -> None:
    expected = torch.tensor([[1, 1, 1], [1, 0, 0], [0, 0, 0]], dtype=torch.float32)
    assert torch.equal(causal_mask(3), expected)
    assert PixelCNNHead(kernel_size=5).receptive_field == 12
    assert PixelCNNHead(kernel_size=15).receptive_field == 112


@pytest.mark.parametrize("kind", ["made", "pixelcnn"])
def test_sequential_sampling_matches_the_distribution(kind) -> None:
    """2x2, 3 levels: the frequencies of 40 000 sequential samples match exp(log_prob)."""
    head = make(kind, "categorical", 1, num_levels=3, side=2)
    dist = head(torch.randn(4 * head.params_per_dim, dtype=F64))
    torch.manual_seed(3)
    s = dist.sample((40000,))
    assert s.shape == (40000, 4) and bool(head.support.check(s).all())
    codes = (s * torch.tensor([27.0, 9.0, 3.0, 1.0], dtype=F64)).sum(-1).long()
    freq = torch.bincount(codes, minlength=81).to(F64) / 40000
    images = torch.tensor(list(itertools.product(range(3), repeat=4)), dtype=F64)
    p = dist.log_prob(images).exp()
    assert (freq - p).abs().max() < 4 * (p * (1 - p) / 40000).sqrt().max() + 1e-3


def test_shapes_validation_and_registry() -> None:
    assert NONFACTORIZED["made"] is MADEHead and NONFACTORIZED["pixelcnn"] is PixelCNNHead
    head = PixelCNNHead(conditional="discretized_logistic", num_components=3)
    assert head.discrete and head.out_channels == 9 and head.params_per_dim == 8
    assert sum(p.numel() for p in head.parameters()) > 0
    dist = head(torch.randn(5, 3, 64 * 8))
    assert dist.batch_shape == (5, 3) and dist.event_shape == (64,)
    x = torch.randint(0, 17, (3, 64)).float()
    assert dist.log_prob(x).shape == (5, 3) and dist.log_prob_per_dim(x).shape == (5, 3, 64)
    with pytest.raises(ValueError, match="pixelcnn expects x in whole numbers 0..16"):
        dist.log_prob(x + 0.5)
    with pytest.raises(ValueError, match="pixelcnn: x has trailing size 63"):
        dist.log_prob(x[:, :63])
    with pytest.raises(ValueError, match=r"pixelcnn: expected z-features .* 64 \* 8"):
        head(torch.randn(2, 64))
    with pytest.raises(NotImplementedError, match="no closed form"):
        _ = dist.mean
    with pytest.raises(ValueError, match="conditional must be one of"):
        MADEHead(conditional="poisson")
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        PixelCNNHead(kernel_size=4)


@pytest.mark.parametrize("kind", ["made", "pixelcnn"])
def test_vae_elbo_iwae_train_and_yardstick_run(kind) -> None:
    torch.manual_seed(0)
    head = MADEHead(context_channels=2) if kind == "made" else PixelCNNHead(hidden_channels=8)
    levels = torch.randint(0, 17, (30, 64)).float()
    x = head.prepare(levels)
    model = VAE(head, latent_dim=2, hidden=(16,))
    n_head = sum(p.numel() for p in head.parameters())
    assert n_head > 0
    before = [p.clone() for p in head.parameters()]
    history = train(model, x, x, epochs=2, batch_size=10, kind="iwae", k=3)
    assert len(history.val_objective) == 2
    assert any(not torch.equal(a, b) for a, b in zip(before, head.parameters(), strict=True))
    terms = elbo(model, x)
    log_px = iwae_bound(model, x, k=20)
    assert terms.elbo.shape == log_px.shape == (30,)
    assert torch.isfinite(terms.elbo).all() and torch.isfinite(log_px).all()
    exact = discrete_log_likelihood(model, levels, k=20)
    torch.testing.assert_close(exact.mean(), log_px.mean(), atol=0.5, rtol=0)
    _, dist = model.sample(2)
    assert dist.sample().shape == (2, 64)
