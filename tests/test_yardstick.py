"""The yardstick: every head's probabilities of the 17 levels sum to one.

* For every head variant: exact level probabilities (discrete heads, and real-line heads through
  their CDF) sum to 1 over the levels (count heads: plus the tail P(X >= 17)); heads scored by
  dequantization have bins that partition their support, and the density integrated over the
  bins (with the family's CDF) sums to 1.
* The interval log-probabilities of :mod:`vae_tutorial.likelihoods.intervals` agree with
  scipy.stats (and with mpmath far in the tails), and are finite with finite gradients at extremes.
* ``discrete_log_likelihood``'s methods: exact >= dequantized on average (both bound the same
  log P), and the clipped demonstration scores lower than the proper yardstick.
* The discretized Gaussian and Laplace heads against scipy by summation over the levels.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, special, stats
from torch.distributions import constraints

from vae_tutorial import load_digits
from vae_tutorial.evaluation import discrete_log_likelihood, has_exact_level_probs
from vae_tutorial.likelihoods import LIKELIHOODS, intervals
from vae_tutorial.model import VAE
from vae_tutorial.representations import real_line_bins

F64 = torch.float64
REAL_LINE = {"gaussian_fixed", "gaussian_shared", "gaussian_diagonal", "laplace", "student_t"}
NO_CDF = {"beta", "continuous_bernoulli"}


def softplus(r):
    return np.logaddexp(0.0, r)


def random_dist(head, dtype, d: int = 8, n: int = 4, spread: float = 3.0, seed: int = 0):
    """The per-pixel distribution (batch ``[n, d]``) of ``head`` at random raw outputs."""
    g = torch.Generator().manual_seed(seed)
    raw = torch.randn(n, d * head.params_per_dim, generator=g, dtype=F64) * spread
    return head(raw.to(dtype)).base_dist


def all_levels(num_levels: int, dtype) -> torch.Tensor:
    """``[K, 1, 1]``: every level, to broadcast against a ``[n, d]`` batch."""
    return torch.arange(num_levels, dtype=dtype).view(-1, 1, 1)


# -- every head: the level probabilities sum to one ---------------------------------------------
@pytest.mark.parametrize("dtype", [torch.float32, F64], ids=str)
def test_level_probabilities_sum_to_one(variant, dtype) -> None:
    head = variant.make(dtype)
    tol = 1e-5 if dtype == torch.float32 else 1e-10
    for seed, spread in [(0, 1.0), (1, 3.0), (2, 10.0)]:
        dist = random_dist(head, dtype, spread=spread, seed=seed)
        if head.support is constraints.boolean:  # binarized data: the values are {0, 1}
            log_p = dist.log_prob(torch.tensor([0.0, 1.0], dtype=dtype).view(-1, 1, 1))
            total = log_p.double().logsumexp(0).exp()
        elif head.support is constraints.nonnegative_integer:  # counts: 0..16 and the tail
            log_p = head.level_log_prob(dist, all_levels(17, dtype)).double()
            total = log_p.logsumexp(0).exp() + torch.from_numpy(count_tail(variant.name, dist))
        elif variant.name in NO_CDF:
            assert head.level_log_prob(dist, all_levels(17, dtype)) is None
            continue  # see test_dequantization_bins_partition_the_support
        else:
            k_levels = getattr(head, "num_levels", 17)
            log_p = head.level_log_prob(dist, all_levels(k_levels, dtype))
            assert log_p is not None and log_p.dtype == dtype
            assert torch.isfinite(log_p).all() and (log_p <= 0).all()
            total = log_p.double().logsumexp(0).exp()
        torch.testing.assert_close(total, torch.ones_like(total), atol=tol, rtol=0)


def count_tail(name: str, dist) -> np.ndarray:
    """P(X >= 17) of a Poisson / negative binomial from scipy (float64)."""
    if name == "poisson":
        return stats.poisson.sf(16, dist.rate.double().numpy())
    r = dist.total_count.double().numpy()
    p = special.expit(-dist.logits.double().numpy())  # scipy's p is torch's 1 - probs
    return stats.nbinom.sf(16, r, p)


def test_dequantization_bins_partition_the_support(continuous_variant) -> None:
    """Bins are adjacent, cover the support, and the CDF over them sums to one."""
    head = continuous_variant.make(F64)
    levels = torch.arange(17.0, dtype=F64)
    lo, hi = head.bin_edges(levels)
    torch.testing.assert_close(lo[1:], hi[:-1])
    assert (lo < hi).all()
    x = head.prepare(levels)
    assert ((lo <= x) & (x <= hi)).all()
    if continuous_variant.name in REAL_LINE:
        assert lo[0] == -math.inf and hi[-1] == math.inf
    else:
        assert lo[0] == 0.0 and hi[-1] == 1.0
    dist = random_dist(head, F64, d=3, n=2, spread=2.0)
    mass = bin_masses(continuous_variant.name, dist, lo.numpy(), hi.numpy())  # [17, n, d]
    np.testing.assert_allclose(mass.sum(0), 1.0, atol=1e-9)


def bin_masses(name: str, dist, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The density's mass in each bin, from scipy's CDF or (continuous Bernoulli) quad."""
    lo, hi = lo[:, None, None], hi[:, None, None]
    if name in ("gaussian_fixed", "gaussian_shared", "gaussian_diagonal"):
        loc, scale = dist.loc.detach().double().numpy(), dist.scale.detach().double().numpy()
        return stats.norm.cdf(hi, loc, scale) - stats.norm.cdf(lo, loc, scale)
    if name == "laplace":
        loc, scale = dist.loc.detach().double().numpy(), dist.scale.detach().double().numpy()
        return stats.laplace.cdf(hi, loc, scale) - stats.laplace.cdf(lo, loc, scale)
    if name == "student_t":
        df, loc, scale = (t.double().numpy() for t in (dist.df, dist.loc, dist.scale))
        return stats.t.cdf(hi, df, loc, scale) - stats.t.cdf(lo, df, loc, scale)
    if name == "beta":
        a, b = dist.concentration1.double().numpy(), dist.concentration0.double().numpy()
        return stats.beta.cdf(hi, a, b) - stats.beta.cdf(lo, a, b)
    if name == "continuous_bernoulli":
        logits = dist.logits.double()
        out = np.empty(np.broadcast_shapes(lo.shape, logits.shape))
        for idx in np.ndindex(out.shape):
            one = type(dist)(logits=logits[idx[1:]], validate_args=False)

            def density(t, one=one):
                return math.exp(one.log_prob(torch.tensor(t, dtype=F64)).item())

            out[idx] = integrate.quad(density, lo[idx[0], 0, 0], hi[idx[0], 0, 0], epsabs=1e-13)[0]
        return out
    raise AssertionError(name)


