"""The reader copies (readers/) are in sync with the chapters and free of MyST syntax.

``scripts/make_reader_copies.py`` writes them; the book's Binder and Colab buttons open them.
After editing a chapter, run ``make readers`` and commit readers/.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from make_reader_copies import (  # noqa: E402
    PACKAGE_SPEC,
    TAG,
    diff_trees,
    is_colab_cell,
    toc_pages,
    write_all,
)

READERS = ROOT / "readers"
# Whatever Jupyter or Colab would show as raw text.
RAW_MYST = {
    "role": re.compile(r"\{[\w:-]+\}`"),
    "directive": re.compile(r"^[ \t>]*(`{3,}|:{3,})[ \t]*\{", re.MULTILINE),
    "label": re.compile(r"^[ \t>]*\([\w.:-]+\)=[ \t]*$", re.MULTILINE),
    "option": re.compile(r"^[ \t>]*:(label|class|name|nonumber|hidden|width|align):", re.MULTILINE),
    "substitution": re.compile(r"\{\{[^}]*\}\}"),
}


def chapters() -> list[str]:
    return [p for p in toc_pages() if (ROOT / f"{p}.ipynb").is_file()]


@pytest.fixture(scope="module")
def copies() -> dict[str, nbformat.NotebookNode]:
    return {p: nbformat.read(READERS / f"{p}.ipynb", as_version=4) for p in chapters()}


def test_reader_copies_are_up_to_date(tmp_path: Path) -> None:
    fresh = tmp_path / "readers"
    problems = diff_trees(fresh, READERS, write_all(fresh))
    assert not problems, (
        "readers/ is out of date: run `make readers` (python scripts/make_reader_copies.py) "
        "and commit readers/.\n" + "\n".join(problems[:20])
    )


def test_no_myst_syntax_left(copies: dict[str, nbformat.NotebookNode]) -> None:
    found = []
    for page, nb in copies.items():
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "markdown":
                continue
            # Code shown in Markdown (```python blocks, `inline`) may contain anything.
            text = re.sub(r"^([ \t>]*)(`{3,})(?!\s*\{).*?^\1\2[ \t]*$", "", cell.source,
                          flags=re.MULTILINE | re.DOTALL)
            for kind, pattern in RAW_MYST.items():
                for m in pattern.finditer(text):
                    found.append(f"{page} cell {i}: {kind} {text[m.start():m.end() + 40]!r}")
    assert not found, "raw MyST syntax in reader copies:\n" + "\n".join(found[:30])


def test_solutions_are_folded(copies: dict[str, nbformat.NotebookNode]) -> None:
    for page, nb in copies.items():
        source = nbformat.read(ROOT / f"{page}.ipynb", as_version=4)
        n_solutions = sum(c.source.count("{solution}") for c in source.cells
                          if c.cell_type == "markdown")
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
        assert text.count("<details>") == text.count("</details>") >= n_solutions, page
        for block in re.findall(r"<details>(.*?)</details>", text, re.DOTALL):
            assert "<summary>" in block, f"{page}: a solution without a summary line"


def test_colab_cell_installs_the_release_without_deps(
    copies: dict[str, nbformat.NotebookNode],
) -> None:
    for page, nb in copies.items():
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert is_colab_cell(code[0]), f"{page}: the first code cell must be the Colab cell"
        src = code[0].source
        assert f'%pip install -q --no-deps "{PACKAGE_SPEC}"' in src, page
        assert "torch" not in src.replace("keep its torch", ""), f"{page}: touches torch"
        assert "remove-cell" not in code[0].metadata.get("tags", []), page


def test_chapter_colab_cells_are_current() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "update_colab_cell.py"),
                           "--check"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr


def test_launch_buttons_open_the_reader_copies() -> None:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert config["repository"]["path_to_book"] == "readers"
    assert "readers/**" in config["exclude_patterns"]
    assert TAG.startswith("v")


def test_conversion_of_each_construct() -> None:
    """Glued values, numbered boxes, folded solutions and roles, on a made-up chapter."""
    from make_reader_copies import Book, Chapter, Target, convert_markdown

    book = Book(
        titles={"book/zoo/x": "X", "book/zoo/y": "Why"},
        targets={"x-ex-1": Target("book/zoo/x", "Exercise 1"),
                 "y-thm": Target("book/zoo/y", "Theorem 3")},
        glue={"book/zoo/x": {"bpd": {"text/plain": "1.23456"}, "name": {"text/plain": "'gauss'"}}},
        bib={},
    )
    text = (
        "The {glue:text}`name` head scores {glue:text}`bpd:.2f` bits, see {prf:ref}`y-thm` "
        "and {func}`~vae_tutorial.evaluation.test_bits_per_dim`.\n\n"
        "```{exercise} Try it\n:label: x-ex-1\n\nCompute $$\na\n+ b\n$$\n```\n\n"
        "````{solution} x-ex-1\n:class: dropdown\n\n```python\nprint(1)\n```\n````\n"
    )
    out = convert_markdown(Chapter("book/zoo/x", book), text)
    assert "The gauss head scores 1.23 bits" in out
    assert "Theorem 3 of [Why](" in out
    assert "`test_bits_per_dim()`" in out
    assert "> **Exercise 1 (Try it).**" in out and "> Compute $$ a + b $$" in out
    assert "<summary><b>Solution to exercise 1</b>" in out and "```python\nprint(1)\n```" in out
