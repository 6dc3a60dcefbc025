"""Unit tests of the heterogeneous (mixed-type) head and the ordinal heads: exact values, errors
and edge cases (see tests/mutation_equivalent.txt)."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from scipy import special
from tensor_asserts import assert_tensors_close
from torch import Tensor
from torch.distributions import Categorical, constraints

from vae_tutorial.likelihoods import (
    LIKELIHOODS,
    TABLE_LIKELIHOODS,
    CumulativeLogit,
    HeterogeneousHead,
    LikelihoodHead,
)
from vae_tutorial.likelihoods.ordinal import OrdinalHead, _log1mexp_neg

F64 = torch.float64


def level_probs(location: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """The cumulative-logit probabilities by hand: differences of the logistic cdf at the cuts.

    ``location`` has shape ``[...]``, ``cut`` shape ``[..., K-1]``; the result ``[..., K]``.
    """
    cdf = special.expit(cut - location[..., None])
    zeros = np.zeros(cdf.shape[:-1] + (1,))
    return np.diff(np.concatenate([zeros, cdf, zeros + 1.0], axis=-1), axis=-1)


def hand_cutpoints(head: OrdinalHead) -> np.ndarray:
    """c_0 = a, c_k = c_{k-1} + softplus(g_k) + min_gap, from the head's parameters."""
    first = head.first_cutpoint.detach().double().numpy()
    steps = np.logaddexp(0.0, head.raw_gaps.detach().double().numpy()) + head.min_gap
    return np.cumsum(np.concatenate([first[:, None], steps], axis=-1), axis=-1)


# -- the ordinal head ---------------------------------------------------------------------------
def test_log1mexp_is_accurate_to_a_few_ulp_from_tiny_to_large_gaps() -> None:
    """log(1 - e^-g) within 4 ulp of a 120-bit reference, including the branch switch near ln 2.

    On this machine the worst case is 1 ulp; the bound leaves room for another CPU's vector maths.
    """
    gaps = torch.cat(
        [
            torch.logspace(-12, 1.5, 41, dtype=F64),
            torch.linspace(math.log(2.0), math.log(3.0), 41, dtype=F64),
        ]
    )
    ours = _log1mexp_neg(gaps).tolist()
    with mpmath.workprec(120):
        exact = [float(mpmath.log(-mpmath.expm1(-mpmath.mpf(g)))) for g in gaps.tolist()]
    ulps = np.abs(np.subtract(ours, exact)) / np.abs(np.spacing(exact))
    assert ulps.max() <= 4.0


@pytest.mark.parametrize(
    "cut", [torch.tensor(0.0), torch.zeros(0), torch.zeros(3, 0)], ids=["0-d", "K=1", "3xK=1"]
)
def test_cumulative_logit_needs_at_least_one_cutpoint(cut: Tensor) -> None:
    """Cut-points without a last dimension of size >= 1 (K >= 2 levels) get the exact error."""
    with pytest.raises(ValueError) as err:
        CumulativeLogit(torch.tensor(0.0), cut)
    assert str(err.value) == "CumulativeLogit: cutpoints needs a last dimension of size K-1 >= 1"


@pytest.mark.parametrize(("loc_shape", "batch"), [((), (3,)), ((2, 1), (2, 3))], ids=str)
def test_cumulative_logit_broadcasts_location_against_per_row_cutpoints(
    loc_shape: tuple[int, ...], batch: tuple[int, ...]
) -> None:
    """batch_shape is the broadcast of location and cutpoints[:-1]; probabilities by hand."""
    cut = torch.tensor([[-1.0, 0.5], [0.0, 2.0], [-3.0, -2.5]], dtype=F64)  # 3 rows, K = 3
    location = torch.linspace(-0.7, 1.3, math.prod(loc_shape), dtype=F64).reshape(loc_shape)
    dist = CumulativeLogit(location, cut, validate_args=True)
    assert dist.batch_shape == batch and dist.num_levels == 3
    ref = level_probs(location.expand(batch).numpy(), cut.expand(*batch, 2).numpy())
    np.testing.assert_allclose(dist.probs.detach().numpy(), ref, rtol=1e-12, atol=0)
    np.testing.assert_allclose(dist.probs.sum(-1).detach().numpy(), 1.0, rtol=1e-14)


