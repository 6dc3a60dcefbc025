"""Starter code of the assignment "A likelihood head for a new family": fill in every TODO.

Grade it with ``pytest grade_beta_binomial.py`` in this folder.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.distributions import Distribution, constraints

from vae_tutorial import representations
from vae_tutorial.likelihoods import LikelihoodHead

_EMPTY = torch.Size()


class BetaBinomial(Distribution):
    """Beta-binomial on 0..total_count, with concentrations ``alpha`` and ``beta`` (any shape)."""

    arg_constraints = {"alpha": constraints.positive, "beta": constraints.positive}
    has_rsample = False

    def __init__(self, total_count: int, alpha: Tensor, beta: Tensor,
                 validate_args: bool | None = None) -> None:
        self.total_count = int(total_count)
        self.alpha, self.beta = torch.broadcast_tensors(alpha, beta)
        super().__init__(self.alpha.shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.total_count)

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError("TODO: the mean of the beta-binomial")

    @property
    def variance(self) -> Tensor:
        raise NotImplementedError("TODO: the variance of the beta-binomial")

    def log_prob(self, value: Tensor) -> Tensor:
        raise NotImplementedError("TODO: log p(value), elementwise (use torch.lgamma)")

    def sample(self, sample_shape: torch.Size = _EMPTY) -> Tensor:
        raise NotImplementedError("TODO: draw p from a Beta, then a Binomial count")


class BetaBinomialHead(LikelihoodHead):
    """Raw decoder output [..., 2 * 64] -> a beta-binomial per pixel."""

    name = "beta_binomial"
    params_per_dim = 2
    support = constraints.integer_interval(0, representations.NUM_LEVELS - 1)
    expects = "whole numbers 0..16"
    discrete = True

    def __init__(self, min_concentration: float = 1e-3, validate_args: bool = True) -> None:
        super().__init__(validate_args)
        self.min_concentration = float(min_concentration)

    def representation(self, levels: Tensor) -> Tensor:
        return representations.levels(levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return x / (representations.NUM_LEVELS - 1)

    def distribution(self, raw_alpha: Tensor, raw_beta: Tensor) -> BetaBinomial:
        raise NotImplementedError("TODO: map the raw blocks to alpha, beta > 0")
