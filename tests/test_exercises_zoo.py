"""The checkers of Part II (the likelihood zoo): each passes the solution, fails typical mistakes.

Every reference answer here is computed by the route the exercise's solution takes, independently
of ``vae_tutorial.exercises.zoo`` (torch.distributions, autograd, numerical integration); every
wrong answer is a mistake students make, and its verdict must not contain the reference value.
The typed ranges of the train-and-compare exercises must equal their checkers' bounds.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F
from scipy.integrate import quad
from torch.distributions import Beta, Binomial, Categorical, Laplace, Normal

from vae_tutorial import load_digits
from vae_tutorial.exercises import CHECKERS, check, expected_range
from vae_tutorial.likelihoods.continuous_bernoulli import StableContinuousBernoulli
from vae_tutorial.likelihoods.intervals import normal_interval_log_prob

F64 = torch.float64
ROOT = Path(__file__).resolve().parents[1]
ZOO = [label for label in CHECKERS if label.split("-ex-")[0] in {
    "bernoulli", "cb", "gaussian", "laplace-student-t", "beta", "categorical",
    "discretized-logistic", "discretized-real-line", "counts"}]


def _verdict(label: str, answer: object):
    return check(label, answer, quiet=True)


def _no_leak(v, *secrets: float) -> None:
    """No number in the message equals a secret (to its printed precision)."""
    numbers = [float(t) for t in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?", v.message)]
    for s in secrets:
        assert all(abs(x - s) > 5e-3 * max(1.0, abs(s)) for x in numbers), (s, v.message)


def _wrong(label: str, answer: object, *secrets: float, status: str = "wrong") -> str:
    v = _verdict(label, answer)
    assert v.status == status, (label, v)
    assert v.message and not v.passed
    _no_leak(v, *secrets)
    return v.message


def test_every_zoo_chapter_has_checkers() -> None:
    assert len(ZOO) >= 25
    assert {label.split("-ex-")[0] for label in ZOO} == {
        "bernoulli", "cb", "gaussian", "laplace-student-t", "beta", "categorical",
        "discretized-logistic", "discretized-real-line", "counts"}


# ------------------------------------------------------------------ bernoulli
def test_bernoulli_log_p() -> None:
    def right(x, r):
        return torch.distributions.Bernoulli(logits=r).log_prob(x)

    assert _verdict("bernoulli-ex-1", right).passed
    naive = _wrong("bernoulli-ex-1", lambda x, r: x * torch.log(torch.sigmoid(r))
                   + (1 - x) * torch.log(1 - torch.sigmoid(r)))
    assert "inf or nan" in naive  # the sigmoid rounds to 0 or 1
    assert "sign" in _wrong("bernoulli-ex-1", lambda x, r: -(x * r - F.softplus(r)))
    _wrong("bernoulli-ex-1", lambda x, r: x * r - F.softplus(-r))  # the wrong softplus


def test_bernoulli_best_frequency() -> None:
    def right(xbar):  # the log-likelihood of lambda = xbar, from torch's Bernoulli
        d = torch.distributions.Bernoulli(probs=xbar)
        return xbar * d.log_prob(torch.ones_like(xbar)) + (1 - xbar) * d.log_prob(
            torch.zeros_like(xbar))

    assert _verdict("bernoulli-ex-2", right).passed
    assert "sign" in _wrong("bernoulli-ex-2", lambda xb: -right(xb))  # the entropy itself
    assert "factor" in _wrong("bernoulli-ex-2", lambda xb: right(xb) / math.log(2))  # bits
    _wrong("bernoulli-ex-2", lambda xb: xb.log())  # lambda = xbar, only the first term


def test_bce_integral() -> None:
    def right(lam):
        return torch.tensor([quad(lambda x, q=q: q**x * (1 - q) ** (1 - x), 0, 1,
                                  epsabs=1e-13)[0] for q in lam.tolist()], dtype=F64)

    assert _verdict("bernoulli-ex-3", right).passed
    r = lambda lam: torch.log(lam) - torch.log1p(-lam)  # noqa: E731
    msg = _wrong("bernoulli-ex-3", lambda lam: (2 * lam - 1) / r(lam))  # 0/0 at 1/2
    assert "inf or nan" in msg
    _wrong("bernoulli-ex-3", lambda lam: torch.tanh(r(lam)) / r(lam).clamp(min=1e-9))
    _wrong("bernoulli-ex-3", lambda lam: torch.full_like(lam, 0.5))  # the limit everywhere


def test_pooled_levels() -> None:
    """The solution's code (the chapter's cell) gives the reference; typical slips do not."""
    levels_train, levels_test = load_digits("train"), load_digits("test")
    counts = torch.bincount(levels_train.long().flatten(), minlength=17).double() + 1
    half = torch.arange(17) >= 8
    pi = torch.where(half, counts / counts[half].sum(), counts / counts[~half].sum())
    extra = -pi.log2()[levels_test.long()].mean().item()
    assert _verdict("bernoulli-ex-4", extra).passed
    in_nats = -pi.log()[levels_test.long()].mean().item()
    _wrong("bernoulli-ex-4", in_nats, extra)
    _wrong("bernoulli-ex-4", math.log2(17), extra)  # uniform over all 17 levels
    _wrong("bernoulli-ex-4", -(pi.log2() * pi).sum().item(), extra)  # entropy of pi, not scored


# ------------------------------------------------------------------ continuous bernoulli
def test_cb_variance() -> None:
    def right(eta):  # torch's exponential-family route: the variance of the package's CB
        safe = torch.where(eta.abs() < 1e-2, torch.full_like(eta, 1e-2), eta)
        exact = StableContinuousBernoulli(logits=safe).variance
        return torch.where(eta.abs() < 1e-2, 1 / 12 - eta**2 / 720, exact)

    assert _verdict("cb-ex-1", right).passed
    naive = lambda e: 1 / e**2 - 1 / (4 * torch.sinh(e / 2) ** 2)  # noqa: E731
    assert "inf or nan" in _wrong("cb-ex-1", naive)
    bern = lambda e: torch.sigmoid(e) * torch.sigmoid(-e)  # noqa: E731  the Bernoulli's
    _wrong("cb-ex-1", bern)
    assert "factor" in _wrong("cb-ex-1", lambda e: 12 * right(e) / 4)  # 1/4 cap for 1/12


def test_cb_logits() -> None:
    """The chapter's lam_for_mean route: brentq on the package's mean."""
    from scipy.optimize import brentq

    eta = brentq(lambda e: float(StableContinuousBernoulli(
        logits=torch.tensor(e, dtype=F64)).mean) - 0.9, -60, 60, xtol=1e-12)
    assert _verdict("cb-ex-2", (eta, math.log(9))).passed
    assert "mean" in _wrong("cb-ex-2", (math.log(9), math.log(9)), eta)
    assert "logits" in _wrong("cb-ex-2", (1 / (1 + math.exp(-eta)), 0.9), eta)
    _wrong("cb-ex-2", (eta, 0.9), eta)  # lambda for the BCE


def test_cb_bin_probability() -> None:
    best = max(quad(lambda x, e=e: e * math.exp(e * x) / math.expm1(e) if e else 1.0,
                    7.5 / 16, 8.5 / 16)[0] for e in (-2.0, -0.5, -1e-3, 0.0, 1e-3, 0.5, 2.0))
    assert _verdict("cb-ex-3", best).passed
    assert "wide" in _wrong("cb-ex-3", 1 / 17, best)
    _wrong("cb-ex-3", 4.0, best)
    _wrong("cb-ex-3", 0.5, best)


# ------------------------------------------------------------------ gaussian
def test_gaussian_sigma_beta() -> None:
    D = 784
    beta = D
    assert _verdict("gaussian-ex-1", (math.sqrt(beta / 2), beta)).passed
    _wrong("gaussian-ex-1", (math.sqrt(D), D), 784.0)
    _wrong("gaussian-ex-1", (math.sqrt(D / 2), D / 2), 784.0)
    _wrong("gaussian-ex-1", (1 / 28, 1 / 784), 784.0)
    _wrong("gaussian-ex-1", (math.sqrt(64 / 2), 64), 784.0)  # the digits' D
    assert _verdict("gaussian-ex-1", (19.8, 784)).status == "close"  # rounded to one decimal


def test_per_pixel_sigma() -> None:
    def right(x, mean):  # maximise sum_n log N(x_nd; mean_nd, s_d) by the closed form
        return ((x - mean) ** 2).mean(0).sqrt()

    assert _verdict("gaussian-ex-2", right).passed
    msg = _wrong("gaussian-ex-2", lambda x, m: ((x - m) ** 2).mean(0))  # the variance
    assert msg
    assert "factor" in _wrong("gaussian-ex-2", lambda x, m: ((x - m) ** 2).sum(0).sqrt())
    _wrong("gaussian-ex-2", lambda x, m: (x - m).std(0))  # N - 1 and centred
    _wrong("gaussian-ex-2", lambda x, m: ((x - m) ** 2).mean().sqrt().expand(x.shape[1]))


def test_degenerate_slope() -> None:
    assert _verdict("gaussian-ex-3", 2 * 64).passed
    _wrong("gaussian-ex-3", 64, 128.0)
    _wrong("gaussian-ex-3", 128 * math.log(10), 128.0)
    _wrong("gaussian-ex-3", 64 * 1000, 128.0)


# ------------------------------------------------------------------ laplace, student-t
def test_ml_locations() -> None:
    assert _verdict("laplace-student-t-ex-1", lambda y: (y.mean(), y.median())).passed
    y = torch.randn(21, dtype=F64, generator=torch.Generator().manual_seed(0))
    grid = torch.linspace(float(y.min()), float(y.max()), 200_001, dtype=F64)
    laplace_best = grid[Laplace(grid[:, None], 1.0).log_prob(y).sum(-1).argmax()]
    gauss_best = grid[Normal(grid[:, None], 1.0).log_prob(y).sum(-1).argmax()]
    assert abs(float(laplace_best - y.median())) < 1e-4  # the grid agrees: a median ...
    assert abs(float(gauss_best - y.mean())) < 1e-4  # ... and the mean
    _wrong("laplace-student-t-ex-1", lambda y: (y.median(), y.mean()))  # swapped
    _wrong("laplace-student-t-ex-1", lambda y: (y.mean(), y.mean()))


def test_student_weight() -> None:
    def right(r, s, nu):  # the Gamma posterior's mean, via torch's Gamma
        return torch.distributions.Gamma((nu + 1) / 2, nu / 2 + r**2 / (2 * s**2)).mean

    assert _verdict("laplace-student-t-ex-2", right).passed
    _wrong("laplace-student-t-ex-2", lambda r, s, nu: (nu + 1) / (nu + r**2))  # s forgotten
    _wrong("laplace-student-t-ex-2", lambda r, s, nu: nu / (nu + (r / s) ** 2))  # the prior shape
    _wrong("laplace-student-t-ex-2", lambda r, s, nu: (nu + 1) / (nu + (r / s) ** 2) / 2)


# ------------------------------------------------------------------ beta
def test_u_shaped() -> None:
    def right(mu, kappa):  # the density rises towards both ends: compare near-end values
        a, b = mu * kappa, (1 - mu) * kappa
        d = Beta(a, b)
        x = torch.tensor([1e-6, 1e-3, 1 - 1e-3, 1 - 1e-6], dtype=F64)[:, None]
        p = d.log_prob(x)
        return (p[0] > p[1]) & (p[3] > p[2])

    assert _verdict("beta-ex-1", right).passed
    _wrong("beta-ex-1", lambda mu, k: k < 1 / torch.minimum(mu, 1 - mu))  # the wrong binding side
    _wrong("beta-ex-1", lambda mu, k: k < 2)
    _wrong("beta-ex-1", lambda mu, k: (mu * k < 1) | ((1 - mu) * k < 1))  # J shapes too


def test_beta_spike() -> None:
    def right(eps):  # maximise log p(eps | alpha, 1) over a fine grid of alpha
        grid = torch.logspace(-4, 1, 100_001, dtype=F64)
        alpha = torch.stack([grid[Beta(grid, torch.ones_like(grid)).log_prob(e).argmax()]
                             for e in eps])
        return alpha, Beta(alpha, torch.ones_like(alpha)).log_prob(eps)

    eps = torch.tensor([1 / 34, 1e-2, 1e-3, 1e-6, 1e-12], dtype=F64)
    a_grid, _ = right(eps)
    assert torch.allclose(a_grid, -1 / eps.log(), rtol=2e-4)  # the grid finds -1/log eps
    assert _verdict("beta-ex-2", lambda e: (-1 / e.log(), Beta(-1 / e.log(), torch.ones_like(e))
                                             .log_prob(e))).passed
    _wrong("beta-ex-2", lambda e: (1 / e.log(), (1 / e.log()).abs().log() + (1 / e.log() - 1)
                                   * e.log()))
    _wrong("beta-ex-2", lambda e: (-1 / e.log(), (-1 / e.log()).log() + (-1 / e.log()) * e.log()))


def test_bin_probability_of_beta() -> None:
    """beta-ex-2's second claim: P([0, 1/17]) = 17^(-alpha) under Beta(alpha, 1)."""
    for a in (0.05, 0.5, 1.0, 3.0):
        p = quad(lambda x, a=a: a * x ** (a - 1), 0, 1 / 17)[0]
        assert abs(p - 17 ** (-a)) < 1e-6


