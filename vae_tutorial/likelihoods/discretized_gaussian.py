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

from torch.distributions import Normal

from .. import representations
from .discretized_real_line import DiscretizedRealLineHead
from .intervals import normal_interval_log_prob


class DiscretizedGaussianHead(DiscretizedRealLineHead):
    """Location (unit-interval scale) and standard deviation per pixel, ``num_levels`` levels."""

    name = "discretized_gaussian"
    family = Normal
    floor_name = "min_sigma"
    interval_log_prob = staticmethod(normal_interval_log_prob)

    def __init__(
        self,
        num_levels: int = representations.NUM_LEVELS,
        min_sigma: float = 1e-3,
        validate_args: bool = True,
    ) -> None:
        super().__init__(num_levels, min_sigma, validate_args)
