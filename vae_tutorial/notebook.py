"""One-line set-up for every chapter: seeds, threads, determinism and plot style."""

from __future__ import annotations

import os
import random
import warnings

import numpy as np
import torch

DEFAULT_SEED = 0
DEFAULT_THREADS = 1


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python's, NumPy's and torch's generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def setup_notebook(seed: int = DEFAULT_SEED, threads: int = DEFAULT_THREADS) -> None:
    """Make a chapter reproducible on any machine and give its figures one style.

    * seeds Python, NumPy and torch;
    * fixes torch's thread count (results of float reductions depend on it), default 1;
    * turns on ``torch.use_deterministic_algorithms``;
    * prints numbers compactly and sets a readable matplotlib style.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # tqdm.auto warns (with a file path in the message) when ipywidgets is missing; the bar is
    # disabled in stored notebooks anyway, so keep that warning out of the outputs.
    warnings.filterwarnings("ignore", message="IProgress not found")
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(True)
    seed_everything(seed)
    torch.set_printoptions(precision=4, sci_mode=False)
    np.set_printoptions(precision=4, suppress=True)
    import matplotlib

    matplotlib.rcParams.update(
        {
            "figure.figsize": (6.4, 3.6),
            "figure.dpi": 100,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "image.cmap": "gray_r",
            "font.size": 10,
        }
    )
