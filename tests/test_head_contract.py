"""Unit tests of base, joint, registry and masking: exact values, errors and edge cases.

See tests/mutation_equivalent.txt for the mutants of these modules that cannot change a result.
"""

from __future__ import annotations

import math

import pytest
import torch
from tensor_asserts import assert_tensors_close
from torch.distributions import LowRankMultivariateNormal, Normal, constraints

from vae_tutorial.likelihoods import (
    LIKELIHOODS,
    HeadDistribution,
    HeadRegistry,
    LikelihoodHead,
    OpenInterval,
    UnknownLikelihoodError,
)
from vae_tutorial.likelihoods.gaussian_lowrank import CheckedLowRankNormal, GaussianLowRankHead
from vae_tutorial.likelihoods.joint import check_event
from vae_tutorial.likelihoods.masking import fill_missing, support_point

F64 = torch.float64


def _error(call) -> str:
    """The whole message of the ValueError that ``call()`` raises."""
    with pytest.raises(ValueError) as err:
        call()
    return str(err.value)


def _normal_log_density(x: float, mean: float = 0.0, sigma: float = 1.0) -> float:
    return -0.5 * ((x - mean) / sigma) ** 2 - math.log(sigma) - 0.5 * math.log(2 * math.pi)


# -- base: data representation ------------------------------------------------------------------
def test_base_representation_is_the_unit_interval() -> None:
    """The base head reads the digits' levels 0..16 as level / 16."""
    levels = torch.tensor([0.0, 4.0, 8.0, 16.0], dtype=F64)
    expected = torch.tensor([0.0, 0.25, 0.5, 1.0], dtype=F64)
    assert_tensors_close(LikelihoodHead().representation(levels), expected, rtol=0)


def test_prepare_refuses_a_single_one_with_the_whole_message() -> None:
    """Even one value 1.0 counts as binary data; the message names levels 0..16 and the fix."""
    message = _error(lambda: LIKELIHOODS["gaussian_fixed"]().prepare(torch.tensor([1.0])))
    assert message == (
        "gaussian_fixed.prepare: the data hold only 0s and 1s, but prepare() reads the digits' "
        "levels 0..16 and would map 0 and 1 to 0 and 0.0625. Data already in the head's "
        "representation (real numbers) need no prepare: pass them to the model as they are "
        "(or use allow_binary_levels=True)"
    )


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_prepare_refusal_reports_the_values_in_the_data_precision(dtype: torch.dtype) -> None:
    """Beta maps level l to (l + 0.5) / 17; the message shows that in the data's own dtype."""
    zero, one = (torch.tensor(v / 17, dtype=dtype).item() for v in (0.5, 1.5))
    message = _error(lambda: LIKELIHOODS["beta"]().prepare(torch.tensor([0.0, 1.0], dtype=dtype)))
    assert f"would map 0 and 1 to {zero:.4g} and {one:.4g}. Data" in message
    assert f"{one:.4g}" != f"{1.5 / 17:.4g}"  # the low precision shows in 4 digits


def test_prepare_of_a_list_says_a_float_tensor_is_expected() -> None:
    """A plain list is no tensor: prepare raises the levels' own error, not an AttributeError."""
    message = _error(lambda: LIKELIHOODS["gaussian_fixed"]().prepare([0.0, 1.0]))
    assert message == "levels must be a float tensor of whole numbers"


# -- base: raw decoder output and values ----------------------------------------------------
@pytest.mark.parametrize(
    ("bad", "what"), [(math.inf, "inf"), (-math.inf, "inf"), (math.nan, "NaN")]
)
def test_non_finite_raw_output_is_named(bad: float, what: str) -> None:
    """The error says whether the raw decoder output holds NaN or an infinity."""
    raw = torch.tensor([0.0, bad, 0.0])
    message = _error(lambda: LIKELIHOODS["gaussian_fixed"]()(raw))
    assert message == f"gaussian_fixed: raw decoder output contains {what}; expected finite numbers"


def test_nan_wins_over_inf_in_the_raw_output_message() -> None:
    raw = torch.tensor([math.inf, math.nan])
    message = _error(lambda: LIKELIHOODS["gaussian_fixed"]()(raw))
    assert message == "gaussian_fixed: raw decoder output contains NaN; expected finite numbers"


@pytest.mark.parametrize(
    ("name", "raw", "x", "message"),
    [
        (
            "categorical",
            torch.zeros(17 * 2),
            [20.0, 1.0],
            "categorical expects x in whole numbers 0..16, got 1 value(s) outside (min 1, max 20, "
            "first offending 20) (num_levels=17; the default 17 is the digits' levels 0..16: "
            "build the head with num_levels=K for data with levels 0..K-1)",
        ),
        (
            "binomial",
            torch.zeros(2),
            [20.0, 1.0],
            "binomial expects x in whole-number counts 0..16, got 1 value(s) outside (min 1, "
            "max 20, first offending 20) (total_count=16; the default 16 is the digits' 16 cells "
            "per block: build the head with total_count=N for counts out of N)",
        ),
        (
            "beta",
            torch.zeros(2 * 2),
            [20.0, 0.5],
            "beta expects x in the open interval (0, 1), got 1 value(s) outside (min 0.5, max 20, "
            "first offending 20)",
        ),
    ],
)
def test_out_of_support_message_with_and_without_the_default_hint(name, raw, x, message) -> None:
    """Heads with a digits-specific default say how to change it; the others add nothing."""
    assert _error(lambda: LIKELIHOODS[name]()(raw).log_prob(torch.tensor(x))) == message