def test_cumulative_logit_equal_cutpoints_are_refused_or_give_an_empty_level() -> None:
    """Equal cut-points: an exact error when validating; without validation the formula's
    empty middle level (probability 0) and the two outer levels sigma(-eta), sigma(eta)."""
    location, cut = torch.tensor(0.8, dtype=F64), torch.zeros(2, dtype=F64)
    with pytest.raises(ValueError) as err:
        CumulativeLogit(location, cut, validate_args=True)
    assert str(err.value) == "CumulativeLogit: cutpoints must be strictly increasing"
    dist = CumulativeLogit(location, cut, validate_args=False)
    expected = [special.expit(-0.8), 0.0, special.expit(0.8)]
    np.testing.assert_allclose(dist.probs.numpy(), expected, rtol=1e-14, atol=0)
    assert dist.log_probs[1].item() == -math.inf


def test_cumulative_logit_without_validation_accepts_unordered_cutpoints() -> None:
    """validate_args=False builds the distribution from any cut-points (no check runs)."""
    dist = CumulativeLogit(torch.tensor(0.0), torch.tensor([1.0, 0.0, 2.0]), validate_args=False)
    assert dist.num_levels == 4 and dist.batch_shape == ()


@pytest.mark.parametrize("raw", [-3.0, 0.0, 1.7])
def test_ordinal_head_with_two_levels_is_the_logistic(raw: float) -> None:
    """K = 2 is allowed: the fresh head's cut-point is logit(1/2) = 0, so p(1) = sigma(raw)."""
    head = OrdinalHead(num_levels=2).to(F64)
    dist = head(torch.tensor([raw], dtype=F64))
    expected = [[special.expit(-raw), special.expit(raw)]]
    np.testing.assert_allclose(dist.base_dist.probs.detach().numpy(), expected, rtol=1e-12, atol=0)
    lp = dist.log_prob(torch.tensor([1.0], dtype=F64)).item()
    assert lp == pytest.approx(math.log(special.expit(raw)), rel=1e-12)


@pytest.mark.parametrize(("num_levels", "expects"), [(2, "0..1"), (5, "0..4"), (17, "0..16")])
def test_ordinal_head_expects_and_support(num_levels: int, expects: str) -> None:
    """The values in words and the support are the levels 0..K-1."""
    head = OrdinalHead(num_levels=num_levels)
    assert head.expects == f"whole numbers {expects}"
    assert head.support.lower_bound == 0 and head.support.upper_bound == num_levels - 1


def test_ordinal_representation_is_the_levels_checked_against_k() -> None:
    """representation() returns valid levels unchanged and refuses a level >= K."""
    head = OrdinalHead(num_levels=5)
    x = torch.tensor([0.0, 2.0, 4.0])
    assert head.representation(x) is x
    with pytest.raises(ValueError) as err:
        head.representation(torch.tensor([1.0, 5.0]))
    assert str(err.value) == "expected whole-number levels in 0..4, got values such as 5"


def test_ordinal_encoder_input_maps_the_levels_to_the_unit_interval() -> None:
    """The encoder sees x / (K - 1)."""
    head = OrdinalHead(num_levels=5)
    out = head.encoder_input(torch.tensor([0.0, 1.0, 4.0], dtype=F64))
    assert torch.equal(out, torch.tensor([0.0, 0.25, 1.0], dtype=F64))


