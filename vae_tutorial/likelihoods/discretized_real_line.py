r"""What the discretized heads of real-line families share: a location and a floored scale.

A family with a CDF :math:`F` (Gaussian, Laplace) becomes a distribution over the levels
:math:`0..K-1` by giving level :math:`k` the mass of its bin,
:math:`P(x_d = k\mid z) = F(u_k) - F(\ell_k)`, with level :math:`k` at :math:`k/(K-1)` on the
unit-interval scale, bins of width :math:`1/(K-1)` around it and the two edge bins open to
:math:`\pm\infty` (:class:`~vae_tutorial.likelihoods.intervals.DiscretizedDistribution`). The raw
outputs per pixel are the location :math:`\mu_d = r^{(1)}_d` and the scale
:math:`\mathrm{softplus}(r^{(2)}_d) + \text{floor}`. A subclass names its family (``family``), the
family's stable interval log-probability (``interval_log_prob``) and the keyword of its floor
(``floor_name``: ``min_sigma`` for the Gaussian, as in its continuous sibling).
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor
from torch.distributions import Distribution, constraints

from .. import representations
from .base import LikelihoodHead, positive
from .intervals import DiscretizedDistribution


class DiscretizedRealLineHead(LikelihoodHead):
    """Location (unit-interval scale) and floored scale per pixel, over ``num_levels`` levels."""

    params_per_dim = 2
    discrete = True
    #: The continuous family (a ``torch.distributions`` class taking ``loc, scale``).
    family: Callable[[Tensor, Tensor], Distribution]
    #: The keyword of the scale floor, as in the family's continuous head.
    floor_name: str = "min_scale"

    @staticmethod
    def interval_log_prob(loc: Tensor, scale: Tensor, lower: Tensor, upper: Tensor) -> Tensor:
        """``log(F(upper) - F(lower))`` of the family, stable (from :mod:`.intervals`)."""
        raise NotImplementedError

    def __init__(self, num_levels: int, floor: float, validate_args: bool = True) -> None:
        super().__init__(validate_args)
        if num_levels < 2:
            raise ValueError(f"{self.name}: num_levels must be >= 2, got {num_levels}")
        if not floor > 0:
            raise ValueError(f"{self.name}: {self.floor_name} must be positive, got {floor}")
        self.num_levels = int(num_levels)
        setattr(self, self.floor_name, float(floor))
        self.support = constraints.integer_interval(0, self.num_levels - 1)
        self.expects = f"whole numbers 0..{self.num_levels - 1}"

    def representation(self, levels: Tensor) -> Tensor:
        return representations.levels(levels, self.num_levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / (self.num_levels - 1)

    def distribution(self, loc: Tensor, raw_scale: Tensor) -> DiscretizedDistribution:
        scale = positive(raw_scale, getattr(self, self.floor_name))
        return DiscretizedDistribution(
            loc, scale, self.num_levels, self.interval_log_prob, self.family, validate_args=False
        )

    def extra_repr(self) -> str:
        floor = getattr(self, self.floor_name)
        return f"{super().extra_repr()}, num_levels={self.num_levels}, {self.floor_name}={floor}"
