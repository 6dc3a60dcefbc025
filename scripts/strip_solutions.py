"""Write solution-free copies of chapters, for setting exercises as coursework.

Usage: ``python scripts/strip_solutions.py [NB ...] [--out DIR]`` (default: every chapter under
``book/``, written to ``students/<same path>``, e.g. ``students/book/zoo/beta.ipynb``).

In each copy

* every ``{solution}`` block is removed from its Markdown cell (the exercise stays);
* a solution written across cells (``{solution-start}`` ... ``{solution-end}``) is removed with
  every cell in between, code cells included, with their outputs;
* a cell that is left empty is dropped, and a note at the top says that solutions were removed.

The rest of the notebook (text, code, stored outputs) is unchanged, so the copy builds and runs
as the chapter does. The lecturer's guide (``book/reference/lecturers_guide.md``) explains how to
hand the copies out; ``tests/test_strip_solutions.py`` checks that no solution survives.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTE = (
    "*This copy of the chapter has its exercise solutions removed, for coursework. The full "
    "chapter is in the book.*"
)
# a fenced {solution} block: the opening fence (3+ backticks or colons) up to the same fence
SOLUTION = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution\}[^\n]*\n.*?^(?P=fence)[ \t]*$\n?",
                      re.S | re.M)
START = re.compile(r"^(`{3,}|:{3,})\{solution-start\}", re.M)
END = re.compile(r"^(`{3,}|:{3,})\{solution-end\}[^\n]*\n\1[ \t]*$\n?", re.M)


def strip(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """Return ``nb`` without solutions, and how many solutions were removed."""
    cells, removed, inside = [], 0, False
    for cell in nb.cells:
        src = cell.source
        if inside:
            if cell.cell_type == "markdown" and (m := END.search(src)):
                inside = False
                src = src[m.end():]
            else:
                continue
        if cell.cell_type == "markdown":
            src, n = SOLUTION.subn("", src)
            removed += n
            if m := START.search(src):
                removed += 1
                rest = src[m.start():]
                src = src[: m.start()]
                if e := END.search(rest):  # start and end in one cell
                    src += rest[e.end():]
                else:
                    inside = True
            src = re.sub(r"\n{3,}", "\n\n", src).strip("\n")
            if not src.strip():
                continue
        new = cell.copy()
        new.source = src
        cells.append(new)
    if inside:
        raise ValueError("a {solution-start} has no {solution-end}")
    out = nb.copy()
    out.cells = cells
    if removed:
        first = out.cells[0]
        if first.cell_type == "markdown" and first.source.startswith("# "):
            title, _, rest = first.source.partition("\n")
            first.source = f"{title}\n\n{NOTE}\n{rest}"
        else:
            out.cells.insert(0, nbformat.v4.new_markdown_cell(NOTE))
    return out, removed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "students")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(
        p for p in (ROOT / "book").rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts
    )
    for path in paths:
        path = path.resolve()
        nb, removed = strip(nbformat.read(path, as_version=4))
        rel = path.relative_to(ROOT) if path.is_relative_to(ROOT) else Path(path.name)
        target = args.out / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)
        print(f"{rel}: {removed} solutions removed -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
