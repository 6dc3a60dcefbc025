"""Checkers for the exercises of Part III, evaluation and choice."""

from __future__ import annotations

from collections.abc import Callable

from .kinds import Verdict

__all__ = ["CHECKERS"]

CHECKERS: dict[str, Callable[[str, object], Verdict]] = {}
