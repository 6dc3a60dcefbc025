r"""Binomial likelihood for counts :math:`0..N` (the digits: :math:`N = 16` "on" pixels per block).

.. math::

    \log p(x\mid z) = \sum_{d=1}^D\Bigl[\log\binom{N}{x_d} + x_d\,r_d
    - N\,\mathrm{softplus}(r_d)\Bigr],
    \qquad p_d = \sigma(r_d).

Each pixel of the digits counts how many of the 16 cells of a 4x4 block are on, so
Binomial(16, p) matches how the data were made, with one raw output per pixel.
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import Binomial, constraints

from .. import representations
from .base import LikelihoodHead


class BinomialHead(LikelihoodHead):
    """One logit per pixel and a fixed number of trials ``total_count`` (default 16)."""

    name = "binomial"
    params_per_dim = 1
    discrete = True

    def __init__(self, total_count: int = representations.NUM_LEVELS - 1, validate_args=True):
        super().__init__(validate_args)
        if total_count < 1:
            raise ValueError(f"{self.name}: total_count must be >= 1, got {total_count}")
        self.total_count = int(total_count)
        self.support = constraints.integer_interval(0, self.total_count)
        self.expects = f"whole-number counts 0..{self.total_count}"

    def representation(self, levels: Tensor) -> Tensor:
        return representations.levels(levels, self.total_count + 1)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / self.total_count

    def distribution(self, logits: Tensor) -> Binomial:
        return Binomial(self.total_count, logits=logits, validate_args=False)
