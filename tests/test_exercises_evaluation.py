"""The checkers of Part III (evaluation and choice): each passes the reference solution, computed
here by the route the exercise's solution takes, and fails the typical wrong answers with a hint;
no message contains the reference answer."""

from __future__ import annotations

import math

import pytest
import torch
from checker_asserts import verdict, wrong
from scipy import stats

from vae_tutorial import LIKELIHOODS, load_digits
from vae_tutorial.exercises import expected_range
from vae_tutorial.exercises.evaluation import RESULTS

F64 = torch.float64




# ------------------------------------------------------------------ estimating_log_px
def test_estimating_ex_1_threshold() -> None:
    """Var_q[p/q] for p = N(0, 1), q = N(0, s^2): finite iff s^2 > 1/2 (numerical check)."""
    def second_moment(s: float) -> float:  # integral of p^2 / q on a wide grid
        z = torch.linspace(-60, 60, 400_001, dtype=F64)
        zero = torch.zeros((), dtype=F64)
        log_p = torch.distributions.Normal(zero, 1.0).log_prob(z)
        log_q = torch.distributions.Normal(zero, s).log_prob(z)
        return float(torch.trapezoid((2 * log_p - log_q).exp(), z))

    assert math.isfinite(second_moment(0.75)) and second_moment(0.75) < 10
    assert second_moment(0.69) > 10 * second_moment(0.75)  # diverging below the threshold
    s_min = math.sqrt(0.5)
    assert verdict("estimating-ex-1", s_min).passed
    wrong("estimating-ex-1", 0.5, s_min, says="variance")
    wrong("estimating-ex-1", 1.0, s_min)
    wrong("estimating-ex-1", 2.0, s_min)


def test_estimating_ex_2_ranges() -> None:
    bounds = expected_range("estimating-ex-2")
    mids = tuple((lo + hi) / 2 for lo, hi in bounds)
    assert verdict("estimating-ex-2", mids).passed
    # the L = 2 and L = 16 numbers swapped: wrong, the message names which is off
    swapped = (mids[2], mids[3], mids[0], mids[1])
    v = verdict("estimating-ex-2", swapped)
    assert v.status == "wrong" and "L = 2" in v.message
    # the ELBO reported for both: the k=1000 numbers are off
    v = verdict("estimating-ex-2", (mids[0], mids[0], mids[2], mids[2]))
    assert v.status != "right" and "k=1000" in v.message
    # the ELBO is a looser bound: every range of the ELBO lies above that of k=1000
    assert bounds[0][0] > bounds[1][1] - 0.1 and bounds[2][0] > bounds[3][1] - 0.1


def test_estimating_ex_3_rescaling() -> None:
    D = 64
    shift = D * math.log(255) / (D * math.log(2))  # -log p drops by D log 255 nats
    assert verdict("estimating-ex-3", shift).passed
    wrong("estimating-ex-3", -shift, shift, says="GROW")
    wrong("estimating-ex-3", math.log(255), shift, says="nats")
    wrong("estimating-ex-3", D * shift, shift)
    assert verdict("estimating-ex-3", 8.0).status == "close"  # 256, not 255


# ------------------------------------------------------------------ fair_comparison
def test_fair_ex_1_change_of_scale() -> None:
    D = 64
    nats = D * math.log(2)  # |log det| of y = 2x - 1 over D pixels
    assert verdict("fair-ex-1", (nats, nats / (D * math.log(2)))).passed
    wrong("fair-ex-1", (64, 1), nats, says="nats")
    wrong("fair-ex-1", (math.log(2), 1), nats)
    wrong("fair-ex-1", (-nats, -1), nats, says="positive")
    wrong("fair-ex-1", (nats / 2, 0.5), nats)


def test_fair_ex_4_perfect_binary() -> None:
    """The solution's expression, by hand: 3 bits below the threshold, log2 9 above."""
    levels = load_digits("test")
    above = (levels >= 8).double().mean().item()
    bpd = (1 - above) * 3 + above * math.log2(9)
    assert verdict("fair-ex-4", bpd).passed
    wrong("fair-ex-4", 3.0, bpd)
    wrong("fair-ex-4", math.log2(9), bpd)
    wrong("fair-ex-4", math.log2(17), bpd, says="uniform")


# ------------------------------------------------------------------ shootout
def test_shootout_ex_1_bin_probabilities() -> None:
    """Density times width (the solution's route) agrees with the exact bin integral."""
    approx = tuple(stats.norm.pdf(0.1, scale=s) / 16 for s in (1.0, 0.1))
    exact = tuple(stats.norm.cdf(0.1 + 1 / 32, scale=s) - stats.norm.cdf(0.1 - 1 / 32, scale=s)
                  for s in (1.0, 0.1))
    assert verdict("shootout-ex-1", approx).passed
    assert verdict("shootout-ex-1", exact).passed
    assert approx[0] < 1 / 17 < approx[1]  # the solution's comparison with the uniform
    wrong("shootout-ex-1", approx[::-1], *exact, says="swapped")
    wrong("shootout-ex-1", (approx[0] * 16, approx[1] * 16), *exact, says="densities")
    wrong("shootout-ex-1", (1 / 17, 1 / 17), *exact)


