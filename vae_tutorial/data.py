r"""The data set of the book: scikit-learn's bundled handwritten digits (no download).

Each image is 8x8 = 64 pixels. The original scans were 32x32 bitmaps (each cell on or off); the
8x8 images were made by dividing the bitmap into non-overlapping 4x4 blocks and *counting* the
"on" cells in each block. Every pixel is therefore a whole number from 0 to 16: real discrete
data, a count out of 16, which is why a binomial or a 17-level categorical likelihood matches it
exactly, and why a density on [0, 1] needs care before it can be compared with them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

#: Split boundaries (first 1000 / next 350 / remaining 447 of the 1797 images).
SPLITS: dict[str, slice] = {
    "train": slice(0, 1000),
    "val": slice(1000, 1350),
    "test": slice(1350, None),
}
IMAGE_SHAPE = (8, 8)
NUM_PIXELS = 64
MAX_COUNT = 16


@lru_cache(maxsize=1)
def _all_digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    return bunch.data.astype(np.float32), bunch.target.astype(np.int64)


def load_digits(split: str = "train", with_labels: bool = False) -> Tensor | tuple[Tensor, Tensor]:
    """The digits of one split as a float32 tensor ``[N, 64]`` of whole numbers 0..16.

    ``split`` is ``"train"`` (first 1000 images), ``"val"`` (next 350) or ``"test"`` (the
    remaining 447), the split of the Deep Generative Modeling companion code, so numbers compare.
    With ``with_labels=True`` also returns the digit classes (int64 ``[N]``), for pictures only.
    """
    if split not in SPLITS:
        raise ValueError(f"load_digits: split must be one of {sorted(SPLITS)}, got {split!r}")
    data, target = _all_digits()
    x = torch.from_numpy(data[SPLITS[split]].copy())
    if with_labels:
        return x, torch.from_numpy(target[SPLITS[split]].copy())
    return x
