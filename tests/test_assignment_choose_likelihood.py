"""The likelihood-choice assignment's autograder: full marks for the reference, losses for the
typical faults (a fabricated score, a choice the numbers do not support, too few candidates).

The reference report is the stored output of the reference script (12 trainings take about 4 CPU
minutes); the "reproduces" requirement retrains its chosen likelihood, so a change to the
package that moves the reference's numbers fails here.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from assignment_solutions.reference_choose_likelihood import CANDIDATES, STORED

from vae_tutorial.autograders import choose_likelihood as grader

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def reference() -> dict:
    report = json.loads(STORED.read_text())
    assert sorted(report["scores"]) == sorted(CANDIDATES)
    return report


def test_reference_scores_full_marks(reference: dict) -> None:
    assert grader.grade(reference, verbose=False) == 70


def test_faults_lose_points(reference: dict) -> None:
    fake = copy.deepcopy(reference)
    fake["scores"][fake["choice"]][0] -= 0.1  # a better number than the run gives
    with pytest.raises(AssertionError, match="retrained"):
        grader.run("reproduces", fake)
    means = {h: sum(v) / len(v) for h, v in reference["scores"].items()}
    worst = max(means, key=means.get)
    with pytest.raises(AssertionError, match="do not support"):
        grader.run("choice", dict(reference, choice=worst))
    few = {"scores": dict(list(reference["scores"].items())[:3]), "choice": reference["choice"]}
    with pytest.raises(AssertionError):
        grader.run("format", few)
    nats = {"scores": {h: [v * 64 * 0.693 for v in vs] for h, vs in reference["scores"].items()},
            "choice": reference["choice"]}
    with pytest.raises(AssertionError, match="log2 17"):
        grader.run("yardstick", nats)


def test_student_grader_file_runs(reference: dict, tmp_path: Path) -> None:
    report = tmp_path / "choose_likelihood.json"
    report.write_text(json.dumps(reference))
    env = dict(os.environ, STUDENT_REPORT=str(report))
    out = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         str(ROOT / "book/assignments/grade_choose_likelihood.py")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    assert "4 passed" in out.stdout


def test_grade_without_retraining_on_a_bad_report() -> None:
    assert grader.grade({"scores": {}, "choice": None}, verbose=False, skip=("reproduces",)) == 0