# ------------------------------------------------------------------ shootout_discrete
def test_shootout_discrete_ex_1_parameters() -> None:
    def last_layer(outputs: int) -> int:
        return sum(p.numel() for p in torch.nn.Linear(256, outputs).parameters())

    counts = (last_layer(64), last_layer(64 * 17))
    assert verdict("shootout-discrete-ex-1", counts).passed
    wrong("shootout-discrete-ex-1", (256 * 64, 256 * 64 * 17), *counts, says="biases")
    wrong("shootout-discrete-ex-1", counts[::-1], *counts, says="swapped")
    wrong("shootout-discrete-ex-1", (64, 1088), *counts)


def test_shootout_discrete_ex_2_wasted_mass() -> None:
    """The solution's route: one minus the pmf summed over 0..16."""
    def wasted(rate):
        d = torch.distributions.Poisson(rate)
        return 1 - sum(d.log_prob(torch.tensor(float(k), dtype=rate.dtype)).exp()
                       for k in range(17))

    assert verdict("shootout-discrete-ex-2", wasted).passed
    v = verdict("shootout-discrete-ex-2", lambda r: 1 - sum(  # counts >= 16: off by one
        torch.distributions.Poisson(r).log_prob(torch.tensor(float(k), dtype=r.dtype)).exp()
        for k in range(16)))
    assert v.status == "wrong"
    v = verdict("shootout-discrete-ex-2", lambda r: sum(  # the mass kept, not the mass wasted
        torch.distributions.Poisson(r).log_prob(torch.tensor(float(k), dtype=r.dtype)).exp()
        for k in range(17)))
    assert v.status == "wrong"
    assert verdict("shootout-discrete-ex-2", lambda r: r.mean()).status == "wrong"  # a scalar


def test_shootout_discrete_ex_3_mixture() -> None:
    from vae_tutorial.shootout import compare, load_results, summarize

    s = summarize(load_results(RESULTS)["runs"])
    c = compare(s, "discretized_logistic (3 components)", "discretized_logistic")
    mean = {k: s[k].mean for k in ("discretized_logistic (3 components)", "discretized_logistic")}
    diff = mean["discretized_logistic (3 components)"] - mean["discretized_logistic"]
    assert abs(diff - c.difference) < 1e-12
    assert verdict("shootout-discrete-ex-3", round(diff, 3)).passed  # as the chapter prints it
    assert verdict("shootout-discrete-ex-3", -diff).status == "wrong"
    assert verdict("shootout-discrete-ex-3", diff + 0.05).status != "right"


# ------------------------------------------------------------------ posterior_collapse
def test_collapse_ex_1_interval() -> None:
    """Eigenvalues of the [0, 1]-scaled training digits (divisor N), as in the chapter."""
    x = LIKELIHOODS["gaussian_fixed"]().prepare(load_digits("train")).double()
    eig = torch.linalg.eigvalsh(torch.cov(x.T, correction=0)).flip(0)
    lo, hi = eig[4].sqrt().item(), eig[3].sqrt().item()
    kl = 0.5 * torch.log(eig[:8][eig[:8] > 0.25] / 0.25).sum().item()
    assert verdict("collapse-ex-1", (lo, hi, kl)).passed
    assert verdict("collapse-ex-1", (round(lo, 2), round(hi, 2), round(kl, 2))).passed
    wrong("collapse-ex-1", (eig[4].item(), eig[3].item(), kl), lo, hi, kl, says="square roots")
    wrong("collapse-ex-1", (hi, eig[2].sqrt().item(), kl), lo, hi, kl)
    wrong("collapse-ex-1", (lo, hi, 2 * kl), lo, hi, kl, says="HALF")


def test_collapse_ex_2_one_bit() -> None:
    kl = 0.5 * math.log(4.0)
    assert verdict("collapse-ex-2", kl).passed
    wrong("collapse-ex-2", math.log(4.0), kl, says="HALF")
    wrong("collapse-ex-2", 1.0, kl, says="bits")


@pytest.mark.parametrize("label", ["collapse-ex-3", "collapse-ex-5"])
def test_collapse_ranges(label: str) -> None:
    bounds = expected_range(label)
    mids = tuple((lo + hi) / 2 for lo, hi in bounds)
    assert verdict(label, mids).passed
    far = tuple(hi + 5 for _, hi in bounds)
    assert verdict(label, far).status == "wrong"


def test_collapse_ex_3_fixed_sigma_is_not_learned() -> None:
    """Reporting the initial sigma (nothing learned) is outside the range."""
    (s_lo, s_hi), units, (b_lo, b_hi) = expected_range("collapse-ex-3")
    v = verdict("collapse-ex-3", (0.5, units[1], (b_lo + b_hi) / 2))
    assert v.status == "wrong" and "sigma" in v.message


def test_shootout_best_ex_2_range() -> None:
    bounds = expected_range("shootout-best-ex-2")
    mids = tuple((lo + hi) / 2 for lo, hi in bounds)
    assert verdict("shootout-best-ex-2", mids).passed
    # test bits/dim at k=1000 of the book's best model instead of validation: below the ranges
    v = verdict("shootout-best-ex-2", (1.80, mids[1], mids[2]))
    assert v.status == "wrong" and "VampPrior" in v.message
