"""The registry of heads: a ``dict`` whose unknown keys get an error that lists the valid names."""

from __future__ import annotations

from typing import Any


class UnknownLikelihoodError(KeyError, ValueError):
    """An unknown head name: a ``KeyError`` (dict behaviour) that is also a ``ValueError``."""

    def __str__(self) -> str:  # KeyError would show the message with quotes around it
        return str(self.args[0]) if self.args else ""


class HeadRegistry(dict):
    """``name -> head class``, exactly a ``dict`` except that ``registry[unknown]`` raises
    :class:`UnknownLikelihoodError` naming the valid names (``get``, ``in`` and iteration are
    unchanged)."""

    def __missing__(self, key: Any) -> Any:
        names = ", ".join(sorted(self))
        hint = ""
        close = [name for name in self if isinstance(key, str) and key and name.startswith(key)]
        if close:
            hint = f" (did you mean {' or '.join(repr(n) for n in close)}?)"
        raise UnknownLikelihoodError(f"unknown likelihood {key!r}{hint}; valid names: {names}")
