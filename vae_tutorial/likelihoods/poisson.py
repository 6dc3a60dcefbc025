r"""Poisson likelihood for unbounded counts :math:`0, 1, 2, \dots`.

.. math::

    \log p(x\mid z) = \sum_{d=1}^D\bigl[x_d\log\lambda_d - \lambda_d - \log x_d!\bigr],\qquad
    \lambda_d = \mathrm{softplus}(r_d) + \lambda_{\min}.

Mean and variance are both :math:`\lambda_d`: the Poisson cannot express over-dispersion.
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import Poisson, constraints

from .. import representations
from .base import LikelihoodHead, positive


class PoissonHead(LikelihoodHead):
    """One raw output per dimension mapped to the rate by softplus (plus a tiny floor)."""

    name = "poisson"
    params_per_dim = 1
    support = constraints.nonnegative_integer
    expects = "whole-number counts 0, 1, 2, ..."
    discrete = True

    def __init__(self, min_rate: float = 1e-6, validate_args: bool = True) -> None:
        super().__init__(validate_args)
        self.min_rate = float(min_rate)

    def representation(self, levels: Tensor) -> Tensor:
        return representations.levels(levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / (representations.NUM_LEVELS - 1)

    def distribution(self, raw_rate: Tensor) -> Poisson:
        return Poisson(positive(raw_rate, self.min_rate), validate_args=False)
