"""Unit tests of the continuous Bernoulli, count entropy, binomial, categorical, discretized
Gaussian and Laplace, Laplace and Student-t heads: exact values, errors and edge cases (see
tests/mutation_equivalent.txt)."""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import pytest
import torch
from scipy import stats
from tensor_asserts import assert_tensors_close
from torch.distributions import Distribution, Poisson

from vae_tutorial.likelihoods import StableContinuousBernoulli
from vae_tutorial.likelihoods import continuous_bernoulli as cb
from vae_tutorial.likelihoods.binomial import BinomialHead
from vae_tutorial.likelihoods.categorical import CategoricalHead
from vae_tutorial.likelihoods.count_entropy import entropy_by_summation
from vae_tutorial.likelihoods.discretized_gaussian import DiscretizedGaussianHead
from vae_tutorial.likelihoods.discretized_laplace import DiscretizedLaplaceHead
from vae_tutorial.likelihoods.laplace import LaplaceHead
from vae_tutorial.likelihoods.student_t import StudentTHead

F64 = torch.float64


# -- continuous Bernoulli: 50-digit references (decimal) at the series switches ----------------
def decimal_log_normalizer(eta: float) -> float:
    r"""log C = log(eta (1 + e^eta) / (e^eta - 1)) = -log \int_0^1 e^{eta x} dx / (1 + e^eta)
    to 50 digits (``Decimal(eta)`` is the float's exact binary value)."""
    with localcontext() as ctx:
        ctx.prec = 50
        e = Decimal(eta)
        x = e.exp()
        return float((e * (1 + x) / (x - 1)).ln())


def decimal_icdf(eta: float, u: float) -> float:
    """F^{-1}(u) = log(1 + u (e^eta - 1)) / eta to 50 digits."""
    with localcontext() as ctx:
        ctx.prec = 50
        e = Decimal(eta)
        return float((1 + Decimal(u) * (e.exp() - 1)).ln() / e)


@pytest.mark.parametrize("eta", [-0.0099, -0.005, 0.005, 0.0099, 0.0101, -0.0101, 0.02])
def test_cb_log_normalizer_to_round_off_on_both_sides_of_the_series_switch(eta: float) -> None:
    """Inside |eta| < 1e-2 the series log 2 + eta^2/12 - 7 eta^4/1440 and outside the exact
    form match the 50-digit value to 1e-15 in float64 (the eta^4 term is 7e-12 at 0.0099)."""
    ours = cb.log_normalizer(torch.tensor(eta, dtype=F64)).item()
    assert ours == pytest.approx(decimal_log_normalizer(eta), abs=1e-15, rel=0)


@pytest.mark.parametrize("eta", [1e-4, -1e-4, 0.99e-4, -0.99e-4])
@pytest.mark.parametrize("u", [0.1, 0.3, 0.5, 0.7, 0.9])
def test_cb_icdf_to_round_off_at_the_series_switch(eta: float, u: float) -> None:
    """At |eta| = 1e-4 (the first eta outside the series) the log1p/expm1 form is exact to a few
    ulps (4e-16); the series u + eta w/2 + eta^2 w (1-2u)/6 used just inside is off by up to
    5e-15 there (its eta^3 term), within 1e-14."""
    dist = StableContinuousBernoulli(logits=torch.tensor(eta, dtype=F64), validate_args=False)
    tol = 4e-16 if abs(eta) >= 1e-4 else 1e-14
    ours = dist.icdf(torch.tensor(u, dtype=F64)).item()
    assert ours == pytest.approx(decimal_icdf(eta, u), abs=tol, rel=0)


@pytest.mark.parametrize("dtype", [torch.float32, F64], ids=str)
def test_cb_icdf_maps_zero_to_zero_and_one_to_one_for_extreme_logits(dtype) -> None:
    """F^{-1}(0) = 0 and F^{-1}(1) = 1 exactly, also where exp(-eta) underflows (eta = 1000:
    log(0) = -inf) or expm1(eta) rounds to -1 (eta = -40: log1p(-1) / eta = +inf)."""
    eta = torch.tensor([-1000.0, -40.0, -1.0, 0.0, 1e-5, 1.0, 40.0, 1000.0], dtype=dtype)
    dist = StableContinuousBernoulli(logits=eta, validate_args=False)
    assert torch.equal(dist.icdf(torch.zeros_like(eta)), torch.zeros_like(eta))
    assert torch.equal(dist.icdf(torch.ones_like(eta)), torch.ones_like(eta))


def test_cb_icdf_gradient_at_logit_zero() -> None:
    """At eta = 0 (lambda = 1/2, a zero-initialised decoder) the reparameterised sample has the
    finite slope d F^{-1}(u) / d eta = u (1 - u) / 2 (the unused branches must not give 0/0)."""
    u = torch.tensor([0.0, 0.2, 0.5, 0.9, 1.0], dtype=F64)
    eta = torch.zeros(5, dtype=F64, requires_grad=True)
    x = StableContinuousBernoulli(logits=eta, validate_args=False).icdf(u)
    (grad,) = torch.autograd.grad(x.sum(), eta)
    assert torch.equal(x.detach(), u)
    assert_tensors_close(grad, u * (1 - u) / 2, rtol=0.0, atol=1e-15)


