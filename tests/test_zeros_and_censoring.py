"""Unit tests of the censored Gaussian, log-normal, hurdle log-normal and zero-inflated count heads:
exact values, errors and edge cases (see tests/mutation_equivalent.txt)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
import torch
from scipy import special, stats
from tensor_asserts import assert_tensors_close
from torch.distributions import Distribution

from vae_tutorial.likelihoods.base import LikelihoodHead
from vae_tutorial.likelihoods.censored_gaussian import CensoredGaussianHead, CensoredNormal
from vae_tutorial.likelihoods.hurdle_lognormal import HurdleLogNormal, HurdleLogNormalHead
from vae_tutorial.likelihoods.lognormal import LogNormalHead
from vae_tutorial.likelihoods.zero_inflated_negative_binomial import (
    ZeroInflatedNegativeBinomial,
    ZeroInflatedNegativeBinomialHead,
)
from vae_tutorial.likelihoods.zero_inflated_poisson import (
    ZeroInflatedPoisson,
    ZeroInflatedPoissonHead,
)

F64 = torch.float64


def t64(*values: float) -> torch.Tensor:
    """A float64 tensor of the given values."""
    return torch.tensor(values, dtype=F64)


# -- the censored normal distribution ----------------------------------------------------------
def test_censored_normal_is_censored_at_zero_by_default() -> None:
    """Without ``lower``, the point mass sits at 0 and holds Phi(-mu / s) (scipy's norm.cdf)."""
    dist = CensoredNormal(t64(0.3), t64(1.5))
    assert dist.lower == 0.0
    lp = dist.log_prob(t64(0.0, 1.0))
    ref = [stats.norm.logcdf(0.0, 0.3, 1.5), stats.norm.logpdf(1.0, 0.3, 1.5)]
    np.testing.assert_allclose(lp.numpy(), ref, rtol=1e-12)


def test_censored_normal_samples_are_clamped_at_the_limit() -> None:
    """Samples have shape sample_shape + batch_shape, never fall below ``lower``, put
    P(y <= lower) = Phi((lower - mu) / s) on the limit and average to the censored mean."""
    torch.manual_seed(0)
    loc, scale, lower = t64(0.5, -1.0), t64(1.0, 2.0), 0.2
    dist = CensoredNormal(loc, scale, lower)
    x = dist.sample((4000,))
    assert x.shape == (4000, 2) and x.dtype == F64
    assert bool((x >= lower).all())
    at_limit = (x == lower).double().mean(0).numpy()
    np.testing.assert_allclose(at_limit, stats.norm.cdf(lower, [0.5, -1.0], [1.0, 2.0]), atol=0.03)
    np.testing.assert_allclose(x.mean(0).numpy(), dist.mean.numpy(), atol=0.06)
    assert dist.sample().shape == (2,)


# -- validation switched on or off -------------------------------------------------------------
VALIDATED_CASES = [
    (
        "censored",
        lambda v: CensoredNormal(t64(0.4), t64(1.3), 0.0, validate_args=v),
        t64(0.0, 2.0),
        [stats.norm.logcdf(0.0, 0.4, 1.3), stats.norm.logpdf(2.0, 0.4, 1.3)],
        t64(-0.5),
    ),
    (
        "zip",
        lambda v: ZeroInflatedPoisson(t64(2.5), t64(-0.5), validate_args=v),
        t64(0.0, 3.0),
        [
            np.log(special.expit(-0.5) + special.expit(0.5) * np.exp(-2.5)),
            np.log(special.expit(0.5)) + stats.poisson.logpmf(3, 2.5),
        ],
        t64(1.5),
    ),
    (
        "zinb",
        lambda v: ZeroInflatedNegativeBinomial(t64(2.0), t64(0.7), t64(0.3), validate_args=v),
        t64(0.0, 4.0),
        [
            np.log(special.expit(0.3) + special.expit(-0.3) * (0.7 / 2.7) ** 0.7),
            np.log(special.expit(-0.3)) + stats.nbinom.logpmf(4, 0.7, 0.7 / 2.7),
        ],
        t64(-1.0),
    ),
    (
        "hurdle",
        lambda v: HurdleLogNormal(t64(0.2), t64(0.1), t64(0.9), validate_args=v),
        t64(0.0, 1.7),
        [
            np.log(special.expit(0.2)),
            np.log(special.expit(-0.2)) + stats.lognorm.logpdf(1.7, s=0.9, scale=np.exp(0.1)),
        ],
        t64(-0.1),
    ),
]


@pytest.mark.parametrize(
    ("make", "valid", "expected", "invalid"),
    [case[1:] for case in VALIDATED_CASES],
    ids=[case[0] for case in VALIDATED_CASES],
)
def test_validated_distributions_score_valid_values_and_refuse_others(
    make: Callable[[bool], Distribution],
    valid: torch.Tensor,
    expected: list[float],
    invalid: torch.Tensor,
) -> None:
    """With validate_args=True, values in the support get the scipy value (mass at 0, density
    or pmf above); a value off the support raises torch's ValueError."""
    dist = make(True)
    np.testing.assert_allclose(dist.log_prob(valid).numpy(), expected, rtol=1e-10)
    with pytest.raises(ValueError):
        dist.log_prob(invalid)


HEADS: list[tuple[Callable[..., LikelihoodHead], int, list[float]]] = [
    (CensoredGaussianHead, 1, [0.0, 1.5]),
    (LogNormalHead, 2, [0.5, 3.0]),
    (HurdleLogNormalHead, 3, [0.0, 3.0]),
    (ZeroInflatedPoissonHead, 2, [0.0, 4.0]),
    (ZeroInflatedNegativeBinomialHead, 3, [0.0, 4.0]),
]


@pytest.mark.parametrize(("make", "params", "x"), HEADS, ids=lambda v: getattr(v, "name", ""))
def test_validation_off_lets_nan_flow_through(
    make: Callable[..., LikelihoodHead], params: int, x: list[float]
) -> None:
    """validate_args=False switches every check off, torch's included: a NaN decoder output gives
    a NaN log-likelihood instead of a ValueError (with validation it is refused)."""
    raw = torch.full((1, 2 * params), float("nan"), dtype=F64)
    lp = make(validate_args=False)(raw).log_prob(t64(*x)[None])
    assert lp.shape == (1,) and bool(lp.isnan().all())
    with pytest.raises(ValueError, match=r"raw decoder output contains NaN; expected finite"):
        make()(raw)


def test_zero_inflated_poisson_without_validation_takes_any_rate() -> None:
    """validate_args=False: a negative rate is not refused, log_prob just evaluates the formula
    (log p(0) = logaddexp(log pi, log(1 - pi) - rate))."""
    dist = ZeroInflatedPoisson(t64(-1.0), t64(0.0), validate_args=False)
    assert dist.log_prob(t64(0.0)).item() == pytest.approx(np.log(0.5 + 0.5 * np.e), rel=1e-12)


# -- the censored Gaussian head ----------------------------------------------------------------
def test_censored_gaussian_head_defaults_are_a_standard_tobit() -> None:
    """Defaults loc 0, scale 1, sigma 1, lower 0: the raw output is mu of N(mu, 1) censored at 0."""
    head = CensoredGaussianHead()
    assert (head.loc, head.scale, head.sigma, head.lower) == (0.0, 1.0, 1.0, 0.0)
    dist = head.to(F64)(t64(0.4)).base_dist
    ref = [stats.norm.logcdf(0.0, 0.4, 1.0), stats.norm.logpdf(1.2, 0.4, 1.0)]
    np.testing.assert_allclose(dist.log_prob(t64(0.0, 1.2)).numpy(), ref, rtol=1e-12)


@pytest.mark.parametrize(("scale", "sigma"), [(0.0, 1.0), (-1.0, 1.0), (1.0, 0.0), (1.0, -2.0)])
def test_censored_gaussian_head_refuses_non_positive_scale_or_sigma(
    scale: float, sigma: float
) -> None:
    """Each of scale and sigma must be > 0 on its own; the message names both values."""
    with pytest.raises(ValueError) as err:
        CensoredGaussianHead(scale=scale, sigma=sigma)
    expected = f"censored_gaussian: scale and sigma must be positive, got {scale}, {sigma}"
    assert str(err.value) == expected


def test_censored_gaussian_head_accepts_small_positive_scale_and_sigma() -> None:
    """A scale below 1 is fine: mu = loc + scale * r and s = scale * sigma."""
    head = CensoredGaussianHead(loc=1.0, scale=0.5, sigma=0.25).to(F64)
    dist = head(t64(2.0)).base_dist
    assert_tensors_close(dist.loc, t64(2.0), atol=1e-15)
    assert_tensors_close(dist.scale, t64(0.125), atol=1e-15)


def test_censored_gaussian_head_censors_at_its_own_limit() -> None:
    """With lower=1.5 the point mass sits at 1.5 and holds Phi((1.5 - mu) / s)."""
    head = CensoredGaussianHead(loc=1.0, scale=0.5, sigma=0.25, lower=1.5).to(F64)
    dist = head(t64(2.0)).base_dist
    assert dist.lower == 1.5
    ref = [stats.norm.logcdf(1.5, 2.0, 0.125), stats.norm.logpdf(2.1, 2.0, 0.125)]
    np.testing.assert_allclose(dist.log_prob(t64(1.5, 2.1)).numpy(), ref, rtol=1e-12)


def test_censored_gaussian_encoder_input_standardises() -> None:
    """The encoder sees (x - loc) / scale."""
    head = CensoredGaussianHead(loc=2.0, scale=4.0)
    assert_tensors_close(head.encoder_input(t64(6.0, 2.0, 0.0)), t64(1.0, 0.0, -0.5), atol=1e-15)


# -- settings of the other heads ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "kwargs", "message"),
    [
        (ZeroInflatedPoissonHead, {"min_rate": 0.0}, "min_rate must be positive, got 0.0"),
        (ZeroInflatedPoissonHead, {"min_rate": -1.0}, "min_rate must be positive, got -1.0"),
        (
            ZeroInflatedNegativeBinomialHead,
            {"min_mean": 0.0},
            "min_mean and min_dispersion must be positive, got 0.0 and 0.001",
        ),
        (
            ZeroInflatedNegativeBinomialHead,
            {"min_dispersion": 0.0},
            "min_mean and min_dispersion must be positive, got 1e-06 and 0.0",
        ),
        (HurdleLogNormalHead, {"min_sigma": 0.0}, "min_sigma must be positive, got 0.0"),
    ],
)
def test_floors_of_zero_are_refused_with_the_heads_message(
    make: Callable[..., LikelihoodHead], kwargs: dict[str, float], message: str
) -> None:
    """A floor of exactly 0 lets the parameter reach 0: refused, with the head's whole message."""
    with pytest.raises(ValueError) as err:
        make(**kwargs)
    assert str(err.value) == f"{make.name}: {message}"


