r"""Gaussian likelihood with a fixed, known standard deviation :math:`\sigma`.

.. math::

    \log p(x \mid z) = -\frac{1}{2\sigma^2}\sum_{d=1}^D (x_d - \mu_d)^2
    - D \log \sigma - \frac{D}{2}\log(2\pi),\qquad \mu_d = r_d.

Up to the constant and the weight :math:`1/(2\sigma^2)` this is the (sum-reduced) squared error,
which is why "MSE loss" and "Gaussian decoder with fixed variance" are the same model.
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import Normal, constraints

from .. import representations
from .base import LikelihoodHead


class GaussianFixedHead(LikelihoodHead):
    """Mean from the decoder, standard deviation ``sigma`` fixed (a hyperparameter, default 1)."""

    name = "gaussian_fixed"
    params_per_dim = 1
    support = constraints.real
    expects = "real numbers"

    def __init__(self, sigma: float = 1.0, validate_args: bool = True) -> None:
        super().__init__(validate_args)
        if not sigma > 0:
            raise ValueError(f"{self.name}: sigma must be positive, got {sigma}")
        self.sigma = float(sigma)

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def distribution(self, mean: Tensor) -> Normal:
        return Normal(mean, self.sigma, validate_args=False)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, sigma={self.sigma}"