# -- HeadDistribution: shapes ----------------------------------------------------------------
def _gaussian(batch: tuple[int, ...], d: int, sigma: float = 1.0) -> HeadDistribution:
    head = LIKELIHOODS["gaussian_fixed"](sigma=sigma)
    return head(torch.zeros(*batch, d, dtype=F64))


@pytest.mark.parametrize(
    ("shape", "message"),
    [
        ((3, 5), "gaussian_fixed: x has trailing size 5, the distribution has D = 4 dimensions"),
        (
            (3, 1, 5),
            "gaussian_fixed: x has trailing size 5, the distribution has D = 4 dimensions; "
            "flatten images first, e.g. x.flatten(1)",
        ),
        (
            (2, 4),
            "gaussian_fixed: x of shape (2, 4) does not match the distribution's shape (3, 4) "
            "(batch_shape + (D,))",
        ),
    ],
)
def test_shape_errors_hint_at_flattening_only_for_images(shape, message) -> None:
    """A 2-D batch gets no hint; 3 or more dimensions are probably images to flatten."""
    dist = _gaussian((3,), 4)
    assert _error(lambda: dist.log_prob(torch.zeros(shape, dtype=F64))) == message


def test_entropy_sums_the_dimensions_per_batch_element() -> None:
    """Normal entropy 0.5 log(2 pi e sigma^2) per pixel, summed over D = 3, shape batch_shape."""
    entropy = _gaussian((2,), 3, sigma=2.0).entropy()
    one = 0.5 * math.log(2 * math.pi * math.e * 4.0)
    assert_tensors_close(entropy, torch.full((2,), 3 * one, dtype=F64))


def test_expand_keeps_one_reinterpreted_dimension() -> None:
    """The expanded copy is still Independent over D: support checks whole images."""
    expanded = _gaussian((), 3).expand((2,))
    assert expanded.batch_shape == (2,) and expanded.event_shape == (3,)
    assert expanded.reinterpreted_batch_ndims == 1
    assert expanded.support.check(torch.zeros(2, 3, dtype=F64)).shape == (2,)
    x = torch.tensor([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]], dtype=F64)
    expected = [sum(_normal_log_density(v) for v in row) for row in x.tolist()]
    assert_tensors_close(expanded.log_prob(x), torch.tensor(expected, dtype=F64))


class _TaggedHeadDistribution(HeadDistribution):
    """A subclass with its own ``__init__`` that expands the torch way (passing ``_instance``)."""

    def __init__(self, base, head, tag: str) -> None:
        super().__init__(base, head)
        self.tag = tag

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(_TaggedHeadDistribution, _instance)
        new.tag = self.tag
        return super().expand(batch_shape, new)


def test_expand_fills_the_instance_a_subclass_passes() -> None:
    """torch's contract: ``expand(shape, _instance)`` fills and returns that instance."""
    head = LIKELIHOODS["gaussian_fixed"]()
    dist = _TaggedHeadDistribution(Normal(torch.zeros(3, dtype=F64), 1.0), head, tag="mine")
    expanded = dist.expand((2,))
    assert type(expanded) is _TaggedHeadDistribution and expanded.tag == "mine"
    assert expanded.head is head and expanded.batch_shape == (2,)


# -- HeadDistribution: masks -----------------------------------------------------------------
def test_masked_log_prob_per_dim_of_an_unbatched_x() -> None:
    """A 1-D x with a mask: the observed terms are the normal log-densities, the others 0."""
    dist = _gaussian((), 3)
    x = torch.tensor([0.1, math.nan, 0.3], dtype=F64)
    mask = torch.tensor([True, False, True])
    expected = torch.tensor([_normal_log_density(0.1), 0.0, _normal_log_density(0.3)], dtype=F64)
    assert_tensors_close(dist.log_prob_per_dim(x, mask), expected)
    assert_tensors_close(dist.log_prob(x, mask=mask), expected.sum())


def test_masked_log_prob_of_the_wrong_size_names_both_sizes() -> None:
    dist = _gaussian((), 3)
    x, mask = torch.zeros(4, dtype=F64), torch.ones(4, dtype=torch.bool)
    message = _error(lambda: dist.log_prob(x, mask=mask))
    assert message == "gaussian_fixed: x has trailing size 4, the distribution has D = 3 dimensions"


