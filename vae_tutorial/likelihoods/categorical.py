r"""Categorical likelihood over :math:`K` ordered levels (a softmax per pixel).

.. math::

    p(x_d = k \mid z) = \pi_{dk} = \frac{e^{r_{dk}}}{\sum_{j=0}^{K-1} e^{r_{dj}}},\qquad
    \log p(x\mid z) = \sum_{d=1}^D \log\pi_{d,x_d}
    = -\mathrm{CrossEntropy}(r, x)\ \text{(sum reduction)}.

The head needs :math:`K` raw outputs per dimension (``num_levels``; 17 for the digits, 256 for
8-bit images). The model ignores the order of the levels: level 5 is no closer to 6 than to 16.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.distributions import Categorical, constraints

from .. import representations
from .base import HeadDistribution, LikelihoodHead

_NO_SAMPLE_SHAPE = torch.Size()  # the default sample_shape (no extra sample dims)


class OrdinalCategorical(Categorical):
    """torch's ``Categorical`` over levels ``0..K-1`` read as numbers, so ``mean`` is defined.

    The value is a float tensor of whole numbers (the contract of every head); ``mean`` is
    :math:`\\sum_k k\\,\\pi_k` and ``variance`` :math:`\\sum_k k^2\\pi_k - \\text{mean}^2`.
    """

    @classmethod
    def from_log_probs(cls, log_probs: Tensor, validate_args: bool | None = None):
        """Build from logits that are already normalised (``log_softmax`` over the last dim).

        ``Categorical(logits=...)`` subtracts a ``logsumexp`` again; skipping that second pass
        (and its backward) is what makes the head as cheap as ``F.cross_entropy``.
        """
        self = cls.__new__(cls)
        self.logits = self._param = log_probs
        self._num_events = log_probs.size()[-1]
        batch_shape = log_probs.size()[:-1] if log_probs.ndimension() > 1 else torch.Size()
        super(Categorical, self).__init__(batch_shape, validate_args=validate_args)
        return self

    @property
    def _levels(self) -> Tensor:
        return torch.arange(self._num_events, dtype=self.probs.dtype, device=self.probs.device)

    @property
    def mean(self) -> Tensor:
        return self.probs @ self._levels

    @property
    def variance(self) -> Tensor:
        return self.probs @ self._levels.pow(2) - self.mean.pow(2)

    def sample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        return super().sample(sample_shape).to(self.probs.dtype)

    def log_prob(self, value: Tensor) -> Tensor:
        return super().log_prob(value.long())


class CategoricalHead(LikelihoodHead):
    """``num_levels`` logits per pixel; x holds whole numbers 0..K-1 as floats."""

    name = "categorical"
    discrete = True

    def __init__(self, num_levels: int = representations.NUM_LEVELS, validate_args: bool = True):
        super().__init__(validate_args)
        if num_levels < 2:
            raise ValueError(f"{self.name}: num_levels must be >= 2, got {num_levels}")
        self.num_levels = int(num_levels)
        self.params_per_dim = self.num_levels
        self.support = constraints.integer_interval(0, self.num_levels - 1)
        self.expects = f"whole numbers 0..{self.num_levels - 1}"

    def representation(self, levels: Tensor) -> Tensor:
        return representations.levels(levels, self.num_levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / (self.num_levels - 1)

    def distribution(self, *logits: Tensor) -> OrdinalCategorical:
        """Logits ``[..., D, K]`` from K blocks of shape ``[..., D]``.

        The blocks are those :meth:`~.LikelihoodHead.split` gives.
        """
        return OrdinalCategorical(logits=torch.stack(logits, dim=-1), validate_args=False)

    def forward(self, raw: Tensor) -> HeadDistribution:
        """Like the base class, but reshapes ``raw [..., K*D]`` to ``[..., D, K]`` as a view.

        Block k of ``raw`` holds level k's logit of every dimension, so
        ``raw.unflatten(-1, (K, D)).transpose(-1, -2)`` equals ``torch.stack(split(raw), -1)``
        without splitting into K tensors and copying them (17% of a training epoch with the
        stack; see ``scripts/benchmark_heads.py``). The levels are normalised once with
        ``F.log_softmax`` instead of twice (``Categorical`` renormalises with ``logsumexp``).
        """
        self.check_raw(raw)
        # [..., K, D] view; log_softmax over the levels in that layout (as F.cross_entropy does)
        log_probs = F.log_softmax(raw.unflatten(-1, (self.num_levels, -1)), dim=-2)
        base = OrdinalCategorical.from_log_probs(log_probs.transpose(-1, -2), validate_args=False)
        return HeadDistribution(base, head=self)
