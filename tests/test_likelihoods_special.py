"""The two heads with hand-written numerics: the continuous Bernoulli's normaliser, mean,
variance and sampler in logit form (with Taylor series near lambda = 1/2), and the discretized
logistic's log-space bin probabilities (edge bins, tiny and huge scales)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from vae_tutorial.likelihoods import LIKELIHOODS, StableContinuousBernoulli
from vae_tutorial.likelihoods import continuous_bernoulli as cb
from vae_tutorial.likelihoods import discretized_logistic as dl

F64 = torch.float64


def quad_log_normalizer(eta: float) -> float:
    r"""-log \int_0^1 lambda^x (1-lambda)^(1-x) dx in float64, by quadrature."""
    sp = max(eta, 0.0) + math.log1p(math.exp(-abs(eta)))  # softplus
    val = integrate.quad(lambda x: math.exp(x * eta - sp), 0.0, 1.0, epsabs=0, epsrel=1e-13)[0]
    return -math.log(val)


def cb_moment(eta: float, power: int) -> float:
    sp = max(eta, 0.0) + math.log1p(math.exp(-abs(eta)))
    c = math.exp(quad_log_normalizer(eta))
    g = lambda x: x**power * c * math.exp(x * eta - sp)  # noqa: E731
    return integrate.quad(g, 0.0, 1.0, epsabs=0, epsrel=1e-12)[0]


# -- continuous Bernoulli ---------------------------------------------------------------------
@given(eta=st.floats(-30.0, 30.0))
def test_cb_normalizer_matches_quadrature_float64(eta) -> None:
    ours = cb.log_normalizer(torch.tensor(eta, dtype=F64)).item()
    assert ours == pytest.approx(quad_log_normalizer(eta), abs=1e-12)


@pytest.mark.parametrize("eta", [-30.0, -20.0, -16.5, 16.5, 20.0, 25.0, 30.0])
def test_cb_normalizer_float32_beats_torch(eta) -> None:
    """Ours (float32) matches the float64 integral; torch's float32 normaliser is off."""
    ref = quad_log_normalizer(eta)
    logits = torch.tensor([eta])
    ours = cb.log_normalizer(logits).item()
    theirs = torch.distributions.ContinuousBernoulli(logits=logits)._cont_bern_log_norm().item()
    assert abs(ours - ref) < 1e-6
    assert abs(theirs - ref) > 1e-3  # torch's lambda-form clamp: 3.6e-3 at 16.5 ... 0.63 at 30
    if abs(eta) >= 30:
        assert abs(theirs - ref) > 0.6


def test_cb_head_log_prob_matches_float64_reference_in_float32() -> None:
    """The whole head, in float32, at huge logits: within 1e-5 of the float64 reference."""
    head = LIKELIHOODS["continuous_bernoulli"]()
    eta = torch.tensor([-30.0, -20.0, 20.0, 30.0])
    x = torch.tensor([0.0, 0.3, 0.7, 1.0])
    ours = head(eta).log_prob_per_dim(x).double()
    ref = torch.tensor(
        [
            xi * e - (max(e, 0) + math.log1p(math.exp(-abs(e)))) + quad_log_normalizer(e)
            for xi, e in zip(x.tolist(), eta.tolist(), strict=True)
        ],
        dtype=F64,
    )
    torch.testing.assert_close(ours, ref, atol=2e-5, rtol=0)
    theirs = torch.distributions.ContinuousBernoulli(logits=eta).log_prob(x).double()
    assert (theirs - ref).abs().max() > 0.2


@given(eta=st.floats(-9.99, 9.99))
def test_cb_agrees_with_torch_where_torch_is_accurate(eta) -> None:
    logits = torch.tensor([eta], dtype=F64)
    x = torch.tensor([0.0, 0.25, 0.5, 1.0], dtype=F64)
    ours = StableContinuousBernoulli(logits=logits.expand(4), validate_args=False)
    torch_cb = torch.distributions.ContinuousBernoulli(logits=logits.expand(4))
    torch.testing.assert_close(ours.log_prob(x), torch_cb.log_prob(x), atol=1e-6, rtol=0)
    if abs(eta) > 1e-2:  # torch's own Taylor region is cruder than ours
        torch.testing.assert_close(ours.mean, torch_cb.mean, atol=1e-6, rtol=0)
        torch.testing.assert_close(ours.variance, torch_cb.variance, atol=1e-6, rtol=0)


