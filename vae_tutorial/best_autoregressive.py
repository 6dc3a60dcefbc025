r"""A VAE with a local autoregressive decoder: the book's best model on the digits.

Configuration (chosen on the *validation* split, importance-weighted :math:`k = 200`, seed 0;
the test split was not used to choose):

* decoder: the PixelCNN-style head (:mod:`~vae_tutorial.likelihoods.pixelcnn`), a masked
  :math:`5\times 5` convolution with 64 channels plus 8 z-feature channels per pixel, one hidden
  per-pixel layer, a mixture of 3 discretized logistics per pixel;
* encoder and z-feature MLPs with two hidden layers of 128 (ELU), a 16-dimensional latent;
* VampPrior with 50 pseudo-inputs started at random training images (:mod:`~vae_tutorial.priors`);
* IWAE training with :math:`k = 5`, Adam :math:`2\cdot 10^{-3}`, batches of 100, early stopping
  on the validation IWAE-5 bound (patience 20) within at most 70 epochs (about 55 s of CPU on
  one thread).

The search, one candidate at a time from the previous configuration (MLPs of 256, Adam
:math:`10^{-3}`, at most 200 epochs), is logged in
``book/nonfactorized/best_autoregressive_search.jsonl`` (validation bits/dim, seed 0):

==================================================  ========  ==================
variant (seed 0)                                    val bpd   training CPU (s)
==================================================  ========  ==================
previous configuration                              1.940     54
cosine schedule from lr 2e-3, 70 epochs             1.938     55
cosine schedule from lr 2e-3, 40 epochs             1.955     32
parameter average (EMA 0.99)                        1.939     62
MLPs of 128                                         1.911     74
MLPs of 64, at most 75 epochs                       1.933     55
**MLPs of 128, lr 2e-3** (kept)                     1.904     57 (75-epoch cap)
MLPs of 128, lr 3e-3, at most 70 epochs             1.908     50
MLPs of 128, lr 2e-3, EMA 0.99, 70 epochs           1.906     52
==================================================  ========  ==================

The smaller encoder and decoder MLPs are what helped: with 1000 training images the larger ones
overfit (the validation bound peaked after about 50 epochs and then fell).

``python scripts/best_autoregressive.py`` trains seeds 0, 1, 2, scores the validation and test
splits with :math:`k = 1000`, trains the same decoder without a latent
(:class:`~vae_tutorial.autoregressive_only.AutoregressiveOnly`, exact score;
:func:`train_no_latent`) and writes ``book/nonfactorized/best_autoregressive.json``.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from .autoregressive_only import AutoregressiveOnly
from .data import load_digits
from .likelihoods import PixelCNNHead
from .model import VAE
from .priors import with_vamp_prior
from .training import History, objective


@dataclass(frozen=True)
class ARBestConfig:
    r"""Everything that defines the model and its training; :func:`train_ar_best` reads only this.

    ``schedule`` is ``"constant"`` (Adam at ``lr`` throughout) or ``"cosine"`` (``lr`` decayed
    to 0 along a half cosine over ``epochs`` epochs). ``ema`` > 0 keeps an exponential moving
    average of the parameters, :math:`\bar\theta \leftarrow \text{ema}\,\bar\theta +
    (1-\text{ema})\,\theta` after every step; the average is what is validated and returned.
    """

    kernel_size: int = 5
    hidden_channels: int = 64
    context_channels: int = 8
    num_hidden_layers: int = 1
    num_components: int = 3
    latent_dim: int = 16
    hidden: tuple[int, ...] = (128, 128)
    num_pseudo_inputs: int = 50
    k: int = 5
    batch_size: int = 100
    epochs: int = 70
    patience: int | None = 20
    lr: float = 2e-3
    schedule: str = "constant"
    ema: float = 0.0
    weight_decay: float = 0.0


AR_BEST_CONFIG = ARBestConfig()


def make_ar_head(config: ARBestConfig = AR_BEST_CONFIG) -> PixelCNNHead:
    """The decoder's autoregressive head of ``config``."""
    return PixelCNNHead(
        kernel_size=config.kernel_size,
        hidden_channels=config.hidden_channels,
        context_channels=config.context_channels,
        num_hidden_layers=config.num_hidden_layers,
        conditional="discretized_logistic",
        num_components=config.num_components,
    )


def build_ar_best(config: ARBestConfig = AR_BEST_CONFIG, seed: int = 0) -> VAE:
    """The untrained VAE with a VampPrior on its own encoder."""
    torch.manual_seed(seed)
    head = make_ar_head(config)
    model = VAE(head, latent_dim=config.latent_dim, hidden=config.hidden, activation=nn.ELU)
    train_levels = load_digits("train")
    pick = torch.randperm(len(train_levels), generator=torch.Generator().manual_seed(seed))
    init = head.encoder_input(train_levels[pick[: config.num_pseudo_inputs]])
    return with_vamp_prior(model, config.num_pseudo_inputs, init=init)


