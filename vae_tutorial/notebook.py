"""One-line set-up for every chapter: seeds, threads, determinism and plot style."""

from __future__ import annotations

import os
import random
import warnings

import numpy as np
import torch

DEFAULT_SEED = 0
DEFAULT_THREADS = 1
THREADS_VARIABLE = "VAE_TUTORIAL_THREADS"


def seed_everything(seed: int = DEFAULT_SEED) -> None:
    """Seed Python's, NumPy's and torch's generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def thread_count(threads: int = DEFAULT_THREADS) -> int:
    """Torch threads for a chapter: ``$VAE_TUTORIAL_THREADS`` if set, else ``threads``.

    The environment variable wins over the argument, so one setting runs *every* chapter on another
    thread count (the second notebook pass of ``make test`` uses 2, to check that no stored output
    depends on how float sums are split between threads). It must be a positive integer.
    """
    value = os.environ.get(THREADS_VARIABLE, "").strip()
    if value:
        try:
            threads = int(value)
        except ValueError:
            raise ValueError(
                f"{THREADS_VARIABLE} must be a positive integer, got {value!r}"
            ) from None
    if threads < 1:
        raise ValueError(f"the thread count must be a positive integer, got {threads}")
    return threads


def setup_notebook(seed: int = DEFAULT_SEED, threads: int = DEFAULT_THREADS) -> None:
    """Make a chapter reproducible on any machine and give its figures one style.

    * seeds Python, NumPy and torch;
    * fixes torch's thread count (results of float reductions depend on it): ``threads``, default
      1, unless the environment variable ``VAE_TUTORIAL_THREADS`` is set, which then wins (e.g.
      ``VAE_TUTORIAL_THREADS=2`` runs a chapter on two threads; see :func:`thread_count`);
    * turns on ``torch.use_deterministic_algorithms``;
    * prints numbers compactly and sets a readable matplotlib style.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # tqdm.auto warns (with a file path in the message) when ipywidgets is missing; the bar is
    # disabled in stored notebooks anyway, so keep that warning out of the outputs.
    warnings.filterwarnings("ignore", message="IProgress not found")
    torch.set_num_threads(thread_count(threads))
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


def glue(name: str, value: object, digits: int | None = None) -> object:
    """Hand a computed value to the chapter's prose: ``{glue:text}`name``` in Markdown.

    Every number the prose quotes is produced by the notebook and inserted by myst-nb, so the text
    cannot drift from the outputs (``tests/test_prose_numbers.py`` fails on a decimal number typed
    into Markdown). Floats are rounded to ``digits`` first, so the stored value (which nbval
    compares) is only as precise as the prose needs. Nothing is displayed in the notebook. Where
    myst-nb is not installed (Colab, a reader's own Jupyter), this only returns the value.

    Returns the (rounded) value, so ``bpd = glue("test_bpd", bpd, 3)`` also works.
    """
    if digits is not None:
        if isinstance(value, float):  # also numpy's float64, a float subclass: plain float out
            value = round(float(value), digits)
        elif hasattr(value, "item"):  # a 0-d tensor or numpy scalar
            value = round(float(value.item()), digits)
    try:
        from myst_nb import glue as myst_glue
    except ImportError:  # pragma: no cover - depends on the reader's environment
        return value
    myst_glue(name, value, display=False)
    return value
