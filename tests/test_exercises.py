"""The exercise checkers: each passes the reference solution and fails typical wrong answers.

Every checker is tested with an answer computed independently of ``vae_tutorial.exercises`` (by
the route the exercise's solution takes), and with the mistakes students typically make: a sign
error, a missing constant, a mean instead of a sum, a variance for a standard deviation. Every
verdict's message is checked not to contain the reference answer.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
from torch.distributions import Laplace, Normal

from vae_tutorial import exercises
from vae_tutorial.estimators import pathwise_gradient, score_function_gradient
from vae_tutorial.exact import fit_ppca, integrate_on_grid, posterior_on_grid
from vae_tutorial.exercises import CHECKERS, check

F64 = torch.float64


def _verdict(label, answer):
    v = check(label, answer, quiet=True)
    assert "reference" not in v.message.lower() or "the reference" in v.message.lower()
    return v


def _no_leak(v, *secrets: float) -> None:
    """No number in the message equals a secret (to its printed precision)."""
    numbers = [float(t) for t in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", v.message)]
    for s in secrets:
        assert all(abs(x - s) > 5e-3 * max(1.0, abs(s)) for x in numbers), (s, v.message)


# ------------------------------------------------------------------ numeric checkers
def test_binomial_moments() -> None:
    n, p = 16, 0.5
    v = _verdict("what-is-pxz-ex-4-moments", (n * p, n * p * (1 - p)))
    assert v.passed
    for wrong in [(8, 8), (0.5, 0.25), (8, 2), (7, 4), (8, 5)]:
        v = _verdict("what-is-pxz-ex-4-moments", wrong)
        assert v.status == "wrong", wrong
        _no_leak(v, 8.0, 4.0)


def test_beta_of_mean_reduction() -> None:
    assert _verdict("decoder-dist-ex-2", 28 * 28).passed
    for wrong in [64, 1 / 784, 16, 784 * 16, 392]:
        v = _verdict("decoder-dist-ex-2", wrong)
        assert v.status == "wrong", wrong
        _no_leak(v, 784.0)
    assert _verdict("decoder-dist-ex-2", 790).status == "close"


def test_laplace_scale() -> None:
    assert _verdict("decoder-dist-ex-3", 64).passed
    for wrong in [1 / 64, 32, 128, 1]:
        v = _verdict("decoder-dist-ex-3", wrong)
        assert v.status == "wrong", wrong
        _no_leak(v, 64.0)


def test_score_function_baseline_variance() -> None:
    """The solution's own code (chapter encoder_reparameterization), and its typical slips."""
    mu, s, n = 2.0, 0.5, 20_000
    eps = torch.randn(n, dtype=F64, generator=torch.Generator().manual_seed(0))
    z = mu + s * eps
    baseline = (z**2 - (mu**2 + s**2)) * (z - mu) / s**2
    assert abs(baseline.mean().item() - 2 * mu) < 0.1  # still unbiased
    assert _verdict("encoder-ex-1", baseline.var().item()).passed
    assert abs(8 * mu**2 + 10 * s**2 - 34.5) < 1e-12  # the closed form the solution quotes
    no_baseline = z**2 * (z - mu) / s**2
    assert _verdict("encoder-ex-1", no_baseline.var().item()).status == "wrong"
    wrong_c = (z**2 - 2 * mu**2) * (z - mu) / s**2  # a poor constant: lower, not right
    assert _verdict("encoder-ex-1", wrong_c.var().item()).status != "right"
    _no_leak(_verdict("encoder-ex-1", 50.0), 34.5)


