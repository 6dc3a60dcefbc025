"""Each head is a normalised distribution that agrees with an independent reference.

* Normalisation of one data dimension: discrete probabilities sum to 1 over the support (to a
  count where the tail is below 1e-12 for Poisson / negative binomial); continuous densities
  integrate to 1 (scipy.integrate.quad in float64), for random AND extreme raw outputs.
* Agreement with scipy.stats (or a sum over the support) on random parameters, where the
  reference recomputes the documented transform raw -> parameters itself in numpy.
* ``dist.mean`` agrees with the average of many samples.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, special, stats
from torch.distributions import constraints

from vae_tutorial.likelihoods import LIKELIHOODS, OpenInterval

F64 = torch.float64
RAWS = st.floats(-30.0, 30.0, allow_nan=False)
MODERATE = st.floats(-4.0, 4.0, allow_nan=False)


def softplus(r):
    return np.logaddexp(0.0, r)


def one_dim_raw(head, values) -> torch.Tensor:
    """Raw output for D = 1 (one value per parameter block), float64."""
    p = head.params_per_dim
    return torch.tensor([values[i % len(values)] for i in range(p)], dtype=F64)


def log_density_fn(head, raw):
    """x (float) -> log p(x) of the one-dimensional distribution head(raw), in float64."""
    dist = head(raw)

    def f(x: float) -> float:
        return dist.log_prob(torch.tensor([x], dtype=F64)).item()

    return f, dist


def support_values(head, dist) -> torch.Tensor:
    """Every value of a discrete support (finite), or 0..N with a tail below 1e-12."""
    s = head.support
    if s is constraints.boolean:
        return torch.tensor([0.0, 1.0], dtype=F64)
    if isinstance(s, constraints.integer_interval):
        return torch.arange(s.lower_bound, s.upper_bound + 1, dtype=F64)
    assert s is constraints.nonnegative_integer
    base = dist.base_dist
    if head.name == "poisson":
        n = stats.poisson.isf(1e-13, base.rate.item())
    else:
        r, p = base.total_count.item(), 1.0 - base.probs.item()  # scipy's p: success prob.
        n = stats.nbinom.isf(1e-13, r, p)
    assert n < 5e6, f"support too long to sum: {n}"
    return torch.arange(0, n + 2, dtype=F64)


def total_probability(head, raw) -> float:
    dist = head(raw)
    if head.discrete:
        xs = support_values(head, dist).unsqueeze(-1)  # [M, 1], batch [1] broadcasts
        return torch.logsumexp(dist.log_prob(xs), 0).exp().item()
    f, dist = log_density_fn(head, raw)
    s = head.support
    if s is constraints.real:
        base = dist.base_dist
        loc, scale = base.loc.item(), base.scale.item()
        # integrate in standardised units t = (x - loc) / scale, split at the mode
        g = lambda t: math.exp(f(loc + scale * t)) * scale  # noqa: E731
        kw = dict(limit=200, epsabs=1e-13, epsrel=1e-11)
        return (
            integrate.quad(g, -math.inf, 0.0, **kw)[0] + integrate.quad(g, 0.0, math.inf, **kw)[0]
        )
    if isinstance(s, OpenInterval):  # the Beta, with both concentrations >= 1 (see raw_range)
        mode = dist.base_dist.mode.item()
        kw = dict(limit=200, epsabs=1e-13, epsrel=1e-11)
        g = lambda x: math.exp(f(x)) if 0.0 < x < 1.0 else 0.0  # noqa: E731
        return integrate.quad(g, 0.0, mode, **kw)[0] + integrate.quad(g, mode, 1.0, **kw)[0]
    assert s is constraints.unit_interval
    return integrate.quad(lambda x: math.exp(f(x)), 0.0, 1.0, limit=200, epsabs=1e-13)[0]


def raw_range(variant) -> tuple[float, float]:
    """Raw values whose normalisation is checkable in float64.

    A Beta concentration below 1 puts mass where float64 cannot place x: for beta = 0.32,
    P(1 - x < 1e-16) is about 1e-5, yet the largest float64 below 1 is 1 - 1.1e-16. So the Beta's
    normalisation is checked for concentrations >= 1 (raw >= 0.55); its small concentrations
    (raw down to -30) are checked against scipy.stats.beta instead.
    """
    return (0.55, 30.0) if variant.name == "beta" else (-30.0, 30.0)


@given(data=st.data())
def test_normalised_random_raw(variant, data) -> None:
    head = variant.make(F64)
    lo, hi = raw_range(variant)
    values = data.draw(st.lists(MODERATE, min_size=3, max_size=3))
    raw = one_dim_raw(head, [min(max(v, lo), hi) for v in values])
    assert total_probability(head, raw) == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("sign", [-1.0, 1.0, "mixed"])
def test_normalised_extreme_raw(variant, sign) -> None:
    head = variant.make(F64)
    lo, hi = raw_range(variant)
    if sign == "mixed":
        values = [hi, lo, hi]
    else:
        values = [hi if sign > 0 else lo] * 3
    raw = one_dim_raw(head, values)
    tol = 1e-6 if head.discrete else 1e-7
    assert total_probability(head, raw) == pytest.approx(1.0, abs=tol)


def test_normalised_float32_discrete(discrete_variant) -> None:
    """In float32 the probabilities still sum to 1 (to float32 precision): over the whole finite
    support, or for Poisson and negative binomial over the counts up to where float64 puts less
    than 1e-13 in the tail (raw outputs kept moderate so that is a manageable count)."""
    head = discrete_variant.make()
    unbounded = head.support is constraints.nonnegative_integer
    torch.manual_seed(0)
    raw = torch.randn(6, head.params_per_dim) * (3 if unbounded else 10)
    for r in raw:
        dist = head(r)
        xs = support_values(head, head.to(F64)(r.double())).float().unsqueeze(-1)
        total = torch.logsumexp(dist.log_prob(xs), 0).exp().item()
        assert total == pytest.approx(1.0, abs=2e-5)


# -- independent references ---------------------------------------------------------------------
def reference_log_prob(variant, head, raw: np.ndarray, x: np.ndarray) -> np.ndarray:
    """log p(x_d) per dimension from scipy, with the transform re-implemented here. raw: [P, D]."""
    name, kw = variant.name, variant.kwargs
    if name == "bernoulli":
        return stats.bernoulli.logpmf(x, special.expit(raw[0]))
    if name == "gaussian_fixed":
        return stats.norm.logpdf(x, raw[0], kw.get("sigma", 1.0))
    if name == "gaussian_shared":
        return stats.norm.logpdf(x, raw[0], math.exp(head.log_sigma.detach().item()))
    if name == "gaussian_diagonal":
        if kw.get("sigma_transform") == "exp":  # raw[1] is the log-variance
            return stats.norm.logpdf(x, raw[0], np.sqrt(np.exp(raw[1])) + kw["min_sigma"])
        return stats.norm.logpdf(x, raw[0], softplus(raw[1]) + 1e-3)
    if name == "laplace":
        scale = kw["scale"] if "scale" in kw else softplus(raw[1]) + 1e-3
        return stats.laplace.logpdf(x, raw[0], scale)
    if name == "student_t":
        df = softplus(raw[2]) + 2.0 if kw.get("df", 3.0) is None else 3.0
        return stats.t.logpdf(x, df, raw[0], softplus(raw[1]) + 1e-3)
    if name == "beta":
        return stats.beta.logpdf(x, softplus(raw[0]) + 1e-2, softplus(raw[1]) + 1e-2)
    if name == "categorical":
        return np.take_along_axis(special.log_softmax(raw.T, -1), x.astype(int)[:, None], -1)[:, 0]
    if name == "binomial":
        return stats.binom.logpmf(x, 16, special.expit(raw[0]))
    if name == "poisson":
        return stats.poisson.logpmf(x, softplus(raw[0]) + 1e-6)
    if name == "negative_binomial":
        mu, r = softplus(raw[0]) + 1e-6, softplus(raw[1]) + 1e-3
        return stats.nbinom.logpmf(x, r, r / (r + mu))
    if name == "discretized_logistic":
        k_levels, m = head.num_levels, head.num_components
        if m == 1:
            w, loc, ls = np.zeros((1, raw.shape[1])), raw[:1], raw[1:2]
        else:
            w, loc, ls = raw[:m], raw[m : 2 * m], raw[2 * m :]
        scale = np.exp(np.clip(ls, -7.0, 5.0))
        h = 1.0 / (k_levels - 1)
        y = 2.0 * x / (k_levels - 1) - 1.0
        upper = np.where(x == k_levels - 1, np.inf, y + h)
        lower = np.where(x == 0, -np.inf, y - h)

        # log(F(u) - F(l)) in log space, from the left tail or the right tail (no cancellation)
        def log_diff(log_big, log_small):
            with np.errstate(divide="ignore"):
                return log_big + np.log1p(-np.exp(log_small - log_big))

        from_cdf = log_diff(
            stats.logistic.logcdf(upper, loc, scale), stats.logistic.logcdf(lower, loc, scale)
        )
        from_sf = log_diff(
            stats.logistic.logsf(lower, loc, scale), stats.logistic.logsf(upper, loc, scale)
        )
        log_p = np.where(loc > y, from_cdf, from_sf)
        return special.logsumexp(special.log_softmax(w, 0) + log_p, axis=0)
    if name in ("discretized_gaussian", "discretized_laplace"):
        family = stats.norm if name == "discretized_gaussian" else stats.laplace
        loc, scale = raw[0], softplus(raw[1]) + 1e-3
        k_levels = head.num_levels
        y, h = x / (k_levels - 1), 0.5 / (k_levels - 1)
        upper = np.where(x == k_levels - 1, np.inf, y + h)
        lower = np.where(x == 0, -np.inf, y - h)
        with np.errstate(divide="ignore"):  # log(F(u) - F(l)) from scipy's log-CDF / log-SF
            lcu, lcl = family.logcdf(upper, loc, scale), family.logcdf(lower, loc, scale)
            lsl, lsu = family.logsf(lower, loc, scale), family.logsf(upper, loc, scale)
            from_cdf = lcu + np.log(-np.expm1(lcl - lcu))
            from_sf = lsl + np.log(-np.expm1(lsu - lsl))
        return np.where(loc > y, from_cdf, from_sf)
    if name == "continuous_bernoulli":
        out = []
        for r, xi in zip(raw[0], x, strict=True):
            lp = lambda t, r=r: t * r - softplus(r)  # noqa: E731  log lambda^t (1-lambda)^(1-t)
            z = integrate.quad(lambda t, lp=lp: math.exp(lp(t)), 0, 1, epsabs=0, epsrel=1e-13)[0]
            out.append(lp(xi) - math.log(z))
        return np.array(out)
    raise AssertionError(name)


@given(data=st.data())
def test_agrees_with_reference(variant, data) -> None:
    head = variant.make(F64)
    if variant.name == "gaussian_shared":
        with torch.no_grad():
            head.log_sigma.fill_(data.draw(st.floats(-3.0, 2.0)))
    d = 6
    seed = data.draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    raw = torch.randn(head.params_per_dim * d, generator=g, dtype=F64) * 3
    x = head(raw).sample()
    if head.discrete and head.support is not constraints.nonnegative_integer:
        # also the support's edges
        x[0], x[1] = 0.0, float(getattr(head.support, "upper_bound", 1))
    ours = head(raw).log_prob_per_dim(x).detach().numpy()
    ref = reference_log_prob(variant, head, raw.view(head.params_per_dim, d).numpy(), x.numpy())
    np.testing.assert_allclose(ours, ref, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("value", [-30.0, -10.0, 10.0, 30.0])
def test_agrees_with_reference_extreme(variant, value) -> None:
    head = variant.make(F64)
    d = 5
    raw = torch.full((head.params_per_dim * d,), value, dtype=F64)
    raw[::2] = -value  # mix signs across parameters
    x = head(raw).sample()
    ours = head(raw).log_prob_per_dim(x).detach().numpy()
    ref = reference_log_prob(variant, head, raw.view(head.params_per_dim, d).numpy(), x.numpy())
    finite = np.isfinite(ref)
    np.testing.assert_allclose(ours[finite], ref[finite], rtol=1e-6, atol=1e-6)
    assert np.isfinite(ours).all()


def test_bernoulli_is_bce_with_logits() -> None:
    raw, x = torch.randn(4, 64) * 5, (torch.rand(4, 64) > 0.5).float()
    ours = LIKELIHOODS["bernoulli"]()(raw).log_prob(x)
    ref = -torch.nn.functional.binary_cross_entropy_with_logits(raw, x, reduction="none").sum(-1)
    torch.testing.assert_close(ours, ref)


def test_categorical_raw_layout() -> None:
    """Block k of the raw vector holds the logit of level k for every dimension."""
    head = LIKELIHOODS["categorical"](num_levels=4)
    d = 3
    raw = torch.full((4 * d,), -50.0)
    raw[2 * d + 1] = 50.0  # dimension 1 -> level 2
    raw[3 * d + 0] = 50.0  # dimension 0 -> level 3
    raw[0 * d + 2] = 50.0  # dimension 2 -> level 0
    torch.testing.assert_close(head(raw).mean, torch.tensor([3.0, 2.0, 0.0]))


# -- the mean --------------------------------------------------------------------------------
def test_mean_matches_samples(variant) -> None:
    torch.manual_seed(0)
    head = variant.make(F64)
    d, n = 6, 20000
    raw = torch.empty(head.params_per_dim * d, dtype=F64).uniform_(-2.0, 2.0)
    dist = head(raw)
    xs = dist.sample((n,))
    assert bool(head.support.check(xs).all())
    sample_mean, sample_sd = xs.mean(0), xs.std(0)
    err = (sample_mean - dist.mean).abs()
    assert (err <= 5 * sample_sd / math.sqrt(n) + 1e-9).all(), (sample_mean, dist.mean)


def test_mean_matches_sum_over_support(discrete_variant) -> None:
    head = discrete_variant.make(F64)
    torch.manual_seed(0)
    for _ in range(3):
        raw = torch.randn(head.params_per_dim, dtype=F64) * 3
        dist = head(raw)
        xs = support_values(head, dist)
        probs = dist.log_prob(xs.unsqueeze(-1)).exp()
        assert (probs * xs).sum().item() == pytest.approx(dist.mean.item(), rel=1e-8, abs=1e-10)


# -- intervals: the far tails, the Student-t dispatch and the discretised distribution -----------


def _mp_student_t_log_interval(nu: float, lo: float, hi: float) -> float:
    """log(F(hi) - F(lo)) for a standard Student-t, with 60-digit mpmath (the regularised
    incomplete beta function), both edges below 0."""
    import mpmath

    mpmath.mp.dps = 60

    def cdf(t):
        if mpmath.isinf(t):
            return mpmath.mpf(0)
        t = mpmath.mpf(t)
        return mpmath.betainc(nu / 2, 0.5, 0, nu / (nu + t * t), regularized=True) / 2

    return float(mpmath.log(cdf(hi) - cdf(lo)))


@pytest.mark.parametrize(
    ("lo", "hi"),
    [
        (-1e80, -1e70),
        (-math.inf, -1e70),
        (-1.1e70, -1e70),
        (-2e70, -1e70),
    ],
)
@pytest.mark.parametrize("nu", [2.5, 5.0])
def test_student_t_far_tail_uses_the_right_asymptote(nu, lo, hi) -> None:
    """Where scipy's stdtr underflows to 0, log P comes from the tail asymptote
    log f(t) + log(|t| / nu) and log1mexp: checked against 60-digit mpmath, on both sides (a bin
    above the median is reflected)."""
    from vae_tutorial.likelihoods import intervals

    ref = _mp_student_t_log_interval(nu, lo, hi)
    lower = torch.tensor([lo, -hi], dtype=torch.float64)
    upper = torch.tensor([hi, -lo], dtype=torch.float64)
    out = intervals.student_t_interval_log_prob(nu, torch.zeros(2), torch.ones(2), lower, upper)
    np.testing.assert_allclose(out.numpy(), [ref, ref], rtol=1e-9)


@pytest.mark.parametrize("df", [3.0, 4.0, 7.5])
def test_student_t_dispatch_values_and_gradients(df) -> None:
    """distribution_interval_log_prob of a StudentT: the closed form for df = 3 (with gradients),
    scipy for any other df; both match scipy.stats.t."""
    from torch.distributions import StudentT

    from vae_tutorial.likelihoods import intervals

    loc = torch.tensor([0.1, 0.5, 0.9], dtype=torch.float64, requires_grad=True)
    scale = torch.tensor([0.05, 0.2, 0.1], dtype=torch.float64)
    lower = torch.tensor([-math.inf, 0.40625, 0.96875], dtype=torch.float64)
    upper = torch.tensor([0.03125, 0.46875, math.inf], dtype=torch.float64)
    out = intervals.distribution_interval_log_prob(StudentT(df, loc, scale), lower, upper)
    t = stats.t(df, loc.detach().numpy(), scale.numpy())
    ref = np.log(t.cdf(upper.numpy()) - t.cdf(lower.numpy()))
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-10)
    assert out.requires_grad == (df == 3.0)


@pytest.mark.parametrize("x", [0.05, 0.29, 0.31, 0.6, 1.0, 1.25, 2.0])
def test_student_t3_log_cdf_is_accurate_across_the_series_switch(x) -> None:
    """log F_3(t) at t = -sqrt(3) / tan(x / 2) (so that 2 atan(sqrt3 / |t|) = x), on both sides of
    the series/closed-form switch at x = 0.3, against 60-digit mpmath."""
    import mpmath

    from vae_tutorial.likelihoods import intervals

    mpmath.mp.dps = 60
    t = -math.sqrt(3.0) / math.tan(x / 2)
    ref = float(
        mpmath.log(mpmath.betainc(1.5, 0.5, 0, 3 / (3 + mpmath.mpf(t) ** 2), regularized=True) / 2)
    )
    out = intervals.student_t3_log_cdf(torch.tensor([t], dtype=torch.float64)).item()
    assert out == pytest.approx(ref, rel=1e-14)


def _discretized(validate_args):
    from torch.distributions import Normal

    from vae_tutorial.likelihoods import intervals

    loc = torch.tensor([[0.2, 0.5], [0.9, 0.0]], dtype=torch.float64)
    scale = torch.tensor([[0.1, 0.3], [0.05, 0.2]], dtype=torch.float64)
    return intervals.DiscretizedDistribution(
        loc, scale, 17, intervals.normal_interval_log_prob, Normal, validate_args=validate_args
    )


def test_discretized_distribution_validation_follows_validate_args() -> None:
    """validate_args=True rejects a level outside 0..16 (also after expand), validate_args=False
    lets it through; valid levels work either way."""
    good = torch.tensor([[0.0, 5.0], [16.0, 3.0]], dtype=torch.float64)
    bad = torch.tensor([[17.0, 5.0], [16.0, 3.0]], dtype=torch.float64)
    checked, unchecked = _discretized(True), _discretized(False)
    torch.testing.assert_close(checked.log_prob(good), unchecked.log_prob(good))
    with pytest.raises(ValueError):
        checked.log_prob(bad)
    with pytest.raises(ValueError):
        checked.expand((3, 2, 2)).log_prob(bad)
    assert torch.isfinite(unchecked.log_prob(bad)).all()
    assert torch.isfinite(unchecked.expand((3, 2, 2)).log_prob(bad)).all()


def test_discretized_distribution_entropy_of_a_2d_batch() -> None:
    """H = -sum_k P(k) log P(k) per pixel of a [2, 2] batch, from scipy's normal CDF."""
    d = _discretized(True)
    edges = (np.arange(17) - 0.5) / 16
    edges[0] = -np.inf
    edges = np.append(edges, np.inf)
    p = stats.norm.cdf(edges[None, None, :], d.loc.numpy()[..., None], d.scale.numpy()[..., None])
    p = np.diff(p, axis=-1)
    ref = -(p * np.log(np.where(p > 0, p, 1.0))).sum(-1)
    np.testing.assert_allclose(d.entropy().numpy(), ref, rtol=1e-9, atol=1e-12)


