r"""Discretized Laplace likelihood over :math:`K` levels: a Laplace's mass in each level's bin.

Level :math:`k` stands for :math:`k/(K-1)` on the unit-interval scale and owns the bin
:math:`B_k = [(k-\tfrac12)/(K-1), (k+\tfrac12)/(K-1)]`, the first bin extended to :math:`-\infty`
and the last to :math:`+\infty`. With the Laplace CDF
:math:`F(x) = \tfrac12 e^{(x-\mu)/b}` for :math:`x < \mu` and
:math:`1 - \tfrac12 e^{-(x-\mu)/b}` for :math:`x \ge \mu`,

.. math::

    P(x_d = k \mid z) = F(u_k) - F(\ell_k),\qquad
    \mu_d = r^{(1)}_d,\quad b_d = \mathrm{softplus}(r^{(2)}_d) + b_{\min},

so the :math:`K` probabilities sum to one exactly and the likelihood is bounded by 1 per pixel
(the floor :math:`b_{\min}` only keeps gradients well scaled). A bin entirely on one side of
:math:`\mu` has the closed form :math:`\log P = \log\tfrac12 - |\ell' - \mu|/b +
\log(1 - e^{-(u_k - \ell_k)/b})` with :math:`\ell'` its edge nearer to :math:`\mu`; in general the
logarithm is computed as in :func:`~vae_tutorial.likelihoods.intervals.laplace_interval_log_prob`.
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import Laplace, constraints

from .. import representations
from .base import LikelihoodHead, positive
from .intervals import DiscretizedDistribution, laplace_interval_log_prob


class DiscretizedLaplaceHead(LikelihoodHead):
    """Location (unit-interval scale) and scale per pixel, over ``num_levels`` levels."""

    name = "discretized_laplace"
    params_per_dim = 2
    discrete = True

    def __init__(
        self,
        num_levels: int = representations.NUM_LEVELS,
        min_scale: float = 1e-3,
        validate_args: bool = True,
    ) -> None:
        super().__init__(validate_args)
        if num_levels < 2:
            raise ValueError(f"{self.name}: num_levels must be >= 2, got {num_levels}")
        if not min_scale > 0:
            raise ValueError(f"{self.name}: min_scale must be positive, got {min_scale}")
        self.num_levels, self.min_scale = int(num_levels), float(min_scale)
        self.support = constraints.integer_interval(0, self.num_levels - 1)
        self.expects = f"whole numbers 0..{self.num_levels - 1}"

    def representation(self, levels: Tensor) -> Tensor:
        return representations.levels(levels, self.num_levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / (self.num_levels - 1)

    def distribution(self, loc: Tensor, raw_scale: Tensor) -> DiscretizedDistribution:
        scale = positive(raw_scale, self.min_scale)
        return DiscretizedDistribution(
            loc, scale, self.num_levels, laplace_interval_log_prob, Laplace, validate_args=False
        )

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, num_levels={self.num_levels}, min_scale={self.min_scale}"