def test_which_heads_have_exact_level_probabilities(variant) -> None:
    torch.manual_seed(0)
    model = VAE(variant.make(), latent_dim=2, hidden=(4,))
    assert has_exact_level_probs(model) == (variant.name not in NO_CDF)


# -- interval log-probabilities against independent references ---------------------------------
def edges(levels: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    return real_line_bins(torch.as_tensor(levels, dtype=F64))


def scipy_interval_log_prob(family, lo, hi, *args) -> np.ndarray:
    """log(F(u) - F(l)) from scipy's logcdf / logsf, each bin from the side of its midpoint."""
    with np.errstate(divide="ignore", invalid="ignore"):
        lcu, lcl = family.logcdf(hi, *args), family.logcdf(lo, *args)
        lsl, lsu = family.logsf(lo, *args), family.logsf(hi, *args)
        from_cdf = lcu + np.log(-np.expm1(lcl - lcu))
        from_sf = lsl + np.log(-np.expm1(lsu - lsl))
    loc = args[-2]
    mid = np.where(np.isinf(lo), hi - 1, np.where(np.isinf(hi), lo + 1, (lo + hi) / 2))
    return np.where(mid < loc, from_cdf, from_sf)


LOCS = st.floats(-50.0, 50.0, allow_nan=False)
LOG_SCALES = st.floats(-7.0, 4.0, allow_nan=False)


@given(loc=LOCS, log_scale=LOG_SCALES)
def test_normal_and_laplace_agree_with_scipy(loc, log_scale) -> None:
    scale = math.exp(log_scale)
    levels = np.arange(17.0)
    lo, hi = edges(levels)
    # scipy's laplace.logcdf loses about 7 digits hundreds of nats deep in a tail (ours matches
    # mpmath there, see test_far_tails_agree_with_mpmath), hence its looser tolerance
    for ours_fn, family, rtol in [
        (intervals.normal_interval_log_prob, stats.norm, 1e-8),
        (intervals.laplace_interval_log_prob, stats.laplace, 1e-6),
        (intervals.logistic_interval_log_prob, stats.logistic, 1e-8),
    ]:
        ours = ours_fn(torch.tensor(loc, dtype=F64), torch.tensor(scale, dtype=F64), lo, hi)
        ref = scipy_interval_log_prob(family, lo.numpy(), hi.numpy(), loc, scale)
        finite = np.isfinite(ref)  # scipy's logsf/logcdf can underflow where ours does not
        np.testing.assert_allclose(ours.numpy()[finite], ref[finite], rtol=rtol, atol=1e-10)
        assert torch.isfinite(ours).all()


@given(loc=st.floats(-5.0, 5.0), log_scale=st.floats(-5.0, 2.0), df=st.floats(2.0, 50.0))
def test_student_t_agrees_with_scipy(loc, log_scale, df) -> None:
    scale = math.exp(log_scale)
    lo, hi = edges(np.arange(17.0))
    ours = intervals.student_t_interval_log_prob(
        torch.tensor(df, dtype=F64),
        torch.tensor(loc, dtype=F64),
        torch.tensor(scale, dtype=F64),
        lo,
        hi,
    )
    ref = scipy_interval_log_prob(stats.t, lo.numpy(), hi.numpy(), df, loc, scale)
    finite = np.isfinite(ref)
    np.testing.assert_allclose(ours.numpy()[finite], ref[finite], rtol=1e-8, atol=1e-10)
    assert torch.isfinite(ours).all()
    np.testing.assert_allclose(special.logsumexp(ours.numpy()), 0.0, atol=1e-10)


def mp_interval(cdf, lo: float, hi: float, loc: float, scale: float) -> float:
    """log P(lo < X <= hi) in 60-digit arithmetic, from the tail the bin is in."""
    with mpmath.workdps(60):
        a, b = (mpmath.mpf(lo) - loc) / scale, (mpmath.mpf(hi) - loc) / scale
        if a + b > 0:  # upper side: S(a) - S(b) with S(t) = F(-t)
            a, b = -b, -a
        return float(mpmath.log(cdf(b) - cdf(a)))


@pytest.mark.parametrize(("loc", "scale"), [(30.0, 0.01), (-40.0, 0.5), (0.5, 1e-3), (1e3, 10.0)])
def test_far_tails_agree_with_mpmath(loc, scale) -> None:
    """Bins tens to millions of nats deep in a tail, where scipy's own differences underflow."""
    levels = np.array([0.0, 1.0, 8.0, 15.0, 16.0])
    lo, hi = edges(levels)

    # standardised CDFs of symmetric families; the survival function is F(-t)
    def normal_cdf(t):
        return mpmath.ncdf(t)

    def laplace_cdf(t):
        return mpmath.exp(t) / 2 if t < 0 else 1 - mpmath.exp(-t) / 2

    def t3_cdf(t):  # Student-t, 3 degrees of freedom, via the regularised incomplete beta
        tail = mpmath.betainc(1.5, 0.5, 0, 3 / (3 + t * t), regularized=True) / 2
        return tail if t < 0 else 1 - tail

    cases = [
        (intervals.normal_interval_log_prob, normal_cdf, ()),
        (intervals.laplace_interval_log_prob, laplace_cdf, ()),
        (intervals.student_t_interval_log_prob, t3_cdf, (3.0,)),
        (intervals.student_t3_interval_log_prob, t3_cdf, ()),
    ]
    for fn, cdf, df in cases:
        args = (*df, torch.tensor(loc, dtype=F64), torch.tensor(scale, dtype=F64), lo, hi)
        ours = fn(*args).numpy()
        inf = float("inf")
        ref = [
            mp_interval(cdf, -inf if lv == 0 else a, inf if lv == 16 else b, loc, scale)
            for lv, a, b in zip(levels, lo.tolist(), hi.tolist(), strict=True)
        ]
        np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-15, err_msg=fn.__name__)