# -- count heads and the discretized real-line heads: settings and dtypes -------------------------


@pytest.mark.parametrize("name", ["poisson", "negative_binomial"])
def test_count_heads_accept_any_positive_count_scale_and_keep_the_entropy_dtype(name) -> None:
    """count_scale may be any positive number (0.5 included, 0 refused); the entropy, summed in
    float64 internally, comes back in the parameters' dtype (finite, positive)."""
    head = LIKELIHOODS[name](count_scale=0.5)
    assert head.encoder_input(torch.tensor([2.0])).item() == pytest.approx(4.0)
    with pytest.raises(ValueError, match="count_scale must be positive"):
        LIKELIHOODS[name](count_scale=0.0)
    raw = torch.zeros(head.params_per_dim * 3)
    ent = head(raw).base_dist.entropy()
    assert ent.dtype == torch.float32 and torch.isfinite(ent).all() and (ent > 0).all()


@pytest.mark.parametrize("name", ["discretized_gaussian", "discretized_laplace"])
def test_discretized_real_line_heads_with_few_levels(name) -> None:
    """num_levels = 2 is allowed (1 refused); the representation keeps the head's own K (level
    K - 1 = 4 valid, 5 refused for K = 5; 19 valid for K = 20); the encoder sees level / (K - 1)
    in [0, 1]; the repr names K and the floor."""
    with pytest.raises(ValueError, match="num_levels must be >= 2"):
        LIKELIHOODS[name](num_levels=1)
    two = LIKELIHOODS[name](num_levels=2)
    probs = two(torch.zeros(2 * 3)).base_dist.level_log_probs().exp()
    torch.testing.assert_close(probs.sum(-1), torch.ones(3))
    head = LIKELIHOODS[name](num_levels=5)
    levels = torch.tensor([0.0, 2.0, 4.0])
    torch.testing.assert_close(head.prepare(levels), levels)
    with pytest.raises(ValueError):
        head.prepare(torch.tensor([0.0, 5.0]))
    torch.testing.assert_close(head.encoder_input(levels), torch.tensor([0.0, 0.5, 1.0]))
    many = LIKELIHOODS[name](num_levels=20)  # more levels than the digits' 17
    torch.testing.assert_close(many.prepare(torch.tensor([0.0, 19.0])), torch.tensor([0.0, 19.0]))
    text = repr(head)
    assert "num_levels=5" in text and f"{head.floor_name}={getattr(head, head.floor_name)}" in text


