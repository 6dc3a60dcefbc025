r"""A plain PyTorch training loop with early stopping on the validation split.

Two remedies for a latent code that a strong decoder ignores change only the *training*
objective (validation and scoring always use the unmodified bound, :math:`\beta = 1`):

* **KL warm-up** (Bowman et al., 2016; Sønderby et al., 2016), ``warmup_epochs = W``: in epoch
  :math:`e = 0, 1, \dots` the KL term is weighted by :math:`\beta_e = \beta\min(1, e/W)`,
  rising linearly from 0 to :math:`\beta` (:func:`warmup_beta`);
* **free bits** (Kingma et al., 2016), ``free_bits = λ``: each latent dimension is charged
  :math:`\max(\lambda, \text{its minibatch-mean KL})`
  (:func:`~vae_tutorial.objectives.free_bits_elbo`).
"""

from __future__ import annotations

import copy
import math
import numbers
import os
import time
from dataclasses import dataclass, field
from typing import Literal

import torch
from torch import Tensor

from .model import VAE
from .objectives import _check_count, elbo, free_bits_elbo, log_importance_weights
from .progress import tqdm


@dataclass
class History:
    """What happened during :func:`train`. Objectives are per-example means, in nats."""

    train_objective: list[float] = field(default_factory=list)
    val_objective: list[float] = field(default_factory=list)
    best_epoch: int = -1
    best_val: float = -math.inf
    epochs_run: int = 0
    seconds: float = 0.0


def objective(
    model: VAE,
    x: Tensor,
    kind: Literal["elbo", "iwae"] = "elbo",
    k: int = 1,
    beta: float = 1.0,
    mask: Tensor | None = None,
    free_bits: float | None = None,
) -> Tensor:
    r"""Per-example training objective, shape ``[N]`` (to be *maximised*).

    ``"elbo"``: :math:`\\text{rec} - \\beta\\,\\mathrm{KL}` averaged over ``k`` samples;
    ``"iwae"``: :math:`\\log\\frac1k\\sum_i w_i`, the importance-weighted bound.
    With ``free_bits`` :math:`= \\lambda` (``"elbo"`` only, no mask):
    :math:`\\text{rec} - \\beta\\sum_l\\max(\\lambda, \\overline{\\mathrm{KL}}_l)`
    (:func:`~vae_tutorial.objectives.free_bits_elbo`).
    """
    if kind not in ("elbo", "iwae"):
        raise ValueError(f"objective: kind must be 'elbo' or 'iwae', got {kind!r}")
    _check_count("objective", "k", k)
    if free_bits is not None:
        if kind != "elbo" or mask is not None:
            raise ValueError("objective: free_bits needs kind='elbo' and no mask")
        return free_bits_elbo(model, x, free_bits, n_samples=k, beta=beta)
    if kind == "elbo":
        terms = elbo(model, x, n_samples=k, mask=mask)
        return terms.reconstruction - beta * terms.kl
    return torch.logsumexp(log_importance_weights(model, x, k, mask), dim=0) - math.log(k)


