r"""Gaussian likelihood with a full covariance, through its Cholesky factor.

.. math::

    p_\theta(x\mid z) = \mathcal N\bigl(x;\ \mu(z),\ \Sigma(z)\bigr),\qquad \Sigma = L L^\top,

    \log p_\theta(x\mid z) = -\tfrac12\bigl\lVert L^{-1}(x-\mu)\bigr\rVert^2
    - \sum_{d=1}^D \log L_{dd} - \tfrac D2\log 2\pi,

with :math:`L` lower triangular and :math:`L_{dd} > 0`. Any covariance can be written this way, so
this head can express every linear dependence between pixels. The price: :math:`D(D+1)/2`
numbers per image from the decoder (2080 for :math:`D = 64`) and a triangular solve,
:math:`O(D^2)` per image once :math:`L` is known, :math:`O(D^3)` to factor a covariance given in
any other form; sampling is :math:`x = \mu + L\varepsilon`.

Raw layout (``params_per_dim = D + 1`` blocks of :math:`D`): the mean, then the :math:`D` columns
of a square matrix :math:`A` (block :math:`1 + j` is column :math:`j`). The head keeps its strict
lower triangle and maps the diagonal to :math:`\mathrm{softplus}(A_{dd}) + \sigma_{\min}`; the
strict upper triangle is ignored (it receives zero gradient). The floor bounds the density:
:math:`\det\Sigma \ge \sigma_{\min}^{2D}`.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.distributions import MultivariateNormal, constraints

from .. import representations
from .base import LikelihoodHead, positive
from .joint import HeadChecked


class CheckedMultivariateNormal(HeadChecked, MultivariateNormal):
    """``MultivariateNormal`` (from ``scale_tril``) that checks values with its head's messages."""

    def __init__(self, loc: Tensor, scale_tril: Tensor, head: LikelihoodHead) -> None:
        super().__init__(loc, scale_tril=scale_tril, validate_args=False)
        self.head = head


class GaussianFullHead(LikelihoodHead):
    """Mean and a full Cholesky factor per image; needs ``data_dim`` to know its raw layout."""

    name = "gaussian_full"
    support = constraints.real
    expects = "real numbers"

    def __init__(
        self, data_dim: int = 64, min_sigma: float = 1e-3, validate_args: bool = True
    ) -> None:
        super().__init__(validate_args)
        if data_dim < 1:
            raise ValueError(f"{self.name}: data_dim must be >= 1, got {data_dim}")
        if min_sigma <= 0:
            raise ValueError(f"{self.name}: min_sigma must be > 0, got {min_sigma}")
        self.data_dim, self.min_sigma = int(data_dim), float(min_sigma)
        self.params_per_dim = self.data_dim + 1

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def check_raw(self, raw: Tensor) -> None:
        super().check_raw(raw)
        if raw.shape[-1] != self.data_dim * self.params_per_dim:
            raise ValueError(
                f"{self.name}: expected raw decoder output with trailing size D * (D + 1) = "
                f"{self.data_dim * self.params_per_dim} for D = {self.data_dim}, "
                f"got shape {tuple(raw.shape)}"
            )

    def scale_tril(self, matrix: Tensor) -> Tensor:
        """Square ``[..., D, D]`` -> lower-triangular factor with a floored positive diagonal."""
        diag = positive(torch.diagonal(matrix, dim1=-2, dim2=-1), self.min_sigma)
        return torch.tril(matrix, diagonal=-1) + torch.diag_embed(diag)

    def distribution(self, mean: Tensor, *columns: Tensor) -> CheckedMultivariateNormal:
        """Blocks ``[..., D]`` -> ``N(mean, L L^T)``."""
        return CheckedMultivariateNormal(
            mean, self.scale_tril(torch.stack(columns, dim=-1)), head=self
        )

    def forward(self, raw: Tensor) -> CheckedMultivariateNormal:  # type: ignore[override]
        self.check_raw(raw)
        mean = raw[..., : self.data_dim]
        matrix = raw[..., self.data_dim :].unflatten(-1, (self.data_dim, self.data_dim))
        # block 1 + j holds column j: matrix[..., j, i] = A[i, j]
        return CheckedMultivariateNormal(mean, self.scale_tril(matrix.transpose(-1, -2)), self)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, data_dim={self.data_dim}, min_sigma={self.min_sigma}"
