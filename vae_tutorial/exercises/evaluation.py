"""Checkers for the exercises of Part III, evaluation and choice.

Most references are closed forms. Those that depend on the digits or on the shoot-out's results
file are computed on first use (:class:`Lazy`), so importing the package stays cheap. The ranges
of the "train and compare" exercises were measured with ``scripts/exercise_ranges.py later``
(seeds 0, 1, 2, the settings the exercise states) and widened as the comment above each says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from .kinds import Numeric, Range, Verdict

__all__ = ["CHECKERS", "Lazy"]

RESULTS = Path(__file__).resolve().parents[2] / "book" / "evaluation" / "shootout_results.json"


class Lazy:
    """A checker whose reference needs a computation (data, a results file): built on first use."""

    def __init__(self, build: Callable[[], Callable[[str, object], Verdict]]) -> None:
        self._build = build
        self._checker: Callable[[str, object], Verdict] | None = None

    def __call__(self, label: str, answer: object) -> Verdict:
        if self._checker is None:
            self._checker = self._build()
        return self._checker(label, answer)


# --------------------------------------------------------------------------- references
def _normal_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _bin_probability(offset: float, sigma: float, width: float = 1 / 16) -> float:
    """P(level's bin) under N(mu, sigma^2) when the bin's centre is ``offset`` from mu."""
    return _normal_cdf((offset + width / 2) / sigma) - _normal_cdf((offset - width / 2) / sigma)


def _perfect_binary() -> Numeric:
    import torch

    from ..baselines import spread_binary_log_prob
    from ..data import load_digits
    from ..objectives import bits_per_dim

    levels = load_digits("test")
    spread = spread_binary_log_prob(torch.zeros(len(levels), dtype=torch.float64), levels)
    bpd = float(bits_per_dim(spread.mean(), 64))
    return Numeric(
        (bpd,), 2e-3, 0.03,
        "Each pixel of a perfect binary model costs log2 of the number of levels its bit stands "
        "for: 8 levels below the threshold, 9 above. Average over the pixels of the test digits.",
        names=("your bits/dim",),
        mistakes=(
            ((3.0,), "not every pixel costs 3 bits: those above the threshold stand for 9 levels."),
            ((math.log2(9),), "not every pixel costs log2 9: those below stand for 8 levels."),
            ((math.log2(17),), "that is the uniform model of the 17 levels, not the perfect binary "
                               "model spread over them."),
        ),
    )


def _mixture_difference() -> Numeric:
    from ..shootout import compare, load_results, summarize

    s = summarize(load_results(RESULTS)["runs"])
    diff = compare(s, "discretized_logistic (3 components)", "discretized_logistic").difference
    return Numeric(
        (diff,), 0.02, 0.5,
        "Use compare(summarize(results['runs']), 'discretized_logistic (3 components)', "
        "'discretized_logistic') on the book's results file; the difference is the mixture's mean "
        "bits/dim minus the single component's.",
        names=("your difference",), atol=5e-4,
        mistakes=(((-diff,), "right size, wrong sign: the mixture minus one component."),),
    )


def _collapse_interval() -> Numeric:
    from ..data import load_digits
    from ..diagnostics import linear_vae_optimum
    from ..likelihoods import LIKELIHOODS

    x = LIKELIHOODS["gaussian_fixed"]().prepare(load_digits("train"))
    eig = linear_vae_optimum(x, 8, 0.1).eigenvalues
    kl = float(linear_vae_optimum(x, 8, 0.5).kl.sum())
    lo, hi = float(eig[4].sqrt()), float(eig[3].sqrt())
    return Numeric(
        (lo, hi, kl), 0.01, 0.05,
        "A direction is used when its eigenvalue exceeds sigma^2; the total KL sums "
        "(1/2) log(lambda_l / sigma^2) over the used directions (at most L = 8).",
        names=("the lower end", "the upper end", "the total KL"),
        mistakes=(
            ((float(eig[4]), float(eig[3]), kl),
             "the interval is for sigma, a standard deviation: take square roots of the "
             "eigenvalues."),
            ((float(eig[3].sqrt()), float(eig[2].sqrt()), kl),
             "off by one eigenvalue: exactly 4 eigenvalues must exceed sigma^2."),
            ((lo, hi, 2 * kl), "the KL of a direction is HALF the log of lambda over sigma^2."),
        ),
    )


# --------------------------------------------------------------------------- the registry
# Ranges: min and max over seeds 0, 1, 2 (scripts/exercise_ranges.py later), widened by 0.03
# bits/dim for scores, by 0.01 for a learned sigma, by one unit (within 0..8) for active-unit
# counts and by about a third of the observed spread for KL terms.
CHECKERS: dict[str, Callable[[str, object], Verdict]] = {
    # ------------------------------------------------------------------ estimating_log_px
    "estimating-ex-1": Numeric(
        (1 / math.sqrt(2),), 1e-3, 0.05,
        "E_q[w^2] is the integral of p(z)^2 / q(z); it is finite when the coefficient of z^2 in "
        "its exponent is negative. Give the standard deviation s, not the variance.",
        names=("your threshold",),
        mistakes=(
            ((0.5,), "that is the threshold for the variance s^2; the exercise asks for s."),
            ((1.0,), "proposals a little narrower than the target still have a finite weight "
                     "variance: solve for where it stops being finite."),
        ),
    ),
    "estimating-ex-2": Range(
        0.0, 0.0, 0.15,
        "Train exactly as stated (binomial head, 60 epochs, seed 0) and score the same model with "
        "k=1 and k=1000, calling torch.manual_seed(0) before each test_bits_per_dim.",
        names=("the ELBO bits/dim with L = 2", "the k=1000 bits/dim with L = 2",
               "the ELBO bits/dim with L = 16", "the k=1000 bits/dim with L = 16"),
        bounds=((3.79, 3.96), (3.60, 3.73), (2.42, 2.55), (2.26, 2.38)),
    ),
    "estimating-ex-3": Numeric(
        (math.log2(255),), 2e-4, 0.01,
        "Rescaling by 255 divides the density by 255 per pixel; bits/dim are -log2 p(x) / D. "
        "The map is x -> 255 x, so it is 255, not 256.",
        names=("your change",),
        mistakes=(
            ((-math.log2(255),), "the density falls, so -log2 p(x) and the bits/dim GROW."),
            ((math.log(255),), "that is in nats; bits per dimension use log base 2."),
            ((64 * math.log2(255),), "that is per image; the exercise asks per dimension."),
        ),
    ),
    # ------------------------------------------------------------------ fair_comparison
    "fair-ex-1": Numeric(
        (64 * math.log(2), 1.0), 1e-3, 0.03,
        "y = 2x - 1 stretches each of the D = 64 pixels by 2: the log-density changes by "
        "D log 2 nats per image; divide by D ln 2 for bits per dimension.",
        names=("the nats per image", "the bits per dimension"),
        mistakes=(
            ((64.0, 1.0), "64 is the change in BITS per image; the first number asks for nats."),
            ((math.log(2), 1.0), "the first number is per image, a sum over the 64 pixels."),
            ((-64 * math.log(2), -1.0), "give both differences as positive numbers."),
        ),
    ),
    "fair-ex-4": Lazy(_perfect_binary),
    # ------------------------------------------------------------------ shootout
    "shootout-ex-1": Numeric(
        (_bin_probability(0.1, 1.0), _bin_probability(0.1, 0.1)), 0.02, 0.1,
        "The bin probability is the integral of N(x; mu, sigma^2) over the bin of width 1/16, "
        "about the density at the level times 1/16; the level is 0.1 from the mean.",
        names=("the probability with sigma = 1", "the probability with sigma = 0.1"),
        mistakes=(
            ((_bin_probability(0.1, 0.1), _bin_probability(0.1, 1.0)),
             "the two are swapped: sigma = 1 first."),
            ((0.3970, 2.4197), "those are densities; multiply by the bin's width 1/16."),
        ),
    ),
    # ------------------------------------------------------------------ shootout_discrete
    "shootout-discrete-ex-1": Numeric(
        (256 * 64 + 64, 256 * 64 * 17 + 64 * 17), 1e-9, 0.02,
        "The last layer maps 256 hidden units to 64 P outputs (P = 1 for the binomial, 17 for "
        "the categorical): weights plus one bias per output.",
        names=("the binomial's count", "the categorical's count"),
        mistakes=(
            ((256 * 64, 256 * 64 * 17), "count the biases too: one per output."),
            ((256 * 64 * 17 + 64 * 17, 256 * 64 + 64), "the two are swapped: binomial first."),
            ((64, 64 * 17), "those are the outputs; the exercise asks for the parameters."),
        ),
    ),
    "shootout-discrete-ex-3": Lazy(_mixture_difference),
    # ------------------------------------------------------------------ shootout_best
    # validation bits/dim, k=100 (scripts/exercise_ranges.py best_priors), widened by 0.03
    "shootout-best-ex-2": Range(
        0.0, 0.0, 0.15,
        "Build with best.build_best_model(), replace model.prior, train with every setting of "
        "best.BEST_CONFIG (IWAE objective, k=5, seed 0) and score the VALIDATION digits with "
        "torch.manual_seed(0), k=100.",
        names=("the VampPrior's bits/dim", "the mixture's bits/dim",
               "the standard normal's bits/dim"),
        bounds=((1.97, 2.07), (1.99, 2.07), (2.00, 2.08)),
    ),
    # ------------------------------------------------------------------ posterior_collapse
    "collapse-ex-1": Lazy(_collapse_interval),
    "collapse-ex-2": Numeric(
        (math.log(2),), 1e-3, 0.05,
        "Put lambda_l = 4 sigma^2 into (1/2) log(lambda_l / sigma^2); the answer is in nats.",
        names=("your cost",),
        mistakes=(
            ((math.log(4),), "the average KL is HALF the log of the ratio."),
            ((1.0,), "one bit is the cost in bits; the exercise asks for nats."),
        ),
    ),
    "collapse-ex-3": Range(
        0.0, 0.0, 0.1,
        "Train exactly as stated (gaussian_shared(init_sigma=0.5), latent_dim=8, "
        "hidden=(128, 128), 30 epochs, patience=None, seed 0); count active units on x_val and "
        "score with torch.manual_seed(0), k=100.",
        names=("the learned sigma", "the number of active units", "the test bits/dim"),
        bounds=((0.35, 0.38), (4, 8), (2.51, 2.59)),
    ),
    "collapse-ex-5": Range(
        0.0, 0.0, 1.0,
        "Train as the sweep does with gaussian_fixed(sigma=0.7) (seed 0, 30 epochs, "
        "hidden=(128, 128), patience=None); then torch.manual_seed(0), active_units(model, x_val) "
        "and kl_per_dimension(model, x_val).sum().",
        names=("the number of active units", "the total KL"),
        bounds=((6, 8), (0.15, 0.40)),
    ),
}


def _wasted(rate):
    """P(X > 16) for X ~ Poisson(rate): the regularised lower incomplete gamma P(17, rate)."""
    import torch

    return torch.special.gammainc(torch.full_like(rate, 17.0), rate)


def _rate_cases() -> list[tuple]:
    import torch

    g = torch.Generator().manual_seed(11)
    rates = torch.cat([torch.tensor([0.01, 0.5, 3.0, 8.0, 12.0, 16.0, 20.0, 30.0]),
                       torch.rand(24, generator=g) * 25]).to(torch.float64)
    return [(rates,), (rates.reshape(4, 8),)]


def _code_checkers() -> None:
    from .kinds import Code

    CHECKERS["shootout-discrete-ex-2"] = Code(
        _wasted, _rate_cases,
        "wasted(rate) -> P(X > 16) for X ~ Poisson(rate), elementwise, same shape as rate",
        "Sum the pmf over the counts 0..16 that can occur (both ends included) and take one "
        "minus the sum; Poisson(rate).log_prob(k).exp() gives the pmf.",
        rtol=1e-5, atol=1e-8,
    )


_code_checkers()
