"""scripts/strip_solutions.py: solution-free copies keep every exercise and lose every solution."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts/strip_solutions.py"
spec = importlib.util.spec_from_file_location("strip_solutions", SCRIPT)
strip_solutions = importlib.util.module_from_spec(spec)
spec.loader.exec_module(strip_solutions)  # type: ignore[union-attr]

CHAPTERS = sorted(
    p.relative_to(ROOT).as_posix() for p in (ROOT / "book").rglob("*.ipynb")
    if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts
)


def _text(nb) -> str:
    return "\n".join(c.source for c in nb.cells)


@pytest.mark.parametrize("path", CHAPTERS)
def test_no_solution_survives(path: str) -> None:
    nb = nbformat.read(ROOT / path, as_version=4)
    before = _text(nb)
    out, removed = strip_solutions.strip(nb)
    after = _text(out)
    n_solutions = len(re.findall(r"\{solution(?:-start)?\}", before))
    assert removed == n_solutions
    assert "{solution" not in after
    assert len(re.findall(r"\{exercise\}", after)) == len(re.findall(r"\{exercise\}", before))
    for label in re.findall(r":label: ([\w-]+)", before):  # exercises, theorems, ... remain
        if f"{{solution}} {label}" not in before and f"{{solution-start}} {label}" not in before:
            assert f":label: {label}" in after
    assert before == _text(nbformat.read(ROOT / path, as_version=4))  # the chapter is untouched
    nbformat.validate(out)


def test_multi_cell_solution_removes_its_code() -> None:
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        md("# Title\n\nText."),
        md("```{exercise}\n:label: t-ex-1\n\nDo it.\n```\n\n```{solution-start} t-ex-1\n"
           ":class: dropdown\n```\n\nFirst the fit."),
        code("secret_answer = 42"),
        md("So it is 42.\n\n```{solution-end}\n```\n\n````{solution} t-ex-1\n:class: dropdown\n\n"
           "```python\nprint(1)\n```\n\nDone.\n````\n\nAfter the solutions."),
        code("print('chapter code stays')"),
    ])
    out, removed = strip_solutions.strip(nb)
    text = _text(out)
    assert removed == 2
    assert "secret_answer" not in text and "42" not in text and "print(1)" not in text
    assert "Do it." in text and "After the solutions." in text and "chapter code stays" in text
    assert out.cells[0].source.startswith("# Title\n\n*This copy")


def test_unterminated_solution_is_an_error() -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "```{solution-start} x\n```\n\nno end")])
    with pytest.raises(ValueError, match="solution-end"):
        strip_solutions.strip(nb)


def test_command_writes_copies(tmp_path: Path) -> None:
    src = ROOT / "book/foundations/exact_model.ipynb"
    assert strip_solutions.main([str(src), "--out", str(tmp_path)]) == 0
    copy = nbformat.read(tmp_path / "book/foundations/exact_model.ipynb", as_version=4)
    assert "{solution" not in _text(copy)
    assert "Ls = [1, 2, 4, 8, 16, 32, 48, 56]" not in _text(copy)  # exact-ex-2's solution cell
