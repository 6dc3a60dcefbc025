r"""Continuous Bernoulli likelihood for values in [0, 1] (Loaiza-Ganem & Cunningham, 2019).

.. math::

    p(x_d \mid \lambda_d) = C(\lambda_d)\,\lambda_d^{x_d}(1-\lambda_d)^{1-x_d},\quad
    x_d\in[0,1],\qquad
    C(\lambda) = \frac{2\,\operatorname{artanh}(1-2\lambda)}{1-2\lambda},\ C(\tfrac12) = 2.

So :math:`\log p(x\mid z) = -\mathrm{BCE}(r, x) + \sum_d \log C(\lambda_d)`: binary cross-entropy
on grey values is this likelihood *without* its normaliser. In terms of the logit
:math:`\eta = r_d = \log\frac{\lambda}{1-\lambda}` the normaliser is
:math:`C = \eta / \tanh(\eta/2)`, which is how we compute it:

* :math:`|\eta| < 10^{-2}`: Taylor series :math:`\log C = \log 2 + \eta^2/12 - 7\eta^4/1440`;
* otherwise :math:`\log C = \log\bigl(\eta/\tanh(\eta/2)\bigr)`, exact in float32 for every
  :math:`\eta` (for large :math:`|\eta|` it tends to :math:`\log|\eta|`).

torch's own ``ContinuousBernoulli`` works with :math:`\lambda` and clamps it, which in float32
misstates :math:`\log C` by up to 0.6 nats once :math:`|\eta| \gtrsim 16`; the logit form has no
such cliff. The mean :math:`\mathbb{E}[x] = \frac{1}{1-e^{-\eta}} - \frac1\eta` is *not*
:math:`\lambda`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor
from torch.distributions import ContinuousBernoulli, constraints

from .. import representations
from .base import LikelihoodHead

_TAYLOR_LOG_NORM = 1e-2
_TAYLOR_MEAN = 1e-1
_TAYLOR_VAR = 5e-1


def log_normalizer(logits: Tensor) -> Tensor:
    r""":math:`\log C(\lambda)` as a function of :math:`\eta = \mathrm{logit}\,\lambda`."""
    small = logits.abs() < _TAYLOR_LOG_NORM
    safe = torch.where(small, torch.ones_like(logits), logits)
    exact = torch.log(safe / torch.tanh(safe / 2))
    eta2 = logits * logits
    taylor = math.log(2.0) + eta2 / 12 - 7 * eta2 * eta2 / 1440
    return torch.where(small, taylor, exact)


class StableContinuousBernoulli(ContinuousBernoulli):
    """torch's ``ContinuousBernoulli`` with normaliser, mean, variance and sampler in logit form."""

    def _cont_bern_log_norm(self) -> Tensor:
        return log_normalizer(self.logits)

    @property
    def mean(self) -> Tensor:
        eta = self.logits
        small = eta.abs() < _TAYLOR_MEAN
        safe = torch.where(small, torch.ones_like(eta), eta)
        # 1/(1-e^{-eta}) - 1/eta, written with expm1 for both signs
        exact = -1.0 / torch.expm1(-safe) - 1.0 / safe
        taylor = 0.5 + eta / 12 - eta.pow(3) / 720
        return torch.where(small, taylor, exact)

    @property
    def variance(self) -> Tensor:
        eta = self.logits
        small = eta.abs() < _TAYLOR_VAR
        safe = torch.where(small, torch.ones_like(eta), eta)
        exact = 1.0 / safe.pow(2) - 1.0 / (4 * torch.sinh(safe / 2).pow(2))
        eta2 = eta * eta
        taylor = 1.0 / 12 - eta2 / 240 + eta2 * eta2 / 6048
        return torch.where(small, taylor, exact)

    def icdf(self, value: Tensor) -> Tensor:
        r"""Inverse CDF :math:`F^{-1}(u) = \log(1 + u(e^\eta - 1))/\eta`, stable for both signs."""
        eta = self.logits
        small = eta.abs() < 1e-4
        safe = torch.where(small, torch.ones_like(eta), eta)
        pos = 1 + torch.log(value + (1 - value) * torch.exp(-safe.clamp(min=0))) / safe
        neg = torch.log1p(value * torch.expm1(safe.clamp(max=0))) / safe
        out = torch.where(safe > 0, pos, neg)
        return torch.where(small, value, out).clamp(0.0, 1.0)

    def rsample(self, sample_shape: torch.Size = torch.Size()) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = torch.rand(shape, dtype=self.logits.dtype, device=self.logits.device)
        return self.icdf(u)


class ContinuousBernoulliHead(LikelihoodHead):
    """One logit per pixel; x anywhere in [0, 1] (use :meth:`prepare` to scale levels)."""

    name = "continuous_bernoulli"
    params_per_dim = 1
    support = constraints.unit_interval
    expects = "[0, 1]"

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def distribution(self, logits: Tensor) -> StableContinuousBernoulli:
        return StableContinuousBernoulli(logits=logits, validate_args=False)
