r"""Beta likelihood for values strictly inside (0, 1).

.. math::

    \log p(x \mid z) = \sum_{d=1}^D\Bigl[(\alpha_d-1)\log x_d + (\beta_d-1)\log(1-x_d)
    - \log B(\alpha_d, \beta_d)\Bigr],

with :math:`\alpha_d = \mathrm{softplus}(r^{(1)}_d) + c_{\min}` and
:math:`\beta_d = \mathrm{softplus}(r^{(2)}_d) + c_{\min}`. The density is 0 or infinite at the
end points, so the data must avoid exactly 0 and 1: :meth:`~.LikelihoodHead.prepare` maps
level :math:`k` to the bin centre :math:`(k+1/2)/K`.
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import Beta

from .. import representations
from .base import LikelihoodHead, OpenInterval, positive


class BetaHead(LikelihoodHead):
    """Two concentrations per dimension; x in the open interval (0, 1)."""

    name = "beta"
    params_per_dim = 2
    support = OpenInterval(0.0, 1.0)
    expects = "the open interval (0, 1)"

    def __init__(self, min_concentration: float = 1e-2, validate_args: bool = True) -> None:
        super().__init__(validate_args)
        self.min_concentration = float(min_concentration)

    def representation(self, levels: Tensor) -> Tensor:
        return representations.open_unit_interval(levels)

    def bin_edges(self, levels: Tensor) -> tuple[Tensor, Tensor]:
        return representations.open_unit_interval_bins(levels)

    def distribution(self, raw_alpha: Tensor, raw_beta: Tensor) -> Beta:
        return Beta(
            positive(raw_alpha, self.min_concentration),
            positive(raw_beta, self.min_concentration),
            validate_args=False,
        )
