r"""Gaussian likelihood with a per-dimension standard deviation output by the decoder.

.. math::

    \mu_d = r^{(1)}_d,\qquad \sigma_d = \mathrm{softplus}(r^{(2)}_d) + \sigma_{\min},

    \log p(x \mid z) = \sum_{d=1}^D\Bigl[-\frac{(x_d-\mu_d)^2}{2\sigma_d^2} - \log\sigma_d
    - \tfrac12\log(2\pi)\Bigr].

Without a floor (``min_sigma=0``) the likelihood is unbounded: a decoder that puts
:math:`\mu_d = x_d` for one training point and lets :math:`\sigma_d \to 0` drives
:math:`\log p \to +\infty` (Mattei & Frellsen, 2018). The floor :math:`\sigma_{\min}` bounds it.
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import Normal, constraints

from .. import representations
from .base import LikelihoodHead, positive


class GaussianDiagonalHead(LikelihoodHead):
    """Mean and standard deviation per dimension; ``min_sigma`` is the variance floor."""

    name = "gaussian_diagonal"
    params_per_dim = 2
    support = constraints.real
    expects = "real numbers"

    def __init__(self, min_sigma: float = 1e-3, validate_args: bool = True) -> None:
        super().__init__(validate_args)
        if min_sigma < 0:
            raise ValueError(f"{self.name}: min_sigma must be >= 0, got {min_sigma}")
        self.min_sigma = float(min_sigma)

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def distribution(self, mean: Tensor, raw_sigma: Tensor) -> Normal:
        return Normal(mean, positive(raw_sigma, self.min_sigma), validate_args=False)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, min_sigma={self.min_sigma}"