# -- count entropy: where the summation stops -----------------------------------------------
class CountingPoisson(Poisson):
    """A Poisson that counts its log_prob calls (one per chunk of counts)."""

    calls = 0

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return super().log_prob(value)


def test_count_entropy_stops_after_the_first_chunk_that_leaves_a_small_tail() -> None:
    """Poisson(3): counts 0..511 hold all but < 1e-12 of the mass, so one chunk is summed (not
    all million counts) and the entropy is scipy's."""
    dist = CountingPoisson(torch.tensor([3.0, 0.5], dtype=F64), validate_args=False)
    h = entropy_by_summation(dist)
    assert dist.calls == 1
    ref = torch.tensor([stats.poisson.entropy(3.0), stats.poisson.entropy(0.5)], dtype=F64)
    assert_tensors_close(h, ref, rtol=0.0, atol=1e-12)


def test_count_entropy_needs_the_tail_strictly_below_tail() -> None:
    """A point mass at 0 (Poisson with rate 0) leaves exactly 0 in the tail: with tail=0 that
    is not below it, so the sum runs to max_count (2 chunks of 512) and gives NaN."""
    dist = CountingPoisson(torch.tensor(0.0, dtype=F64), validate_args=False)
    h = entropy_by_summation(dist, tail=0.0, max_count=1024)
    assert dist.calls == 2
    assert h.dtype == F64 and h.shape == () and math.isnan(h.item())
    assert entropy_by_summation(dist, tail=1e-300).item() == 0.0


def test_count_entropy_sums_whole_chunks_of_512_by_default() -> None:
    """max_count=513 with the default chunk of 512 sums counts 0..1023: Poisson(400) has
    P(X > 512) ~ 1e-8 > tail, so it needs the second chunk, and gets scipy's entropy."""
    assert stats.poisson.sf(512, 400.0) > 1e-10
    h = entropy_by_summation(Poisson(torch.tensor(400.0, dtype=F64)), max_count=513)
    assert h.item() == pytest.approx(stats.poisson.entropy(400.0), abs=1e-10, rel=0)


class PointMass(Distribution):
    """All the mass on one count ``at`` (float64): log P = 0 there, -inf elsewhere."""

    arg_constraints: dict = {}

    def __init__(self, at: float) -> None:
        self.at = torch.tensor(at, dtype=F64)
        super().__init__(torch.Size(), validate_args=False)

    @property
    def mean(self) -> torch.Tensor:
        return self.at

    def log_prob(self, value: torch.Tensor) -> torch.Tensor:
        return torch.where(value == self.at, 0.0, -math.inf).to(F64)


def test_count_entropy_default_max_count_is_a_million() -> None:
    """By default counts 0..999,999 are summed: a point mass at 999,999 has entropy 0, one at
    1,000,000 is out of reach and gets NaN (here in chunks of 250,000)."""
    assert entropy_by_summation(PointMass(999_999.0), chunk=250_000).item() == 0.0
    assert math.isnan(entropy_by_summation(PointMass(1_000_000.0), chunk=250_000).item())


def test_count_entropy_with_no_counts_summed_is_nan_in_the_dist_dtype() -> None:
    """max_count=0 sums nothing: every element is NaN, in the distribution's dtype (float64)."""
    h = entropy_by_summation(Poisson(torch.tensor([1.0, 2.0], dtype=F64)), max_count=0)
    assert h.dtype == F64 and h.shape == (2,) and bool(torch.isnan(h).all())


# -- binomial and categorical: settings, representation, encoder input ----------------------
def test_binomial_with_one_trial_is_the_bernoulli() -> None:
    """total_count=1 is allowed (0 is not): log p = x r - softplus(r) per dimension."""
    head = BinomialHead(total_count=1)
    r = torch.tensor([[-2.0, 0.0, 3.0]], dtype=F64)
    x = torch.tensor([[1.0, 0.0, 1.0]], dtype=F64)
    ref = (x * r - torch.nn.functional.softplus(r)).sum(-1)
    assert_tensors_close(head(r).log_prob(x), ref, rtol=0.0, atol=1e-12)
    with pytest.raises(ValueError) as err:
        BinomialHead(total_count=0)
    assert str(err.value) == "binomial: total_count must be >= 1, got 0"


def test_binomial_representation_and_encoder_input_use_total_count() -> None:
    """Counts 0..N pass (N = 4), N + 1 is refused; the encoder sees x / N."""
    head = BinomialHead(total_count=4)
    x = torch.tensor([0.0, 1.0, 4.0])
    assert torch.equal(head.representation(x), x)
    with pytest.raises(ValueError) as err:
        head.representation(torch.tensor([5.0]))
    assert str(err.value) == "expected whole-number levels in 0..4, got values such as 5"
    assert torch.equal(head.encoder_input(x), torch.tensor([0.0, 0.25, 1.0]))