@pytest.mark.parametrize("dtype", [torch.float32, F64], ids=str)
@pytest.mark.parametrize(
    "fn",
    [
        intervals.normal_interval_log_prob,
        intervals.laplace_interval_log_prob,
        intervals.logistic_interval_log_prob,
        intervals.student_t3_interval_log_prob,
    ],
)
def test_finite_values_and_gradients_at_extremes(fn, dtype) -> None:
    levels = torch.arange(17.0, dtype=dtype).view(-1, 1, 1)
    lo, hi = real_line_bins(levels)
    loc = torch.tensor([-1e4, -30.0, 0.0, 0.5, 30.0, 1e4], dtype=dtype).view(1, -1, 1)
    scale = torch.tensor([1e-3, 0.05, 1.0, 30.0, 1e4], dtype=dtype).view(1, 1, -1)
    loc.requires_grad_(), scale.requires_grad_()
    out = fn(loc, scale, lo, hi)  # [17, 6, 5]
    assert out.dtype == dtype and torch.isfinite(out).all() and (out <= 0).all()
    g_loc, g_scale = torch.autograd.grad(out.sum(), (loc, scale))
    assert torch.isfinite(g_loc).all() and torch.isfinite(g_scale).all()
    total = out.double().logsumexp(0).exp()
    torch.testing.assert_close(total, torch.ones_like(total), atol=1e-6, rtol=0)


