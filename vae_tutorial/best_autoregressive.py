r"""A VAE with a local autoregressive decoder: the candidate for the book's best model.

Configuration (chosen on the *validation* split, importance-weighted :math:`k = 200`, seed 0;
the test split was not used to choose):

* decoder: the PixelCNN-style head (:mod:`~vae_tutorial.likelihoods.pixelcnn`), a masked
  :math:`5\times 5` convolution with 64 channels plus 8 z-feature channels per pixel, one hidden
  per-pixel layer, a mixture of 3 discretized logistics per pixel;
* VampPrior with 50 pseudo-inputs started at random training images (:mod:`~vae_tutorial.priors`);
* IWAE training with :math:`k = 5`, :math:`L = 16`, ELU, Adam :math:`10^{-3}`, early stopping
  (patience 20, at most 200 epochs).

==================================================  ========  ==================
variant (seed 0)                                    val bpd   training CPU (s)
==================================================  ========  ==================
32 channels                                         1.966     38
**64 channels** (kept)                              1.941     55
32 channels, :math:`7\times 7` kernel               1.969     33
==================================================  ========  ==================

``python scripts/best_autoregressive.py`` trains seeds 0, 1, 2, scores the test split with
:math:`k = 1000`, trains the same decoder without a latent
(:class:`~vae_tutorial.autoregressive_only.AutoregressiveOnly`, exact score) and writes
``book/nonfactorized/best_autoregressive.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .data import load_digits
from .likelihoods import PixelCNNHead
from .model import VAE
from .priors import with_vamp_prior
from .training import History, train


@dataclass(frozen=True)
class ARBestConfig:
    """Everything that defines the model; :func:`train_ar_best` reads only this."""

    kernel_size: int = 5
    hidden_channels: int = 64
    context_channels: int = 8
    num_components: int = 3
    latent_dim: int = 16
    num_pseudo_inputs: int = 50
    k: int = 5
    epochs: int = 200
    patience: int = 20
    lr: float = 1e-3


AR_BEST_CONFIG = ARBestConfig()


def make_ar_head(config: ARBestConfig = AR_BEST_CONFIG) -> PixelCNNHead:
    """The decoder's autoregressive head of ``config``."""
    return PixelCNNHead(
        kernel_size=config.kernel_size,
        hidden_channels=config.hidden_channels,
        context_channels=config.context_channels,
        conditional="discretized_logistic",
        num_components=config.num_components,
    )


def build_ar_best(config: ARBestConfig = AR_BEST_CONFIG, seed: int = 0) -> VAE:
    """The untrained VAE with a VampPrior on its own encoder."""
    torch.manual_seed(seed)
    head = make_ar_head(config)
    model = VAE(head, latent_dim=config.latent_dim, activation=nn.ELU)
    train_levels = load_digits("train")
    pick = torch.randperm(len(train_levels), generator=torch.Generator().manual_seed(seed))
    init = head.encoder_input(train_levels[pick[: config.num_pseudo_inputs]])
    return with_vamp_prior(model, config.num_pseudo_inputs, init=init)


def train_ar_best(config: ARBestConfig = AR_BEST_CONFIG, seed: int = 0) -> tuple[VAE, History]:
    """Train on the training split with early stopping on validation (IWAE-``k``)."""
    model = build_ar_best(config, seed)
    history = train(
        model,
        load_digits("train"),
        load_digits("val"),
        epochs=config.epochs,
        patience=config.patience,
        lr=config.lr,
        kind="iwae",
        k=config.k,
        seed=seed,
    )
    return model, history
