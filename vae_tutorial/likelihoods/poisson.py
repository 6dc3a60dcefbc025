r"""Poisson likelihood for unbounded counts :math:`0, 1, 2, \dots`.

.. math::

    \log p(x\mid z) = \sum_{d=1}^D\bigl[x_d\log\lambda_d - \lambda_d - \log x_d!\bigr],\qquad
    \lambda_d = \mathrm{softplus}(r_d) + \lambda_{\min}.

Mean and variance are both :math:`\lambda_d`: the Poisson cannot express over-dispersion.
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import Poisson as TorchPoisson
from torch.distributions import constraints

from .. import representations
from .base import LikelihoodHead, positive
from .count_entropy import entropy_by_summation


class Poisson(TorchPoisson):
    """torch's ``Poisson`` with an ``entropy`` (torch has none): the sum
    :math:`-\\sum_k P(k)\\log P(k)` over the counts, in float64, until the tail left is below
    1e-12 (:func:`~vae_tutorial.likelihoods.count_entropy.entropy_by_summation`); NaN for rates
    too large to sum (about 1e6 and above)."""

    def entropy(self) -> Tensor:
        exact = entropy_by_summation(TorchPoisson(self.rate.double(), validate_args=False))
        return exact.to(self.rate.dtype)


class PoissonHead(LikelihoodHead):
    """One raw output per dimension mapped to the rate by softplus (plus a tiny floor)."""

    name = "poisson"
    params_per_dim = 1
    support = constraints.nonnegative_integer
    expects = "whole-number counts 0, 1, 2, ..."
    discrete = True

    def __init__(
        self, min_rate: float = 1e-6, count_scale: float = 16.0, validate_args: bool = True
    ) -> None:
        """``count_scale`` divides the counts before the encoder sees them (16: the digits'
        largest count; use a typical count of your data)."""
        super().__init__(validate_args)
        if not count_scale > 0:
            raise ValueError(f"{self.name}: count_scale must be positive, got {count_scale!r}")
        self.min_rate, self.count_scale = float(min_rate), float(count_scale)

    def representation(self, levels: Tensor) -> Tensor:
        """The counts themselves: any whole numbers >= 0 (not only the digits' 0..16)."""
        return representations.counts(levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / self.count_scale

    def distribution(self, raw_rate: Tensor) -> Poisson:
        return Poisson(positive(raw_rate, self.min_rate), validate_args=False)
