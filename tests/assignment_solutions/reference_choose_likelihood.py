"""Reference solution of the assignment "Choose a likelihood and defend it with numbers".

Kept out of the student notebook (``book/assignments/choose_likelihood.ipynb``); CI grades the
report it writes (``tests/test_assignment_choose_likelihood.py``). Four candidates, two discrete
and two continuous, each trained with the assignment's budget for its three seeds.
"""

from __future__ import annotations

import json
import sys

from vae_tutorial.autograders.choose_likelihood import BUDGET, score

CANDIDATES = ("categorical", "binomial", "laplace", "student_t")


def make_report() -> dict:
    scores = {h: [score(h, s) for s in BUDGET["seeds"]] for h in CANDIDATES}  # type: ignore[union-attr]
    means = {h: sum(v) / len(v) for h, v in scores.items()}
    return {"scores": scores, "choice": min(means, key=means.get)}  # type: ignore[arg-type]


if __name__ == "__main__":
    report = make_report()
    json.dump(report, sys.stdout, indent=1)