def test_zero_inflated_poisson_takes_a_small_positive_floor() -> None:
    """min_rate is the rate at raw -> -inf: softplus(-50) + 1e-9 is 1e-9 up to round-off."""
    head = ZeroInflatedPoissonHead(min_rate=1e-9).to(F64)
    rate = head(t64(-50.0, 0.0)).base_dist.rate
    assert rate.item() == pytest.approx(1e-9 + np.log1p(np.exp(-50.0)), rel=1e-9)


@pytest.mark.parametrize("make", [ZeroInflatedPoissonHead, ZeroInflatedNegativeBinomialHead])
def test_zero_inflated_counts_are_the_levels_and_the_encoder_sees_them_over_16(
    make: Callable[..., LikelihoodHead],
) -> None:
    """The counts are the digits' levels 0..16 themselves; the encoder sees level / 16."""
    head = make()
    levels = t64(0.0, 3.0, 16.0)
    assert_tensors_close(head.representation(levels), levels, atol=1e-15)
    assert_tensors_close(head.encoder_input(t64(0.0, 8.0, 16.0)), t64(0.0, 0.5, 1.0), atol=1e-15)


def test_lognormal_representation_and_bins_are_the_open_unit_interval() -> None:
    """Level k becomes (k + 1/2) / 17, inside its bin [k / 17, (k + 1) / 17]."""
    head = LogNormalHead()
    levels = t64(0.0, 5.0, 16.0)
    assert_tensors_close(head.representation(levels), t64(0.5, 5.5, 16.5) / 17, atol=1e-15)
    lower, upper = head.bin_edges(levels)
    assert_tensors_close(lower, t64(0.0, 5.0, 16.0) / 17, atol=1e-15)
    assert_tensors_close(upper, t64(1.0, 6.0, 17.0) / 17, atol=1e-15)


def test_hurdle_representation_keeps_zero_and_has_no_bins() -> None:
    """Level k becomes k / 16 (so level 0 is the hurdle's exact 0); bins are refused."""
    head = HurdleLogNormalHead()
    assert_tensors_close(head.representation(t64(0.0, 4.0, 16.0)), t64(0.0, 0.25, 1.0), atol=1e-15)
    with pytest.raises(ValueError) as err:
        head.bin_edges(t64(0.0, 4.0))
    assert str(err.value) == (
        "hurdle_lognormal: mixes a probability at 0 with a density; it has no single bin per level"
    )