@pytest.mark.parametrize("eta", [-30.0, -5.0, -0.3, -1e-3, 0.0, 1e-3, 0.05, 0.3, 2.0, 30.0])
def test_cb_mean_and_variance_match_integrals(eta) -> None:
    dist = StableContinuousBernoulli(logits=torch.tensor(eta, dtype=F64), validate_args=False)
    m1, m2 = cb_moment(eta, 1), cb_moment(eta, 2)
    assert dist.mean.item() == pytest.approx(m1, abs=1e-10)
    assert dist.variance.item() == pytest.approx(m2 - m1 * m1, abs=1e-9)


def test_cb_near_one_half() -> None:
    """Logits in [-1e-3, 1e-3]: finite values and gradients, log C ~ log 2 + eta^2/12."""
    head = LIKELIHOODS["continuous_bernoulli"]()
    eta = torch.linspace(-1e-3, 1e-3, 201).requires_grad_()
    x = torch.rand(201)
    dist = head(eta)
    lp = dist.log_prob_per_dim(x)
    (grad,) = torch.autograd.grad(lp.sum(), eta)
    assert torch.isfinite(lp).all() and torch.isfinite(grad).all()
    assert torch.isfinite(dist.mean).all() and torch.isfinite(dist.variance).all()
    assert torch.isfinite(dist.sample()).all()
    e = eta.detach().double()
    torch.testing.assert_close(cb.log_normalizer(e), math.log(2.0) + e**2 / 12, atol=1e-12, rtol=0)
    # d/d eta log p = x - sigmoid(eta) + d log C / d eta = x - sigmoid(eta) + eta/6 + O(eta^3)
    expected = x.double() - torch.sigmoid(e) + e / 6
    torch.testing.assert_close(grad.double(), expected, atol=1e-6, rtol=0)
    # at lambda = 1/2 exactly the density is uniform: log p = -softplus(0) + log 2 = 0
    at_half = head(torch.zeros(3)).log_prob(torch.tensor([0.0, 0.3, 1.0]))
    assert at_half.item() == pytest.approx(0.0, abs=1e-6)


SWITCHES = {
    "log_normalizer": (cb._TAYLOR_LOG_NORM, lambda d: d.log_prob(torch.zeros_like(d.logits))),
    "mean": (cb._TAYLOR_MEAN, lambda d: d.mean),
    "variance": (cb._TAYLOR_VAR, lambda d: d.variance),
    "icdf": (1e-4, lambda d: d.icdf(torch.full_like(d.logits, 0.3))),
}


@pytest.mark.parametrize("what", list(SWITCHES))
@pytest.mark.parametrize("dtype", [torch.float32, F64], ids=str)
def test_cb_continuous_across_taylor_switch(what, dtype) -> None:
    """Just below and just above each switch point the two formulas agree (value and slope)."""
    switch, fn = SWITCHES[what]
    tol = 1e-5 if dtype == torch.float32 else 1e-9
    for sign in (-1.0, 1.0):
        t = torch.tensor(sign * switch, dtype=dtype)
        inf = torch.tensor(math.inf if sign > 0 else -math.inf, dtype=dtype)
        below = torch.nextafter(t, -inf if sign > 0 else inf)  # inside the Taylor region
        above = torch.nextafter(t, inf)  # outside
        eta = torch.stack([below, t, above]).requires_grad_()
        vals = fn(StableContinuousBernoulli(logits=eta, validate_args=False))
        (grad,) = torch.autograd.grad(vals.sum(), eta)
        assert torch.isfinite(vals).all() and torch.isfinite(grad).all()
        assert (vals - vals[0]).abs().max().item() < tol, (what, vals)
        assert (grad - grad[0]).abs().max().item() < 100 * tol, (what, grad)


@given(eta=st.floats(-30.0, 30.0), u=st.floats(0.0, 1.0))
def test_cb_icdf_inverts_cdf(eta, u) -> None:
    dist = StableContinuousBernoulli(logits=torch.tensor(eta, dtype=F64), validate_args=False)
    x = dist.icdf(torch.tensor(u, dtype=F64)).item()
    assert 0.0 <= x <= 1.0
    # F(x) = (e^{eta x} - 1) / (e^eta - 1), computed stably in numpy
    if abs(eta) < 1e-12:
        cdf = x
    elif eta > 0:
        cdf = math.exp(eta * (x - 1)) * -math.expm1(-eta * x) / -math.expm1(-eta)
    else:
        cdf = math.expm1(eta * x) / math.expm1(eta)
    assert cdf == pytest.approx(u, abs=1e-9)


