"""Checkers for the exercises of Part II, the likelihood zoo (nine chapters).

Each reference below is the answer of the exercise's worked solution, computed in float64; the
test inputs include the places where a naive formula fails (logits of size 1000, lambda = 1/2,
a scale of 0, far tails), so an implementation that is right only in the easy middle is told so.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
from torch import Tensor
from torch.nn.functional import softplus

from .kinds import Code, Numeric, Range, Verdict

__all__ = ["CHECKERS", "resolve"]

F64 = torch.float64


def _t(*values: float) -> Tensor:
    return torch.tensor(values, dtype=F64)


# --------------------------------------------------------------------------- bernoulli
def _bernoulli_log_p(x: Tensor, r: Tensor) -> Tensor:
    """log p(x | r) = x r - softplus(r) for x in {0, 1} and the logit r."""
    return x * r - softplus(r)


def _bernoulli_cases() -> list[tuple]:
    r = _t(-1000.0, -100.0, -30.0, -2.0, -0.1, 0.0, 0.1, 2.0, 30.0, 100.0, 1000.0)
    return [(torch.zeros_like(r), r), (torch.ones_like(r), r)]


def _bernoulli_best(xbar: Tensor) -> Tensor:
    """max over lambda of xbar log lambda + (1 - xbar) log(1 - lambda): minus the entropy, nats."""
    return xbar * xbar.log() + (1 - xbar) * torch.log1p(-xbar)


def _frequency_cases() -> list[tuple]:
    return [(_t(1e-6, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1 - 1e-6),)]


def _bce_integral(lam: Tensor) -> Tensor:
    """int_0^1 lam^x (1 - lam)^(1 - x) dx = (2 lam - 1) / logit(lam); 1/2 at lam = 1/2."""
    r = torch.log(lam) - torch.log1p(-lam)
    small = r.abs() < 1e-4
    safe = torch.where(small, torch.ones_like(r), r)
    return torch.where(small, 0.5 - r**2 / 24, torch.tanh(safe / 2) / safe)


def _lambda_cases() -> list[tuple]:
    return [(_t(1e-6, 0.01, 0.2, 0.4999, 0.5, 0.5001, 0.7, 0.99, 1 - 1e-6),)]


def _pooled_extra_bits() -> float:
    """bernoulli-ex-4: bits per pixel of the levels given their binary value, pooled over pixels.

    The training frequency of each level (plus one) within its half, scored on the test levels.
    """
    from ..data import load_digits

    levels_train, levels_test = load_digits("train"), load_digits("test")
    counts = torch.bincount(levels_train.long().flatten(), minlength=17).double() + 1
    upper = torch.arange(17) >= 8
    pi = torch.where(upper, counts / counts[upper].sum(), counts / counts[~upper].sum())
    return float(-pi.log2()[levels_test.long()].mean())


# --------------------------------------------------------------------------- continuous bernoulli
def _cb_variance(eta: Tensor) -> Tensor:
    """Var[x] = 1/eta^2 - 1/(4 sinh^2(eta/2)); 1/12 - eta^2/720 near eta = 0."""
    small = eta.abs() < 1e-2
    safe = torch.where(small, torch.ones_like(eta), eta)
    exact = 1 / safe**2 - 1 / (4 * torch.sinh(safe / 2) ** 2)
    return torch.where(small, 1 / 12 - eta**2 / 720, exact)


def _cb_cases() -> list[tuple]:
    return [(_t(0.0, 1e-3, -1e-3, 0.05, 0.5, -0.5, 2.0, -5.0, 10.0, 30.0, -50.0),)]


def _cb_logit_for_mean(target: float) -> float:
    """The logit eta whose continuous Bernoulli has mean ``target`` (bisection, float64)."""

    def mean(eta: float) -> float:
        return 1 / (1 - math.exp(-eta)) - 1 / eta if abs(eta) > 1e-8 else 0.5

    lo, hi = -60.0, 60.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if mean(mid) < target else (lo, mid)
    return (lo + hi) / 2


# --------------------------------------------------------------------------- gaussian
def _per_pixel_sigma(x: Tensor, mean: Tensor) -> Tensor:
    """sigma*_d = sqrt(mean over n of (x_nd - mean_nd)^2), one per pixel."""
    return (x - mean).pow(2).mean(0).sqrt()


def _sigma_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(11)
    x = torch.rand(50, 16, generator=g, dtype=F64)
    mean = x + torch.randn(50, 16, generator=g, dtype=F64) * torch.linspace(0.01, 0.5, 16,
                                                                               dtype=F64)
    return [(x, mean)]


# --------------------------------------------------------------------------- laplace, student-t
def _ml_locations(y: Tensor) -> tuple[Tensor, Tensor]:
    """(Gaussian ML location, Laplace ML location) of a sample of odd size: (mean, median)."""
    return y.mean(), y.median()


def _location_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(12)
    y = torch.randn(21, generator=g, dtype=F64)
    y_out = y.clone()
    y_out[3] = 1e6
    return [(y,), (y_out,), (_t(1.0, 2.0, 10.0),)]


def _student_weight(r: Tensor, s: Tensor, nu: Tensor) -> Tensor:
    """E[w | r] = (nu + 1) / (nu + r^2 / s^2): the posterior mean precision of one residual."""
    return (nu + 1) / (nu + (r / s) ** 2)


def _weight_cases() -> list[tuple]:
    r = _t(0.0, 0.01, -0.05, 0.1, 0.5, -1.0, 3.0)
    return [(r, _t(0.05), _t(nu)) for nu in (1.0, 3.0, 30.0)]


# --------------------------------------------------------------------------- beta
def _u_shaped(mu: Tensor, kappa: Tensor) -> Tensor:
    """1.0 where Beta(mu kappa, (1 - mu) kappa) rises at both ends (alpha < 1 and beta < 1)."""
    return ((mu * kappa < 1) & ((1 - mu) * kappa < 1)).to(F64)


def _u_cases() -> list[tuple]:
    mu = _t(0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.3, 0.3, 0.9, 0.9, 0.02, 0.6)
    kappa = _t(0.5, 1.9, 2.5, 0.5, 1.05, 5.0, 1.3, 1.5, 1.2, 0.9, 0.99, 1.7)
    return [(mu, kappa)]


def _beta_spike(eps: Tensor) -> tuple[Tensor, Tensor]:
    """(alpha* = -1/log eps, max over alpha of log p(eps | alpha, 1))."""
    alpha = -1 / eps.log()
    return alpha, alpha.log() + (alpha - 1) * eps.log()


def _eps_cases() -> list[tuple]:
    return [(_t(1 / 34, 1e-2, 1e-3, 1e-6, 1e-12),)]


# --------------------------------------------------------------------------- categorical
def _bernoulli_logit(r0: Tensor, r1: Tensor) -> Tensor:
    """The Bernoulli logit of level 1 of a two-level categorical with logits (r0, r1)."""
    return r1 - r0


def _two_logit_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(13)
    return [(torch.randn(10, generator=g, dtype=F64) * 3, torch.randn(10, generator=g, dtype=F64))]


def _middle_mass(p: Tensor) -> tuple[Tensor, Tensor]:
    """(binned moment-matched Gaussian's mass on levels 6..10, the categorical's mass there).

    ``p`` [17] are a pixel's level probabilities; the Gaussian has their mean and variance, and
    level k gets its mass on [k - 1/2, k + 1/2], the two edge bins open to infinity.
    """
    levels = torch.arange(p.shape[-1], dtype=p.dtype)
    mean = (p * levels).sum()
    std = ((p * levels**2).sum() - mean**2).sqrt()
    inf = torch.tensor([float("inf")], dtype=p.dtype)
    edges = torch.cat([-inf, levels[:-1] + 0.5, inf])
    cdf = torch.distributions.Normal(mean, std).cdf(edges)
    gauss = cdf[1:] - cdf[:-1]
    return gauss[6:11].sum(), p[6:11].sum()


def _pixel_cases() -> list[tuple]:
    two_peaks = torch.zeros(17, dtype=F64)
    two_peaks[[0, 1, 2, 14, 15, 16]] = _t(0.3, 0.1, 0.05, 0.05, 0.2, 0.27)
    two_peaks[3:14] = (1 - two_peaks.sum()) / 11
    g = torch.Generator().manual_seed(14)
    other = torch.softmax(torch.randn(17, generator=g, dtype=F64) * 2, 0)
    return [(two_peaks,), (other,)]


# --------------------------------------------------------------------------- discretized logistic
def _grad_mu(a: Tensor, b: Tensor, s: Tensor) -> Tensor:
    """d/dmu log(sigmoid(a) - sigmoid(b)) = -(sigmoid(-a) - sigmoid(b)) / s."""
    return -(torch.sigmoid(-a) - torch.sigmoid(b)) / s


def _grad_cases() -> list[tuple]:
    a = _t(0.5, 2.0, -1.0, 40.0, 80.0, -39.9, -79.9, 1.0)
    b = _t(-0.5, 1.5, -1.6, 39.9, 79.9, -40.0, -80.0, -1.0)
    return [(a, b, _t(0.05)), (a, b, _t(1.0))]


def _log_normal_interval(a: Tensor, b: Tensor) -> Tensor:
    """log(Phi(a) - Phi(b)) for a > b, in float64 through the lower tail."""
    flip = (a + b) > 0  # move to the lower tail: Phi(a) - Phi(b) = Phi(-b) - Phi(-a)
    hi, lo = torch.where(flip, -b, a), torch.where(flip, -a, b)
    log_hi, log_lo = torch.special.log_ndtr(hi), torch.special.log_ndtr(lo)
    d = log_lo - log_hi  # < 0
    return log_hi + torch.where(d > -math.log(2), torch.log(-torch.expm1(d)),
                                torch.log1p(-torch.exp(d)))


def _interval_cases() -> list[tuple]:
    a = _t(1.0, 0.5, 3.0, -30.0, 40.0, -5.0, 10.0, -37.0, 0.001)
    b = _t(-1.0, 0.4, -3.0, -31.0, 39.0, -40.0, 9.99, -37.5, 0.0)
    return [(a, b)]


# --------------------------------------------------------------------------- counts
def _nb_variance(mu: Tensor, r: Tensor) -> Tensor:
    """Var[x] = mu + mu^2 / r of the gamma-Poisson mixture."""
    return mu + mu**2 / r


def _nb_cases() -> list[tuple]:
    mu = _t(0.1, 1.0, 5.0, 20.0, 100.0)
    return [(mu, _t(r)) for r in (0.5, 2.0, 50.0)]


def _beta_binomial_variance(alpha: Tensor, beta: Tensor, n: Tensor) -> Tensor:
    """N p (1 - p) (alpha + beta + N) / (alpha + beta + 1) with p = alpha / (alpha + beta)."""
    p = alpha / (alpha + beta)
    return n * p * (1 - p) * (alpha + beta + n) / (alpha + beta + 1)


def _beta_binomial_cases() -> list[tuple]:
    alpha = _t(0.3, 1.0, 2.0, 10.0, 0.5)
    beta = _t(0.7, 1.0, 5.0, 1.0, 0.5)
    return [(alpha, beta, _t(16.0)), (alpha, beta, _t(1.0))]


# --------------------------------------------------------------------------- the registry
# Ranges of the train-and-compare exercises: min and max over seeds 0, 1, 2 of the protocol the
# exercise states (scripts/exercise_ranges.py zoo), widened by 0.03 bits/dim, 3 nats for a
# validation ELBO, 0.1 bits per feature for the synthetic counts. The exercise text types the
# same numbers (tests/test_exercises_zoo.py checks that they agree).
_CHECK_HINT = "Train and score exactly as the exercise states (seed, epochs, k)."

CHECKERS: dict[str, Callable[[str, object], Verdict]] = {
    # ------------------------------------------------------------------ bernoulli
    "bernoulli-ex-1": Code(
        _bernoulli_log_p, _bernoulli_cases,
        "log_p(x, r) -> log p(x | logit r), elementwise on tensors",
        "Write it with softplus (torch.nn.functional.softplus), never as log(sigmoid(r)): "
        "the sigmoid rounds to 0 or 1 for large |r|.",
    ),
    "bernoulli-ex-2": Code(
        _bernoulli_best, _frequency_cases,
        "best(xbar) -> the maximal average log-likelihood per image of one pixel, in nats",
        "Put the maximising lambda back into the average log-likelihood; natural logarithms.",
    ),
    "bernoulli-ex-3": Code(
        _bce_integral, _lambda_cases,
        "integral(lam) -> int_0^1 lam^x (1 - lam)^(1 - x) dx, elementwise, finite at lam = 1/2",
        "Integrate exp(x log lam + (1 - x) log(1 - lam)); at lam = 1/2 use the limit, not 0/0.",
        rtol=1e-6,
    ),
    "bernoulli-ex-4": Numeric(
        (float("nan"),), 2e-3, 0.03,
        "Frequencies of the 17 levels in levels_train plus one, normalised within each half "
        "(levels 0-7 and 8-16), then the mean of -log2 of the test levels' frequencies.",
        names=("your extra bits per pixel",),
    ),
    # ------------------------------------------------------------------ continuous bernoulli
    "cb-ex-1": Code(
        _cb_variance, _cb_cases,
        "cb_variance(eta) -> Var[x] of the continuous Bernoulli with logit eta, elementwise",
        "At eta = 0 the two terms are both infinite: use a series (1/12 - eta^2/720) near 0.",
        rtol=1e-6,
    ),
    "cb-ex-2": Numeric(
        (float("nan"), math.log(9.0)), 1e-3, 0.05,
        "The continuous Bernoulli's maximiser matches its MEAN to x; the BCE's matches lambda "
        "to x. Give both as logits.",
        names=("the continuous Bernoulli logit", "the BCE logit"),
    ),
    "cb-ex-3": Numeric(
        (1 / 16,), 1e-6, 0.05,
        "Bound the density on the bin of level 8 for every logit; which logit attains the bound "
        "over the whole bin?",
        names=("your probability",),
        mistakes=(((1 / 17,), "the levels are k/16: how wide is the bin of one level?"),
                  ((4.0,), "give the probability, not its number of bits."),),
    ),
    # ------------------------------------------------------------------ gaussian
    "gaussian-ex-1": Numeric(
        (math.sqrt(392.0), 784.0), 1e-6, 0.05,
        "Multiply the per-image loss by D so that the squared error is a sum; then "
        "beta = 2 sigma^2 relative to sigma = 1/sqrt(2).",
        names=("sigma", "beta"),
        mistakes=(((28.0, 784.0), "beta = 2 sigma^2 relative to sigma = 1/sqrt(2), so sigma is "
                   "the square root of beta / 2."),
                  ((math.sqrt(392.0), 392.0), "beta = D/2 is relative to sigma = 1; the exercise "
                   "asks relative to sigma = 1/sqrt(2)."),
                  ((1 / 28, 1 / 784), "the mean makes the squared error small relative to the KL, "
                   "so the KL is weighted up: beta > 1.")),
    ),
    "gaussian-ex-2": Code(
        _per_pixel_sigma, _sigma_cases,
        "sigma_star(x [N, D], mean [N, D]) -> the optimal sigma_d of each pixel, [D]",
        "Set the derivative in sigma_d to zero: a root mean square over the images, per pixel.",
    ),
    "gaussian-ex-3": Numeric(
        (128.0,), 1e-6, 0.05,
        "Count how many points sit at the centre of a narrow Gaussian; each adds D ln 10 nats "
        "per decade of alpha. The chapter prints the growth divided by ln 10, with D = 64.",
        names=("your slope",),
        mistakes=(((64.0,), "that is the slope with one ball; now two points are memorised."),
                  ((128.0 * math.log(10),), "give the slope divided by ln 10, as the chapter "
                   "prints it."),
                  ((64000.0,), "only the points at a ball's centre gain: not all N of them.")),
    ),
    "gaussian-ex-4": Range(
        0.0, 0.0, 0.15, _CHECK_HINT,
        names=("floor 0.005", "floor 0.018", "floor 0.05"),
        bounds=((2.43, 2.54), (2.29, 2.37), (2.33, 2.40)),
    ),
    # ------------------------------------------------------------------ laplace, student-t
    "laplace-student-t-ex-1": Code(
        _ml_locations, _location_cases,
        "ml_locations(y [N], N odd) -> (Gaussian ML location, Laplace ML location)",
        "Differentiate the sum of squares, and the sum of absolute values, with respect to mu.",
    ),
    "laplace-student-t-ex-2": Code(
        _student_weight, _weight_cases,
        "weight(r, s, nu) -> E[w | r], elementwise",
        "The Gamma posterior has shape (nu + 1)/2 and rate nu/2 + r^2/(2 s^2); its mean is "
        "shape / rate.",
    ),
    "laplace-student-t-ex-3": Range(
        0.0, 0.0, 0.15, _CHECK_HINT,
        names=("the Gaussian's bits/dim", "the Laplace's bits/dim", "the Student-t's bits/dim"),
        bounds=((2.27, 2.37), (2.28, 2.36), (2.25, 2.33)),
    ),
    "laplace-student-t-ex-5": Range(
        0.0, 0.0, 0.15, _CHECK_HINT,
        names=("the Gaussian's bits/dim", "the Laplace's bits/dim", "the Student-t's bits/dim"),
        bounds=((2.27, 2.34), (2.27, 2.36), (2.25, 2.32)),
    ),
    # ------------------------------------------------------------------ beta
    "beta-ex-1": Code(
        _u_shaped, _u_cases,
        "u_shaped(mu, kappa) -> a boolean tensor, True where the density is U-shaped",
        "A U needs the density to rise at BOTH ends: alpha < 1 and beta < 1.",
        rtol=0.0, atol=0.0, close_rtol=0.0,
    ),
    "beta-ex-2": Code(
        _beta_spike, _eps_cases,
        "spike(eps) -> (alpha*, the maximal log p(eps | alpha, 1)), elementwise",
        "Beta(alpha, 1) has density alpha x^(alpha - 1); set the derivative in alpha to zero.",
    ),
    # ------------------------------------------------------------------ categorical
    "categorical-ex-1": Code(
        _bernoulli_logit, _two_logit_cases,
        "logit(r0, r1) -> the Bernoulli logit of level 1",
        "Divide numerator and denominator of the softmax by exp(r1).",
    ),
    "categorical-ex-2": Numeric(
        (0.0, math.log2(256 / 17)), 1e-6, 0.05,
        "(a) Is any information gained or lost by a one-to-one relabelling? (b) Compare what "
        "the colleague subtracts with what should be subtracted when no level is split.",
        names=("(a) the best bits/dim minus b", "(b) the flattery in bits/dim"),
        atol=1e-6,
        mistakes=(((-math.log2(256 / 17), math.log2(256 / 17)), "(a) more levels do not make the "
                   "best model better: the data are the same events."),
                  ((math.log2(256 / 17), math.log2(256 / 17)), "(a) more levels do not make the "
                   "best model worse either: it can put zero mass on the unused levels.")),
    ),
    "categorical-ex-4": Code(
        _middle_mass, _pixel_cases,
        "middle_mass(p [17]) -> (the binned Gaussian's mass on levels 6-10, the categorical's)",
        "Moment-match: the Gaussian has the mean and variance of p; bin edges at k +- 1/2, the "
        "two edge bins open; levels 6 to 10 inclusive are p[6:11].",
    ),
    "categorical-ex-3": Numeric(
        (513.0 * 3072 * 256, 513.0 * 3072 * 15, 257.0 * 64 * 256), 1e-9, 0.02,
        "An output layer has (hidden + 1) * D * (outputs per value) weights and biases.",
        names=("the categorical layer", "the mixture layer", "the digits' 256-level layer"),
        mistakes=(((512.0 * 3072 * 256, 512.0 * 3072 * 15, 256.0 * 64 * 256), "count the bias "
                   "of every output too: hidden + 1 inputs per output."),
                  ((513.0 * 1024 * 256, 513.0 * 1024 * 15, 257.0 * 64 * 256), "an RGB image has "
                   "three values per pixel: D = 32 * 32 * 3.")),
    ),
    # ------------------------------------------------------------------ discretized logistic
    "discretized-logistic-ex-1": Numeric(
        (1.0, 0.5), 1e-3, 0.05,
        "Small s: where does all the mass go? Large s: each edge bin is open to infinity.",
        names=("P(the level containing mu) as s -> 0", "P(an edge level) as s -> infinity"),
        mistakes=(((1.0, 1 / 17), "a very wide logistic is not uniform over the levels: the edge "
                   "bins extend to infinity."),),
    ),
    "discretized-logistic-ex-2": Code(
        _grad_mu, _grad_cases,
        "grad_mu(a, b, s) -> d/dmu log P(x = k), elementwise, with a, b the standardised bin edges",
        "Differentiate the product form log sigmoid(a) + log sigmoid(-b) + log(1 - exp(b - a)), "
        "with da/dmu = db/dmu = -1/s.",
    ),
    "discretized-logistic-ex-3": Numeric(
        (16.0,), 1e-9, 0.1,
        "A mixture of M components needs 3M outputs per pixel, a categorical K.",
        names=("the smallest K",),
        mistakes=(((15.0,), "at K = 15 the two are equal; the question asks for fewer."),
                  ((11.0,), "a mixture component has three outputs (weight, location, scale)."),),
    ),
    "discretized-logistic-ex-4": Code(
        _log_normal_interval, _interval_cases,
        "log_interval(a, b) -> log(Phi(a) - Phi(b)) for a > b, elementwise, finite in the tails",
        "Move both points to the lower tail and use torch.special.log_ndtr with a stable "
        "log(1 - exp(d)).",
        rtol=1e-6,
    ),
    # ------------------------------------------------------------------ discretized real line
    "discretized-real-line-ex-2": Range(
        0.0, 0.0, 0.15, _CHECK_HINT,
        names=("the validation ELBO with floor 1e-3", "the validation ELBO with floor 0.018",
               "test bits/dim with floor 1e-3", "test bits/dim with floor 0.018"),
        bounds=((32.4, 43.3), (42.0, 49.1), (2.37, 2.48), (2.34, 2.42)),
    ),
    "discretized-real-line-ex-3": Numeric(
        (-math.expm1(-(1 / 16) / (2 * 0.01)),), 1e-4, 0.02,
        "Put mu where the sum of the two exponentials is smallest, then evaluate P(k) with "
        "w = 1/16 and b = 0.01.",
        names=("your probability",),
        mistakes=(((-math.expm1(-(1 / 16) / 0.01),), "each edge is w/2 from the centre, not w."),
                  ((math.exp(-(1 / 16) / (2 * 0.01)),), "that is the mass OUTSIDE the bin."),),
    ),
    # ------------------------------------------------------------------ counts
    "counts-ex-1": Numeric(
        (16.0,), 1e-9, 0.05,
        "Compare N * BCE (the binomial) with the colleague's BCE: by how much is the "
        "reconstruction term down-weighted against the KL?",
        names=("your beta",),
        mistakes=(((1 / 16,), "the KL is weighted UP relative to the reconstruction: beta > 1."),
                  ((64.0,), "the sum over the 64 pixels is in both; the factor is per pixel."),),
    ),
    "counts-ex-2": Code(
        _nb_variance, _nb_cases,
        "nb_variance(mu, r) -> Var[x] of the negative binomial, elementwise",
        "Law of total variance with lambda ~ Gamma(r, rate r/mu): E[lambda] + Var(lambda).",
    ),
    "counts-ex-3": Range(
        0.0, 0.0, 0.15, _CHECK_HINT,
        names=("the Poisson's bits per feature", "the negative binomial's bits per feature"),
        bounds=((5.03, 5.25), (3.64, 3.98)),
    ),
    "counts-ex-4": Code(
        _beta_binomial_variance, _beta_binomial_cases,
        "bb_variance(alpha, beta, n) -> Var[x] of the beta-binomial, elementwise",
        "Law of total variance over p ~ Beta(alpha, beta): E[N p (1 - p)] + Var(N p).",
    ),
}


def resolve(checkers: dict[str, Callable[[str, object], Verdict]]) -> None:
    """Fill in references that need a computation (done once, on first use)."""
    chk = checkers["bernoulli-ex-4"]
    if isinstance(chk, Numeric) and math.isnan(chk.reference[0]):
        checkers["bernoulli-ex-4"] = Numeric(
            (_pooled_extra_bits(),), chk.rtol, chk.close_rtol, chk.hint, chk.names,
        )
    chk = checkers["cb-ex-2"]
    if isinstance(chk, Numeric) and math.isnan(chk.reference[0]):
        eta = _cb_logit_for_mean(0.9)
        checkers["cb-ex-2"] = Numeric(
            (eta, chk.reference[1]), chk.rtol, chk.close_rtol, chk.hint, chk.names,
            mistakes=(((math.log(9.0), math.log(9.0)), "the continuous Bernoulli's maximiser is "
                       "not the BCE's: its mean, not lambda, must equal x."),
                      ((1 / (1 + math.exp(-eta)), 0.9), "give logits, not probabilities lambda."),),
        )
