"""The per-cell numeric tolerance for nbval (tests/nbval_tolerance.py), unit and end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbval_tolerance import (
    align,
    numbers_close,
    skeleton,
    tolerance_of,
    tolerant_cells,
    tolerant_outputs,
)

ROOT = Path(__file__).resolve().parents[1]


def test_skeleton_folds_numbers_and_space() -> None:
    assert skeleton("bits/dim  2.431 +- 0.012\n") == skeleton("bits/dim 2.45 +- 0.1")
    assert skeleton("a 1e-3 b -4 c") == "a # b # c"
    assert skeleton("epochs 3") != skeleton("epoch 3")


@pytest.mark.parametrize(
    ("new", "stored", "ok"),
    [
        ("test 2.431", "test 2.431", True),
        ("test 2.449", "test 2.431", True),  # within 0.02
        ("test 2.452", "test 2.431", False),  # 0.021 away
        ("test 2.431 and 7", "test 2.431", False),  # one number more
        ("tost 2.431", "test 2.431", False),  # words differ
        ("x inf", "x inf", True),
        ("x nan", "x nan", True),
        ("x nan", "x 1.0", False),
        ("x -inf", "x inf", False),
        ("|  9.99 |", "| 10.01 |", True),  # a width change in a table is not a difference
    ],
)
def test_numbers_close_abs(new: str, stored: str, ok: bool) -> None:
    assert numbers_close(new, stored, abs_tol=0.02, rel_tol=0.0) is ok


def test_numbers_close_rel() -> None:
    assert numbers_close("1010", "1000", abs_tol=0.0, rel_tol=0.011)
    assert not numbers_close("1012", "1000", abs_tol=0.0, rel_tol=0.011)


def test_tolerance_needs_a_reason_and_sign() -> None:
    assert tolerance_of({"metadata": {}}) is None
    assert tolerance_of({"metadata": {"nbval": {"abs_tol": 0.1, "why": "trained"}}}) == (0.1, 0.0)
    with pytest.raises(ValueError, match="why"):
        tolerance_of({"metadata": {"nbval": {"abs_tol": 0.1}}})
    with pytest.raises(ValueError, match=">= 0"):
        tolerance_of({"metadata": {"nbval": {"rel_tol": -1, "why": "x"}}})


def test_align_replaces_only_close_texts() -> None:
    stored = [
        nbformat.v4.new_output("stream", name="stdout", text="bpd 2.431\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "0.5"}, execution_count=1),
    ]
    new = [
        nbformat.v4.new_output("stream", name="stdout", text="bpd 2.440\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "0.9"}, execution_count=1),
    ]
    out = align(new, stored, abs_tol=0.02, rel_tol=0.0)
    assert out[0]["text"] == "bpd 2.431\n"  # close: replaced by the stored text
    assert out[1]["data"]["text/plain"] == "0.9"  # not close: left for nbval to report
    assert new[0]["text"] == "bpd 2.440\n"  # the inputs are not modified


def test_align_only_the_listed_outputs() -> None:
    """``nbval.outputs``: a data fact in output 0 stays exact, a glued trained value is tolerant."""
    stored = [
        nbformat.v4.new_output("stream", name="stdout", text="blank pixels [0, 32, 39]\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "210.0"}),
    ]
    new = [
        nbformat.v4.new_output("stream", name="stdout", text="blank pixels [0, 33, 39]\n"),
        nbformat.v4.new_output("display_data", data={"text/plain": "190.0"}),
    ]
    out = align(new, stored, abs_tol=30.0, rel_tol=0.0, only={1})
    assert out[0]["text"] == "blank pixels [0, 33, 39]\n"  # not listed: compared exactly
    assert out[1]["data"]["text/plain"] == "210.0"  # listed and close
    everything = align(new, stored, abs_tol=30.0, rel_tol=0.0)
    assert everything[0]["text"] == "blank pixels [0, 32, 39]\n"


def test_tolerant_outputs_are_checked() -> None:
    assert tolerant_outputs({"metadata": {"nbval": {"abs_tol": 1, "why": "x"}}}) is None
    cell = {"metadata": {"nbval": {"abs_tol": 1, "why": "x", "outputs": [1, 2]}}}
    assert tolerant_outputs(cell) == {1, 2}
    for bad in (1, [-1], ["1"], [True]):
        with pytest.raises(ValueError, match="outputs"):
            tolerant_outputs({"metadata": {"nbval": {"abs_tol": 1, "why": "x", "outputs": bad}}})


def _notebook(tmp: Path, stored: str, printed: str, metadata: dict) -> Path:
    cell = nbformat.v4.new_code_cell(f"print({printed!r})", metadata=metadata, execution_count=1)
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=stored + "\n")]
    nb = nbformat.v4.new_notebook(cells=[cell])
    path = tmp / "tol.ipynb"
    nbformat.write(nb, path)
    return path


@pytest.mark.parametrize(
    ("metadata", "passes"),
    [
        ({"nbval": {"abs_tol": 0.02, "why": "a trained score"}}, True),
        ({"nbval": {"abs_tol": 0.001, "why": "a trained score"}}, False),
        ({}, False),
    ],
)
def test_nbval_end_to_end(tmp_path: Path, metadata: dict, passes: bool) -> None:
    """A real nbval run: stored 'score 2.431', the cell now prints 'score 2.44'."""
    path = _notebook(tmp_path, "score 2.431", "score 2.44", metadata)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--nbval",
            "--nbval-current-env",
            "--rootdir",
            str(ROOT),
            "-c",
            str(ROOT / "pyproject.toml"),
            "-p",
            "nbval_tolerance",
            str(path),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (proc.returncode == 0) is passes, proc.stdout[-2000:]


def test_tolerant_cells_lists_reasons(tmp_path: Path) -> None:
    path = _notebook(tmp_path, "x 1", "x 1", {"nbval": {"rel_tol": 0.1, "why": "trained"}})
    assert tolerant_cells(path) == [(0, 0.0, 0.1, "trained")]