def test_continuous_bernoulli_rsample_follows_its_cdf() -> None:
    """rsample: shape sample_shape + batch_shape, the logits' dtype, values in [0, 1], gradients to
    the logits, and each column distributed with F(x) = expm1(eta x) / expm1(eta) (KS test)."""
    from vae_tutorial.likelihoods.continuous_bernoulli import StableContinuousBernoulli

    eta = torch.tensor([-6.0, -0.5, 0.0001, 2.0, 8.0], dtype=torch.float64, requires_grad=True)
    torch.manual_seed(0)
    x = StableContinuousBernoulli(logits=eta).rsample((4000,))
    assert x.shape == (4000, 5) and x.dtype == torch.float64
    assert ((x >= 0) & (x <= 1)).all()
    x.sum().backward()
    assert eta.grad is not None and torch.isfinite(eta.grad).all()
    e = eta.detach().numpy()
    for d in range(5):
        cdf = lambda v, e=e[d]: np.expm1(e * v) / np.expm1(e)  # noqa: E731
        assert stats.kstest(x[:, d].detach().numpy(), cdf).pvalue > 1e-3


def test_discretized_logistic_levels_and_encoder_input() -> None:
    """num_levels = 2 allowed (1 refused), probabilities of the two levels sum to one; the encoder
    sees level / (K - 1)."""
    head = LIKELIHOODS["discretized_logistic"]
    with pytest.raises(ValueError):
        head(num_levels=1)
    two = head(num_levels=2)
    raw = torch.zeros(two.params_per_dim * 3)
    levels = torch.tensor([[0.0] * 3, [1.0] * 3])
    total = two(raw).base_dist.log_prob(levels).exp().sum(0)
    torch.testing.assert_close(total, torch.ones(3))
    k5 = head(num_levels=5)
    torch.testing.assert_close(
        k5.encoder_input(torch.tensor([0.0, 2.0, 4.0])), torch.tensor([0.0, 0.5, 1.0])
    )


