r"""A Gaussian censored at a lower limit (the Tobit model): a point mass there, a density above.

Fair (1978) modelled time spent in affairs, zero for most people, as a Gaussian "latent desire"
:math:`y \sim \mathcal N(\mu, s^2)` that is observed as :math:`x = \max(y, 0)`. Every negative
:math:`y` is reported as 0, so

.. math::

    P(x = 0) = \Phi\Bigl(\frac{0 - \mu}{s}\Bigr),\qquad
    p(x) = \frac{1}{s}\,\varphi\Bigl(\frac{x - \mu}{s}\Bigr)\quad(x > 0).

Like the hurdle log-normal, this is a density with respect to :math:`\delta_0 + \text{length}`,
so the two give comparable numbers (a log-probability at 0, a log-density per unit of x above).
It is also the fairest way to score a plain Gaussian (MSE) model on such a column: the mass it
wastes on negative values is credited to 0.

The head maps a raw output in standardised units to :math:`\mu = \text{loc} + \text{scale}\cdot r`,
:math:`s = \text{scale}\cdot\sigma` (``loc``, ``scale``, ``sigma`` fixed), like
:class:`~vae_tutorial.likelihoods.grid_gaussian.GridGaussianHead`.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.distributions import Distribution, Normal, constraints

from .base import LikelihoodHead

_NO_SAMPLE_SHAPE = torch.Size()


class CensoredNormal(Distribution):
    """``max(y, lower)`` for ``y ~ Normal(loc, scale)``: mass at ``lower``, density above it."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    has_rsample = False

    def __init__(
        self, loc: Tensor, scale: Tensor, lower: float = 0.0, validate_args: bool | None = None
    ) -> None:
        self.loc, self.scale = torch.broadcast_tensors(loc, scale)
        self.lower = float(lower)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.greater_than_eq(self.lower)

    def log_prob(self, value: Tensor) -> Tensor:
        """Log-probability at ``lower``, log-density (w.r.t. length) above it."""
        if self._validate_args:
            self._validate_sample(value)
        normal = Normal(self.loc, self.scale, validate_args=False)
        at_limit = torch.special.log_ndtr((self.lower - self.loc) / self.scale)
        return torch.where(value == self.lower, at_limit, normal.log_prob(value))

    @property
    def mean(self) -> Tensor:
        a = (self.lower - self.loc) / self.scale
        phi = torch.exp(-0.5 * a**2) / (2 * torch.pi) ** 0.5
        tail = torch.special.ndtr(-a)  # P(y > lower)
        return self.lower * (1 - tail) + self.loc * tail + self.scale * phi

    def sample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        with torch.no_grad():
            y = Normal(self.loc, self.scale).sample(sample_shape)
            return y.clamp_min(self.lower)


class CensoredGaussianHead(LikelihoodHead):
    """One raw output (the mean in standardised units); fixed standardisation, sigma, limit."""

    name = "censored_gaussian"
    params_per_dim = 1

    def __init__(
        self,
        loc: float = 0.0,
        scale: float = 1.0,
        sigma: float = 1.0,
        lower: float = 0.0,
        validate_args: bool = True,
    ) -> None:
        super().__init__(validate_args)
        if scale <= 0 or sigma <= 0:
            raise ValueError(f"{self.name}: scale and sigma must be positive, got {scale}, {sigma}")
        self.loc, self.scale, self.sigma, self.lower = (
            float(loc),
            float(scale),
            float(sigma),
            float(lower),
        )
        self.support = constraints.greater_than_eq(self.lower)
        self.expects = f"real numbers >= {self.lower:g}"

    def representation(self, levels: Tensor) -> Tensor:
        return levels

    def encoder_input(self, x: Tensor) -> Tensor:
        return (x - self.loc) / self.scale

    def distribution(self, raw_mean: Tensor) -> CensoredNormal:
        loc = self.loc + self.scale * raw_mean
        scale = torch.full_like(loc, self.scale * self.sigma)
        return CensoredNormal(loc, scale, self.lower, validate_args=False)
