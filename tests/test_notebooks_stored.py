"""nbval compares only cells that were executed and stored: check every notebook has them."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

BOOK = Path(__file__).resolve().parents[1] / "book"
NOTEBOOKS = sorted(p for p in BOOK.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS, "no notebooks found under book/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(BOOK)))
def test_every_code_cell_executed_and_stored(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    counts = [c.execution_count for c in code]
    missing = [i for i, n in enumerate(counts) if n is None]
    assert not missing, f"{path.name}: code cells {missing} were never executed (nbval skips them)"
    assert counts == list(range(1, len(code) + 1)), (
        f"{path.name}: execution counts {counts} are not 1..{len(code)}: re-run it top to bottom "
        "with `make notebooks NB=...`"
    )
    for i, cell in enumerate(code):
        tags = cell.metadata.get("tags", [])
        for out in cell.outputs:
            if "raises-exception" not in tags:
                assert out.output_type != "error", f"{path.name}: cell {i} stored an error"
    source = "\n".join(c.source for c in code)
    assert "assert " in source, f"{path.name}: no assert, so a wrong result would still pass"
    assert "setup_notebook(" in source, f"{path.name}: does not start with setup_notebook()"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(BOOK)))
def test_tolerances_are_explained(path: Path) -> None:
    """A cell compared with a numeric tolerance (tests/nbval_tolerance.py) says why."""
    from nbval_tolerance import tolerant_cells

    for index, abs_tol, rel_tol, why in tolerant_cells(path):
        assert abs_tol > 0 or rel_tol > 0, f"{path.name}: code cell {index} has a zero tolerance"
        assert len(why.split()) >= 4, f"{path.name}: code cell {index}: explain the tolerance"