# -- discretized logistic mixture: validation, expand, entropy; intervals: edges and accuracy -----


def _logistic_level_probs(weights, loc, log_scale, num_levels):
    """P(k) for k = 0..K-1 from scipy's logistic CDF, shape ``loc.shape[:-1] + (K,)``: a mixture
    over the last axis with weights softmax(weights), first and last bins open."""
    edges = (2.0 * np.arange(num_levels + 1) - 1.0) / (num_levels - 1) - 1.0
    edges[0], edges[-1] = -np.inf, np.inf
    cdf = stats.logistic.cdf(edges, loc[..., None], np.exp(log_scale)[..., None])
    pi = special.softmax(weights, axis=-1)[..., None]
    return (pi * np.diff(cdf, axis=-1)).sum(-2)


def _mixture(validate_args, loc=None):
    """A float64 mixture of two discretized logistics over K = 5 levels, batch shape [2]."""
    from vae_tutorial.likelihoods.discretized_logistic import DiscretizedLogisticMixture

    weights = torch.tensor([[0.3, -0.2], [1.0, 0.0]], dtype=torch.float64)
    if loc is None:
        loc = torch.tensor([[-0.4, 0.5], [0.1, 0.9]], dtype=torch.float64)
    log_scale = torch.tensor([[-1.5, -2.0], [-1.0, -3.0]], dtype=torch.float64)
    return DiscretizedLogisticMixture(weights, loc, log_scale, 5, validate_args=validate_args)


