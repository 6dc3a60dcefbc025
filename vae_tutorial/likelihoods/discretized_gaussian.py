r"""Discretized Gaussian likelihood over :math:`K` levels: a Gaussian's mass in each level's bin.

Level :math:`k` stands for :math:`k/(K-1)` on the unit-interval scale and owns the bin
:math:`B_k = [(k-\tfrac12)/(K-1), (k+\tfrac12)/(K-1)]`, the first bin extended to :math:`-\infty`
and the last to :math:`+\infty`. With :math:`\Phi` the standard normal CDF,

.. math::

    P(x_d = k \mid z) = \Phi\Bigl(\frac{u_k - \mu_d}{\sigma_d}\Bigr)
    - \Phi\Bigl(\frac{\ell_k - \mu_d}{\sigma_d}\Bigr),\qquad
    \mu_d = r^{(1)}_d,\quad \sigma_d = \mathrm{softplus}(r^{(2)}_d) + \sigma_{\min},

so the :math:`K` probabilities sum to one exactly and :math:`\log p(x\mid z) = \sum_d \log
P(x_d\mid z) \le 0`: unlike the Gaussian *density* on the levels, the likelihood is bounded, and
the floor :math:`\sigma_{\min}` only keeps gradients well scaled. The logarithm is computed from
:math:`\log\Phi` in a stable form
(:func:`~vae_tutorial.likelihoods.intervals.normal_interval_log_prob`).
It is the Gaussian analogue of the discretized logistic (Salimans et al., 2017).
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import Normal, constraints

from .. import representations
from .base import LikelihoodHead, positive
from .intervals import DiscretizedDistribution, normal_interval_log_prob


class DiscretizedGaussianHead(LikelihoodHead):
    """Location (unit-interval scale) and standard deviation per pixel, ``num_levels`` levels."""

    name = "discretized_gaussian"
    params_per_dim = 2
    discrete = True

    def __init__(
        self,
        num_levels: int = representations.NUM_LEVELS,
        min_sigma: float = 1e-3,
        validate_args: bool = True,
    ) -> None:
        super().__init__(validate_args)
        if num_levels < 2:
            raise ValueError(f"{self.name}: num_levels must be >= 2, got {num_levels}")
        if not min_sigma > 0:
            raise ValueError(f"{self.name}: min_sigma must be positive, got {min_sigma}")
        self.num_levels, self.min_sigma = int(num_levels), float(min_sigma)
        self.support = constraints.integer_interval(0, self.num_levels - 1)
        self.expects = f"whole numbers 0..{self.num_levels - 1}"

    def representation(self, levels: Tensor) -> Tensor:
        return representations.levels(levels, self.num_levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / (self.num_levels - 1)

    def distribution(self, loc: Tensor, raw_sigma: Tensor) -> DiscretizedDistribution:
        sigma = positive(raw_sigma, self.min_sigma)
        return DiscretizedDistribution(
            loc, sigma, self.num_levels, normal_interval_log_prob, Normal, validate_args=False
        )

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, num_levels={self.num_levels}, min_sigma={self.min_sigma}"
