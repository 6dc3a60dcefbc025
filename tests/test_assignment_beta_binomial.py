"""The beta-binomial assignment's autograder passes the reference solution and fails broken ones.

The reference (``tests/assignment_solutions/reference_beta_binomial.py``) is not in the student
notebook.
Broken variants are the mistakes the rubric is meant to catch; each must lose the points of the
requirement it breaks. The student-facing grader file is also run as the student would run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from assignment_solutions.reference_beta_binomial import BetaBinomial, BetaBinomialHead
from torch.distributions import constraints

from vae_tutorial.autograders import beta_binomial as grader

ROOT = Path(__file__).resolve().parents[1]


def test_reference_scores_full_marks() -> None:
    assert sum(r.points for r in grader.REQUIREMENTS) == 100
    assert grader.grade(BetaBinomialHead, verbose=False) == 100


class _NoBinomialCoefficient(BetaBinomial):
    def log_prob(self, value):
        k = value.to(self.alpha.dtype)
        n = float(self.total_count)
        lb = torch.lgamma
        return (lb(k + self.alpha) + lb(n - k + self.beta) - lb(n + self.alpha + self.beta)
                - lb(self.alpha) - lb(self.beta) + lb(self.alpha + self.beta))


class _NoCoefficientHead(BetaBinomialHead):
    def distribution(self, raw_alpha, raw_beta):
        d = super().distribution(raw_alpha, raw_beta)
        return _NoBinomialCoefficient(d.total_count, d.alpha, d.beta)


class _ExpHead(BetaBinomialHead):
    """exp instead of softplus: overflows for large raw outputs."""

    def distribution(self, raw_alpha, raw_beta):
        return BetaBinomial(16, raw_alpha.exp(), raw_beta.exp())


class _WrongSupportHead(BetaBinomialHead):
    support = constraints.nonnegative_integer


class _BinomialMeanHead(BetaBinomialHead):
    def distribution(self, raw_alpha, raw_beta):
        d = super().distribution(raw_alpha, raw_beta)

        class _D(type(d)):
            @property
            def variance(self):  # the binomial's variance: no over-dispersion
                p = self.alpha / (self.alpha + self.beta)
                return self.total_count * p * (1 - p)

        return _D(d.total_count, d.alpha, d.beta)


@pytest.mark.parametrize(("broken", "fails"), [
    (_NoCoefficientHead, {"log_prob", "normalised"}),
    (_ExpHead, {"stable"}),
    (_WrongSupportHead, {"contract", "validation"}),
    (_BinomialMeanHead, {"moments"}),
])
def test_broken_heads_lose_points(broken, fails) -> None:
    failed = set()
    for name in grader.names():
        if name == "trains":
            continue  # slow; the reference covers it
        try:
            grader.run(name, broken)
        except Exception:
            failed.add(name)
    assert fails <= failed, (fails, failed)


def test_student_grader_file_runs_against_the_reference() -> None:
    path = [str(ROOT), str(ROOT / "tests"), os.environ.get("PYTHONPATH", "")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path),
               STUDENT_HEAD="assignment_solutions.reference_beta_binomial:BetaBinomialHead")
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(ROOT / "book/assignments/grade_beta_binomial.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "9 passed" in out.stdout