def test_discretized_logistic_mixture_validation_follows_validate_args() -> None:
    """A directly built mixture: validate_args=True computes log P of valid levels (scipy's logistic
    CDF) and rejects a level outside 0..4, also after expand; validate_args=False lets it through
    (before and after expand)."""
    good = torch.tensor([0.0, 4.0], dtype=torch.float64)
    bad = torch.tensor([5.0, 2.5], dtype=torch.float64)
    checked, unchecked = _mixture(True), _mixture(False)
    p = _logistic_level_probs(
        checked.logit_weights.numpy(), checked.loc.numpy(), checked.log_scale.numpy(), 5
    )
    ref = np.log([p[0, 0], p[1, 4]])
    np.testing.assert_allclose(checked.log_prob(good).numpy(), ref, rtol=1e-12)
    np.testing.assert_allclose(unchecked.log_prob(good).numpy(), ref, rtol=1e-12)
    with pytest.raises(ValueError):
        checked.log_prob(bad)
    with pytest.raises(ValueError):
        checked.expand((3, 2)).log_prob(bad)
    assert torch.isfinite(unchecked.log_prob(bad)).all()
    assert torch.isfinite(unchecked.expand((3, 2)).log_prob(bad)).all()


def test_discretized_logistic_mixture_without_validation_lets_nan_parameters_through() -> None:
    """validate_args=False checks no parameter, also when expand builds the new instance: a NaN
    location gives NaN log-probabilities instead of an error."""
    loc = torch.tensor([[math.nan, 0.5], [0.1, 0.9]], dtype=torch.float64)
    d = _mixture(False, loc=loc).expand((3, 2))
    assert d.batch_shape == (3, 2) and d._validate_args is False
    out = d.log_prob(torch.zeros(3, 2, dtype=torch.float64))
    assert torch.isnan(out[:, 0]).all() and torch.isfinite(out[:, 1]).all()


