"""Companion package of the book *The likelihood p(x|z) in variational autoencoders*.

Every piece a chapter uses lives here once: the data (:mod:`vae_tutorial.data`), the likelihood
heads (:mod:`vae_tutorial.likelihoods`), the model (:mod:`vae_tutorial.model`), the objectives
(:mod:`vae_tutorial.objectives`) and training (:mod:`vae_tutorial.training`).
"""

from .data import load_digits
from .likelihoods import LIKELIHOODS
from .notebook import glue, seed_everything, setup_notebook

__version__ = "0.3.1"
__all__ = ["LIKELIHOODS", "glue", "load_digits", "seed_everything", "setup_notebook", "__version__"]
