r"""Autograder of the assignment "A likelihood head for a new family": the beta-binomial head.

The student writes ``BetaBinomialHead``
(a :class:`~vae_tutorial.likelihoods.base.LikelihoodHead`) in a file ``beta_binomial_head.py``
and runs ``pytest grade_beta_binomial.py`` in the same folder (the grader file ships with the
assignment, ``book/assignments/``). Each requirement below is one test,
worth the points it names; :func:`grade` runs them all and prints the score.

The beta-binomial on :math:`\{0,\dots,n\}`, :math:`n = 16`, has the probability mass function

.. math::

    p(k\mid\alpha,\beta) = \binom{n}{k}\frac{B(k+\alpha,\ n-k+\beta)}{B(\alpha,\beta)},

mean :math:`n\alpha/(\alpha+\beta)` and variance
:math:`n\alpha\beta(\alpha+\beta+n)/\bigl((\alpha+\beta)^2(\alpha+\beta+1)\bigr)`. The checks
compare with ``scipy.stats.betabinom``, independent of the student's code and of the book's.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

N = 16
D = 64


@dataclass(frozen=True)
class Requirement:
    """One graded requirement: a name, its points, what it checks and the check itself."""

    name: str
    points: int
    what: str
    check: Callable[[type], None]


def load_student(spec: str | None = None) -> type:
    """Import the student's head class from ``module:Class`` (default from ``$STUDENT_HEAD``,
    else ``beta_binomial_head:BetaBinomialHead`` in the current folder)."""
    spec = spec or os.environ.get("STUDENT_HEAD", "beta_binomial_head:BetaBinomialHead")
    module, _, cls = spec.partition(":")
    if str(Path.cwd()) not in sys.path:
        sys.path.insert(0, str(Path.cwd()))
    return getattr(importlib.import_module(module), cls or "BetaBinomialHead")


def _raw(n: int = 5, scale: float = 2.0, seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return scale * torch.randn(n, 2 * D, generator=g, dtype=torch.float64)


def _levels(n: int = 5, seed: int = 1) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, N + 1, (n, D), generator=g).to(torch.float64)


def _concentrations(dist) -> tuple[torch.Tensor, torch.Tensor]:
    base = getattr(dist, "base_dist", dist)
    for a_name, b_name in (("alpha", "beta"), ("concentration1", "concentration0")):
        if hasattr(base, a_name) and hasattr(base, b_name):
            return getattr(base, a_name), getattr(base, b_name)
    raise AssertionError("the per-pixel distribution must expose its parameters as .alpha and "
                         ".beta (or .concentration1 and .concentration0)")


# --------------------------------------------------------------------------- the checks
def check_contract(head_cls: type) -> None:
    from torch.distributions import constraints

    from vae_tutorial.likelihoods import LikelihoodHead

    assert issubclass(head_cls, LikelihoodHead), "subclass vae_tutorial.likelihoods.LikelihoodHead"
    head = head_cls()
    assert head.name == "beta_binomial", f"name should be 'beta_binomial', got {head.name!r}"
    assert head.params_per_dim == 2, "two raw outputs per pixel: alpha and beta"
    assert head.discrete is True, "the beta-binomial is a discrete distribution: discrete = True"
    sup = head.support
    assert isinstance(sup, constraints.integer_interval) and sup.lower_bound == 0 \
        and sup.upper_bound == N, "support should be constraints.integer_interval(0, 16)"
    levels = _levels()
    x = head.prepare(levels)
    assert torch.equal(x, levels), "the head models the levels 0..16 themselves"


def check_shapes(head_cls: type) -> None:
    head = head_cls()
    dist = head(_raw(5))
    assert tuple(dist.batch_shape) == (5,) and tuple(dist.event_shape) == (D,), (
        f"expected batch_shape (5,) and event_shape (64,), got {tuple(dist.batch_shape)} and "
        f"{tuple(dist.event_shape)}: return the per-pixel distribution from distribution()"
    )
    assert dist.log_prob(_levels()).shape == (5,), "log_prob sums over the 64 pixels"
    a, b = _concentrations(dist)
    assert a.shape == (5, D) and b.shape == (5, D), "alpha and beta have shape [N, 64]"


def check_log_prob(head_cls: type) -> None:
    from scipy.stats import betabinom

    head = head_cls()
    for seed, scale in ((0, 1.0), (1, 4.0)):
        dist = head(_raw(5, scale, seed))
        a, b = _concentrations(dist)
        x = _levels(5, seed + 10)
        ref = betabinom.logpmf(x.numpy(), N, a.detach().double().numpy(),
                               b.detach().double().numpy()).sum(-1)
        mine = dist.log_prob(x).detach().double().numpy()
        err = float(abs(mine - ref).max())
        assert err < 1e-6 * max(1.0, float(abs(ref).max())), (
            f"log_prob differs from the beta-binomial's by up to {err:.3g} nats: check the "
            "binomial coefficient and both Beta functions"
        )
    raw = _raw(1)
    a1, _ = _concentrations(head(raw))
    a2, _ = _concentrations(head(raw + 1.0))
    assert bool((a2 > a1).all()), "alpha should increase with its raw output (softplus)"
    assert bool((a1 > 0).all()), "alpha and beta must be positive"


def check_normalised(head_cls: type) -> None:
    head = head_cls()
    raw = torch.cat([_raw(3, 3.0), torch.full((1, 2 * D), -12.0, dtype=torch.float64),
                     torch.full((1, 2 * D), 12.0, dtype=torch.float64)])
    dist = head(raw).base_dist if hasattr(head(raw), "base_dist") else head(raw)
    ks = torch.arange(N + 1, dtype=torch.float64).view(-1, 1, 1).expand(N + 1, *dist.batch_shape)
    total = dist.log_prob(ks).logsumexp(0)
    assert float(total.abs().max()) < 1e-6, (
        "the probabilities of 0..16 should sum to one for every pixel (also for tiny and huge "
        "alpha and beta)"
    )


def check_moments(head_cls: type) -> None:
    head = head_cls()
    base = head(_raw(4, 2.0, 3)).base_dist
    a, b = _concentrations(base)
    s = a + b
    mean = N * a / s
    var = N * a * b * (s + N) / (s**2 * (s + 1))
    assert torch.allclose(base.mean.double(), mean.double(), rtol=1e-6), \
        "mean should be n alpha / (alpha + beta)"
    assert torch.allclose(base.variance.double(), var.double(), rtol=1e-6), \
        "variance should be n alpha beta (alpha + beta + n) / ((alpha + beta)^2 (alpha + beta + 1))"


def check_sample(head_cls: type) -> None:
    head = head_cls()
    torch.manual_seed(0)
    raw = _raw(1, 1.0, 4)
    dist = head(raw)
    x = dist.sample((4000,))
    assert x.shape == (4000, 1, D), f"sample((4000,)) should have shape (4000, 1, 64): {x.shape}"
    assert bool(((x >= 0) & (x <= N) & (x == x.round())).all()), "samples are whole numbers 0..16"
    a, b = _concentrations(dist)
    s = a + b
    mean = (N * a / s)[0]
    sd = (N * a * b * (s + N) / (s**2 * (s + 1))).sqrt()[0]
    z = (x[:, 0].double().mean(0) - mean) / (sd / math.sqrt(4000))
    assert float(z.abs().max()) < 5, "the samples' means do not match the beta-binomial's"
    frac_edges = ((x == 0) | (x == N)).double().mean()
    assert frac_edges > 0, "samples never reach 0 or 16"


def check_stable(head_cls: type) -> None:
    head = head_cls()
    for dtype in (torch.float64, torch.float32):
        raw = torch.cat([torch.full((1, 2 * D), v, dtype=dtype) for v in (-100.0, 100.0)])
        raw = raw.requires_grad_(True)
        lp = head(raw).log_prob(_levels(2).to(dtype))
        assert bool(torch.isfinite(lp).all()), \
            f"log_prob is inf or NaN for raw outputs of +-100 in {dtype}"
        lp.sum().backward()
        assert bool(torch.isfinite(raw.grad).all()), \
            f"the gradient is inf or NaN for raw outputs of +-100 in {dtype}"


def check_validation(head_cls: type) -> None:
    head = head_cls()
    dist = head(_raw(1))
    for bad in (17.0, -1.0, 2.5):
        x = torch.zeros(1, D, dtype=torch.float64)
        x[0, 0] = bad
        try:
            dist.log_prob(x)
        except ValueError as err:
            assert "beta_binomial" in str(err), "the error should name the family"
        else:
            raise AssertionError(f"log_prob accepted x = {bad}: values outside 0..16 must raise "
                                 "a ValueError")


def check_trains(head_cls: type) -> None:
    from vae_tutorial.data import load_digits
    from vae_tutorial.evaluation import test_bits_per_dim
    from vae_tutorial.model import VAE
    from vae_tutorial.objectives import elbo
    from vae_tutorial.training import train

    torch.manual_seed(0)
    head = head_cls()
    levels = load_digits("train")[:300]
    x = head.prepare(levels)
    model = VAE(head, data_dim=D, latent_dim=4, hidden=(64,))
    with torch.no_grad():
        before = elbo(model, x).elbo.mean().item()
    train(model, x, head.prepare(load_digits("val")[:100]), epochs=5, seed=0)
    with torch.no_grad():
        after = elbo(model, x).elbo.mean().item()
    assert math.isfinite(after) and after > before, "the ELBO should rise during training"
    torch.manual_seed(0)
    bpd = test_bits_per_dim(model, load_digits("test")[:50], k=10)
    assert math.isfinite(bpd) and 0 < bpd < math.log2(N + 1) + 0.5, \
        "test bits/dim should be finite and below the uniform distribution's (about 4.09)"


REQUIREMENTS: list[Requirement] = [
    Requirement("contract", 10, "name, params_per_dim, discrete, support, representation",
                check_contract),
    Requirement("shapes", 10, "batch and event shapes, log_prob summed over pixels", check_shapes),
    Requirement("log_prob", 25, "log-pmf against scipy; increasing positive transform",
                check_log_prob),
    Requirement("normalised", 10, "probabilities of 0..16 sum to one, also at extremes",
                check_normalised),
    Requirement("moments", 10, "mean and variance in closed form", check_moments),
    Requirement("sample", 10, "samples: whole numbers 0..16 with the right means", check_sample),
    Requirement("stable", 10, "finite log_prob and gradients for raw outputs of +-100",
                check_stable),
    Requirement("validation", 5, "a ValueError naming the family for values outside 0..16",
                check_validation),
    Requirement("trains", 10, "trains in a VAE; finite test bits/dim", check_trains),
]


def names() -> list[str]:
    """The requirements' names, in order."""
    return [r.name for r in REQUIREMENTS]


def run(name: str, head_cls: type) -> None:
    """Run one requirement; raises AssertionError (with a hint) when it fails."""
    {r.name: r for r in REQUIREMENTS}[name].check(head_cls)


def grade(head_cls: type, verbose: bool = True) -> int:
    """Run every requirement and return the points earned (out of 100)."""
    score = 0
    for r in REQUIREMENTS:
        try:
            r.check(head_cls)
        except Exception as err:  # the student's code may raise anything
            if verbose:
                print(f"  FAIL {r.name:10s} 0/{r.points:<3d} {type(err).__name__}: {err}")
            continue
        score += r.points
        if verbose:
            print(f"  pass {r.name:10s} {r.points}/{r.points}")
    if verbose:
        print(f"autograded score: {score}/100")
    return score
