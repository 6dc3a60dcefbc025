"""The three kinds of checker (numeric, range, code) and the verdict they return."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

__all__ = ["Code", "Numeric", "Range", "Verdict", "flat_output"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: ``status`` is ``"right"``, ``"close"`` or ``"wrong"``."""

    label: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        """True when the answer is right."""
        return self.status == "right"

    def __str__(self) -> str:
        return f"[{self.label}] {self.status.upper()}: {self.message}"

    __repr__ = __str__


# --------------------------------------------------------------------------- numeric answers
@dataclass(frozen=True)
class Numeric:
    """Reference numbers with a relative tolerance for "right" and a wider one for "close".

    ``mistakes`` pairs a typical wrong answer with the hint it deserves; ``names`` names the
    components of a tuple answer in messages ("the mean", "the variance").
    """

    reference: tuple[float, ...]
    rtol: float
    close_rtol: float
    hint: str
    names: tuple[str, ...] = ()
    mistakes: tuple[tuple[tuple[float, ...], str], ...] = ()
    atol: float = 0.0

    def __call__(self, label: str, answer: object) -> Verdict:
        values = _as_floats(answer, len(self.reference))
        if values is None:
            n = len(self.reference)
            what = "one number" if n == 1 else f"{n} numbers ({', '.join(self.names)})"
            return Verdict(label, "wrong", f"expected {what}, got {type(answer).__name__}.")
        for wrong, hint in self.mistakes:
            if all(_within(v, w, 1e-3, 1e-9) for v, w in zip(values, wrong, strict=True)):
                return Verdict(label, "wrong", hint)
        errs = [_rel_err(v, r, self.atol) for v, r in zip(values, self.reference, strict=True)]
        if all(e <= self.rtol for e in errs):
            return Verdict(label, "right", "well done.")
        names = self.names or ("your answer",)
        off = [
            f"{names[i]} is too {'large' if values[i] > self.reference[i] else 'small'}"
            for i, e in enumerate(errs)
            if e > self.rtol
        ]
        if all(e <= self.close_rtol for e in errs):
            return Verdict(label, "close", "; ".join(off) + " (but close). " + self.hint)
        return Verdict(label, "wrong", "; ".join(off) + ". " + self.hint)


def _as_floats(answer: object, n: int) -> list[float] | None:
    if isinstance(answer, Tensor):
        answer = answer.detach().flatten().tolist()
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        answer = [answer]
    if not isinstance(answer, Sequence) or len(answer) != n:
        return None
    try:
        out = [float(a) for a in answer]
    except (TypeError, ValueError):
        return None
    return out if all(math.isfinite(v) for v in out) else None


def _rel_err(value: float, ref: float, atol: float = 0.0) -> float:
    return max(abs(value - ref) - atol, 0.0) / max(abs(ref), 1e-12)


def _within(value: float, ref: float, rtol: float, atol: float) -> bool:
    return abs(value - ref) <= atol + rtol * abs(ref)


# --------------------------------------------------------------------------- range answers
@dataclass(frozen=True)
class Range:
    """A training result expected in ``[low, high]`` (measured over seeds), "close" within
    ``slack`` outside it."""

    low: float
    high: float
    slack: float
    hint: str
    names: tuple[str, ...] = ()
    bounds: tuple[tuple[float, float], ...] = ()

    def intervals(self) -> tuple[tuple[float, float], ...]:
        return self.bounds or ((self.low, self.high),)

    def __call__(self, label: str, answer: object) -> Verdict:
        ivs = self.intervals()
        values = _as_floats(answer, len(ivs))
        if values is None:
            return Verdict(label, "wrong", f"expected {len(ivs)} number(s), got {answer!r:.40}.")
        names = self.names or ("your result",)
        off, far = [], False
        for i, (v, (lo, hi)) in enumerate(zip(values, ivs, strict=True)):
            if lo <= v <= hi:
                continue
            off.append(f"{names[i]} is {'above' if v > hi else 'below'} the expected range")
            far = far or v < lo - self.slack or v > hi + self.slack
        if not off:
            return Verdict(label, "right", "in the range of our runs over several seeds.")
        status = "wrong" if far else "close"
        return Verdict(label, status, "; ".join(off) + ". " + self.hint)


