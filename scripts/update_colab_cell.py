"""Rewrite the hidden Colab cell of every chapter in ``book/`` (run once after a release change).

Usage: ``python scripts/update_colab_cell.py [--check] [NB ...]``.

The cell installs the companion package from the pinned release (``TAG`` in
``scripts/make_reader_copies.py``) with ``--no-deps``, so Colab keeps its own torch, NumPy,
scikit-learn and matplotlib; a chapter that reads results of earlier chapters also downloads
those files from the release. Outside Colab the cell does nothing, so its (empty) output and the
notebook's other outputs stay valid: no re-execution is needed. Only the cell's source changes.
``--check`` changes nothing and exits 1 when a notebook's cell differs.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_reader_copies import ROOT, colab_cell_source, is_colab_cell  # noqa: E402


def update(path: Path, check: bool) -> bool:
    """True when the notebook's Colab cell is (now) the canonical one."""
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if is_colab_cell(c)]
    if len(cells) != 1:
        print(f"{path}: expected one Colab cell, found {len(cells)}", file=sys.stderr)
        return False
    wanted = colab_cell_source(nb, path.resolve())
    if cells[0].source == wanted:
        return True
    if check:
        print(f"{path}: Colab cell is out of date", file=sys.stderr)
        return False
    cells[0].source = wanted
    nbformat.write(nb, path)
    print(f"{path}: Colab cell updated")
    return True


def main(argv: list[str]) -> int:
    check = "--check" in argv
    paths = [Path(a) for a in argv if a != "--check"] or sorted((ROOT / "book").rglob("*.ipynb"))
    ok = [update(p, check) for p in paths if ".ipynb_checkpoints" not in p.parts]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
