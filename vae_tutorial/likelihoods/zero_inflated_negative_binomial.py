r"""Zero-inflated negative binomial: an over-dispersed count, or an extra zero (as in scVI).

With probability :math:`\pi_d` a structural zero, otherwise a negative binomial with mean
:math:`\mu_d` and dispersion :math:`\kappa_d` (variance :math:`\mu_d + \mu_d^2/\kappa_d`):

.. math::

    p(x_d = 0\mid z) = \pi_d + (1-\pi_d)\Bigl(\frac{\kappa_d}{\kappa_d+\mu_d}\Bigr)^{\kappa_d},
    \qquad p(x_d = k\mid z) = (1-\pi_d)\,\mathrm{NB}(k;\mu_d,\kappa_d)\quad(k\ge1),

with :math:`\mu_d = \mathrm{softplus}(r^{(1)}_d) + \mu_{\min}`,
:math:`\kappa_d = \mathrm{softplus}(r^{(2)}_d) + \kappa_{\min}`, :math:`\pi_d = \sigma(r^{(3)}_d)`.
Mean :math:`(1-\pi)\mu`, variance :math:`(1-\pi)(\mu + \mu^2/\kappa) + \pi(1-\pi)\mu^2`.

A negative binomial with a small :math:`\kappa` already puts a lot of mass at 0
(:math:`(\kappa/(\kappa+\mu))^\kappa \to 1` as :math:`\kappa \to 0`), so the gate and the
dispersion can explain the same zeros: the zero-inflated model is only identifiable through the
shape of the non-zero counts.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.distributions import Distribution, NegativeBinomial, constraints

from .. import representations
from .base import LikelihoodHead, positive

_NO_SAMPLE_SHAPE = torch.Size()


class ZeroInflatedNegativeBinomial(Distribution):
    """NB(mean ``mean``, dispersion ``dispersion``) mixed with a point mass at 0."""

    arg_constraints = {
        "mean_count": constraints.positive,
        "dispersion": constraints.positive,
        "gate_logits": constraints.real,
    }
    support = constraints.nonnegative_integer
    has_rsample = False

    def __init__(
        self,
        mean: Tensor,
        dispersion: Tensor,
        gate_logits: Tensor,
        validate_args: bool | None = None,
    ) -> None:
        self.mean_count, self.dispersion, self.gate_logits = torch.broadcast_tensors(
            mean, dispersion, gate_logits
        )
        super().__init__(self.mean_count.shape, validate_args=validate_args)

    @property
    def gate(self) -> Tensor:
        """:math:`\\pi`, the probability of a structural zero."""
        return torch.sigmoid(self.gate_logits)

    @property
    def count_distribution(self) -> NegativeBinomial:
        """The negative binomial part, a ``NegativeBinomial`` with logits log(mu / kappa)."""
        logits = torch.log(self.mean_count) - torch.log(self.dispersion)
        return NegativeBinomial(self.dispersion, logits=logits, validate_args=False)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_nb = self.count_distribution.log_prob(value)
        log_keep = F.logsigmoid(-self.gate_logits)
        # log NB(0) = -kappa * log(1 + mu / kappa), written with log1p for small mu / kappa
        log_nb_zero = -self.dispersion * torch.log1p(self.mean_count / self.dispersion)
        zero = torch.logaddexp(F.logsigmoid(self.gate_logits), log_keep + log_nb_zero)
        return torch.where(value == 0, zero, log_keep + log_nb)

    @property
    def mean(self) -> Tensor:
        return (1 - self.gate) * self.mean_count

    @property
    def variance(self) -> Tensor:
        pi, mu = self.gate, self.mean_count
        return (1 - pi) * (mu + mu.pow(2) / self.dispersion) + pi * (1 - pi) * mu.pow(2)

    def sample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with torch.no_grad():
            counts = self.count_distribution.sample(sample_shape)
            structural = torch.rand(shape, dtype=self.gate.dtype) < self.gate.expand(shape)
            return torch.where(structural, torch.zeros_like(counts), counts)


class ZeroInflatedNegativeBinomialHead(LikelihoodHead):
    """Three raw outputs per dimension: mean and dispersion (softplus), the zero gate's logit."""

    name = "zero_inflated_negative_binomial"
    params_per_dim = 3
    support = constraints.nonnegative_integer
    expects = "whole-number counts 0, 1, 2, ..."
    discrete = True

    def __init__(
        self, min_mean: float = 1e-6, min_dispersion: float = 1e-3, validate_args: bool = True
    ) -> None:
        super().__init__(validate_args)
        if min_mean <= 0 or min_dispersion <= 0:
            raise ValueError(
                f"{self.name}: min_mean and min_dispersion must be positive, got "
                f"{min_mean} and {min_dispersion}"
            )
        self.min_mean, self.min_dispersion = float(min_mean), float(min_dispersion)

    def representation(self, levels: Tensor) -> Tensor:
        return representations.levels(levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / (representations.NUM_LEVELS - 1)

    def distribution(
        self, raw_mean: Tensor, raw_dispersion: Tensor, gate_logits: Tensor
    ) -> ZeroInflatedNegativeBinomial:
        return ZeroInflatedNegativeBinomial(
            positive(raw_mean, self.min_mean),
            positive(raw_dispersion, self.min_dispersion),
            gate_logits,
            validate_args=False,
        )
