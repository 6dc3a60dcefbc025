r"""A Gaussian read on a grid: the probability that a Gaussian value *rounds* to each grid value.

To score a Gaussian model (for instance "standardise every column and use MSE") on a column
that only takes the values :math:`v_0 < v_1 < \dots < v_{K-1}` (ratings, age bands, categories
coded 1..6), a density is not enough: the column needs a probability for each value. The fair
choice gives the Gaussian every chance: each value gets the Gaussian mass of the cell of points
closer to it than to any other grid value,

.. math::

    P(x = v_k) = \Phi\Bigl(\frac{e_{k+1} - \mu}{s}\Bigr) - \Phi\Bigl(\frac{e_k - \mu}{s}\Bigr),
    \qquad e_k = \tfrac12(v_{k-1} + v_k),\ e_0 = -\infty,\ e_K = +\infty,

so the :math:`K` probabilities sum to 1 (the mass the Gaussian puts on impossible values, e.g.
negative ages, is credited to the nearest possible one). This is "integrating the density over
each value's bin" with bins that tile the whole line.

The head maps a raw output :math:`r` given in *standardised* units (what an MSE decoder outputs)
to :math:`\mu = \text{loc} + \text{scale}\cdot r`, :math:`s = \text{scale}\cdot\sigma`, with
``loc``, ``scale`` (the column's standardisation) and :math:`\sigma` fixed.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor
from torch.distributions import Distribution, constraints

from .base import LikelihoodHead
from .ordinal import _log1mexp_neg

_NO_SAMPLE_SHAPE = torch.Size()


class OneOf(constraints.Constraint):
    """The finite set of values ``values`` (compared exactly)."""

    is_discrete = True

    def __init__(self, values: Sequence[float]) -> None:
        self.values = tuple(float(v) for v in values)
        super().__init__()

    def check(self, value: Tensor) -> Tensor:
        grid = torch.tensor(self.values, dtype=value.dtype, device=value.device)
        return (value.unsqueeze(-1) == grid).any(-1)

    def __repr__(self) -> str:
        return f"OneOf({list(self.values)})"


def log_normal_cdf_difference(a: Tensor, b: Tensor) -> Tensor:
    r""":math:`\log[\Phi(b) - \Phi(a)]` for :math:`a < b` (either may be :math:`\pm\infty`).

    Computed in the lower tail (:math:`\Phi` of the smaller absolute values) to keep precision
    when both are near 1: :math:`\Phi(b) - \Phi(a) = \Phi(-a) - \Phi(-b)`.
    """
    a_open, b_open = torch.isneginf(a), torch.isposinf(b)
    a = torch.where(a_open, b - 1, a)  # finite stand-ins keep inf out of the gradient
    b = torch.where(b_open, a + 1, b)
    flip = a > 0
    lo, hi = torch.where(flip, -b, a), torch.where(flip, -a, b)
    log_hi, log_lo = torch.special.log_ndtr(hi), torch.special.log_ndtr(lo)
    interior = log_hi + _log1mexp_neg((log_hi - log_lo).clamp_min(1e-300))
    left, right = torch.special.log_ndtr(b), torch.special.log_ndtr(-a)  # P(y < b), P(y > a)
    return torch.where(a_open, left, torch.where(b_open, right, interior))


class GridNormal(Distribution):
    """A Normal(``loc``, ``scale``) rounded to the nearest of ``values`` (see module docstring)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    has_rsample = False

    def __init__(
        self, loc: Tensor, scale: Tensor, values: Sequence[float], validate_args: bool | None = None
    ) -> None:
        if len(values) < 2 or any(b <= a for a, b in zip(values[:-1], values[1:], strict=True)):
            raise ValueError("GridNormal: values must be at least 2 increasing numbers")
        self.loc, self.scale = torch.broadcast_tensors(loc, scale)
        self.values = tuple(float(v) for v in values)
        grid = torch.tensor(self.values, dtype=self.loc.dtype, device=self.loc.device)
        inf = torch.tensor([torch.inf], dtype=grid.dtype, device=grid.device)
        self._grid = grid
        self._edges = torch.cat([-inf, 0.5 * (grid[1:] + grid[:-1]), inf])
        super().__init__(self.loc.shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return OneOf(self.values)

    @property
    def log_probs(self) -> Tensor:
        """:math:`\\log P(x = v_k)`, shape ``batch_shape + (K,)``."""
        a = (self._edges[:-1] - self.loc.unsqueeze(-1)) / self.scale.unsqueeze(-1)
        b = (self._edges[1:] - self.loc.unsqueeze(-1)) / self.scale.unsqueeze(-1)
        return log_normal_cdf_difference(a, b)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        index = (value.unsqueeze(-1) == self._grid.to(value.dtype)).to(torch.long).argmax(-1)
        log_probs = self.log_probs
        index, log_probs = torch.broadcast_tensors(index.unsqueeze(-1), log_probs)
        return log_probs.gather(-1, index[..., :1]).squeeze(-1)

    @property
    def mean(self) -> Tensor:
        return self.log_probs.exp() @ self._grid

    def sample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        with torch.no_grad():
            draw = torch.distributions.Categorical(logits=self.log_probs).sample(sample_shape)
            return self._grid[draw]


class GridGaussianHead(LikelihoodHead):
    """One raw output (the mean in standardised units); a fixed grid, standardisation and sigma."""

    name = "grid_gaussian"
    params_per_dim = 1
    discrete = True

    def __init__(
        self,
        values: Sequence[float],
        loc: float = 0.0,
        scale: float = 1.0,
        sigma: float = 1.0,
        validate_args: bool = True,
    ) -> None:
        super().__init__(validate_args)
        if scale <= 0 or sigma <= 0:
            raise ValueError(f"{self.name}: scale and sigma must be positive, got {scale}, {sigma}")
        if len(values) < 2 or any(b <= a for a, b in zip(values[:-1], values[1:], strict=True)):
            raise ValueError(f"{self.name}: values must be at least 2 increasing numbers")
        self.values = tuple(float(v) for v in values)
        self.loc, self.scale, self.sigma = float(loc), float(scale), float(sigma)
        self.support = OneOf(self.values)
        self.expects = "one of " + ", ".join(f"{v:g}" for v in self.values)

    def representation(self, levels: Tensor) -> Tensor:
        return levels

    def encoder_input(self, x: Tensor) -> Tensor:
        return (x - self.loc) / self.scale

    def distribution(self, raw_mean: Tensor) -> GridNormal:
        loc = self.loc + self.scale * raw_mean
        scale = torch.full_like(loc, self.scale * self.sigma)
        return GridNormal(loc, scale, self.values, validate_args=False)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, values={self.values}, sigma={self.sigma}"
