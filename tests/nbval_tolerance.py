r"""Numeric tolerance for nbval, per cell: what the hardware can move is compared with a margin.

nbval compares a cell's stored outputs with the new ones as strings. That is right for what the
maths fixes (closed forms, identities, facts about the data), and wrong for what a training run
produces: another processor's vectorised kernels change the rounding, and a trained result moves
by more than its printed precision. A cell opts in with metadata that states the tolerance and why::

    "nbval": {"abs_tol": 0.05, "why": "test bits/dim of a trained model; seed sd is 0.02"}

(``rel_tol`` is also accepted). ``"outputs": [1]`` limits the tolerance to those outputs (indices
into the cell's stored outputs, from 0), so that a cell printing a fact about the data and gluing
one trained number keeps the fact exact. For such a cell, every stored text output
(``text/plain``, streams, glued values) and its new counterpart must agree *exactly* once each
number is replaced by a placeholder and runs of white space are folded (so the words, the layout
of a table and the count of numbers are still checked), and each pair of numbers must satisfy
:math:`|a_\mathrm{new} - a_\mathrm{stored}| \le \mathrm{abs} + \mathrm{rel}\,|a_\mathrm{stored}|`.
When they do, the new output is replaced by the stored one before nbval's own comparison, so the
cell passes; when they do not, nbval reports the difference as usual. Cells without the metadata
are compared exactly, as before. The ``why`` is required, so ``tolerant_cells`` can list every
tolerance with its reason.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat

NUMBER = re.compile(r"[-+]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][-+]?\d+)?|[-+]?(?:inf|nan)\b")
SPACE = re.compile(r"\s+")


def tolerance_of(cell: Any) -> tuple[float, float] | None:
    """``(abs_tol, rel_tol)`` from the cell's ``nbval`` metadata, or None for an exact cell."""
    spec = cell.get("metadata", {}).get("nbval", {})
    if not spec or ("abs_tol" not in spec and "rel_tol" not in spec):
        return None
    if not str(spec.get("why", "")).strip():
        raise ValueError("a cell with an nbval tolerance must say why (metadata nbval.why)")
    abs_tol, rel_tol = float(spec.get("abs_tol", 0.0)), float(spec.get("rel_tol", 0.0))
    if abs_tol < 0 or rel_tol < 0:
        raise ValueError(f"nbval tolerances must be >= 0, got abs {abs_tol}, rel {rel_tol}")
    return abs_tol, rel_tol


def tolerant_outputs(cell: Any) -> set[int] | None:
    """Indices of the outputs the tolerance applies to (``nbval.outputs``), or None for all."""
    spec = cell.get("metadata", {}).get("nbval", {})
    if "outputs" not in spec:
        return None
    indices = spec["outputs"]
    if not isinstance(indices, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in indices
    ):
        raise ValueError(f"nbval.outputs must be a list of output indices >= 0, got {indices!r}")
    return set(indices)


def skeleton(text: str) -> str:
    """The text with every number replaced by ``#`` and white space folded."""
    return SPACE.sub(" ", NUMBER.sub("#", text)).strip()


def numbers_close(new: str, stored: str, abs_tol: float, rel_tol: float) -> bool:
    """True when the texts differ only in numbers, each within the tolerance."""
    if skeleton(new) != skeleton(stored):
        return False
    for a, b in zip(NUMBER.findall(new), NUMBER.findall(stored), strict=True):
        x, y = float(a), float(b)
        if math.isnan(x) or math.isnan(y):
            if not (math.isnan(x) and math.isnan(y)):
                return False
        elif math.isinf(x) or math.isinf(y):
            if x != y:
                return False
        elif abs(x - y) > abs_tol + rel_tol * abs(y):
            return False
    return True


def _text_fields(output: dict) -> Iterator[tuple[dict, str]]:
    """(container, key) of every string field that nbval compares in one output."""
    if isinstance(output.get("text"), str):
        yield output, "text"
    for key, value in output.get("data", {}).items():
        if isinstance(value, str) and not key.startswith("image/"):
            yield output["data"], key


def align(
    new_outputs: list,
    stored_outputs: list,
    abs_tol: float,
    rel_tol: float,
    only: set[int] | None = None,
) -> list:
    """New outputs with each text that is within tolerance of its stored twin replaced by it.

    Outputs are paired in order (same count and output types); anything that does not pair is
    left as it is, for nbval to report. With ``only``, outputs whose index is not in it are left
    as they are too (compared exactly).
    """
    if len(new_outputs) != len(stored_outputs):
        return new_outputs
    aligned = []
    for index, (new, stored) in enumerate(zip(new_outputs, stored_outputs, strict=True)):
        new = nbformat.from_dict(dict(new))
        if "data" in new:
            new["data"] = dict(new["data"])
        if (only is None or index in only) and new.get("output_type") == stored.get(
            "output_type"
        ):
            stored_fields = dict((key, box[key]) for box, key in _text_fields(stored))
            for box, key in list(_text_fields(new)):
                ref = stored_fields.get(key)
                if isinstance(ref, str) and numbers_close(box[key], ref, abs_tol, rel_tol):
                    box[key] = ref
        aligned.append(new)
    return aligned


def tolerant_cells(path: Path) -> list[tuple[int, float, float, str]]:
    """Every cell of a notebook with a tolerance: (code cell index, abs_tol, rel_tol, why)."""
    nb = nbformat.read(path, as_version=4)
    rows = []
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, cell in enumerate(code):
        tol = tolerance_of(cell)
        if tol is not None:
            rows.append((i, tol[0], tol[1], cell.metadata["nbval"]["why"]))
    return rows


def install() -> None:
    """Wrap nbval's ``IPyNbCell.compare_outputs`` (called from the root ``conftest.py``)."""
    from nbval.plugin import IPyNbCell

    if getattr(IPyNbCell.compare_outputs, "_with_tolerance", False):
        return
    original = IPyNbCell.compare_outputs

    def compare_outputs(self: Any, test: list, ref: list, skip_compare: Any = None) -> bool:
        tol = tolerance_of(self.cell)
        if tol is not None:
            test = align(test, ref, *tol, only=tolerant_outputs(self.cell))
        return original(self, test, ref, skip_compare)

    compare_outputs._with_tolerance = True  # type: ignore[attr-defined]
    IPyNbCell.compare_outputs = compare_outputs


def pytest_configure(config: Any) -> None:
    """Also usable as a plugin: ``pytest -p nbval_tolerance`` (with ``tests/`` on the path)."""
    install()
