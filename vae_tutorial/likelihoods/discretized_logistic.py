r"""Discretized logistic likelihood, and its mixture, over :math:`K` levels (Salimans et al., 2017).

Level :math:`k` is placed at :math:`y_k = 2k/(K-1) - 1 \in [-1, 1]` and owns the bin
:math:`[y_k - h, y_k + h]` with :math:`h = 1/(K-1)`; the first bin extends to :math:`-\infty`
and the last to :math:`+\infty`, so the :math:`K` probabilities sum to one exactly. For one
logistic with location :math:`\mu` and scale :math:`s`, writing
:math:`a = (y_k + h - \mu)/s` and :math:`b = (y_k - h - \mu)/s`,

.. math::

    P(k) = \begin{cases}
      \sigma(a) & k = 0,\\
      \sigma(a) - \sigma(b) & 0 < k < K-1,\\
      1 - \sigma(b) & k = K-1.
    \end{cases}

The interior difference is computed in log space without cancellation, using
:math:`\sigma(a)-\sigma(b) = \sigma(a)\,\sigma(-b)\,(1 - e^{-(a-b)})`:

.. math::

    \log P(k) = \log\sigma(a) + \log\sigma(-b) + \log\bigl(1 - e^{-2h/s}\bigr),

and the edge bins are :math:`\log\sigma(a)` and :math:`\log\sigma(-b)`. Every term is finite for
any :math:`\mu` and :math:`s > 0`. A mixture of :math:`M` components with weights
:math:`\pi = \mathrm{softmax}(w)` has
:math:`\log P(k) = \operatorname{logsumexp}_m(\log\pi_m + \log P_m(k))`.

Raw outputs per dimension: :math:`\mu` (unconstrained, on the [-1, 1] scale) and
:math:`\log s` (clamped to [-7, 5]) for ``num_components=1``; weights, locations and log-scales
(:math:`3M`) for a mixture.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.distributions import Distribution, constraints

from .. import representations
from .base import LikelihoodHead

LOG_SCALE_MIN, LOG_SCALE_MAX = -7.0, 5.0

_NO_SAMPLE_SHAPE = torch.Size()  # the default sample_shape (no extra sample dims)


def log1mexp(x: Tensor) -> Tensor:
    r""":math:`\log(1 - e^{-x})` for :math:`x > 0`, accurate for small and large x."""
    small = x < 0.6931471805599453
    return torch.where(small, torch.log(-torch.expm1(-x)), torch.log1p(-torch.exp(-x)))


def discretized_logistic_log_prob(
    levels: Tensor, loc: Tensor, log_scale: Tensor, num_levels: int
) -> Tensor:
    """log P(level) for one logistic component; all arguments broadcast together."""
    half_width = 1.0 / (num_levels - 1)
    y = 2.0 * levels / (num_levels - 1) - 1.0
    inv_scale = torch.exp(-log_scale)
    a = (y + half_width - loc) * inv_scale
    b = (y - half_width - loc) * inv_scale
    interior = F.logsigmoid(a) + F.logsigmoid(-b) + log1mexp(2.0 * half_width * inv_scale)
    first = F.logsigmoid(a)
    last = F.logsigmoid(-b)
    return torch.where(levels < 0.5, first, torch.where(levels > num_levels - 1.5, last, interior))


class DiscretizedLogisticMixture(Distribution):
    """Per-dimension mixture of discretized logistics over levels ``0..K-1``.

    Parameters have shape ``[..., D, M]`` (batch shape ``[..., D]``): ``logit_weights``,
    ``loc`` (on the [-1, 1] scale) and ``log_scale``. Values are float whole numbers.
    """

    arg_constraints = {
        "logit_weights": constraints.real,
        "loc": constraints.real,
        "log_scale": constraints.real,
    }
    has_rsample = False

    def __init__(
        self,
        logit_weights: Tensor,
        loc: Tensor,
        log_scale: Tensor,
        num_levels: int = representations.NUM_LEVELS,
        validate_args: bool | None = None,
    ) -> None:
        self.logit_weights, self.loc, self.log_scale = torch.broadcast_tensors(
            logit_weights, loc, log_scale
        )
        self.num_levels = int(num_levels)
        super().__init__(self.loc.shape[:-1], validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.num_levels - 1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        per_component = discretized_logistic_log_prob(
            value.unsqueeze(-1), self.loc, self.log_scale, self.num_levels
        )
        return torch.logsumexp(F.log_softmax(self.logit_weights, dim=-1) + per_component, dim=-1)

    def level_log_probs(self) -> Tensor:
        """log P(k) for every level k, shape ``batch_shape + (K,)``."""
        levels = torch.arange(self.num_levels, dtype=self.loc.dtype, device=self.loc.device)
        shape = (self.num_levels,) + (1,) * len(self.batch_shape)
        grid = levels.view(shape).expand((self.num_levels,) + self.batch_shape)
        return self.log_prob(grid).movedim(0, -1)

    @property
    def mean(self) -> Tensor:
        levels = torch.arange(self.num_levels, dtype=self.loc.dtype, device=self.loc.device)
        return self.level_log_probs().exp() @ levels

    @property
    def mode(self) -> Tensor:
        """The most probable level (the lowest one on a tie), as a float whole number."""
        return self.level_log_probs().argmax(-1).to(self.loc.dtype)

    def entropy(self) -> Tensor:
        r""":math:`H = -\sum_{k=0}^{K-1} P(k)\log P(k)`, summed over the finite support."""
        log_p = self.level_log_probs()
        return -(log_p.exp() * log_p).sum(-1)

    def expand(self, batch_shape: torch.Size, _instance=None) -> DiscretizedLogisticMixture:
        new = self._get_checked_instance(DiscretizedLogisticMixture, _instance)
        shape = torch.Size(batch_shape) + self.loc.shape[-1:]
        new.logit_weights = self.logit_weights.expand(shape)
        new.loc, new.log_scale = self.loc.expand(shape), self.log_scale.expand(shape)
        new.num_levels = self.num_levels
        Distribution.__init__(new, torch.Size(batch_shape), validate_args=False)
        new._validate_args = self._validate_args
        return new

    @property
    def variance(self) -> Tensor:
        levels = torch.arange(self.num_levels, dtype=self.loc.dtype, device=self.loc.device)
        probs = self.level_log_probs().exp()
        return probs @ levels.pow(2) - (probs @ levels).pow(2)

    @torch.no_grad()
    def sample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        shape = torch.Size(sample_shape) + self.batch_shape
        if shape.numel() == 0:
            return self.loc.new_zeros(shape)
        component = torch.distributions.Categorical(logits=self.logit_weights).sample(sample_shape)
        pick = component.unsqueeze(-1)
        loc = self.loc.expand(shape + self.loc.shape[-1:]).gather(-1, pick).squeeze(-1)
        log_s = self.log_scale.expand(shape + self.loc.shape[-1:]).gather(-1, pick).squeeze(-1)
        u = torch.rand(shape, dtype=loc.dtype, device=loc.device).clamp(1e-6, 1 - 1e-6)
        y = loc + log_s.exp() * (torch.log(u) - torch.log1p(-u))
        k = torch.round((y + 1.0) * (self.num_levels - 1) / 2.0)
        return k.clamp(0, self.num_levels - 1)


class DiscretizedLogisticHead(LikelihoodHead):
    """Discretized logistic (``num_components=1``) or a mixture of them, over K levels."""

    name = "discretized_logistic"
    discrete = True

    def __init__(
        self,
        num_levels: int = representations.NUM_LEVELS,
        num_components: int = 1,
        validate_args: bool = True,
    ) -> None:
        super().__init__(validate_args)
        if num_levels < 2 or num_components < 1:
            raise ValueError(f"{self.name}: need num_levels >= 2 and num_components >= 1")
        self.num_levels, self.num_components = int(num_levels), int(num_components)
        self.params_per_dim = 2 if num_components == 1 else 3 * num_components
        self.support = constraints.integer_interval(0, self.num_levels - 1)
        self.expects = f"whole numbers 0..{self.num_levels - 1}"

    def representation(self, levels: Tensor) -> Tensor:
        return representations.levels(levels, self.num_levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / (self.num_levels - 1)

    def distribution(self, *blocks: Tensor) -> DiscretizedLogisticMixture:
        m = self.num_components
        if m == 1:
            loc, raw_log_scale = blocks[0].unsqueeze(-1), blocks[1].unsqueeze(-1)
            weights = torch.zeros_like(loc)
        else:
            weights = torch.stack(blocks[:m], dim=-1)
            loc = torch.stack(blocks[m : 2 * m], dim=-1)
            raw_log_scale = torch.stack(blocks[2 * m :], dim=-1)
        log_scale = raw_log_scale.clamp(LOG_SCALE_MIN, LOG_SCALE_MAX)
        return DiscretizedLogisticMixture(weights, loc, log_scale, self.num_levels, False)