# ------------------------------------------------------------------ categorical
def test_two_level_logit() -> None:
    def right(r0, r1):  # read the logit off torch's two-level categorical
        p1 = Categorical(logits=torch.stack([r0, r1], -1)).probs[..., 1]
        return torch.log(p1) - torch.log1p(-p1)

    assert _verdict("categorical-ex-1", right).passed
    assert "sign" in _wrong("categorical-ex-1", lambda r0, r1: r0 - r1)
    _wrong("categorical-ex-1", lambda r0, r1: r1)


def test_relabelling() -> None:
    assert _verdict("categorical-ex-2", (0, math.log2(256 / 17))).passed
    flattery = math.log2(256 / 17)
    _wrong("categorical-ex-2", (-flattery, flattery), flattery)
    _wrong("categorical-ex-2", (flattery, flattery), flattery)
    _wrong("categorical-ex-2", (0, math.log2(256)), flattery)
    _wrong("categorical-ex-2", (0, math.log(256 / 17)), flattery)  # nats


def test_output_layer_counts() -> None:
    from vae_tutorial.likelihoods import CategoricalHead

    D, hidden = 32 * 32 * 3, 512
    digits = (256 + 1) * 64 * CategoricalHead(num_levels=256).params_per_dim
    answer = ((hidden + 1) * D * 256, (hidden + 1) * D * 5 * 3, digits)
    assert _verdict("categorical-ex-3", answer).passed
    _wrong("categorical-ex-3", (hidden * D * 256, hidden * D * 15, 256 * 64 * 256), *answer)
    _wrong("categorical-ex-3", ((hidden + 1) * 1024 * 256, (hidden + 1) * 1024 * 15, digits),
           *answer)
    _wrong("categorical-ex-3", ((hidden + 1) * D * 256, (hidden + 1) * D * 5 * 2, digits),
           *answer)  # two outputs per component: the weights forgotten


