r"""Log-normal likelihood for positive real values (incomes, durations, concentrations).

:math:`\log x_d \sim \mathcal N(\mu_d, \sigma_d^2)`, so :math:`x_d > 0` always and the spread
grows with the level (a multiplicative error):

.. math::

    \log p(x\mid z) = \sum_{d=1}^D\Bigl[-\frac{(\log x_d-\mu_d)^2}{2\sigma_d^2} - \log\sigma_d
    - \tfrac12\log(2\pi) - \log x_d\Bigr],

with :math:`\mu_d = r^{(1)}_d`, :math:`\sigma_d = \mathrm{softplus}(r^{(2)}_d) + \sigma_{\min}`.
The last term, :math:`-\log x_d`, is the Jacobian of :math:`x \mapsto \log x`: a Gaussian fitted
to :math:`\log x` gives a density per unit of :math:`\log x`, not per unit of :math:`x`, and the
two can only be compared after adding it.
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import LogNormal, constraints

from .. import representations
from .base import LikelihoodHead, positive


class LogNormalHead(LikelihoodHead):
    """Location and scale of :math:`\\log x` per dimension; ``min_sigma`` bounds the density."""

    name = "lognormal"
    params_per_dim = 2
    support = constraints.positive
    expects = "positive real numbers"

    def __init__(self, min_sigma: float = 1e-3, validate_args: bool = True) -> None:
        super().__init__(validate_args)
        if min_sigma <= 0:
            raise ValueError(f"{self.name}: min_sigma must be positive, got {min_sigma}")
        self.min_sigma = float(min_sigma)

    def representation(self, levels: Tensor) -> Tensor:
        return representations.open_unit_interval(levels)

    def bin_edges(self, levels: Tensor) -> tuple[Tensor, Tensor]:
        return representations.open_unit_interval_bins(levels)

    def distribution(self, loc: Tensor, raw_sigma: Tensor) -> LogNormal:
        return LogNormal(loc, positive(raw_sigma, self.min_sigma), validate_args=False)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, min_sigma={self.min_sigma}"
