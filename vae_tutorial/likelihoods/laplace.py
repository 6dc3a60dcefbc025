r"""Laplace likelihood: the model behind an L1 reconstruction loss.

.. math::

    \log p(x \mid z) = \sum_{d=1}^D\Bigl[-\frac{|x_d-\mu_d|}{b_d} - \log(2 b_d)\Bigr],

with :math:`\mu_d = r^{(1)}_d` and either a fixed scale :math:`b` (``scale=b``, one raw output
per dimension: the sum-reduced L1 loss weighted by :math:`1/b`) or a learned per-dimension scale
:math:`b_d = \mathrm{softplus}(r^{(2)}_d) + b_{\min}` (``scale=None``, the default: two outputs).
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import Laplace, constraints

from .. import representations
from .base import LikelihoodHead, positive


class LaplaceHead(LikelihoodHead):
    """Location from the decoder; scale fixed (``scale=b``) or per dimension (``scale=None``)."""

    name = "laplace"
    support = constraints.real
    expects = "real numbers"

    def __init__(
        self, scale: float | None = None, min_scale: float = 1e-3, validate_args: bool = True
    ) -> None:
        super().__init__(validate_args)
        if scale is not None and not scale > 0:
            raise ValueError(f"{self.name}: scale must be positive or None, got {scale}")
        self.scale = scale
        self.min_scale = float(min_scale)
        self.params_per_dim = 1 if scale is not None else 2

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def distribution(self, loc: Tensor, raw_scale: Tensor | None = None) -> Laplace:
        scale = self.scale if raw_scale is None else positive(raw_scale, self.min_scale)
        return Laplace(loc, scale, validate_args=False)