def test_middle_mass() -> None:
    def right(p):  # the chapter's cell
        levels = torch.arange(17, dtype=p.dtype)
        mean = (p * levels).sum()
        std = ((p * levels**2).sum() - mean**2).sqrt()
        edges = torch.cat([torch.tensor([-math.inf], dtype=p.dtype), levels[:-1] + 0.5,
                           torch.tensor([math.inf], dtype=p.dtype)])
        normal = Normal(mean, std)
        gauss = normal.cdf(edges[1:]) - normal.cdf(edges[:-1])
        return gauss[6:11].sum(), p[6:11].sum()

    assert _verdict("categorical-ex-4", right).passed

    def closed_edges(p):  # the tails beyond 0 and 16 dropped
        levels = torch.arange(17, dtype=p.dtype)
        mean = (p * levels).sum()
        std = ((p * levels**2).sum() - mean**2).sqrt()
        normal = Normal(mean, std)
        gauss = normal.cdf(levels + 0.5) - normal.cdf(levels - 0.5)
        return gauss[6:11].sum() / gauss.sum(), p[6:11].sum()

    _wrong("categorical-ex-4", closed_edges)
    _wrong("categorical-ex-4", lambda p: (right(p)[0], p[6:10].sum()))  # levels 6-9 only

    def variance_as_std(p):
        levels = torch.arange(17, dtype=p.dtype)
        mean = (p * levels).sum()
        var = (p * levels**2).sum() - mean**2
        normal = Normal(mean, var)
        return normal.cdf(torch.tensor(10.5, dtype=p.dtype)) - normal.cdf(
            torch.tensor(5.5, dtype=p.dtype)), p[6:11].sum()

    _wrong("categorical-ex-4", variance_as_std)