# --------------------------------------------------------------------------- code answers
@dataclass(frozen=True)
class Code:
    """Call the student's function on ``cases()`` and compare with ``reference`` elementwise.

    ``cases`` returns a list of argument tuples; both functions must return a tensor (or a tuple
    of tensors) of the same shape. Differences that are a sign flip, a constant offset or a
    constant factor are named in the message.
    """

    reference: Callable[..., object]
    cases: Callable[[], list[tuple]]
    signature: str
    hint: str
    rtol: float = 1e-5
    atol: float = 1e-8
    close_rtol: float = 0.02
    extra: Callable[[Callable[..., object]], str | None] | None = field(default=None)

    def __call__(self, label: str, answer: object) -> Verdict:
        if not callable(answer):
            return Verdict(label, "wrong", f"pass your function itself: {self.signature}.")
        mine_all, ref_all = [], []
        for args in self.cases():
            try:
                with torch.no_grad():
                    mine = answer(*args)
            except Exception as err:  # the student's code: report, do not crash
                return Verdict(
                    label, "wrong", f"your function raised {type(err).__name__}: {err}. "
                    f"Expected {self.signature}."
                )
            with torch.no_grad():
                ref = self.reference(*args)
            mine_t, ref_t = flat_output(mine), flat_output(ref)
            if mine_t is None or mine_t.shape != ref_t.shape:
                shape = None if mine_t is None else tuple(mine_t.shape)
                return Verdict(
                    label, "wrong", f"wrong output shape or type (flattened {shape}); "
                    f"expected {self.signature}."
                )
            mine_all.append(mine_t)
            ref_all.append(ref_t)
        mine_c, ref_c = torch.cat(mine_all), torch.cat(ref_all)
        if not torch.isfinite(mine_c).all():
            return Verdict(label, "wrong", "your function returned inf or nan. " + self.hint)
        if torch.allclose(mine_c, ref_c, rtol=self.rtol, atol=self.atol):
            if self.extra is not None and (msg := self.extra(answer)) is not None:
                return Verdict(label, "close", msg)
            return Verdict(label, "right", "matches the reference on all test inputs.")
        return Verdict(label, *_diagnose(mine_c, ref_c, self.close_rtol, self.hint))


def flat_output(out: object) -> Tensor | None:
    if isinstance(out, (tuple, list)):
        parts = [flat_output(o) for o in out]
        if any(p is None for p in parts):
            return None
        return torch.cat(parts)  # type: ignore[arg-type]
    if isinstance(out, (int, float)) and not isinstance(out, bool):
        return torch.tensor([float(out)], dtype=torch.float64)
    if isinstance(out, Tensor):
        return out.detach().to(torch.float64).flatten()
    return None


def _diagnose(mine: Tensor, ref: Tensor, close_rtol: float, hint: str) -> tuple[str, str]:
    scale = ref.abs().max().clamp(min=1e-12)
    if torch.allclose(mine, -ref, rtol=1e-5, atol=1e-8 * float(scale)):
        return "wrong", "right up to the sign: check which quantity is negated. " + hint
    diff = mine - ref
    if diff.std() <= 1e-6 * scale and diff.abs().mean() > 1e-6 * scale:
        return "wrong", "off by the same constant on every input: a normalising term? " + hint
    ratio = mine / torch.where(ref.abs() > 1e-12, ref, torch.ones_like(ref))
    mask = ref.abs() > 1e-9 * scale
    if mask.any() and ratio[mask].std() <= 1e-6 * ratio[mask].abs().mean() \
            and (ratio[mask].mean() - 1).abs() > 1e-4:
        return "wrong", "off by a constant factor on every input: a mean instead of a sum, " \
            "a missing 1/2, or a variance for a standard deviation? " + hint
    rel = (diff.abs() / ref.abs().clamp(min=1e-12)).max()
    if rel <= close_rtol:
        return "close", "within a few percent of the reference but not equal. " + hint
    return "wrong", "does not match the reference on the test inputs. " + hint