@given(loc=LOCS, log_scale=LOG_SCALES)
def test_student_t3_closed_form_agrees_with_scipy(loc, log_scale) -> None:
    lo, hi = edges(np.arange(17.0))
    loc_t, scale_t = torch.tensor(loc, dtype=F64), torch.tensor(math.exp(log_scale), dtype=F64)
    ours = intervals.student_t3_interval_log_prob(loc_t, scale_t, lo, hi)
    ref = intervals.student_t_interval_log_prob(3.0, loc_t, scale_t, lo, hi)
    np.testing.assert_allclose(ours.numpy(), ref.numpy(), rtol=1e-9, atol=1e-12)


def test_student_t_is_finite_at_extremes() -> None:
    lo, hi = real_line_bins(torch.arange(17.0, dtype=F64).view(-1, 1, 1))
    loc = torch.tensor([-1e6, -30.0, 0.0, 30.0, 1e6], dtype=F64).view(1, -1, 1)
    scale = torch.tensor([1e-3, 1.0, 1e4], dtype=F64).view(1, 1, -1)
    for df in (2.0, 3.0, 1e3):
        out = intervals.student_t_interval_log_prob(df, loc, scale, lo, hi)
        assert torch.isfinite(out).all() and (out <= 0).all()
        torch.testing.assert_close(out.logsumexp(0).exp(), torch.ones(5, 3, dtype=F64))


# -- the evaluation methods -------------------------------------------------------------------
def small_model(name: str, **kwargs) -> VAE:
    torch.manual_seed(0)
    return VAE(LIKELIHOODS[name](**kwargs), latent_dim=2, hidden=(16,))


@pytest.mark.parametrize("name", ["gaussian_diagonal", "laplace"])
def test_exact_beats_dequantized_and_clipped_is_lower(name) -> None:
    """Exact and dequantized both bound log P(levels); the dequantized bound is looser. The
    clipped demonstration drops the mass outside [0, 1], so it scores lower still."""
    model = small_model(name, min_scale=0.05) if name == "laplace" else small_model(name)
    levels = load_digits("test")[:40]
    torch.manual_seed(0)
    exact = discrete_log_likelihood(model, levels, k=64, method="exact")
    dequantized = discrete_log_likelihood(model, levels, k=64, method="dequantize")
    clipped = discrete_log_likelihood(model, levels, k=64, method="clipped")
    assert exact.mean() > dequantized.mean()
    assert clipped.mean() < dequantized.mean() and (clipped < exact).all()
    torch.manual_seed(1)
    auto = discrete_log_likelihood(model, levels, k=64)
    torch.manual_seed(1)
    torch.testing.assert_close(auto, discrete_log_likelihood(model, levels, k=64, method="exact"))


def test_student_t_exact_method_runs() -> None:
    model = small_model("student_t", df=None)
    out = discrete_log_likelihood(model, load_digits("test")[:5], k=8, method="exact")
    assert torch.isfinite(out).all() and (out < 0).all()