# ------------------------------------------------------------------ discretized logistic
def test_limits() -> None:
    from vae_tutorial.likelihoods.discretized_logistic import DiscretizedLogisticMixture

    def probs(log_s):
        d = DiscretizedLogisticMixture(torch.zeros(1, 1, 1), torch.tensor([[[0.52]]]),
                                       torch.tensor([[[log_s]]]), num_levels=17)
        levels = torch.arange(17.0)[:, None]
        return d.log_prob(levels.expand(17, 1)).exp().flatten()

    assert _verdict("discretized-logistic-ex-1", (probs(-7.0).max().item(),
                                                  probs(20.0)[0].item())).passed
    _wrong("discretized-logistic-ex-1", (1.0, 1 / 17), 0.5)
    _wrong("discretized-logistic-ex-1", (0.5, 0.5), status="wrong")


def test_gradient_in_mu() -> None:
    def right(a, b, s):  # autograd through the package's stable log-probability
        mu = torch.zeros_like(a, requires_grad=True)
        with torch.enable_grad():
            # a = (upper - mu)/s, b = (lower - mu)/s  ->  upper = a s, lower = b s at mu = 0
            from vae_tutorial.likelihoods.intervals import logistic_interval_log_prob

            lp = logistic_interval_log_prob(mu, s.expand_as(a), b * s, a * s)
            (g,) = torch.autograd.grad(lp.sum(), mu)
        return g

    assert _verdict("discretized-logistic-ex-2", right).passed

    def naive(a, b, s):
        mu = torch.zeros_like(a, requires_grad=True)
        with torch.enable_grad():
            lp = torch.log(torch.sigmoid(a - mu / s) - torch.sigmoid(b - mu / s))
            (g,) = torch.autograd.grad(lp.sum(), mu)
        return g

    assert "inf or nan" in _wrong("discretized-logistic-ex-2", naive)
    assert "sign" in _wrong("discretized-logistic-ex-2",
                            lambda a, b, s: (torch.sigmoid(-a) - torch.sigmoid(b)) / s)
    _wrong("discretized-logistic-ex-2", lambda a, b, s: -(torch.sigmoid(-a) - torch.sigmoid(b)))