def _fit(
    model: nn.Module,
    objective_fn: Callable[[nn.Module, Tensor], Tensor],
    config: ARBestConfig,
    seed: int,
) -> History:
    """Adam on ``-objective_fn(model, batch).mean()`` with ``config``'s schedule, average and
    early stopping on the validation split; the best validation epoch's parameters are loaded.

    ``objective_fn`` returns per-example objectives (to be maximised) and draws its noise from
    torch's global generator, seeded here with ``seed`` like :func:`~vae_tutorial.training.train`.
    """
    if config.schedule not in ("constant", "cosine"):
        raise ValueError(
            f"train_ar_best: schedule must be 'constant' or 'cosine', got {config.schedule!r}"
        )
    if not 0.0 <= config.ema < 1.0:
        raise ValueError(f"train_ar_best: ema must be in [0, 1), got {config.ema!r}")
    train_x, val_x = load_digits("train"), load_digits("val")
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    total_steps = config.epochs * math.ceil(len(train_x) / config.batch_size)
    scheduler = None
    if config.schedule == "cosine":
        scheduler = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: 0.5 * (1.0 + math.cos(math.pi * step / total_steps))
        )
    average = copy.deepcopy(model) if config.ema > 0 else model
    history = History()
    best_state = copy.deepcopy(average.state_dict())
    start = time.perf_counter()
    for epoch in range(config.epochs):
        model.train()
        total = 0.0
        for idx in torch.randperm(len(train_x), generator=shuffle).split(config.batch_size):
            loss = -objective_fn(model, train_x[idx]).mean()
            if not torch.isfinite(loss):
                raise FloatingPointError(f"train_ar_best: non-finite loss at epoch {epoch}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            if average is not model:
                with torch.no_grad():
                    for p_avg, p in zip(average.parameters(), model.parameters(), strict=True):
                        p_avg.lerp_(p, 1.0 - config.ema)
            total += -loss.item() * len(idx)
        history.train_objective.append(total / len(train_x))
        history.epochs_run = epoch + 1
        average.eval()
        with torch.no_grad():
            val = objective_fn(average, val_x).mean().item()
        history.val_objective.append(val)
        if val > history.best_val:
            history.best_val, history.best_epoch = val, epoch
            best_state = copy.deepcopy(average.state_dict())
        elif config.patience is not None and epoch - history.best_epoch >= config.patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - start
    return history


def train_ar_best(config: ARBestConfig = AR_BEST_CONFIG, seed: int = 0) -> tuple[VAE, History]:
    r"""Train on the training split with early stopping on validation (IWAE-``k``).

    The loop of :func:`~vae_tutorial.training.train` (same seeding, shuffling, objective and
    best-validation-epoch restore; with ``schedule="constant"``, ``ema=0`` and no weight decay
    it gives the same model), plus the learning-rate schedule and the parameter average of
    ``config``.
    """
    model = build_ar_best(config, seed)
    history = _fit(model, lambda m, x: objective(m, x, "iwae", config.k), config, seed)
    return model, history


#: The loop of :func:`~vae_tutorial.autoregressive_only.train_autoregressive_only` for the decoder
#: without z, run to convergence: Adam 1e-3, patience 20, at most 1000 epochs (it stops by itself
#: after about 350 epochs, about 50 s of CPU; at most 200 epochs, used before, it had not
#: converged and scored about 0.02 bits/dim worse).
NO_LATENT_EARLY_STOPPING = {
    "lr": 1e-3,
    "epochs": 1000,
    "patience": 20,
    "schedule": "constant",
    "ema": 0.0,
    "weight_decay": 0.0,
    "batch_size": 100,
}


def train_no_latent(
    config: ARBestConfig = AR_BEST_CONFIG, seed: int = 0, budget: str = "same"
) -> tuple[AutoregressiveOnly, History]:
    """The same decoder without z (:class:`~vae_tutorial.autoregressive_only.AutoregressiveOnly`),
    trained by maximum likelihood (exact) on the training split.

    ``budget="same"``: the VAE's own optimiser settings (``lr``, schedule, epochs, patience,
    average); ``budget="early_stopping"``: :data:`NO_LATENT_EARLY_STOPPING`, the loop of
    :func:`~vae_tutorial.autoregressive_only.train_autoregressive_only`.
    """
    if budget not in ("same", "early_stopping"):
        raise ValueError(
            f"train_no_latent: budget must be 'same' or 'early_stopping', got {budget!r}"
        )
    if budget == "early_stopping":
        config = replace(config, **NO_LATENT_EARLY_STOPPING)
    torch.manual_seed(seed)
    model = AutoregressiveOnly(make_ar_head(config))
    history = _fit(model, lambda m, x: m.log_prob(x), config, seed)
    return model, history