def test_gradient_wrt_std() -> None:
    """Exact value 2s = 1; variances 18 (pathwise) and 386.5 (score function), by moments."""
    mu, s, n = 2.0, 0.5, 20_000

    def f(z):
        return z**2

    path = pathwise_gradient(f, mu, s, n, torch.Generator().manual_seed(0))[:, 1]
    score = score_function_gradient(f, mu, s, n, torch.Generator().manual_seed(0))[:, 1]
    # exact moments: pathwise 2 mu eps + 2 s eps^2 -> 4 mu^2 + 8 s^2; score: E[X^2] - 1 with
    # X = eps^4/2 + 4 eps^3 + 7.5 eps^2 - 4 eps - 8, E[eps^2k] = (2k - 1)!!
    assert 4 * mu**2 + 8 * s**2 == 18.0
    moments = {0: 1, 2: 1, 4: 3, 6: 15, 8: 105}
    coef = {4: 0.5, 3: 4.0, 2: 7.5, 1: -4.0, 0: -8.0}
    ex2 = sum(a * b * moments.get(i + j, 0) for i, a in coef.items() for j, b in coef.items())
    assert abs(ex2 - 1 - 386.5) < 1e-9
    v = _verdict("encoder-ex-2", (2 * s, path.var().item(), score.var().item()))
    assert v.passed, v
    assert _verdict("encoder-ex-2", (2 * mu, 18, 386.5)).status == "wrong"
    assert _verdict("encoder-ex-2", (1, 4 * mu**2, 386.5)).status != "right"  # forgot 8 s^2
    v = _verdict("encoder-ex-2", (1, 18, 124))  # the mu-column variance
    assert v.status == "wrong"
    _no_leak(v, 386.5, 18.0)


def test_tanh_posterior_mean() -> None:
    z = torch.linspace(-6, 6, 4801, dtype=F64)
    x = torch.tensor(2.9, dtype=F64)
    _, log_post = posterior_on_grid(Normal(3 * torch.tanh(z), 0.3).log_prob(x), z)
    mean = integrate_on_grid(log_post.exp() * z, z).item()
    assert _verdict("exact-ex-3", mean).passed
    # a finer grid agrees: the tolerance is not a grid artefact
    z2 = torch.linspace(-8, 8, 16001, dtype=F64)
    _, lp2 = posterior_on_grid(Normal(3 * torch.tanh(z2), 0.3).log_prob(x), z2)
    assert _verdict("exact-ex-3", integrate_on_grid(lp2.exp() * z2, z2).item()).passed
    _, lp_var = posterior_on_grid(Normal(3 * torch.tanh(z), 0.3**0.5).log_prob(x), z)
    v = _verdict("exact-ex-3", integrate_on_grid(lp_var.exp() * z, z).item())
    assert v.status == "wrong" and "standard deviation" in v.message
    mode = z[log_post.argmax()].item()  # the mode is not the mean: skewed to the right
    assert mode < mean
    assert _verdict("exact-ex-3", mode).status != "right"
    _no_leak(v, round(mean, 2), round(mean, 3))


# ------------------------------------------------------------------ code checkers
def test_exact_posterior() -> None:
    def right(x, w, sigma):
        prec = 1 + w**2 / sigma**2  # prior precision + likelihood precision
        return (w * x / sigma**2) / prec, 1 / prec

    assert _verdict("exact-ex-1", right).passed
    assert _verdict("exact-ex-1", lambda x, w, s: (w * x / (w**2 + 1), s**2 / (w**2 + s**2))) \
        .status == "wrong"  # sigma forgotten in the mean
    assert _verdict("exact-ex-1", lambda x, w, s: (w * x / (w**2 + s**2), 1 / (w**2 + s**2))) \
        .status == "wrong"  # missing sigma^2 in the variance
    assert _verdict("exact-ex-1", lambda x, w, s: (x / w, s**2 / (w**2 + s**2))).status == "wrong"
    assert _verdict("exact-ex-1", 3.0).status == "wrong"  # not a function
    assert _verdict("exact-ex-1", lambda x: x).status == "wrong"  # wrong signature: no crash


