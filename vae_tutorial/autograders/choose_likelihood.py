r"""Autograder of the assignment "Choose a likelihood and defend it with numbers".

The data set is the digits with salt noise (:func:`task_data`): in a fifth of the images of each
split, eight random pixels are set to the top level 16. The student trains candidate likelihoods
on the training split with the fixed budget ``BUDGET``, scores each on the test split with
the book's yardstick (:func:`score`, the test bits/dim of the discrete levels, whose
probabilities sum to one for every head), and writes a report::

    {"scores": {"categorical": [bpd_seed0, bpd_seed1, bpd_seed2], "laplace": [...], ...},
     "choice": "categorical"}

saved as ``choose_likelihood.json`` next to the notebook. ``pytest grade_choose_likelihood.py``
grades the report: its format, that the scores are on the yardstick, that the chosen head's
seed-0 score reproduces (the grader retrains it), and that the choice is supported by the numbers.
The written defence is graded by hand (see the rubric in the notebook).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch

#: The training budget every candidate gets (``train`` keyword arguments and the model size).
BUDGET = {"latent_dim": 8, "epochs": 30, "seeds": (0, 1, 2), "k": 100}
#: Largest difference in bits/dim allowed between a retrained score and the reported one. CPU
#: kernels move a trained score by far less than this, a different budget or yardstick by more.
REPRODUCE_TOL = 0.02
_SALT = {"train": 0, "val": 1, "test": 2}


def task_data(split: str) -> torch.Tensor:
    """The salted digits of ``split`` (levels ``[N, 64]``, whole numbers 0..16)."""
    from vae_tutorial.corruption import salt_pixels
    from vae_tutorial.data import load_digits

    if split not in _SALT:
        raise ValueError(f"task_data: split must be one of {sorted(_SALT)}, got {split!r}")
    corrupted, _ = salt_pixels(load_digits(split), image_fraction=0.2, pixels_per_image=8,
                               seed=_SALT[split])
    return corrupted


def score(head_name: str, seed: int) -> float:
    """Train ``LIKELIHOODS[head_name]()`` with ``BUDGET`` and ``seed``; test bits/dim."""
    from vae_tutorial import LIKELIHOODS
    from vae_tutorial.evaluation import test_bits_per_dim
    from vae_tutorial.model import VAE
    from vae_tutorial.training import train

    head = LIKELIHOODS[head_name]()
    torch.manual_seed(seed)
    model = VAE(head, data_dim=64, latent_dim=int(BUDGET["latent_dim"]))
    train(model, head.prepare(task_data("train")), head.prepare(task_data("val")),
          epochs=int(BUDGET["epochs"]), seed=seed)
    torch.manual_seed(0)
    return float(test_bits_per_dim(model, task_data("test"), k=int(BUDGET["k"])))


def load_report(path: str | Path | None = None) -> dict:
    """Read the report (default ``$STUDENT_REPORT`` or ``choose_likelihood.json``)."""
    path = Path(path or os.environ.get("STUDENT_REPORT", "choose_likelihood.json"))
    return json.loads(path.read_text())


@dataclass(frozen=True)
class Requirement:
    """One graded requirement of the report."""

    name: str
    points: int
    what: str
    check: Callable[[dict], None]


def _scores(report: dict) -> dict[str, list[float]]:
    scores = report.get("scores")
    assert isinstance(scores, dict) and scores, \
        "the report needs a non-empty dict 'scores' (name -> three scores)"
    return scores


def check_format(report: dict) -> None:
    from vae_tutorial import LIKELIHOODS

    scores = _scores(report)
    unknown = [h for h in scores if h not in LIKELIHOODS]
    assert not unknown, f"unknown heads {unknown}: use the names of vae_tutorial.LIKELIHOODS"
    assert len(scores) >= 4, "compare at least four likelihoods"
    discrete = [h for h in scores if LIKELIHOODS[h].discrete]
    assert len(discrete) >= 2 and len(scores) - len(discrete) >= 2, \
        "include at least two discrete and two continuous likelihoods"
    n_seeds = len(BUDGET["seeds"])  # type: ignore[arg-type]
    for h, values in scores.items():
        assert isinstance(values, list) and len(values) == n_seeds, \
            f"{h}: give one score per seed, {n_seeds} in all (seeds {BUDGET['seeds']})"
    assert report.get("choice") in scores, "'choice' must be one of the scored likelihoods"


def check_yardstick(report: dict) -> None:
    top = math.log2(17)
    for h, values in _scores(report).items():
        for v in values:
            assert isinstance(v, (int, float)) and math.isfinite(v), f"{h}: a score is not finite"
            assert 0 < v < top, (
                f"{h}: a score outside (0, log2 17): bits/dim of the discrete levels are "
                "positive and below the uniform distribution's; use test_bits_per_dim"
            )


def check_reproduces(report: dict) -> None:
    choice = report["choice"]
    first_seed = BUDGET["seeds"][0]  # type: ignore[index]
    again = score(choice, first_seed)
    reported = _scores(report)[choice][0]
    assert abs(again - reported) <= REPRODUCE_TOL, (
        f"{choice}, seed {first_seed}: the retrained score differs from the reported one by "
        f"{abs(again - reported):.3f} bits/dim; train with the stated budget and score with "
        "the grader's score() or exactly as it does"
    )


def check_choice(report: dict) -> None:
    scores = _scores(report)
    means = {h: sum(v) / len(v) for h, v in scores.items()}
    best = min(means, key=means.get)  # type: ignore[arg-type]
    v = scores[best]
    sd = math.sqrt(sum((x - means[best]) ** 2 for x in v) / max(len(v) - 1, 1))
    assert means[report["choice"]] <= means[best] + max(2 * sd, 0.01), (
        "the chosen likelihood is worse than the best one by more than the seed-to-seed spread: "
        "the numbers do not support the choice"
    )


REQUIREMENTS: list[Requirement] = [
    Requirement("format", 10, "four or more heads, two discrete and two continuous, three seeds",
                check_format),
    Requirement("yardstick", 10, "every score is a bits/dim of the discrete levels",
                check_yardstick),
    Requirement("reproduces", 30, "the chosen head's seed-0 score reproduces", check_reproduces),
    Requirement("choice", 20, "the choice is the best, or within the seed spread of it",
                check_choice),
]


def names() -> list[str]:
    """The requirements' names, in order."""
    return [r.name for r in REQUIREMENTS]


def run(name: str, report: dict) -> None:
    """Run one requirement; raises AssertionError (with a hint) when it fails."""
    {r.name: r for r in REQUIREMENTS}[name].check(report)


def grade(report: dict, verbose: bool = True, skip: tuple[str, ...] = ()) -> int:
    """Run the requirements (except ``skip``) and return the points earned (out of 70)."""
    total = 0
    for r in REQUIREMENTS:
        if r.name in skip:
            continue
        try:
            r.check(report)
        except Exception as err:  # a malformed report may raise anything
            if verbose:
                print(f"  FAIL {r.name:10s} 0/{r.points:<3d} {type(err).__name__}: {err}")
            continue
        total += r.points
        if verbose:
            print(f"  pass {r.name:10s} {r.points}/{r.points}")
    if verbose:
        print(f"autograded score: {total}/{sum(r.points for r in REQUIREMENTS)}")
    return total
