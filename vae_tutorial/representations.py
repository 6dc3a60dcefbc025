r"""Ways to present the digits to a likelihood.

The digits are integer levels :math:`k \in \{0, \dots, K-1\}` with :math:`K = 17` (see
:func:`vae_tutorial.data.load_digits`). Each likelihood family models a different kind of value,
so each head picks one of these maps (its ``representation``):

==========================  =====================================  ===========================
function                    values                                 used by
==========================  =====================================  ===========================
:func:`binarize`            :math:`\{0, 1\}`, ``k >= (K-1)/2``     Bernoulli
:func:`unit_interval`       :math:`k/(K-1) \in [0, 1]`             continuous Bernoulli,
                                                                   Gaussian, Laplace, Student-t
:func:`open_unit_interval`  :math:`(k + 1/2)/K \in (0, 1)`         Beta
:func:`levels`              :math:`k` itself                       categorical, discretized
                                                                   logistic/Gaussian/Laplace,
                                                                   binomial, Poisson,
                                                                   negative binomial
==========================  =====================================  ===========================

A continuous head is scored on the levels through the *bin* each level stands for on its scale:
:func:`real_line_bins` (edge bins open, for densities on the real line),
:func:`unit_interval_bins` (for densities on [0, 1]) and :func:`open_unit_interval_bins` (Beta).
:func:`dequantize` draws a point uniformly from each level's bin (training on dequantized data).
"""

from __future__ import annotations

import torch
from torch import Tensor

NUM_LEVELS = 17


def _check_levels(levels: Tensor, num_levels: int) -> None:
    if not isinstance(levels, Tensor) or not levels.is_floating_point():
        raise ValueError("levels must be a float tensor of whole numbers")
    if torch.isnan(levels).any():
        raise ValueError("levels contain NaN")
    bad = (levels < 0) | (levels > num_levels - 1) | (levels != levels.round())
    if bool(bad.any()):
        raise ValueError(
            f"expected whole-number levels in 0..{num_levels - 1}, got values such as "
            f"{levels[bad].flatten()[0].item():.4g}"
        )


def levels(x: Tensor, num_levels: int = NUM_LEVELS) -> Tensor:
    """The integer levels themselves (checked), as floats."""
    _check_levels(x, num_levels)
    return x


def binarize(x: Tensor, num_levels: int = NUM_LEVELS) -> Tensor:
    r"""1 where the level is at least half of the maximum, else 0: :math:`x = [k \ge (K-1)/2]`."""
    _check_levels(x, num_levels)
    return (x >= (num_levels - 1) / 2).to(x.dtype)


def unit_interval(x: Tensor, num_levels: int = NUM_LEVELS) -> Tensor:
    r"""Scale levels to :math:`[0, 1]`: :math:`x = k / (K-1)` (0 and 1 are attained)."""
    _check_levels(x, num_levels)
    return x / (num_levels - 1)


def open_unit_interval(x: Tensor, num_levels: int = NUM_LEVELS) -> Tensor:
    r"""Bin centres in :math:`(0, 1)`: :math:`x = (k + 1/2) / K`, never exactly 0 or 1."""
    _check_levels(x, num_levels)
    return (x + 0.5) / num_levels


def unit_interval_bins(x: Tensor, num_levels: int = NUM_LEVELS) -> tuple[Tensor, Tensor]:
    r"""The bin of each level on the :func:`unit_interval` scale, clipped to [0, 1].

    Level :math:`k` sits at :math:`k/(K-1)` and owns :math:`[(k-\tfrac12)/(K-1), (k+\tfrac12)/(K-1)]
    \cap [0, 1]`; the bins partition [0, 1]. Right for a density supported on [0, 1] (continuous
    Bernoulli). For a density on the whole real line they miss the mass below 0 and above 1: use
    :func:`real_line_bins`. Returns ``(lower, upper)``.
    """
    _check_levels(x, num_levels)
    half = 0.5 / (num_levels - 1)
    centre = x / (num_levels - 1)
    return (centre - half).clamp(min=0.0), (centre + half).clamp(max=1.0)


def real_line_bins(x: Tensor, num_levels: int = NUM_LEVELS) -> tuple[Tensor, Tensor]:
    r"""The bin of each level on the :func:`unit_interval` scale, edge bins open: a partition of R.

    Level :math:`k` owns :math:`[(k-\tfrac12)/(K-1), (k+\tfrac12)/(K-1)]`, except that level 0
    owns :math:`(-\infty, \tfrac12/(K-1)]` and level :math:`K-1` owns
    :math:`[1 - \tfrac12/(K-1), +\infty)`. A density on the real line (Gaussian, Laplace,
    Student-t) gives these bins probabilities that sum to one; the clipped
    :func:`unit_interval_bins` would drop the mass outside [0, 1]. Returns ``(lower, upper)``.
    """
    lower, upper = unit_interval_bins(x, num_levels)
    inf = torch.full_like(lower, float("inf"))
    return torch.where(x <= 0, -inf, lower), torch.where(x >= num_levels - 1, inf, upper)


def open_unit_interval_bins(x: Tensor, num_levels: int = NUM_LEVELS) -> tuple[Tensor, Tensor]:
    r"""The bin :math:`[k/K, (k+1)/K]` of each level on the :func:`open_unit_interval` scale."""
    _check_levels(x, num_levels)
    return x / num_levels, (x + 1.0) / num_levels


def dequantize(
    x: Tensor,
    copies: int = 1,
    generator: torch.Generator | None = None,
    num_levels: int = NUM_LEVELS,
) -> Tensor:
    r"""Uniformly dequantized digits on the :func:`unit_interval` scale (Theis et al., 2016).

    Each level :math:`k` becomes :math:`x = k/(K-1) + u`,
    :math:`u \sim U(-\tfrac12, \tfrac12)/(K-1)`, a point drawn uniformly from the level's
    (unclipped) bin of width :math:`w = 1/(K-1)`. A density :math:`p` trained on such data has
    :math:`\mathbb E_u[\log p(x)] + D\log w \le \log P(\text{levels})` for the discrete
    model that gives each level the mass of its bin (Jensen's inequality), so its log-density on
    dequantized data cannot grow without bound (unlike a density on the levels themselves).

    ``x [N, D]`` are whole-number levels; returns ``[copies * N, D]``: ``copies`` independent noise
    draws of the whole set, one after the other. Levels 0 and :math:`K-1` spill just outside
    [0, 1] (by at most :math:`w/2`), so use it with heads on the real line.
    """
    _check_levels(x, num_levels)
    if copies < 1:
        raise ValueError(f"dequantize: copies must be >= 1, got {copies}")
    centre = unit_interval(x, num_levels).repeat(copies, 1)
    u = torch.rand(centre.shape, generator=generator, dtype=centre.dtype) - 0.5
    return centre + u / (num_levels - 1)
