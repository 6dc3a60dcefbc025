"""Every exercise carries a tier and the learning objectives it serves; every objective is used.

A chapter opens with its objectives, right under its title:

    **Learning objectives.** After this chapter you can:

    - **O1** derive ...
    - **O2** ...

and each ``{exercise}`` starts with a line such as
``*Tier ★★ derive or implement · Objectives O1, O2*``
(★ recall, ★★ derive or implement, ★★★ open-ended investigation). An exercise that mentions
``check("label", ...)`` must name a label that has a checker in ``vae_tutorial.exercises``.

The test runs over every chapter of the book; it is *required* for the chapters in ``REQUIRED``
and reported (skipped) for the others until they are labelled: add a chapter to ``REQUIRED``
when its exercises are.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from vae_tutorial.exercises import CHECKERS

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
REQUIRED = {
    "book/foundations/what_is_p_x_given_z.ipynb",
    "book/foundations/exact_model.ipynb",
    "book/foundations/elbo.ipynb",
    "book/foundations/encoder_reparameterization.ipynb",
    "book/foundations/decoder_is_a_distribution.ipynb",
    "book/zoo/bernoulli.ipynb",
    "book/zoo/continuous_bernoulli.ipynb",
    "book/zoo/gaussian.ipynb",
    "book/zoo/laplace_student_t.ipynb",
    "book/zoo/beta.ipynb",
    "book/zoo/categorical.ipynb",
    "book/zoo/discretized_logistic.ipynb",
    "book/zoo/discretized_real_line.ipynb",
    "book/zoo/counts.ipynb",
    "book/evaluation/estimating_log_px.ipynb",
    "book/evaluation/fair_comparison.ipynb",
    "book/evaluation/shootout.ipynb",
    "book/evaluation/shootout_discrete.ipynb",
    "book/evaluation/shootout_best.ipynb",
    "book/evaluation/posterior_collapse.ipynb",
    "book/nonfactorized/correlated_gaussians.ipynb",
    "book/nonfactorized/autoregressive.ipynb",
    "book/nonfactorized/ignoring_z.ipynb",
    "book/tables/likelihood_per_column.ipynb",
    "book/tables/zero_inflation.ipynb",
    "book/tables/missing_values.ipynb",
}
CHAPTERS = sorted(
    p.relative_to(ROOT).as_posix()
    for p in BOOK.rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts
)

EXERCISE = re.compile(r"^(`{3,})\{exercise\}[^\n]*\n:label: ([\w-]+)\n(.*?)^\1\s*$", re.S | re.M)
TIER = re.compile(r"\*Tier (★{1,3}) [^·*]+· Objectives? (O\d+(?:, O\d+)*)\*")
OBJECTIVE = re.compile(r"^- \*\*(O\d+)\*\* ", re.M)
CHECK = re.compile(r"check\(\\?\"([\w-]+)\\?\"")


def markdown(path: str) -> list[str]:
    nb = nbformat.read(ROOT / path, as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "markdown"]


def parse(path: str) -> tuple[list[str], dict[str, tuple[str, list[str]] | None], set[str], str]:
    cells = markdown(path)
    first = cells[0] if cells else ""
    objectives = OBJECTIVE.findall(first) if "Learning objectives" in first else []
    exercises: dict[str, tuple[str, list[str]] | None] = {}
    checks: set[str] = set()
    for src in cells:
        for _, label, body in EXERCISE.findall(src):
            m = TIER.search(body)
            exercises[label] = (m.group(1), m.group(2).split(", ")) if m else None
            checks.update(CHECK.findall(body))
    return objectives, exercises, checks, first


@pytest.mark.parametrize("path", CHAPTERS)
def test_exercises_have_tiers_and_objectives(path: str) -> None:
    objectives, exercises, checks, first = parse(path)
    if path not in REQUIRED:
        if not exercises or all(v is None for v in exercises.values()):
            pytest.skip("chapter not labelled yet (add it to REQUIRED when it is)")
    assert exercises, f"{path}: no exercises found"
    assert objectives, f"{path}: no learning objectives under the title"
    assert first.lstrip().startswith("# ") and first.index("Learning objectives") < 400 + len(
        first.split("\n", 1)[0]
    ), f"{path}: the objectives should open the chapter, right under its title"
    assert objectives == [f"O{i}" for i in range(1, len(objectives) + 1)], objectives
    unlabelled = [label for label, v in exercises.items() if v is None]
    assert not unlabelled, f"{path}: exercises without a tier and objective: {unlabelled}"
    used: set[str] = set()
    for label, (_, objs) in exercises.items():  # type: ignore[misc]
        unknown = set(objs) - set(objectives)
        assert not unknown, f"{path}: {label} names objectives the chapter lacks: {unknown}"
        used.update(objs)
    unused = [o for o in objectives if o not in used]
    assert not unused, f"{path}: objectives no exercise practises: {unused}"
    missing = checks - set(CHECKERS)
    assert not missing, f"{path}: check() labels without a checker: {missing}"


def test_every_checker_is_announced_in_the_book() -> None:
    """Each checker in the package is mentioned by the exercise it checks."""
    announced: set[str] = set()
    for path in CHAPTERS:
        announced |= parse(path)[2]
    assert set(CHECKERS) <= announced, set(CHECKERS) - announced


GUIDE_ROW = re.compile(r"^\| `([\w-]+)` \| (★{1,3}) \| (O\d+(?:, O\d+)*) \|", re.M)


def test_lecturers_guide_matches_the_chapters() -> None:
    """Every exercise of a labelled chapter has a row in the lecturer's guide with its tier and
    objectives as the chapter states them, and the guide lists no exercise that does not exist."""
    rows = {
        label: (tier, objs.split(", "))
        for label, tier, objs in GUIDE_ROW.findall(
            (BOOK / "reference" / "lecturers_guide.md").read_text()
        )
    }
    everywhere: set[str] = set()
    for path in CHAPTERS:
        _, exercises, _, _ = parse(path)
        everywhere |= set(exercises)
        if path not in REQUIRED:
            continue
        for label, value in exercises.items():
            assert label in rows, f"{path}: {label} has no row in the lecturer's guide"
            assert rows[label] == value, f"{label}: guide says {rows[label]}, chapter {value}"
    assert set(rows) <= everywhere, set(rows) - everywhere
