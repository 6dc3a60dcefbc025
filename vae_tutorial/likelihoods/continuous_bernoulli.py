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

The mean and variance switch to their series below :math:`|\eta| = 0.1` and :math:`0.5`; the
series are long enough (mean to :math:`\eta^5`, variance to :math:`\eta^8`) that the two formulas
agree to 1e-12 at the switch. (With the variance series stopped at :math:`\eta^4`, as first
written, the variance jumped by 9e-8 at :math:`|\eta| = 0.5` and was off by 4e-9 at 0.3.) The
sampler's inverse CDF likewise uses ``log1p``/``expm1`` for small :math:`\eta`: the earlier form
:math:`1 + \log(u + (1-u)e^{-\eta})/\eta` lost all but 3 digits in float32 at
:math:`\eta = 10^{-4}` (error 4e-4), and the earlier switch to :math:`F^{-1}(u) = u` dropped the
first-order term :math:`\eta u(1-u)/2`.

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
_TAYLOR_ICDF = 1e-4

_NO_SAMPLE_SHAPE = torch.Size()  # the default sample_shape (no extra sample dims)


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
        eta2 = eta * eta
        taylor = 0.5 + eta * (1.0 / 12 + eta2 * (-1.0 / 720 + eta2 / 30240))
        return torch.where(small, taylor, exact)

    @property
    def variance(self) -> Tensor:
        eta = self.logits
        small = eta.abs() < _TAYLOR_VAR
        safe = torch.where(small, torch.ones_like(eta), eta)
        exact = 1.0 / safe.pow(2) - 1.0 / (4 * torch.sinh(safe / 2).pow(2))
        eta2 = eta * eta
        taylor = 1.0 / 12 + eta2 * (
            -1.0 / 240 + eta2 * (1.0 / 6048 + eta2 * (-1.0 / 172800 + eta2 / 5322240))
        )
        return torch.where(small, taylor, exact)

    @property
    def mode(self) -> Tensor:
        r"""The density :math:`\propto e^{\eta x}` is monotone on [0, 1]: the mode is 1 for
        :math:`\eta > 0` and 0 for :math:`\eta < 0`. At :math:`\eta = 0` (uniform) every point is
        a mode and, as torch does for ties (``Bernoulli`` at 1/2, ``Uniform``), it is NaN."""
        mode = (self.logits > 0).to(self.logits.dtype)
        return mode.masked_fill(self.logits == 0, float("nan"))

    def icdf(self, value: Tensor) -> Tensor:
        r"""Inverse CDF :math:`F^{-1}(u) = \log(1 + u(e^\eta - 1))/\eta`, stable for both signs.

        For :math:`\eta < 1` it is evaluated as ``log1p(u * expm1(eta)) / eta`` (accurate down to
        tiny :math:`|\eta|`), for :math:`\eta \ge 1` as :math:`1 + \log(u + (1-u)e^{-\eta})/\eta`
        (no overflow), and for :math:`|\eta| < 10^{-4}` by the series
        :math:`u + \eta\,u(1-u)/2 + \eta^2 u(1-u)(1-2u)/6`.
        """
        eta = self.logits
        small = eta.abs() < _TAYLOR_ICDF
        big = eta >= 1.0
        eta_low = torch.where(small | big, torch.full_like(eta, -1.0), eta)  # eta < 1, nonzero
        eta_big = torch.where(big, eta, torch.ones_like(eta))  # eta >= 1
        low = torch.log1p(value * torch.expm1(eta_low)) / eta_low
        high = 1 + torch.log(value + (1 - value) * torch.exp(-eta_big)) / eta_big
        w = value * (1 - value)
        taylor = value + eta * w / 2 + eta * eta * w * (1 - 2 * value) / 6
        out = torch.where(small, taylor, torch.where(big, high, low))
        return out.clamp(0.0, 1.0)

    def rsample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        shape = self._extended_shape(sample_shape)
        u = torch.rand(shape, dtype=self.logits.dtype, device=self.logits.device)
        return self.icdf(u)


class ContinuousBernoulliHead(LikelihoodHead):
    """One logit per pixel; x anywhere in [0, 1].

    Use :meth:`~.LikelihoodHead.prepare` to scale levels.
    """

    name = "continuous_bernoulli"
    params_per_dim = 1
    support = constraints.unit_interval
    expects = "[0, 1]"

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def distribution(self, logits: Tensor) -> StableContinuousBernoulli:
        return StableContinuousBernoulli(logits=logits, validate_args=False)
