r"""Gaussian likelihood with ONE learned standard deviation shared by all dimensions (sigma-VAE).

.. math::

    \log p(x \mid z) = -\frac{1}{2\sigma^2}\sum_{d=1}^D (x_d - \mu_d)^2 - D\log\sigma
    - \frac{D}{2}\log(2\pi),\qquad \sigma = \exp(s),

with :math:`s` an ``nn.Parameter`` of the head (clamped to ``[log min_sigma, log max_sigma]``).
For fixed means, the maximum over :math:`\sigma` is in closed form (Rybkin et al., 2021):
:math:`\sigma^{*2} = \frac{1}{ND}\sum_{n,d}(x_{nd}-\mu_{nd})^2`, see
:meth:`GaussianSharedHead.optimal_sigma`.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.distributions import Normal, constraints

from .. import representations
from .base import LikelihoodHead


class GaussianSharedHead(LikelihoodHead):
    """Mean from the decoder; ``log_sigma`` is a learned scalar parameter of the head."""

    name = "gaussian_shared"
    params_per_dim = 1
    support = constraints.real
    expects = "real numbers"

    def __init__(
        self,
        init_sigma: float = 1.0,
        min_sigma: float = 1e-3,
        max_sigma: float = 1e3,
        validate_args: bool = True,
    ) -> None:
        super().__init__(validate_args)
        if not 0 < min_sigma <= init_sigma <= max_sigma:
            raise ValueError(f"{self.name}: need 0 < min_sigma <= init_sigma <= max_sigma")
        self.log_sigma = nn.Parameter(torch.tensor(math.log(init_sigma)))
        self.log_min, self.log_max = math.log(min_sigma), math.log(max_sigma)

    @property
    def sigma(self) -> Tensor:
        """The current shared standard deviation (a scalar tensor)."""
        return self.log_sigma.clamp(self.log_min, self.log_max).exp()

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def distribution(self, mean: Tensor) -> Normal:
        return Normal(mean, self.sigma.expand_as(mean), validate_args=False)

    @staticmethod
    def optimal_sigma(x: Tensor, mean: Tensor) -> Tensor:
        r"""Closed-form maximiser :math:`\sigma^* = \sqrt{\mathrm{mean}((x-\mu)^2)}`."""
        return (x - mean).pow(2).mean().sqrt()
