r"""Gaussian likelihood with a low-rank-plus-diagonal covariance, all of it output by the decoder.

.. math::

    p_\theta(x\mid z) = \mathcal N\bigl(x;\ \mu(z),\ \Sigma(z)\bigr),\qquad
    \Sigma = W W^\top + \operatorname{diag}(\sigma^2),\quad W \in \mathbb R^{D\times r},

    \log p_\theta(x\mid z) = -\tfrac12 (x-\mu)^\top\Sigma^{-1}(x-\mu)
    - \tfrac12\log\det\Sigma - \tfrac D2\log 2\pi .

The :math:`r` columns of :math:`W` are directions in image space along which the pixels vary
*together* around the mean; :math:`\sigma^2` is what every pixel adds on its own. With the
Woodbury identity and the matrix determinant lemma (what
``torch.distributions.LowRankMultivariateNormal`` does) one evaluation costs
:math:`O(D r^2 + r^3)` instead of the :math:`O(D^3)` of a full covariance. ``rank=0`` is the
diagonal Gaussian.

Raw layout (``params_per_dim = 2 + r`` blocks of :math:`D`): the mean :math:`\mu`, the raw standard
deviation (:math:`\sigma = \mathrm{softplus}(\cdot) + \sigma_{\min}`), then the columns
:math:`W_{:,1},\dots,W_{:,r}`. The floor :math:`\sigma_{\min}` keeps
:math:`\det\Sigma \ge \sigma_{\min}^{2D}`, so the density stays bounded (see
:mod:`~vae_tutorial.likelihoods.gaussian_diagonal`).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.distributions import LowRankMultivariateNormal, constraints

from .. import representations
from .base import LikelihoodHead, positive
from .joint import HeadChecked


class CheckedLowRankNormal(HeadChecked, LowRankMultivariateNormal):
    """``LowRankMultivariateNormal`` that checks values with its head's error messages."""

    def __init__(
        self, loc: Tensor, cov_factor: Tensor, cov_diag: Tensor, head: LikelihoodHead
    ) -> None:
        super().__init__(loc, cov_factor, cov_diag, validate_args=False)
        self.head = head


class GaussianLowRankHead(LikelihoodHead):
    """Mean, per-pixel standard deviation and ``rank`` covariance directions per image."""

    name = "gaussian_lowrank"
    support = constraints.real
    expects = "real numbers"

    def __init__(self, rank: int = 4, min_sigma: float = 1e-3, validate_args: bool = True) -> None:
        super().__init__(validate_args)
        if rank < 0:
            raise ValueError(f"{self.name}: rank must be >= 0, got {rank}")
        if min_sigma <= 0:
            raise ValueError(f"{self.name}: min_sigma must be > 0, got {min_sigma}")
        self.rank, self.min_sigma = int(rank), float(min_sigma)
        self.params_per_dim = 2 + self.rank

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def distribution(
        self, mean: Tensor, raw_sigma: Tensor, *columns: Tensor
    ) -> CheckedLowRankNormal:
        """Blocks ``[..., D]`` -> ``N(mean, W W^T + diag(sigma^2))`` with ``W [..., D, r]``."""
        sigma = positive(raw_sigma, self.min_sigma)
        if columns:
            factor = torch.stack(columns, dim=-1)
        else:
            factor = mean.new_zeros(mean.shape + (1,))
        return CheckedLowRankNormal(mean, factor, sigma.pow(2), head=self)

    def forward(self, raw: Tensor) -> CheckedLowRankNormal:  # type: ignore[override]
        return self.distribution(*self.split(raw))

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, rank={self.rank}, min_sigma={self.min_sigma}"
