r"""Missing values handled by the likelihood: training on incomplete data, and imputation.

Because :math:`\log p_\theta(x\mid z) = \sum_d \log p(x_d\mid z)`, the likelihood of the observed
entries alone is the same sum restricted to them; nothing needs to be filled in to train
(:mod:`~vae_tutorial.likelihoods.masking`). The encoder must still see *something* at a missing
entry: :class:`MaskedVAE` gives it the observed values (0 where missing, after the head's
``encoder_input``) together with the mask itself, so it knows which zeros are real.

Imputation follows MIWAE (Mattei & Frellsen, 2019): with
:math:`z_i \sim q_\phi(z\mid x_{\text{obs}})` and self-normalised importance weights

.. math::

    w_i \propto \frac{p_\theta(x_{\text{obs}}\mid z_i)\,p(z_i)}{q_\phi(z_i\mid x_{\text{obs}})},
    \qquad
    p_\theta(x_{\text{miss}}\mid x_{\text{obs}}) \approx \sum_{i=1}^k w_i\,
    p_\theta(x_{\text{miss}}\mid z_i),

the single imputation is the mean :math:`\sum_i w_i\,\mathbb E[x_{\text{miss}}\mid z_i]` and
multiple imputations are draws from the mixture (pick :math:`i` with probability :math:`w_i`,
then draw from :math:`p_\theta(x\mid z_i)`: sampling importance resampling).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from .likelihoods import masking
from .likelihoods.base import LikelihoodHead
from .model import VAE, GaussianEncoder


class MaskedVAE(VAE):
    """A VAE whose encoder reads ``[x with missing entries set to 0, mask]`` (``2D`` inputs).

    ``encode(x, mask)`` accepts a bool ``mask`` (True = observed; all observed if omitted); the
    objectives of :mod:`vae_tutorial.objectives` and :func:`~vae_tutorial.training.train` pass it
    on when given one.
    """

    accepts_mask = True

    def __init__(
        self,
        head: LikelihoodHead,
        data_dim: int = 64,
        latent_dim: int = 8,
        hidden: Sequence[int] = (256, 256),
        activation: type[nn.Module] = nn.Tanh,
        prior: nn.Module | None = None,
    ) -> None:
        super().__init__(head, data_dim, latent_dim, hidden, activation, prior)
        self.encoder = GaussianEncoder(2 * data_dim, latent_dim, hidden, activation)

    def fill_value(self, x: Tensor) -> Tensor:
        """A value in each dimension's support (what a missing entry is replaced by), ``[D]``."""
        fill = getattr(self.head, "fill_values", None)
        if fill is None:
            fill = torch.full((x.shape[-1],), masking.support_point(self.head.support))
        return fill.to(dtype=x.dtype, device=x.device)

    def encode(self, x: Tensor, mask: Tensor | None = None):
        if mask is None:
            mask = torch.ones_like(x, dtype=torch.bool)
        mask = masking.check_mask(mask, x, "MaskedVAE")
        filled = torch.where(mask, x, self.fill_value(x))
        seen = self.head.encoder_input(filled) * mask
        return self.encoder(torch.cat([seen, mask.to(seen.dtype)], dim=-1))


def random_mask(shape: Sequence[int], rate: float, seed: int = 0) -> Tensor:
    """Bool mask, True = observed; each entry is missing independently with probability ``rate``."""
    if not 0 <= rate < 1:
        raise ValueError(f"random_mask: rate must be in [0, 1), got {rate}")
    g = torch.Generator().manual_seed(seed)
    return torch.rand(tuple(shape), generator=g) >= rate


def block_mask(
    n: int, size: int = 4, image_shape: tuple[int, int] = (8, 8), seed: int = 0
) -> Tensor:
    """Bool mask ``[n, H*W]``: in each image one ``size x size`` square is missing."""
    h, w = image_shape
    if not 1 <= size <= min(h, w):
        raise ValueError(f"block_mask: size must be in 1..{min(h, w)}, got {size}")
    g = torch.Generator().manual_seed(seed)
    top = torch.randint(0, h - size + 1, (n,), generator=g)
    left = torch.randint(0, w - size + 1, (n,), generator=g)
    rows, cols = torch.arange(h)[None, :, None], torch.arange(w)[None, None, :]
    inside = (
        (rows >= top[:, None, None])
        & (rows < top[:, None, None] + size)
        & (cols >= left[:, None, None])
        & (cols < left[:, None, None] + size)
    )
    return ~inside.reshape(n, h * w)


@dataclass
class Imputation:
    """``mean`` ``[N, D]`` (single imputation), ``draws`` ``[S, N, D]`` (multiple imputations),
    ``log_weights`` ``[k, N]``; observed entries are copied from the data in both."""

    mean: Tensor
    draws: Tensor | None
    log_weights: Tensor


@torch.no_grad()
def impute(
    model: MaskedVAE, x: Tensor, mask: Tensor, k: int = 200, n_draws: int = 0, batch: int = 500
) -> Imputation:
    """Importance-weighted imputation of the missing entries of ``x`` (see the module docstring).

    ``k`` proposals per row from :math:`q_\\phi(z\\mid x_{\\text{obs}})`; ``n_draws`` multiple
    imputations by resampling them. Uses the global torch RNG.
    """
    means, draws, logws = [], [], []
    for xb, mb in zip(x.split(batch), mask.split(batch), strict=True):
        q = model.encode(xb, mask=mb)
        z = q.sample((k,))  # [k, n, L]
        dist = model.decode(z)
        logw = dist.log_prob(xb, mask=mb) + model.prior().log_prob(z) - q.log_prob(z)
        w = torch.softmax(logw, dim=0)
        means.append(torch.where(mb, xb, torch.einsum("kn,knd->nd", w, dist.mean)))
        logws.append(logw)
        if n_draws:
            pick = torch.multinomial(w.T, n_draws, replacement=True).T  # [S, n]
            z_pick = z.gather(0, pick[..., None].expand(-1, -1, z.shape[-1]))
            drawn = model.decode(z_pick).sample()
            draws.append(torch.where(mb, xb, drawn))
    return Imputation(
        torch.cat(means),
        torch.cat(draws, dim=1) if n_draws else None,
        torch.cat(logws, dim=1),
    )


def _holes(x: Tensor, mask: Tensor | None) -> Tensor:
    """``x`` with NaN at the missing entries (scikit-learn's marker), float64."""
    x = x.double()
    return x if mask is None else torch.where(mask, x, torch.tensor(float("nan"), dtype=x.dtype))


def mean_impute(
    train_x: Tensor, x: Tensor, mask: Tensor, train_mask: Tensor | None = None
) -> Tensor:
    """Fill each missing entry with its column's mean over the observed entries of ``train_x``."""
    means = _holes(train_x, train_mask).nanmean(0).to(x.dtype)
    return torch.where(mask, x, means)


def knn_impute(
    train_x: Tensor,
    x: Tensor,
    mask: Tensor,
    train_mask: Tensor | None = None,
    n_neighbors: int = 5,
) -> Tensor:
    """scikit-learn's ``KNNImputer`` fitted on ``train_x`` (with its own holes, ``train_mask``).

    Each missing entry becomes the mean of that column over the ``n_neighbors`` training rows
    closest on the columns both rows observe (``nan_euclidean`` distance).
    """
    from sklearn.impute import KNNImputer

    imputer = KNNImputer(n_neighbors=n_neighbors).fit(_holes(train_x, train_mask).numpy())
    filled = torch.from_numpy(np.asarray(imputer.transform(_holes(x, mask).numpy())))
    return torch.where(mask, x, filled.to(x.dtype))
