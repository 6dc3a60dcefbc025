"""The package's progress bar: ``tqdm.auto`` (a Jupyter widget, text elsewhere), imported quietly.

Without ipywidgets, importing ``tqdm.auto`` inside Jupyter warns "IProgress not found" on stderr
and falls back to a text bar. The bar works either way, so the warning is silenced here, once, for
every module of the package (:mod:`vae_tutorial.training`, :mod:`vae_tutorial.evaluation`).
Bars are off when the environment sets ``TQDM_DISABLE=1``, as the book's stored notebooks do.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="IProgress not found")
    from tqdm.auto import tqdm

__all__ = ["tqdm"]
