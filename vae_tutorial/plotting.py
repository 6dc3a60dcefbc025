"""Pictures every chapter draws: grids of digits and the predictive distribution of pixels."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from torch import Tensor
from torch.distributions import constraints

from .data import IMAGE_SHAPE, MAX_COUNT
from .likelihoods.base import HeadDistribution


def image_grid(x: Tensor, ncol: int = 8, pad: float = np.nan) -> np.ndarray:
    """Tile images ``[N, 64]`` into one array of ``ceil(N/ncol)`` rows and ``ncol`` columns."""
    x = x.detach().cpu().float().reshape(-1, *IMAGE_SHAPE).numpy()
    n, (h, w) = len(x), IMAGE_SHAPE
    nrow = -(-n // ncol)
    grid = np.full((nrow * (h + 1) - 1, ncol * (w + 1) - 1), pad, dtype=np.float32)
    for i, img in enumerate(x):
        r, c = divmod(i, ncol)
        grid[r * (h + 1) : r * (h + 1) + h, c * (w + 1) : c * (w + 1) + w] = img
    return grid


def show_digits(
    x: Tensor,
    ncol: int = 8,
    title: str | None = None,
    ax: Axes | None = None,
    vmin: float | None = 0.0,
    vmax: float | None = None,
) -> Axes:
    """Show images ``[N, 64]`` as a grid (dark = high value); returns the axes."""
    if ax is None:
        _, ax = plt.subplots(figsize=(0.55 * ncol + 0.5, 0.55 * (-(-len(x) // ncol)) + 0.6))
    cmap = plt.get_cmap("gray_r").copy()
    cmap.set_bad("white")
    ax.imshow(image_grid(x, ncol), cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if title:
        ax.set_title(title)
    return ax


def _grid_for(dist: HeadDistribution) -> tuple[Tensor, bool]:
    """Values at which to draw one pixel's predictive distribution, and whether it is discrete."""
    head = dist.head
    support = head.support
    if head.discrete:
        if support is constraints.boolean:
            return torch.tensor([0.0, 1.0]), True
        upper = getattr(support, "upper_bound", MAX_COUNT)
        return torch.arange(0.0, float(upper) + 1.0), True
    if isinstance(support, type(constraints.real)) or support is constraints.real:
        return torch.linspace(-0.25, 1.25, 601), False
    return torch.linspace(1e-3, 1 - 1e-3, 599), False


def plot_pixel_predictive(
    dist: HeadDistribution,
    pixels: Sequence[int],
    x_true: Tensor | None = None,
    axes: Sequence[Axes] | None = None,
    title: str | None = None,
) -> list[Axes]:
    """Draw :math:`p(x_d \\mid z)` of a few pixels ``d`` of ONE image's distribution.

    Discrete heads get a bar per value (probability), continuous heads a curve (density).
    ``x_true`` (the image, in the head's representation) marks the observed value in red.
    """
    if dist.batch_shape not in (torch.Size([]), torch.Size([1])):
        raise ValueError(f"plot_pixel_predictive: one image expected, got batch {dist.batch_shape}")
    grid, discrete = _grid_for(dist)
    base = dist.base_dist
    d = dist.event_shape[0]
    values = (
        grid.to(base.mean.dtype)
        .view(-1, *([1] * (len(base.batch_shape) - 1)), 1)
        .expand(len(grid), *base.batch_shape[:-1], d)
    )
    with torch.no_grad():
        probs = base.log_prob(values).exp().reshape(len(grid), d)
    if axes is None:
        _, axes = plt.subplots(1, len(pixels), figsize=(2.4 * len(pixels), 2.2), sharey=False)
        axes = np.atleast_1d(axes).tolist()
    for ax, p in zip(axes, pixels, strict=True):
        if discrete:
            ax.bar(grid.numpy(), probs[:, p].numpy(), width=0.8, color="tab:blue")
            ax.set_ylabel("probability")
        else:
            ax.plot(grid.numpy(), probs[:, p].numpy(), color="tab:blue")
            ax.set_ylabel("density")
        if x_true is not None:
            ax.axvline(float(x_true.reshape(-1)[p]), color="tab:red", ls="--", lw=1)
        ax.set_xlabel(f"value of pixel {p}")
        ax.set_title(f"pixel {p} (row {p // 8}, col {p % 8})", fontsize=9)
    if title:
        axes[0].figure.suptitle(title)
    axes[0].figure.tight_layout()
    return list(axes)
