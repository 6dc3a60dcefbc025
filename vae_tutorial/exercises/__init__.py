r"""Checkers for the book's exercises: right, close or wrong, with a hint, never the answer.

A student calls ``check(label, answer)`` with the exercise's label as printed in the book (for
example ``check("decoder-dist-ex-2", 784)``). Three kinds of checker exist:

* **numeric**: the answer is a number or a tuple of numbers; "right" within a tolerance that
  states how exact the answer should be (exact arithmetic, or the Monte Carlo error of the
  experiment the exercise asks for), "close" within a wider one, "wrong" otherwise. Known typical
  mistakes (a missing factor, a sign, a mean instead of a sum) get their own hint.
* **code**: the answer is a function; the checker calls it on test inputs and compares its
  outputs with a reference implementation in this module. Outputs that differ from the reference
  by a sign, a constant or a factor are reported as such.
* **range**: the answer is the result of a training run with the seed and budget the exercise
  states; "right" when it lies in the range measured over several seeds.

The message never contains the reference value: it says how the answer relates to it (too
large, too small, off by a constant) and gives a hint. ``CHECKERS`` maps each label to its
checker; :func:`labels` lists them.

The checkers live with their part of the book, in the submodules ``foundations``, ``zoo``,
``evaluation`` and ``beyond`` (Parts IV and V); the kinds of checker are in ``kinds``.
"""

from __future__ import annotations

from collections.abc import Callable

from . import beyond, evaluation, foundations, zoo
from .kinds import Code, Numeric, Range, Verdict

__all__ = ["CHECKERS", "Code", "Numeric", "Range", "Verdict", "check", "expected_range", "labels"]

CHECKERS: dict[str, Callable[[str, object], Verdict]] = {}
for _part in (foundations, zoo, evaluation, beyond):
    _clash = CHECKERS.keys() & _part.CHECKERS.keys()
    if _clash:  # pragma: no cover - a packaging error, caught by the tests
        raise RuntimeError(f"exercise labels defined twice: {sorted(_clash)}")
    CHECKERS.update(_part.CHECKERS)


def labels() -> list[str]:
    """The exercise labels that have a checker."""
    return sorted(CHECKERS)


def expected_range(label: str) -> tuple[tuple[float, float], ...]:
    """The expected range(s) of a "train and compare" exercise, as stated in the book."""
    chk = CHECKERS.get(label)
    if not isinstance(chk, Range):
        raise ValueError(f"expected_range: {label!r} is not a train-and-compare exercise")
    return chk.intervals()


def check(label: str, answer: object, quiet: bool = False) -> Verdict:
    """Check ``answer`` to the exercise ``label``; print and return the verdict.

    The verdict is a :class:`~vae_tutorial.exercises.kinds.Verdict`.

    ``answer`` is a number, a tuple of numbers, or a function, as the exercise's checking line
    says. The verdict says right, close or wrong with a hint; it never contains the reference
    answer. ``quiet=True`` returns without printing.
    """
    if label not in CHECKERS:
        raise ValueError(
            f"check: no checker for {label!r}; exercises with a checker: {', '.join(labels())}"
        )
    foundations.resolve(CHECKERS)
    zoo.resolve(CHECKERS)
    verdict = CHECKERS[label](label, answer)
    if not quiet:
        print(verdict)
    return verdict
