r"""Missing values: leaving an entry out of :math:`\log p(x\mid z)`.

The dimensions of :math:`x` are independent given :math:`z`, so the log-likelihood of the
*observed* entries alone is the sum over those entries,

.. math::

    \log p_\theta(x_{\text{obs}} \mid z) = \sum_{d=1}^D m_d \log p(x_d \mid \eta_d),
    \qquad m_d = 1 \text{ if } x_d \text{ is observed, else } 0.

A ``mask`` is a bool tensor, ``True`` where the entry is observed (the convention of
``torch.masked`` and of Pyro's ``mask``), broadcastable to the shape of ``x``. The value stored
at a missing entry is never looked at: it may be garbage, even NaN. Multiplying by :math:`m_d`
is not enough for that (``0 * nan`` is ``nan``, and so is the gradient), so the missing entries
are first replaced by a point of the support (:func:`support_point`), then their log-terms are
set to zero with ``torch.where``: neither the value nor the gradient depends on them.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.distributions import constraints


def support_point(support: constraints.Constraint) -> float:
    """A value inside ``support`` (used as a harmless stand-in for a missing entry)."""
    if isinstance(support, constraints.integer_interval):
        return float(support.lower_bound)
    if isinstance(support, constraints.interval | constraints.half_open_interval):
        return 0.5 * (float(support.lower_bound) + float(support.upper_bound))
    lower = getattr(support, "lower_bound", None)
    upper = getattr(support, "upper_bound", None)
    if lower is not None and upper is not None:  # e.g. an open interval
        return 0.5 * (float(lower) + float(upper))
    if isinstance(support, constraints.greater_than):  # positive is greater_than(0)
        return float(support.lower_bound) + 1.0
    if lower is not None:  # nonnegative, nonnegative_integer, greater_than_eq
        return float(lower)
    return 0.0  # real, boolean


def check_mask(mask: Tensor, value: Tensor, name: str) -> Tensor:
    """Return ``mask`` broadcast to ``value``'s shape; a ValueError names ``name`` otherwise."""
    if not isinstance(mask, Tensor) or mask.dtype != torch.bool:
        raise ValueError(f"{name}: mask must be a bool tensor (True = observed)")
    try:
        return mask.expand_as(value) if mask.shape != value.shape else mask
    except RuntimeError:
        raise ValueError(
            f"{name}: mask of shape {tuple(mask.shape)} does not broadcast to x of shape "
            f"{tuple(value.shape)}"
        ) from None


def fill_missing(value: Tensor, mask: Tensor, fill: float | Tensor) -> Tensor:
    """``value`` with its missing entries (``mask == False``) replaced by ``fill``."""
    return torch.where(mask, value, torch.as_tensor(fill, dtype=value.dtype, device=value.device))


def keep_observed(log_prob: Tensor, mask: Tensor) -> Tensor:
    """Per-entry log-probabilities with the missing entries set to exactly 0."""
    return torch.where(
        mask, log_prob, torch.zeros((), dtype=log_prob.dtype, device=log_prob.device)
    )
