r"""Hurdle log-normal: exactly zero with probability :math:`\pi`, else a log-normal positive value.

For a quantity that is exactly 0 for many rows and a positive real number otherwise (time spent
on something, an amount spent, rainfall), neither a density nor a probability alone fits: the
value 0 has a positive *probability*, the positive values have a *density*. The distribution

.. math::

    P(x_d = 0\mid z) = \pi_d,\qquad
    p(x_d\mid z) = (1-\pi_d)\,\mathrm{LogNormal}(x_d;\mu_d,\sigma_d)\quad(x_d > 0)

is a density with respect to the *dominating measure* :math:`\nu = \delta_0 + \lambda`, a unit
point mass at 0 plus the length (Lebesgue) measure on :math:`(0, \infty)`: integrating it
against :math:`\nu` gives :math:`\pi_d + (1-\pi_d)\cdot 1 = 1`. Its logarithm is therefore a
log-*probability* at 0 and a log-*density* (per unit of x) elsewhere; ``log_prob`` returns
exactly that, and only other models with the same dominating measure (a point mass at 0 and a
density on the positives, e.g. a Gaussian censored at 0) can be compared with it number for
number.

Raw outputs: :math:`\pi_d = \sigma(r^{(1)}_d)`, :math:`\mu_d = r^{(2)}_d`,
:math:`\sigma_d = \mathrm{softplus}(r^{(3)}_d) + \sigma_{\min}`. Mean
:math:`(1-\pi_d)\,e^{\mu_d + \sigma_d^2/2}`. (A "zero-inflated" log-normal is the same thing: the
log-normal part has no mass at 0, so every zero comes from the gate, which is why it is called a
hurdle: the gate decides zero or not, the log-normal how much.)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.distributions import Distribution, LogNormal, constraints

from .. import representations
from .base import LikelihoodHead, positive

_NO_SAMPLE_SHAPE = torch.Size()


class HurdleLogNormal(Distribution):
    """A point mass at 0 of weight ``sigmoid(zero_logits)``, else ``LogNormal(loc, scale)``."""

    arg_constraints = {
        "zero_logits": constraints.real,
        "loc": constraints.real,
        "scale": constraints.positive,
    }
    support = constraints.nonnegative
    has_rsample = False

    def __init__(
        self, zero_logits: Tensor, loc: Tensor, scale: Tensor, validate_args: bool | None = None
    ) -> None:
        self.zero_logits, self.loc, self.scale = torch.broadcast_tensors(zero_logits, loc, scale)
        super().__init__(self.loc.shape, validate_args=validate_args)

    @property
    def zero_probability(self) -> Tensor:
        """:math:`\\pi = P(x = 0)`."""
        return torch.sigmoid(self.zero_logits)

    @property
    def positive_part(self) -> LogNormal:
        return LogNormal(self.loc, self.scale, validate_args=False)

    def log_prob(self, value: Tensor) -> Tensor:
        """Log-probability at 0, log-density (w.r.t. length) at positive values."""
        if self._validate_args:
            self._validate_sample(value)
        is_zero = value == 0
        safe = torch.where(is_zero, torch.ones_like(value), value)  # keeps log 0 out of the graph
        positive_part = F.logsigmoid(-self.zero_logits) + self.positive_part.log_prob(safe)
        return torch.where(is_zero, F.logsigmoid(self.zero_logits), positive_part)

    @property
    def mean(self) -> Tensor:
        return (1 - self.zero_probability) * self.positive_part.mean

    @property
    def variance(self) -> Tensor:
        pi, m = self.zero_probability, self.positive_part.mean
        return (1 - pi) * (self.positive_part.variance + m.pow(2)) - ((1 - pi) * m).pow(2)

    def sample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        shape = self._extended_shape(sample_shape)
        with torch.no_grad():
            amount = self.positive_part.sample(sample_shape)
            zero = torch.rand(shape, dtype=self.loc.dtype) < self.zero_probability.expand(shape)
            return torch.where(zero, torch.zeros_like(amount), amount)


class HurdleLogNormalHead(LikelihoodHead):
    """Three raw outputs per dimension: the zero logit, then the log-normal's loc and scale."""

    name = "hurdle_lognormal"
    params_per_dim = 3
    support = constraints.nonnegative
    expects = "non-negative real numbers"

    def __init__(self, min_sigma: float = 1e-3, validate_args: bool = True) -> None:
        super().__init__(validate_args)
        if min_sigma <= 0:
            raise ValueError(f"{self.name}: min_sigma must be positive, got {min_sigma}")
        self.min_sigma = float(min_sigma)

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def bin_edges(self, levels: Tensor) -> tuple[Tensor, Tensor]:
        raise ValueError(
            f"{self.name}: mixes a probability at 0 with a density; it has no single bin per level"
        )

    def distribution(self, zero_logits: Tensor, loc: Tensor, raw_sigma: Tensor) -> HurdleLogNormal:
        return HurdleLogNormal(
            zero_logits, loc, positive(raw_sigma, self.min_sigma), validate_args=False
        )

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, min_sigma={self.min_sigma}"
