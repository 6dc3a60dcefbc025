r"""An autoregressive model with no latent variable: the reference a latent code must beat.

An autoregressive head (:mod:`~vae_tutorial.likelihoods.autoregressive`) defines
:math:`p_\theta(x\mid z) = \prod_d p(x_d\mid x_{<d}, z)`. Replace the z-features by a learned
constant :math:`c` and it is a model of :math:`x` alone,

.. math::

    p_\theta(x) = \prod_{d=1}^D p\bigl(x_d \mid x_{<d}, c\bigr),

whose log-likelihood is *exact* (one teacher-forced pass, no bound, no sampling). Whatever a VAE
with the same head gains over it is what the latent code adds.
"""

from __future__ import annotations

import copy
import time

import torch
from torch import Tensor, nn

from .likelihoods.autoregressive import AutoregressiveDistribution, AutoregressiveHead
from .objectives import bits_per_dim
from .training import History


class AutoregressiveOnly(nn.Module):
    """``head`` with a learned constant context instead of z-features; ``log_prob`` is exact."""

    def __init__(self, head: AutoregressiveHead) -> None:
        super().__init__()
        if not isinstance(head, AutoregressiveHead):
            raise ValueError(
                f"AutoregressiveOnly: expected an autoregressive head, got {type(head).__name__}"
            )
        self.head = head
        self.data_dim = head.data_dim
        self.context = nn.Parameter(torch.zeros(head.data_dim * head.params_per_dim))

    def distribution(self) -> AutoregressiveDistribution:
        """:math:`p_\\theta(x)`, batch shape ``[]``, event shape ``(D,)``."""
        return self.head(self.context)

    def log_prob(self, x: Tensor) -> Tensor:
        """Exact :math:`\\log p_\\theta(x)` of ``x [N, D]`` (the head's representation), ``[N]``."""
        return self.distribution().log_prob(x)

    @torch.no_grad()
    def sample(self, n: int) -> Tensor:
        """``n`` images, pixel by pixel, ``[n, D]``."""
        return self.distribution().sample((n,))


def train_autoregressive_only(
    model: AutoregressiveOnly,
    train_x: Tensor,
    val_x: Tensor,
    *,
    epochs: int = 100,
    batch_size: int = 100,
    lr: float = 1e-3,
    patience: int | None = 20,
    seed: int = 0,
) -> History:
    """Maximum likelihood with Adam and early stopping on the exact validation log-likelihood.

    The same loop as :func:`~vae_tutorial.training.train` (shuffling from ``seed``, best
    validation epoch restored), with the exact :math:`\\log p_\\theta(x)` as the objective.
    """
    model.head.check_value(train_x)
    model.head.check_value(val_x)
    torch.manual_seed(seed)
    shuffle = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history = History()
    best_state = copy.deepcopy(model.state_dict())
    start = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        total = 0.0
        for idx in torch.randperm(len(train_x), generator=shuffle).split(batch_size):
            loss = -model.log_prob(train_x[idx]).mean()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += -loss.item() * len(idx)
        history.train_objective.append(total / len(train_x))
        history.epochs_run = epoch + 1
        model.eval()
        with torch.no_grad():
            val = model.log_prob(val_x).mean().item()
        history.val_objective.append(val)
        if val > history.best_val:
            history.best_val, history.best_epoch = val, epoch
            best_state = copy.deepcopy(model.state_dict())
        elif patience is not None and epoch - history.best_epoch >= patience:
            break
    model.load_state_dict(best_state)
    model.eval()
    history.seconds = time.perf_counter() - start
    return history


def exact_bits_per_dim(model: AutoregressiveOnly, x: Tensor) -> float:
    """Exact :math:`-\\frac{1}{N D\\ln 2}\\sum_n \\log p_\\theta(x_n)` (no bound, no noise)."""
    with torch.no_grad():
        return float(bits_per_dim(model.log_prob(x).mean(), x.shape[-1]))


__all__ = ["AutoregressiveOnly", "train_autoregressive_only", "exact_bits_per_dim"]