def test_discretized_logistic_mixture_expand_fills_a_subclass_instance() -> None:
    """torch's expand contract: a subclass with its own __init__ passes its own _instance, and
    expand fills exactly that instance (same levels, expanded parameters)."""
    from vae_tutorial.likelihoods.discretized_logistic import DiscretizedLogisticMixture

    class Tagged(DiscretizedLogisticMixture):
        def __init__(self, *args, tag: str = "", **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.tag = tag

        def expand(self, batch_shape, _instance=None):
            new = self._get_checked_instance(Tagged, _instance)
            new.tag = self.tag
            return super().expand(batch_shape, _instance=new)

    base = _mixture(False)
    d = Tagged(base.logit_weights, base.loc, base.log_scale, 5, tag="t")
    new = d.expand((4, 2))
    assert type(new) is Tagged and new.tag == "t" and new.batch_shape == (4, 2)
    torch.testing.assert_close(new.level_log_probs()[2], d.level_log_probs())


def test_discretized_logistic_mixture_entropy_of_a_2d_batch() -> None:
    """H = -sum_k P(k) log P(k) per pixel of a [3, 2] batch (mixtures of two), from scipy's
    logistic CDF: the sum runs over the levels only, not over a batch axis."""
    from vae_tutorial.likelihoods.discretized_logistic import DiscretizedLogisticMixture

    gen = torch.Generator().manual_seed(0)
    w, loc, log_s = (torch.randn(3, 2, 2, generator=gen, dtype=torch.float64) for _ in range(3))
    d = DiscretizedLogisticMixture(w, loc, log_s - 1.0, 7)
    p = _logistic_level_probs(w.numpy(), loc.numpy(), log_s.numpy() - 1.0, 7)
    np.testing.assert_allclose(d.entropy().numpy(), -(p * np.log(p)).sum(-1), rtol=1e-10)


def test_discretized_logistic_head_clamps_the_log_scale_from_below() -> None:
    """A raw log-scale of -20 is clamped to LOG_SCALE_MIN = -7: log P of the level next to the
    location is that of a logistic with s = e^-7 (scipy), not a point mass."""
    head = LIKELIHOODS["discretized_logistic"](num_levels=17)
    loc = 1.0 / 16 - 0.002  # 0.002 below the upper edge of level 8's bin [-1/16, 1/16]
    raw = torch.tensor([loc, -20.0], dtype=torch.float64)
    d = head(raw).base_dist
    assert d.log_scale.item() == -7.0
    ref = stats.logistic.cdf([1 / 16, -1 / 16], loc, math.exp(-7.0))
    assert d.log_prob(torch.tensor([8.0], dtype=torch.float64)).item() == pytest.approx(
        math.log(ref[0] - ref[1]), rel=1e-12
    )


def test_np_log1mexp_is_accurate_for_tiny_and_large_arguments() -> None:
    """The numpy log(1 - e^-a) behind the Student-t tail agrees with 40-digit mpmath from a = 1e-12
    (where log1p(-exp(-a)) would lose most digits) to a = 40, and gives -inf at a = 0."""
    import mpmath

    from vae_tutorial.likelihoods import intervals

    mpmath.mp.dps = 40
    a = np.array([1e-12, 1e-6, 0.3, 0.69, 0.7, 2.0, 40.0])
    ref = [float(mpmath.log(-mpmath.expm1(-mpmath.mpf(v)))) for v in a]
    np.testing.assert_allclose(intervals._np_log1mexp(a), ref, rtol=1e-14)
    assert intervals._np_log1mexp(np.array([0.0]))[0] == -np.inf


@pytest.mark.parametrize("x", [0.28, 0.295, 0.2999])
def test_student_t3_log_cdf_series_is_accurate_just_below_the_switch(x) -> None:
    """Just below x = 0.3, where the truncated series is least accurate, log F_3(t) is within
    2e-14 (about 20 ulp; measured 3 to 7 ulp) of 60-digit mpmath."""
    import mpmath

    from vae_tutorial.likelihoods import intervals

    mpmath.mp.dps = 60
    t = -math.sqrt(3.0) / math.tan(x / 2)
    ref = float(
        mpmath.log(mpmath.betainc(1.5, 0.5, 0, 3 / (3 + mpmath.mpf(t) ** 2), regularized=True) / 2)
    )
    out = intervals.student_t3_log_cdf(torch.tensor([t], dtype=torch.float64)).item()
    assert abs(out - ref) <= 2e-14


@pytest.mark.parametrize("family", ["normal", "student_t3"])
def test_interval_gradients_with_respect_to_the_edges_on_open_bins(family) -> None:
    """d log P / d edge on the two open edge bins and an interior bin: f(edge) / P at a finite
    upper edge, -f(edge) / P at a finite lower edge (scipy), exactly 0 (not NaN) at an infinite
    edge."""
    from vae_tutorial.likelihoods import intervals

    fn = {
        "normal": intervals.normal_interval_log_prob,
        "student_t3": intervals.student_t3_interval_log_prob,
    }
    ref = {"normal": stats.norm(0.1, 0.5), "student_t3": stats.t(3, 0.1, 0.5)}[family]
    lower = torch.tensor([-math.inf, 0.4, -0.2], dtype=torch.float64, requires_grad=True)
    upper = torch.tensor([-0.3, math.inf, 0.3], dtype=torch.float64, requires_grad=True)
    loc, scale = torch.tensor(0.1, dtype=torch.float64), torch.tensor(0.5, dtype=torch.float64)
    fn[family](loc, scale, lower, upper).sum().backward()
    lo, hi = lower.detach().numpy(), upper.detach().numpy()
    p = ref.cdf(hi) - ref.cdf(lo)
    d_upper, d_lower = ref.pdf(hi) / p, -ref.pdf(lo) / p
    np.testing.assert_allclose(upper.grad.numpy(), [d_upper[0], 0.0, d_upper[2]], rtol=1e-10)
    np.testing.assert_allclose(lower.grad.numpy(), [0.0, d_lower[1], d_lower[2]], rtol=1e-10)


@pytest.mark.parametrize("num_components", [1, 2])
def test_discretized_logistic_head_without_validation_checks_nothing(num_components) -> None:
    """With validate_args=False neither the head nor the mixture checks anything: a NaN raw output
    gives NaN, and a level outside 0..16 gets a finite number instead of an error."""
    head = LIKELIHOODS["discretized_logistic"](num_components=num_components, validate_args=False)
    raw = torch.zeros(head.params_per_dim * 2, dtype=torch.float64)
    raw[0] = math.nan
    out = head(raw).base_dist.log_prob(torch.tensor([3.0, 20.0], dtype=torch.float64))
    assert torch.isnan(out[0]) and torch.isfinite(out[1])