# -- OpenInterval ------------------------------------------------------------------------------
def test_open_interval_excludes_both_bounds() -> None:
    interval = OpenInterval(0.25, 2.0)
    assert (interval.lower_bound, interval.upper_bound) == (0.25, 2.0)
    values = torch.tensor([0.25, 0.2500001, 1.0, 1.9999, 2.0, -1.0])
    assert interval.check(values).tolist() == [False, True, True, True, False, False]
    assert repr(interval) == "OpenInterval(lower_bound=0.25, upper_bound=2.0)"


# -- masking -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("support", "point"),
    [
        (constraints.integer_interval(2, 5), 2.0),
        (constraints.interval(0.0, 3.0), 1.5),
        (constraints.half_open_interval(1.0, 4.0), 2.5),
        (OpenInterval(0.0, 4.0), 2.0),
        (constraints.positive, 1.0),
        (constraints.greater_than(2.0), 3.0),
        (constraints.nonnegative, 0.0),
        (constraints.greater_than_eq(-2.0), -2.0),
        (constraints.real, 0.0),
        (constraints.boolean, 0.0),
    ],
)
def test_support_point_is_the_documented_point_inside(support, point: float) -> None:
    """Midpoint of a bounded interval, lower + 1 of an open half-line, else the lower bound/0."""
    assert support_point(support) == point
    assert bool(support.check(torch.tensor(point)))


def test_fill_missing_puts_the_fill_in_the_value_dtype_exactly() -> None:
    """The fill is not rounded through float32: 0.1 stays the float64 0.1."""
    value = torch.tensor([1.0, 2.0, 3.0], dtype=F64)
    filled = fill_missing(value, torch.tensor([True, False, True]), 0.1)
    assert filled.dtype == F64 and filled.tolist() == [1.0, 0.1, 3.0]


# -- joint -------------------------------------------------------------------------------------
def _lowrank() -> tuple[GaussianLowRankHead, torch.Tensor]:
    return GaussianLowRankHead(rank=1), torch.tensor(
        [0.1, -0.2, 0.3, 0.0, 0.5, -1.0, 1.0, 0.5, -0.5], dtype=F64
    )


def test_joint_head_scores_an_unbatched_image() -> None:
    """A 1-D x against an unbatched low-rank Gaussian: torch's log-density, no error."""
    head, raw = _lowrank()
    mean, raw_sigma, column = raw.view(3, 3)
    sigma = torch.nn.functional.softplus(raw_sigma) + 1e-3
    reference = LowRankMultivariateNormal(mean, column[:, None], sigma**2)
    x = torch.tensor([0.2, 0.4, -0.1], dtype=F64)
    assert_tensors_close(head(raw).log_prob(x), reference.log_prob(x))
    check_event(head, x, 3)  # the check alone accepts it as well


@pytest.mark.parametrize(
    ("x", "size"), [(torch.tensor(0.5, dtype=F64), "none"), (torch.zeros(4, dtype=F64), "4")]
)
def test_joint_head_names_the_trailing_size(x: torch.Tensor, size: str) -> None:
    """A scalar has no trailing size ('none'); a 1-D x of 4 values has 4."""
    head, raw = _lowrank()
    assert _error(lambda: head(raw).log_prob(x)) == (
        f"gaussian_lowrank: x has trailing size {size}, the distribution has D = 3 dimensions"
    )


class _TaggedLowRank(CheckedLowRankNormal):
    """A subclass that expands the torch way (passing ``_instance`` on)."""

    def expand(self, batch_shape, _instance=None):
        new = self._get_checked_instance(_TaggedLowRank, _instance)
        new.tag = self.tag
        return super().expand(batch_shape, new)


def test_joint_expand_fills_the_instance_a_subclass_passes() -> None:
    head, raw = _lowrank()
    mean, _, column = raw.view(3, 3)
    dist = _TaggedLowRank(mean, column[:, None], torch.ones(3, dtype=F64), head=head)
    dist.tag = "mine"
    expanded = dist.expand((2,))
    assert type(expanded) is _TaggedLowRank and expanded.tag == "mine"
    assert expanded.head is head and expanded.batch_shape == (2,)


# -- registry ----------------------------------------------------------------------------------
def test_unknown_likelihood_error_shows_its_message_without_quotes() -> None:
    assert str(UnknownLikelihoodError("no such head")) == "no such head"
    assert str(UnknownLikelihoodError()) == ""


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("delta", "unknown likelihood 'delta'; valid names: alpha, gauss_a, gauss_b"),
        (
            "gauss",
            "unknown likelihood 'gauss' (did you mean 'gauss_b' or 'gauss_a'?); "
            "valid names: alpha, gauss_a, gauss_b",
        ),
        ("", "unknown likelihood ''; valid names: alpha, gauss_a, gauss_b"),
        (3, "unknown likelihood 3; valid names: alpha, gauss_a, gauss_b"),
    ],
)
def test_registry_message_lists_sorted_names_and_close_ones(key, message: str) -> None:
    """Valid names sorted, joined by ', '; names starting with the key offered in dict order."""
    registry = HeadRegistry({"gauss_b": 1, "alpha": 2, "gauss_a": 3})
    with pytest.raises(UnknownLikelihoodError) as err:
        registry[key]
    assert str(err.value) == message