def train(
    model: VAE,
    train_x: Tensor,
    val_x: Tensor | None = None,
    *,
    epochs: int = 100,
    batch_size: int = 100,
    lr: float = 1e-3,
    weight_decay: float = 0.0,
    patience: int | None = 20,
    kind: Literal["elbo", "iwae"] = "elbo",
    k: int = 1,
    beta: float = 1.0,
    seed: int = 0,
    progress: bool | None = None,
    mask: Tensor | None = None,
    val_mask: Tensor | None = None,
    free_bits: float | None = None,
    warmup_epochs: int = 0,
) -> History:
    """Train ``model`` with Adam on ``train_x`` (already in the head's representation).

    After every epoch the validation objective (the ELBO, or the IWAE bound with the same ``k``,
    with beta = 1) is computed on ``val_x``; training stops after ``patience`` epochs without
    improvement and the best parameters are restored. Deterministic for a given ``seed``
    (shuffling and the reparameterisation noise both come from it). The progress bar is shown
    unless ``progress=False`` or the environment sets ``TQDM_DISABLE=1``.

    With missing values, ``mask`` (and ``val_mask``), bool tensors shaped like the data with True
    where an entry is observed, leave the missing entries out of the likelihood (the model must
    accept a mask, see :class:`~vae_tutorial.missing.MaskedVAE`); whatever the data hold there
    is never read.

    Remedies for an unused latent code (module docstring): ``warmup_epochs`` :math:`W > 0` weights
    the KL term of epoch :math:`e` by :math:`\\beta\\min(1, e/W)` (:func:`warmup_beta`), and early
    stopping counts its ``patience`` only from the end of the warm-up; ``free_bits``
    :math:`\\lambda \\ge 0` (nats per latent dimension, ``kind="elbo"`` only) trains on
    :func:`~vae_tutorial.objectives.free_bits_elbo`. Neither changes the validation objective.
    """
    model.check_data(train_x, "train", "train_x")
    if len(train_x) == 0:
        raise ValueError("train: train_x is empty; expected at least one example")
    if mask is None:
        model.head.check_value(train_x)
    if val_x is not None:
        model.check_data(val_x, "train", "val_x")
        if len(val_x) == 0:
            raise ValueError("train: val_x is empty; pass None to train without validation")
        if val_mask is None:
            model.head.check_value(val_x)
    for arg, value in (("batch_size", batch_size), ("k", k)):
        _check_count("train", arg, value)
    if isinstance(epochs, bool) or not isinstance(epochs, numbers.Integral) or epochs < 0:
        raise ValueError(f"train: epochs must be an integer >= 0, got {epochs!r}")
    if patience is not None and (not isinstance(patience, numbers.Integral) or patience < 0):
        raise ValueError(f"train: patience must be None or an integer >= 0, got {patience!r}")
    if kind not in ("elbo", "iwae"):
        raise ValueError(f"train: kind must be 'elbo' or 'iwae', got {kind!r}")
    if not lr > 0:
        raise ValueError(f"train: lr must be positive, got {lr!r}")
    if not beta >= 0:
        raise ValueError(f"train: beta must be >= 0, got {beta!r}")
    if (
        isinstance(warmup_epochs, bool)
        or not isinstance(warmup_epochs, numbers.Integral)
        or (warmup_epochs < 0)
    ):
        raise ValueError(f"train: warmup_epochs must be an integer >= 0, got {warmup_epochs!r}")
    if free_bits is not None:
        if not free_bits >= 0:
            raise ValueError(f"train: free_bits must be None or >= 0 nats, got {free_bits!r}")
        if kind != "elbo" or mask is not None:
            raise ValueError("train: free_bits needs kind='elbo' and no mask")
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = History()
    best_state = copy.deepcopy(model.state_dict())
    show = progress if progress is not None else os.environ.get("TQDM_DISABLE", "") in ("", "0")
    start = time.perf_counter()
    # tqdm.auto: a widget bar in Jupyter (text elsewhere) that stays, with the final numbers.
    bar = tqdm(range(epochs), disable=not show, desc=f"{model.head.name}", leave=True)
    for epoch in bar:
        model.train()
        epoch_beta = warmup_beta(epoch, warmup_epochs, beta)
        total, count = 0.0, 0
        for idx in torch.randperm(len(train_x), generator=shuffle).split(batch_size):
            batch = train_x[idx]
            batch_mask = None if mask is None else mask[idx]
            if free_bits is None:
                loss = -objective(model, batch, kind, k, epoch_beta, batch_mask).mean()
            else:
                loss = -objective(model, batch, kind, k, epoch_beta, free_bits=free_bits).mean()
            if not torch.isfinite(loss):
                raise FloatingPointError(f"train: non-finite loss at epoch {epoch}")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += -loss.item() * len(idx)
            count += len(idx)
        history.train_objective.append(total / count)
        history.epochs_run = epoch + 1
        if val_x is None:
            continue
        model.eval()
        with torch.no_grad():
            val = objective(model, val_x, kind, k, 1.0, val_mask).mean().item()
        history.val_objective.append(val)
        bar.set_postfix(val=f"{val:.2f}")
        if val > history.best_val:
            history.best_val, history.best_epoch = val, epoch
            best_state = copy.deepcopy(model.state_dict())
        elif (
            patience is not None and epoch - max(history.best_epoch, warmup_epochs - 1) >= patience
        ):
            break  # patience counts from the best epoch, or from the end of a warm-up
    if val_x is not None:
        model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - start
    return history


def warmup_beta(epoch: int, warmup_epochs: int, beta: float = 1.0) -> float:
    r"""The KL weight of epoch ``epoch`` (from 0) under a linear warm-up of ``warmup_epochs``.

    :math:`\beta_e = \beta\min(1, e / W)` for :math:`W` = ``warmup_epochs`` :math:`> 0`: 0 in the
    first epoch, :math:`\beta` from epoch :math:`W` on; :math:`W = 0` means no warm-up,
    :math:`\beta_e = \beta` throughout.
    """
    if warmup_epochs == 0:
        return beta
    return beta * min(1.0, epoch / warmup_epochs)


def fit_digits(
    head: torch.nn.Module,
    latent_dim: int = 8,
    hidden: tuple[int, ...] = (256, 256),
    seed: int = 0,
    **train_kwargs: object,
) -> tuple[VAE, History]:
    """Build a :class:`~vae_tutorial.model.VAE` with ``head`` and train it on the digits.

    The training and validation splits are put in the head's representation
    (``head.prepare``); ``train_kwargs`` go to :func:`train` (epochs, lr, patience, kind, k, ...).
    The model is initialised from ``seed``, so the result is reproducible.
    """
    from .data import load_digits

    torch.manual_seed(seed)
    model = VAE(head, data_dim=64, latent_dim=latent_dim, hidden=hidden)
    x_train = head.prepare(load_digits("train"))
    x_val = head.prepare(load_digits("val"))
    history = train(model, x_train, x_val, seed=seed, **train_kwargs)  # type: ignore[arg-type]
    return model, history