@pytest.mark.parametrize("num_dims", [1, 2, 3])
def test_ordinal_head_probabilities_match_the_cumulative_logit_by_hand(num_dims: int) -> None:
    """Float64: each dimension uses its own cut-points (num_dims = D) or the shared set (1);
    the K probabilities sum to 1 and equal the cumulative-link formula computed by hand."""
    torch.manual_seed(num_dims)
    d, k = 3 if num_dims == 1 else num_dims, 4
    head = OrdinalHead(num_levels=k, num_dims=num_dims).to(F64)
    with torch.no_grad():
        head.first_cutpoint.normal_()
        head.raw_gaps.normal_()
    location = torch.randn(5, d, dtype=F64) * 2
    probs = head(location).base_dist.probs
    cut = np.broadcast_to(hand_cutpoints(head), (d, k - 1))
    ref = level_probs(location.numpy(), cut)
    np.testing.assert_allclose(probs.detach().numpy(), ref, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(probs.sum(-1).detach().numpy(), 1.0, rtol=1e-14)


def test_ordinal_float32_head_evaluates_float64_locations_in_float64() -> None:
    """The float32 cut-points are cast to the location's dtype: the probabilities of a float32
    head at float64 locations are the formula's in float64 (a float32 step would cost 1e-7)."""
    torch.manual_seed(0)
    head = OrdinalHead(num_levels=6)
    with torch.no_grad():
        head.first_cutpoint.normal_()
        head.raw_gaps.normal_()
    location = torch.randn(4, 2, dtype=F64)
    dist = head(location).base_dist
    assert dist.cutpoints.dtype == F64 and dist.probs.dtype == F64
    cut = head.cutpoints.detach()[0].double()  # the float32 cut-points, exactly, in float64
    ref = level_probs(location.numpy(), cut.numpy())
    np.testing.assert_allclose(dist.probs.detach().numpy(), ref, rtol=1e-12, atol=0)


def test_ordinal_per_dim_cutpoints_error_names_the_decoder_size() -> None:
    """Unbatched raw of the wrong size: the exact error with both sizes."""
    head = OrdinalHead(num_levels=4, num_dims=3)
    with pytest.raises(ValueError) as err:
        head(torch.zeros(5))
    assert str(err.value) == (
        "ordinal: the head has cut-points for 3 dimensions, the decoder gives 5"
    )


def test_ordinal_head_without_validation_runs_no_check() -> None:
    """validate_args=False: a NaN raw output is not refused, its log-probability is NaN."""
    head = OrdinalHead(num_levels=3, validate_args=False)
    raw = torch.tensor([[0.0, math.nan]])
    lp = head(raw).log_prob_per_dim(torch.tensor([[1.0, 1.0]]))
    assert math.isfinite(lp[0, 0].item()) and math.isnan(lp[0, 1].item())


# -- the heterogeneous head ----------------------------------------------------------------------
def rating_height() -> HeterogeneousHead:
    """An ordinal column (K = 5, P = 1) and a Gaussian column (P = 2): P = 2, D = 2."""
    return HeterogeneousHead(
        {"rating": OrdinalHead(num_levels=5), "height": LIKELIHOODS["gaussian_diagonal"]()}
    )


class TorchCategoricalHead(LikelihoodHead):
    """A user's column head on torch's own Categorical, whose draws are int64 indices."""

    name = "torch_categorical"
    params_per_dim = 3
    discrete = True
    support = constraints.integer_interval(0, 2)
    expects = "whole numbers 0..2"

    def distribution(self, *logits: Tensor) -> Categorical:
        return Categorical(logits=torch.stack(logits, dim=-1), validate_args=False)


def test_heterogeneous_shapes_follow_the_raw_batch() -> None:
    """batch_shape is raw's leading shape, event_shape (D,); 1-D and 3-D x evaluate."""
    head = rating_height().to(F64)
    raw = torch.randn(2, 3, 4, dtype=F64)
    dist = head(raw)
    assert dist.batch_shape == (2, 3) and dist.event_shape == (2,)
    x = torch.tensor([4.0, -0.3], dtype=F64)
    rating, height = head.column_heads.values()  # raw[..., j * D + c]: rating 0, height 1 and 3
    per_col = [rating(raw[..., :1]).log_prob(x[:1]), height(raw[..., 1::2]).log_prob(x[1:])]
    assert_tensors_close(dist.log_prob(x), per_col[0] + per_col[1])
    one = head(raw[1, 2])
    assert one.batch_shape == ()
    assert_tensors_close(one.log_prob(x), per_col[0][1, 2] + per_col[1][1, 2])


def test_heterogeneous_check_value_accepts_any_batch_shape() -> None:
    """A valid x of shape (D,), (N, D) or (S, N, D) with N != D passes check_value."""
    head = rating_height()
    for shape in [(2,), (4, 2), (3, 4, 2)]:
        head.check_value(torch.ones(shape))


def x_errors() -> list:
    columns = "the head has 2 columns ['rating', 'height']"
    return [
        pytest.param(
            torch.ones(2, 2, dtype=torch.long),
            "heterogeneous: x must be a float tensor, one value per column",
            id="long",
        ),
        pytest.param(
            torch.ones(2, 4, 3), f"heterogeneous: x has trailing size 3, {columns}", id="D"
        ),
    ]


@pytest.mark.parametrize(("x", "message"), x_errors())
@pytest.mark.parametrize("where", ["log_prob", "check_value"])
def test_heterogeneous_x_errors_are_exact(x: Tensor, message: str, where: str) -> None:
    """The distribution's log_prob and the head's check_value give the same exact errors."""
    head = rating_height()
    check = head(torch.zeros(2, 4)).log_prob if where == "log_prob" else head.check_value
    with pytest.raises(ValueError) as err:
        check(x)
    assert str(err.value) == message


@pytest.mark.parametrize(
    ("x", "message"),
    [
        (
            [[2.0, math.inf]],
            "heterogeneous: column 'height': gaussian_diagonal expects x in real numbers, got 1 "
            "value(s) outside (min inf, max inf, first offending inf)",
        ),
        (
            [[2.0, -math.inf]],
            "heterogeneous: column 'height': gaussian_diagonal expects x in real numbers, got 1 "
            "value(s) outside (min -inf, max -inf, first offending -inf)",
        ),
    ],
)
def test_heterogeneous_refuses_infinite_values_like_the_column_head(x: list, message: str) -> None:
    """+-inf is no real number: refused by name, as the Gaussian head alone refuses it."""
    dist = rating_height()(torch.zeros(1, 4))
    with pytest.raises(ValueError) as err:
        dist.log_prob(torch.tensor(x))
    assert str(err.value) == message


def test_heterogeneous_mask_error_names_the_head() -> None:
    """A float mask gets the mask error with the head's name."""
    dist = rating_height()(torch.zeros(2, 4))
    with pytest.raises(ValueError) as err:
        dist.log_prob(torch.ones(2, 2), mask=torch.ones(2, 2))
    assert str(err.value) == "heterogeneous: mask must be a bool tensor (True = observed)"


def test_heterogeneous_per_column_terms_respect_the_mask() -> None:
    """log_prob_per_column with a mask: exactly 0 where missing (even NaN), else unmasked."""
    head = rating_height().to(F64)
    dist = head(torch.randn(3, 4, dtype=F64))
    x = torch.tensor([[1.0, 0.2], [3.0, -1.0], [0.0, 2.5]], dtype=F64)
    mask = torch.tensor([[True, False], [False, True], [True, True]])
    full = dist.log_prob_per_column(x)
    masked = dist.log_prob_per_column(torch.where(mask, x, math.nan), mask=mask)
    for c, name in enumerate(head.column_names):
        expected = torch.where(mask[:, c], full[name], torch.zeros((), dtype=F64))
        assert torch.equal(masked[name], expected), name


def test_heterogeneous_samples_are_floats_of_the_raw_dtype() -> None:
    """Columns whose distributions draw int64 indices still give float64 samples."""
    head = HeterogeneousHead({"a": TorchCategoricalHead(), "b": TorchCategoricalHead()})
    dist = head(torch.randn(4, 6, dtype=F64))
    for sample in (dist.sample(), dist.sample((2,))):
        assert sample.dtype == F64 and bool(head.support.check(sample).all())
    assert dist.sample((2,)).shape == (2, 4, 2)


def test_heterogeneous_discrete_only_when_every_column_is() -> None:
    """discrete is exactly True for discrete columns only and False with a continuous one."""
    discrete = HeterogeneousHead({"a": OrdinalHead(), "b": LIKELIHOODS["poisson"]()})
    assert discrete.discrete is True
    assert rating_height().discrete is False


def test_heterogeneous_support_checks_each_column_in_place() -> None:
    """support.check gives one bool per entry for 1-D and 3-D x, False only where invalid."""
    head = rating_height()
    assert head.support.check(torch.tensor([4.0, -2.0])).tolist() == [True, True]
    x = torch.ones(2, 3, 2)
    x[1, 2, 0] = 7.0
    expected = torch.ones(2, 3, 2, dtype=torch.bool)
    expected[1, 2, 0] = False
    assert torch.equal(head.support.check(x), expected)


def test_heterogeneous_expects_lists_the_columns() -> None:
    """The values in words name every column with its own head's words."""
    assert rating_height().expects == (
        "one value per column: rating (whole numbers 0..4), height (real numbers)"
    )


def test_heterogeneous_encoder_input_standardises_in_the_data_dtype() -> None:
    """(x - loc) / scale, computed in x's dtype (a float64 head, float32 data); identity by
    default."""
    head = HeterogeneousHead(
        {"rating": OrdinalHead(num_levels=5), "height": LIKELIHOODS["gaussian_diagonal"]()},
        encoder_loc=[1.0, 170.0],
        encoder_scale=[2.0, 10.0],
    ).to(F64)
    x = torch.tensor([[3.0, 150.0], [0.0, 185.0]])
    out = head.encoder_input(x)
    assert out.dtype == torch.float32
    assert torch.equal(out, torch.tensor([[1.0, -2.0], [-0.5, 1.5]]))
    assert head.encoder_input(x.double()).dtype == F64
    assert torch.equal(rating_height().encoder_input(x), x)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"encoder_loc": torch.zeros(3)}, "must have shape (2,), scale > 0"),
        ({"encoder_scale": torch.ones(2, 1)}, "must have shape (2,), scale > 0"),
        ({"encoder_scale": torch.tensor([1.0, 0.0])}, "must have shape (2,), scale > 0"),
    ],
    ids=["loc-shape", "scale-shape", "scale-zero"],
)
def test_heterogeneous_standardisation_errors_are_exact(kwargs: dict, message: str) -> None:
    """encoder_loc and encoder_scale must each have shape (D,), and the scale be > 0."""
    columns = {"rating": OrdinalHead(num_levels=5), "height": LIKELIHOODS["gaussian_diagonal"]()}
    with pytest.raises(ValueError) as err:
        HeterogeneousHead(columns, **kwargs)
    assert str(err.value) == f"heterogeneous: encoder_loc and encoder_scale {message}"