def test_output_count_threshold() -> None:
    K = next(k for k in range(2, 100) if 3 * 5 < k)
    assert _verdict("discretized-logistic-ex-3", K).passed
    _wrong("discretized-logistic-ex-3", 15, 16.0)
    _wrong("discretized-logistic-ex-3", 11, 16.0)
    _wrong("discretized-logistic-ex-3", 10, 16.0)


def test_log_normal_interval() -> None:
    def right(a, b):  # the package's two-sided interval of a standard normal, via mpmath
        import mpmath

        mpmath.mp.dps = 50
        out = [float(mpmath.log(mpmath.ncdf(-y) - mpmath.ncdf(-x) if x + y > 0
                                else mpmath.ncdf(x) - mpmath.ncdf(y)))  # the smaller tail
               for x, y in zip(a.tolist(), b.tolist(), strict=True)]
        return torch.tensor(out, dtype=F64)

    assert _verdict("discretized-logistic-ex-4", right).passed
    assert _verdict("discretized-logistic-ex-4", lambda a, b: normal_interval_log_prob(
        torch.zeros_like(a), torch.ones_like(a), b, a)).passed
    normal = Normal(torch.tensor(0.0, dtype=F64), torch.tensor(1.0, dtype=F64))
    assert "inf or nan" in _wrong("discretized-logistic-ex-4",
                                  lambda a, b: torch.log(normal.cdf(a) - normal.cdf(b)))
    _wrong("discretized-logistic-ex-4",  # logs subtracted instead of probabilities
           lambda a, b: torch.special.log_ndtr(a) - torch.special.log_ndtr(b))


