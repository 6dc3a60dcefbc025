"""Assertions shared by the checker tests of Parts III to V: a wrong answer gets a hint, and no
message shows the reference answer."""

from __future__ import annotations

import re

from vae_tutorial.exercises import Verdict, check


def verdict(label: str, answer: object) -> Verdict:
    """The checker's verdict, without printing it."""
    return check(label, answer, quiet=True)


def no_leak(v: Verdict, *secrets: float) -> None:
    """No number in the message equals a secret (to its printed precision)."""
    numbers = [float(t) for t in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?:e\d+)?", v.message)]
    for s in secrets:
        assert all(abs(x - s) > 5e-3 * max(1.0, abs(s)) for x in numbers), (s, v.message)


def wrong(label: str, answer: object, *secrets: float, says: str | None = None) -> None:
    """The answer is judged wrong, with a hint (containing ``says``) that leaks no secret."""
    v = verdict(label, answer)
    assert v.status == "wrong", (label, answer, v)
    assert len(v.message) > 20  # a hint, not just a verdict
    if says is not None:
        assert says in v.message, v.message
    no_leak(v, *secrets)
