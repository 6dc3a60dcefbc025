r"""Ordinal (cumulative-logit) likelihood for ordered levels :math:`0, 1, \dots, K-1`.

A rating "very poor < poor < fair < good < very good" is neither a number (the steps need not
be equal) nor an unordered category (good is closer to very good than to very poor). The
cumulative-logit model of ordinal regression (McCullagh, 1980) places one latent location
:math:`\eta_d` on a line cut at :math:`K-1` increasing cut-points
:math:`c_{d0} < c_{d1} < \dots < c_{d,K-2}`:

.. math::

    P(x_d \le k \mid z) = \sigma(c_{dk} - \eta_d),\qquad
    p(x_d = k \mid z) = \sigma(c_{dk} - \eta_d) - \sigma(c_{d,k-1} - \eta_d),

with :math:`c_{d,-1} = -\infty`, :math:`c_{d,K-1} = +\infty`, so the :math:`K` probabilities are
positive and sum to 1. A larger :math:`\eta_d` moves mass towards the higher levels. As in
ordinal regression, the decoder gives the location :math:`\eta_d = r_d` (one raw output per
dimension) and the cut-points are parameters of the head, learned with the network but the same
for every :math:`z` ("proportional odds").

For a stable logarithm, with :math:`b = c_{dk} - \eta_d` and :math:`a = c_{d,k-1} - \eta_d`,

.. math::

    \log\bigl[\sigma(b) - \sigma(a)\bigr] = \log\sigma(b) + \log\sigma(-a)
    + \log\bigl(1 - e^{-(b - a)}\bigr),

which never subtracts two nearly equal probabilities.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.distributions import Categorical, Distribution, constraints

from .. import representations
from .base import HeadDistribution, LikelihoodHead, positive

_NO_SAMPLE_SHAPE = torch.Size()


def _log1mexp_neg(gap: Tensor) -> Tensor:
    r""":math:`\log(1 - e^{-g})` for :math:`g > 0`, accurate for small and large :math:`g`."""
    return torch.where(
        gap < math.log(2.0), torch.log(-torch.expm1(-gap)), torch.log1p(-torch.exp(-gap))
    )


class CumulativeLogit(Distribution):
    """The ordered-logistic distribution over levels ``0..K-1`` (values are whole-number floats).

    ``location`` has shape ``batch_shape``; ``cutpoints`` has shape ``batch_shape + (K-1,)``
    (broadcastable), strictly increasing along the last dimension.
    """

    arg_constraints = {"location": constraints.real, "cutpoints": constraints.real_vector}
    has_rsample = False

    def __init__(self, location: Tensor, cutpoints: Tensor, validate_args: bool | None = None):
        if cutpoints.dim() < 1 or cutpoints.shape[-1] < 1:
            raise ValueError("CumulativeLogit: cutpoints needs a last dimension of size K-1 >= 1")
        # broadcast views, not torch.broadcast_shapes: that imports sympy on first use (seconds)
        batch_shape = torch.broadcast_tensors(location, cutpoints[..., 0])[0].shape
        self.location = location.expand(batch_shape)
        self.cutpoints = cutpoints.expand(*batch_shape, cutpoints.shape[-1])
        self.num_levels = cutpoints.shape[-1] + 1
        super().__init__(batch_shape, validate_args=validate_args)
        if self._validate_args and self.num_levels > 2:
            if not bool((self.cutpoints.diff(dim=-1) > 0).all()):
                raise ValueError("CumulativeLogit: cutpoints must be strictly increasing")

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.num_levels - 1)

    @property
    def log_probs(self) -> Tensor:
        """:math:`\\log p(x = k)` for every level, shape ``batch_shape + (K,)``."""
        z = self.cutpoints - self.location.unsqueeze(-1)  # [..., K-1]
        log_cdf = F.logsigmoid(z)  # log P(x <= k)
        log_sf = F.logsigmoid(-z)  # log P(x > k)
        gaps = self.cutpoints[..., 1:] - self.cutpoints[..., :-1]
        interior = log_cdf[..., 1:] + log_sf[..., :-1] + _log1mexp_neg(gaps)
        return torch.cat([log_cdf[..., :1], interior, log_sf[..., -1:]], dim=-1)

    @property
    def probs(self) -> Tensor:
        """:math:`p(x = k)`, shape ``batch_shape + (K,)``; sums to 1 over the last dimension."""
        return self.log_probs.exp()

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        log_probs = self.log_probs
        value, log_probs = torch.broadcast_tensors(value.unsqueeze(-1), log_probs)
        return log_probs.gather(-1, value[..., :1].long()).squeeze(-1)

    @property
    def _levels(self) -> Tensor:
        return torch.arange(self.num_levels, dtype=self.location.dtype, device=self.location.device)

    @property
    def mean(self) -> Tensor:
        return self.probs @ self._levels

    @property
    def mode(self) -> Tensor:
        return self.log_probs.argmax(-1).to(self.location.dtype)

    @property
    def variance(self) -> Tensor:
        return self.probs @ self._levels.pow(2) - self.mean.pow(2)

    def sample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        with torch.no_grad():
            draw = Categorical(logits=self.log_probs, validate_args=False).sample(sample_shape)
        return draw.to(self.location.dtype)


class OrdinalHead(LikelihoodHead):
    """One raw output per dimension (the location); ``K - 1`` learned cut-points per dimension.

    ``num_dims`` is the number of dimensions with their own cut-points (1 shares one set across
    every dimension). The cut-points are :math:`c_0 = a`,
    :math:`c_k = c_{k-1} + \\mathrm{softplus}(g_k) + \\text{min\\_gap}` with learned :math:`a, g`,
    so they stay strictly increasing; they start where a location of 0 gives every level the
    same probability.
    """

    name = "ordinal"
    params_per_dim = 1
    discrete = True

    def __init__(
        self,
        num_levels: int = representations.NUM_LEVELS,
        num_dims: int = 1,
        min_gap: float = 1e-3,
        validate_args: bool = True,
    ) -> None:
        super().__init__(validate_args)
        if num_levels < 2:
            raise ValueError(f"{self.name}: num_levels must be >= 2, got {num_levels}")
        if num_dims < 1:
            raise ValueError(f"{self.name}: num_dims must be >= 1, got {num_dims}")
        if min_gap <= 0:
            raise ValueError(f"{self.name}: min_gap must be positive, got {min_gap}")
        self.num_levels, self.num_dims, self.min_gap = int(num_levels), int(num_dims), min_gap
        self.support = constraints.integer_interval(0, self.num_levels - 1)
        self.expects = f"whole numbers 0..{self.num_levels - 1}"
        # cut-points of equal level probabilities at location 0: c_k = logit((k + 1) / K)
        target = torch.logit(torch.arange(1, num_levels, dtype=torch.float32) / num_levels)
        gaps = (target.diff() - min_gap).clamp_min(1e-4)
        self.first_cutpoint = nn.Parameter(target[:1].repeat(num_dims))
        self.raw_gaps = nn.Parameter(torch.log(torch.expm1(gaps)).repeat(num_dims, 1))

    @property
    def cutpoints(self) -> Tensor:
        """The ``K - 1`` increasing cut-points, shape ``[num_dims, K-1]``."""
        steps = positive(self.raw_gaps, self.min_gap)
        return torch.cat([self.first_cutpoint[:, None], steps], -1).cumsum(-1)

    def representation(self, levels: Tensor) -> Tensor:
        return representations.levels(levels, self.num_levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / (self.num_levels - 1)

    def distribution(self, location: Tensor) -> CumulativeLogit:
        cut = self.cutpoints.to(location.dtype)
        if self.num_dims != 1 and location.shape[-1] != self.num_dims:
            raise ValueError(
                f"{self.name}: the head has cut-points for {self.num_dims} dimensions, the decoder "
                f"gives {location.shape[-1]}"
            )
        if self.num_dims == 1:
            cut = cut[0]
        return CumulativeLogit(location, cut, validate_args=False)

    def forward(self, raw: Tensor) -> HeadDistribution:
        return HeadDistribution(self.distribution(*self.split(raw)), head=self)

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, num_levels={self.num_levels}, num_dims={self.num_dims}"