# ------------------------------------------------------------------ discretized real line
def test_laplace_bin() -> None:
    w, b = 1 / 16, 0.01
    mus = torch.linspace(-w / 2 + 1e-6, w / 2 - 1e-6, 10_001, dtype=F64)
    lap = Laplace(mus, torch.tensor(b, dtype=F64))
    best = (lap.cdf(torch.tensor(w / 2, dtype=F64)) - lap.cdf(torch.tensor(-w / 2, dtype=F64)))
    assert _verdict("discretized-real-line-ex-3", best.max().item()).passed
    _wrong("discretized-real-line-ex-3", -math.expm1(-w / b), best.max().item())
    _wrong("discretized-real-line-ex-3", math.exp(-w / (2 * b)), best.max().item())


# ------------------------------------------------------------------ counts
def test_bce_beta() -> None:
    assert _verdict("counts-ex-1", 16).passed
    _wrong("counts-ex-1", 1 / 16, 16.0)
    _wrong("counts-ex-1", 64, 16.0)
    _wrong("counts-ex-1", 1, 16.0)


def test_nb_variance() -> None:
    def right(mu, r):  # torch's NB with total_count r and mean mu
        p = mu / (mu + r)
        return torch.distributions.NegativeBinomial(total_count=r, probs=p).variance

    assert _verdict("counts-ex-2", right).passed
    _wrong("counts-ex-2", lambda mu, r: mu + mu**2 * r)
    _wrong("counts-ex-2", lambda mu, r: mu**2 / r)
    _wrong("counts-ex-2", lambda mu, r: mu + mu / r)


def test_beta_binomial_variance() -> None:
    def right(alpha, beta, n):  # E over a fine Beta quadrature of the binomial moments
        out = []
        for a, b in zip(alpha.tolist(), beta.tolist(), strict=True):
            beta_ab = Beta(torch.tensor(a, dtype=F64), torch.tensor(b, dtype=F64))

            def density(p, d=beta_ab):
                return float(d.log_prob(torch.tensor(p, dtype=F64)).exp())

            m1 = quad(lambda p: density(p) * n * p, 0, 1, limit=200)[0]
            m2 = quad(lambda p: density(p) * (n * p * (1 - p) + (n * p) ** 2), 0, 1,
                      limit=200)[0]
            out.append(m2 - m1**2)
        return torch.tensor(out, dtype=F64)

    n = 16.0
    alpha = torch.tensor([1.0, 2.0, 10.0], dtype=F64)
    beta = torch.tensor([1.0, 5.0, 1.0], dtype=F64)
    p = alpha / (alpha + beta)
    closed = n * p * (1 - p) * (alpha + beta + n) / (alpha + beta + 1)
    assert torch.allclose(right(alpha, beta, n), closed, rtol=1e-6)
    draws = Binomial(n, Beta(alpha, beta).sample((200_000,))).sample()
    assert torch.allclose(draws.var(0), closed, rtol=0.03)
    assert _verdict("counts-ex-4", lambda a, b, n: n * (a / (a + b)) * (b / (a + b))
                    * (a + b + n) / (a + b + 1)).passed
    _wrong("counts-ex-4", lambda a, b, n: n * (a / (a + b)) * (b / (a + b)))  # the binomial's
    _wrong("counts-ex-4", lambda a, b, n: a * b / ((a + b) ** 2 * (a + b + 1)))  # the Beta's


