"""book/reference/own_model.md: every Python block runs as printed, in order, on a fresh
namespace (the examples assert what they claim: the ELBO improves, the bits beat a fair coin)."""

from __future__ import annotations

import re
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "book" / "reference" / "own_model.md"


def python_blocks(text: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", text, flags=re.S | re.M)


def test_page_is_in_the_table_of_contents() -> None:
    toc = (PAGE.parents[2] / "_toc.yml").read_text(encoding="utf-8")
    assert "book/reference/own_model" in toc


def test_examples_run(capsys) -> None:
    blocks = python_blocks(PAGE.read_text(encoding="utf-8"))
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, str(PAGE), "exec"), {"__name__": "own_model_example"})
    out = capsys.readouterr().out
    assert "ELBO per wine" in out and "bits per feature" in out