def test_ppca_noise_variance() -> None:
    def right(x, L):
        lam = torch.linalg.eigvalsh(torch.cov(x.T, correction=0)).flip(0)
        return lam[L:].mean()

    assert _verdict("exact-ex-2", right).passed
    v = _verdict("exact-ex-2", lambda x, L: torch.linalg.eigvalsh(
        torch.cov(x.T, correction=0)).flip(0)[L:].sum())
    assert v.status == "wrong"  # sum instead of mean
    v = _verdict("exact-ex-2",
                 lambda x, L: torch.linalg.eigvalsh(torch.cov(x.T)).flip(0)[L:].mean())
    assert v.status == "wrong" and "factor" in v.message  # N - 1 instead of N
    v = _verdict("exact-ex-2", lambda x, L: torch.linalg.eigvalsh(
        torch.cov(x.T, correction=0)).flip(0)[L + 1:].mean())
    assert v.status == "wrong"  # off by one eigenvalue
    assert _verdict("exact-ex-2", lambda x, L: fit_ppca(x, L).sigma2).passed


def test_kl_point_mass() -> None:
    def right(z0, eps):
        q = torch.distributions.Independent(Normal(z0, eps * torch.ones_like(z0)), 1)
        p = torch.distributions.Independent(Normal(torch.zeros_like(z0), torch.ones_like(z0)), 1)
        return torch.distributions.kl_divergence(q, p)

    assert _verdict("elbo-ex-1", right).passed
    v = _verdict("elbo-ex-1", lambda z0, e: 2 * right(z0, e))
    assert v.status == "wrong" and "factor" in v.message  # missing 1/2
    v = _verdict("elbo-ex-1", lambda z0, e: right(z0, e) + 4)
    assert v.status == "wrong" and "constant" in v.message  # forgot the -1 per dimension
    v = _verdict("elbo-ex-1", lambda z0, e: -right(z0, e))
    assert v.status == "wrong" and "sign" in v.message
    v = _verdict("elbo-ex-1", lambda z0, e: 0.5 * ((z0**2).sum() + 8 * e**2 - 8 - 8 * torch.log(e)))
    assert v.status == "wrong"  # log eps instead of log eps^2
    # the limit the solution describes: the KL grows like -L log eps
    z0 = torch.zeros(8, dtype=F64)
    k1, k2 = (right(z0, torch.tensor(e, dtype=F64)) for e in (1e-3, 1e-6))
    assert abs((k2 - k1).item() - 8 * math.log(1e3)) < 1e-3


def test_mean_field_gap() -> None:
    """Reference by an independent route: the KL between two full Gaussians from torch."""
    from torch.distributions import MultivariateNormal, kl_divergence

    def right(W, sigma2):
        L = W.shape[1]
        M = W.T @ W + sigma2 * torch.eye(L, dtype=F64)
        cov = sigma2 * torch.linalg.inv(M)
        prec = M / sigma2
        q = MultivariateNormal(torch.zeros(L, dtype=F64), torch.diag(1 / torch.diagonal(prec)))
        return kl_divergence(q, MultivariateNormal(torch.zeros(L, dtype=F64), cov))

    assert _verdict("elbo-ex-2", right).passed

    def diag_cov(W, sigma2):  # the typical mistake: match the covariance's diagonal
        L = W.shape[1]
        cov = sigma2 * torch.linalg.inv(W.T @ W + sigma2 * torch.eye(L, dtype=F64))
        q = MultivariateNormal(torch.zeros(L, dtype=F64), torch.diag(torch.diagonal(cov)))
        return kl_divergence(q, MultivariateNormal(torch.zeros(L, dtype=F64), cov))

    assert _verdict("elbo-ex-2", diag_cov).status == "wrong"
    # the solution's claim: zero for orthogonal columns, positive after a rotation
    ppca = fit_ppca(torch.randn(200, 10, dtype=F64) @ torch.randn(10, 10, dtype=F64), 4)
    R, _ = torch.linalg.qr(torch.randn(4, 4, dtype=F64, generator=torch.Generator().manual_seed(0)))
    assert abs(right(ppca.W, ppca.sigma2).item()) < 1e-10
    assert right(ppca.W @ R, ppca.sigma2).item() > 1e-3