# ------------------------------------------------------------------ train-and-compare checkers
RANGES = ["gaussian-ex-4", "laplace-student-t-ex-3", "laplace-student-t-ex-5",
          "discretized-real-line-ex-2", "counts-ex-3"]


@pytest.mark.parametrize("label", RANGES)
def test_ranges(label: str) -> None:
    ivs = expected_range(label)
    mid = tuple((lo + hi) / 2 for lo, hi in ivs)
    assert _verdict(label, mid).passed
    above = tuple(hi + 0.05 for _, hi in ivs)
    v = _verdict(label, above)
    assert v.status == "close" and "above" in v.message
    assert _verdict(label, tuple(lo - 1.0 for lo, _ in ivs)).status == "wrong"
    assert _verdict(label, mid[:-1]).status == "wrong"  # one number missing


def _exercise_text(label: str) -> str:
    chapter = {"gaussian": "gaussian", "laplace-student-t": "laplace_student_t",
               "discretized-real-line": "discretized_real_line", "counts": "counts"}[
        label.split("-ex-")[0]]
    nb = nbformat.read(ROOT / f"book/zoo/{chapter}.ipynb", as_version=4)
    for cell in nb.cells:
        m = re.search(r":label: " + re.escape(label) + r"\n(.*?)^```", cell.source, re.S | re.M)
        if cell.cell_type == "markdown" and m:
            return m.group(1)
    raise AssertionError(label)


@pytest.mark.parametrize("label", RANGES)
def test_typed_ranges_are_the_checkers(label: str) -> None:
    """The ranges the exercise text states are exactly the checker's (they cannot drift apart)."""
    text = _exercise_text(label)
    typed = re.findall(r"between (\d+\.\d+) and (\d+\.\d+)", text)
    assert [(float(a), float(b)) for a, b in typed] == list(expected_range(label)), typed


@pytest.mark.parametrize("label", sorted(ZOO))
def test_every_zoo_checker_rejects_garbage(label: str) -> None:
    for garbage in (None, "seven", float("nan"), (1, 2, 3, 4, 5, 6)):
        assert _verdict(label, garbage).status == "wrong", (label, garbage)


def test_lecturers_guide_rows_match_the_book() -> None:
    """Each zoo exercise has a row in the lecturer's guide with the book's tier and objectives,
    and a checker is listed exactly when the package has one."""
    sys.path.insert(0, str(ROOT / "tests"))
    from test_exercise_labels import parse

    guide = (ROOT / "book/reference/lecturers_guide.md").read_text()
    section = guide.split("(Part II, the likelihood zoo)")[1].split("\n## ")[0]
    rows = {m[0]: (m[1], m[2], m[3].strip()) for m in
            re.findall(r"^\| `([\w-]+)` \| (★+) \| ([O\d, ]+) \|[^|]*\|[^|]*\|([^|]*)\|$",
                       section, re.M)}
    for chapter in ("bernoulli", "continuous_bernoulli", "gaussian", "laplace_student_t", "beta",
                    "categorical", "discretized_logistic", "discretized_real_line", "counts"):
        _, exercises, _, _ = parse(f"book/zoo/{chapter}.ipynb")
        for label, (tier, objs) in exercises.items():  # type: ignore[misc]
            assert label in rows, label
            assert rows[label][:2] == (tier, ", ".join(objs)), (label, rows[label])
            assert bool(rows[label][2]) == (label in CHECKERS), label
