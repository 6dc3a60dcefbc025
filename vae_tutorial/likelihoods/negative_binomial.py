r"""Negative binomial likelihood for over-dispersed counts (mean :math:`\mu`, dispersion :math:`r`).

.. math::

    \log p(x\mid z) = \sum_{d=1}^D\Bigl[\log\Gamma(x_d + r_d) - \log\Gamma(r_d) - \log x_d!
    + r_d\log\frac{r_d}{r_d+\mu_d} + x_d\log\frac{\mu_d}{r_d+\mu_d}\Bigr],

with :math:`\mu_d = \mathrm{softplus}(r^{(1)}_d) + \mu_{\min}`,
:math:`r_d = \mathrm{softplus}(r^{(2)}_d) + r_{\min}`. Mean :math:`\mu`, variance
:math:`\mu + \mu^2/r`: always at least the Poisson's, tending to it as :math:`r\to\infty`.
In torch's parametrisation this is ``NegativeBinomial(total_count=r, logits=log mu - log r)``.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.distributions import NegativeBinomial as TorchNegativeBinomial
from torch.distributions import constraints

from .. import representations
from .base import LikelihoodHead, positive
from .count_entropy import entropy_by_summation


class NegativeBinomial(TorchNegativeBinomial):
    """torch's ``NegativeBinomial`` with an ``entropy`` (torch has none): the sum
    :math:`-\\sum_k P(k)\\log P(k)` over the counts, in float64, until the tail left is below
    1e-12 (:func:`~vae_tutorial.likelihoods.count_entropy.entropy_by_summation`); NaN where the
    tail is too heavy to sum within a million counts (tiny dispersion with a large mean)."""

    def entropy(self) -> Tensor:
        dist64 = TorchNegativeBinomial(
            self.total_count.double(), logits=self.logits.double(), validate_args=False
        )
        return entropy_by_summation(dist64).to(self.logits.dtype)


class NegativeBinomialHead(LikelihoodHead):
    """Mean and dispersion per dimension, each through softplus with a small floor."""

    name = "negative_binomial"
    params_per_dim = 2
    support = constraints.nonnegative_integer
    expects = "whole-number counts 0, 1, 2, ..."
    discrete = True

    def __init__(
        self,
        min_mean: float = 1e-6,
        min_dispersion: float = 1e-3,
        count_scale: float = 16.0,
        validate_args: bool = True,
    ) -> None:
        """``count_scale`` divides the counts before the encoder sees them (16: the digits'
        largest count; use a typical count of your data)."""
        super().__init__(validate_args)
        if not count_scale > 0:
            raise ValueError(f"{self.name}: count_scale must be positive, got {count_scale!r}")
        self.min_mean, self.min_dispersion = float(min_mean), float(min_dispersion)
        self.count_scale = float(count_scale)

    def representation(self, levels: Tensor) -> Tensor:
        """The counts themselves: any whole numbers >= 0 (not only the digits' 0..16)."""
        return representations.counts(levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / self.count_scale

    def distribution(self, raw_mean: Tensor, raw_dispersion: Tensor) -> NegativeBinomial:
        mean = positive(raw_mean, self.min_mean)
        dispersion = positive(raw_dispersion, self.min_dispersion)
        logits = torch.log(mean) - torch.log(dispersion)
        return NegativeBinomial(total_count=dispersion, logits=logits, validate_args=False)
