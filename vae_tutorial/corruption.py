r"""Outliers on purpose: corrupt some digits to study how a likelihood reacts to them.

Robust likelihoods (Laplace, Student-t) are meant for data in which a few values are far from
what the rest of the image predicts. :func:`salt_pixels` makes such data from the digits: in a
chosen fraction of the images it sets a few randomly placed pixels to the maximum level
:math:`K-1 = 16` ("salt" noise). The positions are random, so an 8-dimensional latent code cannot
describe them; a decoder can only treat them as noise.

With :math:`m_{nd} \in \{0, 1\}` marking the corrupted entries,

.. math::

    \tilde x_{nd} = (1 - m_{nd})\,x_{nd} + m_{nd}\,(K-1),

and the fraction of corrupted entries is ``image_fraction * pixels_per_image / D``.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .representations import NUM_LEVELS
from .representations import levels as check_levels


def salt_pixels(
    levels: Tensor,
    image_fraction: float = 0.2,
    pixels_per_image: int = 8,
    seed: int = 0,
    num_levels: int = NUM_LEVELS,
) -> tuple[Tensor, Tensor]:
    """Set ``pixels_per_image`` random pixels to the top level in a fraction of the images.

    Args:
        levels: integer levels ``[N, D]`` (as floats), e.g. ``load_digits("train")``.
        image_fraction: fraction of the ``N`` images that are corrupted, in ``[0, 1]``; the
            number of corrupted images is ``round(image_fraction * N)``.
        pixels_per_image: how many distinct pixels of each corrupted image are overwritten
            (``1..D``).
        seed: seed of the private random generator (the global torch seed is left alone).
        num_levels: :math:`K`; corrupted pixels get the value :math:`K - 1`.

    Returns:
        ``(corrupted, mask)``: a new tensor ``[N, D]`` (the input is not modified) and a boolean
        mask ``[N, D]`` that is True where a pixel was overwritten. A pixel that already had
        the top level is still marked.
    """
    check_levels(levels, num_levels)
    if levels.dim() != 2:
        raise ValueError(f"salt_pixels: expected levels of shape [N, D], got {tuple(levels.shape)}")
    n, d = levels.shape
    if not 0.0 <= image_fraction <= 1.0:
        raise ValueError(f"salt_pixels: image_fraction must be in [0, 1], got {image_fraction}")
    if not 1 <= pixels_per_image <= d:
        raise ValueError(f"salt_pixels: pixels_per_image must be in 1..{d}, got {pixels_per_image}")
    generator = torch.Generator().manual_seed(seed)
    rows = torch.randperm(n, generator=generator)[: int(round(image_fraction * n))]
    mask = torch.zeros(n, d, dtype=torch.bool)
    for row in rows.tolist():
        cols = torch.randperm(d, generator=generator)[:pixels_per_image]
        mask[row, cols] = True
    corrupted = torch.where(mask, torch.full_like(levels, float(num_levels - 1)), levels)
    return corrupted, mask