def test_lognormal_log_prob() -> None:
    def right(x, mu, s):
        y = x.log()
        return (-(y - mu) ** 2 / (2 * s**2) - s.log() - 0.5 * math.log(2 * math.pi) - y).sum(-1)

    assert _verdict("decoder-dist-ex-1", right).passed
    v = _verdict("decoder-dist-ex-1", lambda x, mu, s: Normal(mu, s).log_prob(x.log()).sum(-1))
    assert v.status == "wrong"  # the Jacobian -log x forgotten
    v = _verdict("decoder-dist-ex-1", lambda x, mu, s: right(x, mu, s) / 64)
    assert v.status == "wrong" and "factor" in v.message  # mean over pixels, not sum
    v = _verdict("decoder-dist-ex-1", lambda x, mu, s: Normal(mu, s**2).log_prob(x.log()).sum(-1)
                 - x.log().sum(-1))
    assert v.status == "wrong"  # variance passed as scale


def test_laplace_nll() -> None:
    def right(x, mu, b):
        return ((x - mu).abs() / b + torch.log(2 * b)).sum(-1)

    assert _verdict("decoder-dist-ex-3-nll", right).passed
    v = _verdict("decoder-dist-ex-3-nll", lambda x, mu, b: ((x - mu).abs() / b).sum(-1))
    assert v.status == "wrong"  # D log 2b missing (a constant for each b)
    v = _verdict("decoder-dist-ex-3-nll", lambda x, mu, b: -right(x, mu, b))
    assert v.status == "wrong" and "sign" in v.message
    v = _verdict("decoder-dist-ex-3-nll", lambda x, mu, b: right(x, mu, b).mean() * torch.ones(4))
    assert v.status == "wrong"
    assert _verdict("decoder-dist-ex-3-nll", lambda x, mu, b: -Laplace(mu, b).log_prob(x).sum(-1)) \
        .passed


def test_mean_and_samples() -> None:
    def right(d):
        return torch.cat([d.mean, d.sample((8,)).squeeze(1)])

    assert _verdict("decoder-dist-ex-4", right).passed
    assert _verdict("decoder-dist-ex-4", lambda d: d.mean.expand(9, 64)).status == "wrong"
    assert _verdict("decoder-dist-ex-4", lambda d: torch.cat([d.mean, d.sample().expand(8, 64)])) \
        .status == "wrong"  # one sample repeated
    assert _verdict("decoder-dist-ex-4",
                    lambda d: torch.cat([d.mean, d.mean + 0.5 * torch.randn(8, 64)])).status \
        != "right"  # own noise of the wrong size
    assert _verdict("decoder-dist-ex-4", lambda d: d.sample((9,)).squeeze(1)).status == "wrong"


# ------------------------------------------------------------------ train-and-compare checkers
def test_ranges() -> None:
    assert _verdict("what-is-pxz-ex-4", 2.51).passed
    assert _verdict("what-is-pxz-ex-4", 2.60).status == "close"
    assert _verdict("what-is-pxz-ex-4", 3.5).status == "wrong"
    (lo, hi), = exercises.expected_range("what-is-pxz-ex-4")
    assert lo < hi
    (l2, h2), (l16, h16) = exercises.expected_range("what-is-pxz-ex-5")
    assert _verdict("what-is-pxz-ex-5", ((l2 + h2) / 2, (l16 + h16) / 2)).passed
    assert _verdict("what-is-pxz-ex-5", ((l16 + h16) / 2, (l2 + h2) / 2)).status != "right"
    with pytest.raises(ValueError, match="not a train-and-compare"):
        exercises.expected_range("elbo-ex-1")


# ------------------------------------------------------------------ the registry
def test_unknown_label() -> None:
    with pytest.raises(ValueError, match="no checker"):
        check("no-such-ex", 1)


@pytest.mark.parametrize("label", sorted(CHECKERS))
def test_every_checker_rejects_garbage(label: str) -> None:
    for garbage in (None, "seven", float("nan"), (1, 2, 3, 4, 5)):
        v = check(label, garbage, quiet=True)
        assert v.status == "wrong", (label, garbage)


def test_check_prints(capsys) -> None:
    check("decoder-dist-ex-2", 784)
    assert "RIGHT" in capsys.readouterr().out
