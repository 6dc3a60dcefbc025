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

from torch.distributions import Laplace

from .. import representations
from .discretized_real_line import DiscretizedRealLineHead
from .intervals import laplace_interval_log_prob


class DiscretizedLaplaceHead(DiscretizedRealLineHead):
    """Location (unit-interval scale) and scale per pixel, over ``num_levels`` levels."""

    name = "discretized_laplace"
    family = Laplace
    floor_name = "min_scale"
    interval_log_prob = staticmethod(laplace_interval_log_prob)

    def __init__(
        self,
        num_levels: int = representations.NUM_LEVELS,
        min_scale: float = 1e-3,
        validate_args: bool = True,
    ) -> None:
        super().__init__(num_levels, min_scale, validate_args)