def test_heterogeneous_needs_a_column() -> None:
    """No columns: the exact error."""
    with pytest.raises(ValueError) as err:
        HeterogeneousHead({})
    assert str(err.value) == "heterogeneous: needs at least one column"


def test_heterogeneous_has_no_common_bins() -> None:
    """bin_edges is refused with the exact reason."""
    with pytest.raises(ValueError) as err:
        rating_height().bin_edges(torch.arange(3.0))
    assert str(err.value) == "heterogeneous: columns have their own scales; no common bins"


def test_heterogeneous_state_dict_and_repr() -> None:
    """The state holds the learned cut-points and the standardisation, not the fill values."""
    head = rating_height()
    assert set(head.state_dict()) == {
        "heads.0.first_cutpoint",
        "heads.0.raw_gaps",
        "encoder_loc",
        "encoder_scale",
    }
    assert head.extra_repr() == "name='heterogeneous', columns=['rating', 'height'], P=2"


def test_heterogeneous_without_validation_evaluates_the_formula() -> None:
    """validate_args=False runs no check: x = 0.5 in a Bernoulli column gets the formula's
    0.5 log sigma(r) + 0.5 log sigma(-r), not an error."""
    head = HeterogeneousHead(
        {"smokes": LIKELIHOODS["bernoulli"](), "rating": OrdinalHead(num_levels=3)},
        validate_args=False,
    ).to(F64)
    raw = torch.tensor([[1.2, -0.4]], dtype=F64)
    lp = head(raw).log_prob_per_dim(torch.tensor([[0.5, 2.0]], dtype=F64))
    expected = -0.5 * np.logaddexp(0.0, -1.2) - 0.5 * np.logaddexp(0.0, 1.2)
    assert lp[0, 0].item() == pytest.approx(expected, rel=1e-12)


def test_heterogeneous_full_mask_changes_nothing_for_data_in_another_dtype() -> None:
    """A full mask gives the unmasked numbers bit for bit, also for float32 data on a float64
    head (the stand-ins for missing entries take x's dtype, so x is not promoted)."""
    head = HeterogeneousHead(
        {"income": TABLE_LIKELIHOODS["lognormal"](), "count": LIKELIHOODS["poisson"]()}
    ).to(F64)
    dist = head(torch.tensor([[0.3, -0.2, 0.1, 0.0]] * 2, dtype=F64))
    x = torch.tensor([[1.37, 3.0], [0.011, 17.0]])
    full = torch.ones(2, dtype=torch.bool)
    assert torch.equal(dist.log_prob_per_dim(x, mask=full), dist.log_prob_per_dim(x))