def test_categorical_expects_and_encoder_input_follow_num_levels() -> None:
    """K = 5: the error names levels 0..4, and the encoder sees x / (K - 1)."""
    head = CategoricalHead(num_levels=5)
    assert head.expects == "whole numbers 0..4"
    with pytest.raises(ValueError) as err:
        head(torch.zeros(1, 10)).log_prob(torch.zeros(1, 2, dtype=torch.long))
    assert str(err.value) == "categorical: x must be a float tensor of whole numbers 0..4"
    x = torch.tensor([0.0, 2.0, 4.0])
    assert torch.equal(head.encoder_input(x), torch.tensor([0.0, 0.5, 1.0]))


def test_categorical_distribution_equals_forward_and_checks_nothing() -> None:
    """distribution(*split(raw)) gives forward's log-probabilities; like forward with
    validate_args=False it does not check the logits (a NaN logit gives NaN, no error)."""
    head = CategoricalHead(num_levels=3, validate_args=False)
    raw = torch.tensor([[0.5, float("nan"), -1.0, 2.0, 0.0, 1.0]], dtype=F64)  # D = 2, K = 3
    x = torch.tensor([[2.0, 1.0]], dtype=F64)
    direct = head.distribution(*head.split(raw)).log_prob(x)
    via_forward = head(raw).base_dist.log_prob(x)
    assert_tensors_close(direct, via_forward, rtol=0.0, atol=1e-15, equal_nan=True)
    assert math.isnan(direct[0, 1].item())
    # pixel 0 has logits (0.5, -1, 0) for levels 0, 1, 2
    ref = -math.log(math.exp(0.5) + math.exp(-1.0) + 1.0)
    assert direct[0, 0].item() == pytest.approx(ref, abs=1e-12, rel=0)


# -- switching validation off reaches torch's distribution ---------------------------------
@pytest.mark.parametrize(
    "head",
    [
        LaplaceHead(validate_args=False),
        StudentTHead(validate_args=False),
        cb.ContinuousBernoulliHead(validate_args=False),
    ],
    ids=["laplace", "student_t", "continuous_bernoulli"],
)
def test_validation_off_lets_nan_values_through_to_nan(head) -> None:
    """With validate_args=False neither the head nor torch checks x: a NaN gives NaN."""
    raw = torch.zeros(1, 2 * head.params_per_dim)
    lp = head(raw).log_prob_per_dim(torch.tensor([[0.5, float("nan")]]))
    assert torch.isfinite(lp[0, 0]) and math.isnan(lp[0, 1].item())


@pytest.mark.parametrize("cls", [DiscretizedGaussianHead, DiscretizedLaplaceHead])
def test_discretized_heads_pass_validate_args_on(cls) -> None:
    """validate_args=False reaches the head: a level outside 0..16 is not refused."""
    head = cls(validate_args=False)
    assert head.validate_args is False
    lp = head(torch.zeros(1, 4)).log_prob(torch.tensor([[20.0, 3.0]]))
    assert lp.shape == (1,)


# -- Laplace and Student-t settings ----------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: LaplaceHead(scale=0.0), "laplace: scale must be positive or None, got 0.0"),
        (lambda: StudentTHead(min_df=0.0), "student_t: min_df must be positive, got 0.0"),
        (lambda: StudentTHead(min_df=-1), "student_t: min_df must be positive, got -1"),
    ],
)
def test_zero_scale_and_min_df_are_refused(make, message: str) -> None:
    with pytest.raises(ValueError) as err:
        make()
    assert str(err.value) == message


def test_student_t_accepts_degrees_of_freedom_below_one() -> None:
    """df = 0.5 and min_df = 0.5 are positive, so allowed (a Cauchy-like tail): the log-density
    is scipy's t(0.5) with scale softplus(0) + 1e-3."""
    x = torch.tensor([[0.3, -2.0]], dtype=F64)
    scale = math.log(2.0) + 1e-3
    ref = stats.t.logpdf(x.numpy(), 0.5, scale=scale).sum()
    fixed = StudentTHead(df=0.5).to(F64)
    lp = fixed(torch.zeros(1, 4, dtype=F64)).log_prob(x).item()
    assert lp == pytest.approx(ref, abs=1e-12)
    learned = StudentTHead(df=None, min_df=0.5)
    assert learned.min_df == 0.5
    # raw df -40: softplus(-40) = 4e-18 is lost next to 0.5 in float64
    raw = torch.tensor([[0.0, 0.0, 0.0, 0.0, -40.0, -40.0]], dtype=F64)
    assert learned(raw).log_prob(x).item() == pytest.approx(ref, abs=1e-12)