def test_method_errors() -> None:
    levels = load_digits("test")[:2]
    with pytest.raises(ValueError, match="method must be one of"):
        discrete_log_likelihood(small_model("laplace"), levels, k=2, method="bins")
    with pytest.raises(ValueError, match="beta has no closed-form level probabilities"):
        discrete_log_likelihood(small_model("beta"), levels, k=2, method="exact")
    with pytest.raises(ValueError, match="binomial is a discrete head"):
        discrete_log_likelihood(small_model("binomial"), levels, k=2, method="dequantize")
    beta = small_model("beta")
    torch.manual_seed(0)
    auto = discrete_log_likelihood(beta, levels, k=4)
    torch.manual_seed(0)
    torch.testing.assert_close(
        auto, discrete_log_likelihood(beta, levels, k=4, method="dequantize")
    )


# -- the discretized Gaussian and Laplace heads -----------------------------------------------
@pytest.mark.parametrize(
    ("name", "family"),
    [("discretized_gaussian", stats.norm), ("discretized_laplace", stats.laplace)],
)
def test_discretized_heads_against_scipy_by_summation(name, family) -> None:
    head = LIKELIHOODS[name]().to(F64)
    d = 7
    g = torch.Generator().manual_seed(3)
    raw = torch.randn(2 * d, generator=g, dtype=F64)
    raw[:d] = raw[:d] * 0.6 + 0.5  # locations around the unit interval
    dist = head(raw)
    loc, scale = raw[:d].numpy(), softplus(raw[d:].numpy()) + 1e-3
    centre = np.arange(17.0)[:, None] / 16
    lo, hi = centre - 1 / 32, centre + 1 / 32
    lo[0], hi[-1] = -np.inf, np.inf
    ref = family.cdf(hi, loc, scale) - family.cdf(lo, loc, scale)  # [17, d]
    np.testing.assert_allclose(ref.sum(0), 1.0, atol=1e-12)
    ours = dist.base_dist.level_log_probs().exp().T.numpy()  # [17, d]
    np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(dist.mean.numpy(), (np.arange(17.0)[:, None] * ref).sum(0))
    torch.manual_seed(0)
    samples = dist.sample((20000,))
    assert bool(head.support.check(samples).all())
    freq = np.stack([(samples == k).double().mean(0).numpy() for k in range(17)])
    np.testing.assert_allclose(freq, ref, atol=0.015)  # 20000 draws: standard error <= 0.0036


@pytest.mark.parametrize("name", ["discretized_gaussian", "discretized_laplace"])
@pytest.mark.parametrize("dtype", [torch.float32, F64], ids=str)
def test_discretized_heads_finite_at_extreme_raw_outputs(name, dtype) -> None:
    head = LIKELIHOODS[name]().to(dtype)
    extremes = torch.tensor([-1e3, -50.0, -5.0, 0.0, 0.5, 5.0, 50.0, 1e3], dtype=dtype)
    loc, raw_scale = torch.meshgrid(extremes, extremes, indexing="ij")
    d = loc.numel()
    raw = torch.cat([loc.reshape(-1), raw_scale.reshape(-1)]).repeat(17, 1).requires_grad_()
    x = torch.arange(17.0, dtype=dtype).view(-1, 1).expand(17, d)
    dist = head(raw)
    lp = dist.log_prob_per_dim(x)
    assert torch.isfinite(lp).all() and (lp <= 0).all()
    (grad,) = torch.autograd.grad(dist.log_prob(x).sum(), raw)
    assert torch.isfinite(grad).all()
    total = lp.double().logsumexp(0).exp()
    torch.testing.assert_close(total, torch.ones_like(total), atol=1e-5, rtol=0)


def test_discretized_heads_refuse_bad_arguments() -> None:
    with pytest.raises(ValueError, match="discretized_gaussian: min_sigma must be positive"):
        LIKELIHOODS["discretized_gaussian"](min_sigma=0.0)
    with pytest.raises(ValueError, match="discretized_laplace: num_levels must be >= 2"):
        LIKELIHOODS["discretized_laplace"](num_levels=1)
    with pytest.raises(ValueError, match="discretized_laplace expects x in whole numbers 0..16"):
        LIKELIHOODS["discretized_laplace"]()(torch.zeros(2)).log_prob(torch.tensor([17.0]))
