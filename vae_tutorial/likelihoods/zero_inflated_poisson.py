r"""Zero-inflated Poisson: a Poisson count, or an extra ("structural") zero.

With probability :math:`\pi_d` the value is a structural zero; otherwise it is drawn from
:math:`\mathrm{Poisson}(\lambda_d)`, which can also give a zero:

.. math::

    p(x_d = 0\mid z) = \pi_d + (1-\pi_d)\,e^{-\lambda_d},\qquad
    p(x_d = k\mid z) = (1-\pi_d)\,\frac{\lambda_d^k e^{-\lambda_d}}{k!}\quad(k\ge1),

with :math:`\lambda_d = \mathrm{softplus}(r^{(1)}_d) + \lambda_{\min}` and
:math:`\pi_d = \sigma(r^{(2)}_d)`. Mean :math:`(1-\pi)\lambda`, variance
:math:`(1-\pi)\lambda(1+\pi\lambda)`. In logs, with :math:`g = r^{(2)}_d` (so
:math:`\log\pi = \log\sigma(g)`, :math:`\log(1-\pi) = \log\sigma(-g)`),
:math:`\log p(0) = \operatorname{logaddexp}(\log\sigma(g),\ \log\sigma(-g) - \lambda)`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.distributions import Distribution, Poisson, constraints

from .. import representations
from .base import LikelihoodHead, positive

_NO_SAMPLE_SHAPE = torch.Size()


class ZeroInflatedPoisson(Distribution):
    """Poisson(``rate``) mixed with a point mass at 0 of weight ``sigmoid(gate_logits)``."""

    arg_constraints = {"rate": constraints.nonnegative, "gate_logits": constraints.real}
    support = constraints.nonnegative_integer
    has_rsample = False

    def __init__(self, rate: Tensor, gate_logits: Tensor, validate_args: bool | None = None):
        self.rate, self.gate_logits = torch.broadcast_tensors(rate, gate_logits)
        super().__init__(self.rate.shape, validate_args=validate_args)

    @property
    def gate(self) -> Tensor:
        """:math:`\\pi`, the probability of a structural zero."""
        return torch.sigmoid(self.gate_logits)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_poisson = torch.xlogy(value, self.rate) - self.rate - torch.lgamma(value + 1)
        log_keep = F.logsigmoid(-self.gate_logits)  # log(1 - pi)
        zero = torch.logaddexp(F.logsigmoid(self.gate_logits), log_keep - self.rate)
        return torch.where(value == 0, zero, log_keep + log_poisson)

    @property
    def mean(self) -> Tensor:
        return (1 - self.gate) * self.rate

    @property
    def variance(self) -> Tensor:
        return (1 - self.gate) * self.rate * (1 + self.gate * self.rate)

    def sample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with torch.no_grad():
            counts = Poisson(self.rate.expand(shape), validate_args=False).sample()
            structural = torch.rand(shape, dtype=self.rate.dtype) < self.gate.expand(shape)
            return torch.where(structural, torch.zeros_like(counts), counts)


class ZeroInflatedPoissonHead(LikelihoodHead):
    """Two raw outputs per dimension: the rate (softplus) and the zero gate's logit."""

    name = "zero_inflated_poisson"
    params_per_dim = 2
    support = constraints.nonnegative_integer
    expects = "whole-number counts 0, 1, 2, ..."
    discrete = True

    def __init__(self, min_rate: float = 1e-6, validate_args: bool = True) -> None:
        super().__init__(validate_args)
        if min_rate <= 0:
            raise ValueError(f"{self.name}: min_rate must be positive, got {min_rate}")
        self.min_rate = float(min_rate)

    def representation(self, levels: Tensor) -> Tensor:
        return representations.levels(levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / (representations.NUM_LEVELS - 1)

    def distribution(self, raw_rate: Tensor, gate_logits: Tensor) -> ZeroInflatedPoisson:
        return ZeroInflatedPoisson(positive(raw_rate, self.min_rate), gate_logits, False)