# -- discretized logistic ---------------------------------------------------------------------
def dl_reference(levels, loc, scale, k):
    """P(level) from the logistic CDF in float64 (edge bins to +-infinity)."""
    h = 1.0 / (k - 1)
    y = 2.0 * levels / (k - 1) - 1.0
    upper = np.where(levels == k - 1, np.inf, y + h)
    lower = np.where(levels == 0, -np.inf, y - h)
    return stats.logistic.cdf(upper, loc, scale) - stats.logistic.cdf(lower, loc, scale)


@pytest.mark.parametrize("log_scale", [-7.0, -3.0, 0.0, 5.0])
@pytest.mark.parametrize("num_levels", [17, 256])
def test_dl_bins_match_logistic_cdf(log_scale, num_levels) -> None:
    levels = torch.arange(num_levels, dtype=F64)
    for loc in (-1.3, -1.0, -0.2, 0.0, 0.55, 1.0, 1.4):
        ours = dl.discretized_logistic_log_prob(
            levels, torch.tensor(loc, dtype=F64), torch.tensor(log_scale, dtype=F64), num_levels
        ).exp()
        ref = dl_reference(levels.numpy(), loc, math.exp(log_scale), num_levels)
        np.testing.assert_allclose(ours.numpy(), ref, atol=1e-12, rtol=1e-9)
        assert ours.sum().item() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("raw_log_scale", [-30.0, -7.0, 5.0, 30.0])
@pytest.mark.parametrize("loc", [-30.0, -1.0, 0.0, 1.0, 30.0])
def test_dl_extreme_scales_and_edge_bins(raw_log_scale, loc) -> None:
    """Edge bins (levels 0 and K-1) and tiny/huge scales: finite log P and gradients, sum 1."""
    head = LIKELIHOODS["discretized_logistic"]()
    levels = torch.arange(17.0)
    raw = torch.cat([torch.full((17,), loc), torch.full((17,), raw_log_scale)]).requires_grad_()
    dist = head(raw)
    lp = dist.log_prob_per_dim(levels)
    (grad,) = torch.autograd.grad(lp.sum(), raw)
    assert torch.isfinite(lp).all() and torch.isfinite(grad).all()
    total = torch.logsumexp(dist.base_dist.level_log_probs()[0], 0).exp().item()
    assert total == pytest.approx(1.0, abs=1e-5)
    if raw_log_scale <= -7.0 and loc in (0.0, 1.0, -1.0):
        # a tiny scale centred on a level puts (almost) all mass on it
        k = round((loc + 1) * 8)
        assert lp[k].item() > -1e-6


def test_dl_mixture_is_a_mixture() -> None:
    torch.manual_seed(0)
    m, d, k = 3, 4, 17
    head = LIKELIHOODS["discretized_logistic"](num_components=m)
    raw = torch.randn(3 * m * d, dtype=F64)
    w, loc, ls = raw.view(3, m, d)
    levels = torch.arange(k, dtype=F64).unsqueeze(-1).expand(k, d)
    ours = head.to(F64)(raw).log_prob_per_dim(levels)
    comps = torch.stack(
        [dl.discretized_logistic_log_prob(levels, loc[j], ls[j].clamp(-7, 5), k) for j in range(m)]
    )
    ref = torch.logsumexp(torch.log_softmax(w, 0).unsqueeze(1) + comps, 0)
    torch.testing.assert_close(ours, ref)


def test_dl_sample_frequencies_match_probabilities() -> None:
    torch.manual_seed(0)
    head = LIKELIHOODS["discretized_logistic"](num_components=2)
    raw = torch.tensor([0.0, 1.0, -0.5, 0.6, -2.0, -2.5])  # D = 1
    dist = head(raw)
    n = 40000
    xs = dist.sample((n,)).squeeze(-1)
    freq = torch.bincount(xs.long(), minlength=17).double() / n
    probs = dist.base_dist.level_log_probs()[0].exp().double()
    se = (probs * (1 - probs) / n).sqrt()
    assert ((freq - probs).abs() <= 5 * se + 1e-4).all()


def test_log1mexp_accuracy() -> None:
    x = torch.tensor([1e-10, 1e-3, 0.5, 0.6931, 0.6932, 1.0, 20.0, 50.0], dtype=F64)
    xn = x.numpy()
    ref = np.where(xn < 1.0, np.log(-np.expm1(-xn)), np.log1p(-np.exp(-xn)))
    np.testing.assert_allclose(dl.log1mexp(x).numpy(), ref, rtol=1e-14)
