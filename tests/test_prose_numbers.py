"""Numbers in the prose come from outputs: a typed decimal in a chapter's Markdown fails here.

A chapter quotes a computed number with myst-nb's glue: ``vae_tutorial.glue("name", value, 3)``
in a code cell and ``{glue:text}`name``` in the Markdown. A decimal number that is a setting or a
constant rather than a result (a floor of 0.018, a probability of 0.5) is allowed only when
``tests/prose_numbers_allowed.json`` lists it, for that page or for every page (``"*"``), with the
reason. Math (``$...$``), inline code and code blocks, glue roles, links and labels are not prose.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
ALLOWED: dict[str, dict[str, str]] = json.loads(
    (Path(__file__).with_name("prose_numbers_allowed.json")).read_text()
)
PAGES = sorted(
    p
    for p in list(BOOK.rglob("*.ipynb")) + list(BOOK.rglob("*.md"))
    if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts
)

NOT_PROSE = re.compile(
    r"\$\$.*?\$\$|\$[^$\n]*\$"  # display and inline math
    r"|\{glue[^}]*\}`[^`]*`"  # glue roles
    r"|`[^`]*`"  # inline code and other roles' targets
    r"|\]\([^)]*\)|https?://\S+"  # link targets and bare URLs
    r"|^:[\w-]+:[^\n]*$",  # directive options (:label:, :class:)
    flags=re.S | re.M,
)
FENCE = re.compile(r"^\s*(`{3,}|:{3,})\s*(\{[\w:-]+\})?(.*)$")
DECIMAL = re.compile(r"(?<![\w.])\d+\.\d+(?!\w|\.\d)")  # "2.43." counts; "1.2.3" does not


def strip_code_blocks(text: str) -> str:
    """Drop fenced code blocks; keep the bodies of MyST directives (```{exercise}) as prose.

    Fences nest: a closing fence has the opening one's character and at least its length and no
    info string (CommonMark). ``{code-cell}`` and ``{code-block}`` directives are code.
    """
    kept: list[str] = []
    stack: list[tuple[str, int, bool]] = []  # (fence char, length, is code)
    for line in text.splitlines():
        m = FENCE.match(line)
        if m:
            fence, directive, info = m.group(1), m.group(2), m.group(3).strip()
            top = stack[-1] if stack else None
            closes = (
                top is not None
                and not directive
                and not info
                and fence[0] == top[0]
                and len(fence) >= top[1]
            )
            if closes:
                stack.pop()
                continue
            if top is None or not top[2]:  # an opening fence (inside code, just code)
                is_code = directive is None or directive.startswith(("{code", "{math"))
                stack.append((fence[0], len(fence), is_code))
                continue
        if not any(is_code for _, _, is_code in stack):
            kept.append(line)
    return "\n".join(kept)


def prose_of(path: Path) -> str:
    """The page's Markdown without code blocks (directive bodies are kept)."""
    if path.suffix == ".ipynb":
        nb = nbformat.read(path, as_version=4)
        text = "\n\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    else:
        text = path.read_text()
    return strip_code_blocks(text)


def typed_decimals(path: Path) -> list[str]:
    return DECIMAL.findall(NOT_PROSE.sub(" ", prose_of(path)))


def test_allow_list_has_reasons() -> None:
    for page, numbers in ALLOWED.items():
        assert page == "*" or (ROOT / page).exists(), f"allow-list names a missing page {page}"
        for number, reason in numbers.items():
            assert DECIMAL.fullmatch(number), f"{page}: {number!r} is not a decimal number"
            assert len(reason.split()) >= 3, f"{page}: {number} needs a reason, not {reason!r}"


def test_detector_finds_typed_numbers() -> None:
    text = (
        "The model reaches 2.43 bits/dim; $x = 0.25$, {glue:text}`bpd` and `1.5` are fine.\n"
        "```python\nprint(3.14)\n```\n"
        "````{exercise}\n:label: ex-1\nShow 7.25 is wrong.\n```python\nx = 9.5\n```\n````\n"
        "```{math}\n2.75\n```\nAfter 6.5. Version 1.2.3 is not a result."
    )
    assert DECIMAL.findall(NOT_PROSE.sub(" ", strip_code_blocks(text))) == ["2.43", "7.25", "6.5"]


@pytest.mark.parametrize("path", PAGES, ids=lambda p: str(p.relative_to(BOOK)))
def test_no_typed_decimal_in_prose(path: Path) -> None:
    rel = str(path.relative_to(ROOT))
    allowed = {**ALLOWED.get("*", {}), **ALLOWED.get(rel, {})}
    typed = [n for n in typed_decimals(path) if n not in allowed]
    assert not typed, (
        f"{rel}: decimal numbers typed into the prose: {sorted(set(typed))}. Insert computed "
        "values with vae_tutorial.glue + {glue:text}, or list a setting/constant with its reason "
        "in tests/prose_numbers_allowed.json"
    )


def test_glue_rounds_to_plain_numbers() -> None:
    """Glued values print as numbers: numpy and torch scalars become rounded plain floats."""
    import numpy as np
    import torch

    from vae_tutorial import glue

    for value in (np.float64(0.123456), torch.tensor(0.123456), 0.123456):
        out = glue("test_value", value, 2)
        assert type(out) is float and repr(out) == "0.12"
