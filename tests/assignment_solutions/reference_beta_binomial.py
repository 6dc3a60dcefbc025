r"""Reference solution of the assignment "A likelihood head for a new family" (beta-binomial).

Kept out of the student notebook (``book/assignments/beta_binomial_head.ipynb``); CI grades it with
the autograder (``tests/test_assignment_beta_binomial.py``).

.. math::

    \log p(x\mid z) = \sum_d \Bigl[\log\binom{n}{x_d} + \log B(x_d+\alpha_d,\ n-x_d+\beta_d)
    - \log B(\alpha_d, \beta_d)\Bigr],\qquad
    \alpha_d = \mathrm{softplus}(r^{(1)}_d) + c,\ \beta_d = \mathrm{softplus}(r^{(2)}_d) + c .
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.distributions import Beta, Binomial, Distribution, constraints

from vae_tutorial import representations
from vae_tutorial.likelihoods import LikelihoodHead
from vae_tutorial.likelihoods.base import positive

_EMPTY = torch.Size()


def _log_beta(a: Tensor, b: Tensor) -> Tensor:
    return torch.lgamma(a) + torch.lgamma(b) - torch.lgamma(a + b)


class BetaBinomial(Distribution):
    """Beta-binomial on ``0..total_count``: a binomial whose probability is Beta(alpha, beta)."""

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
        return self.total_count * self.alpha / (self.alpha + self.beta)

    @property
    def variance(self) -> Tensor:
        n, a, b = self.total_count, self.alpha, self.beta
        s = a + b
        return n * a * b * (s + n) / (s**2 * (s + 1))

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        n = torch.as_tensor(float(self.total_count), dtype=self.alpha.dtype)
        k = value.to(self.alpha.dtype)
        log_choose = torch.lgamma(n + 1) - torch.lgamma(k + 1) - torch.lgamma(n - k + 1)
        return log_choose + _log_beta(k + self.alpha, n - k + self.beta) \
            - _log_beta(self.alpha, self.beta)

    def sample(self, sample_shape: torch.Size = _EMPTY) -> Tensor:
        with torch.no_grad():
            p = Beta(self.alpha, self.beta).sample(sample_shape)
            return Binomial(self.total_count, probs=p.clamp(0.0, 1.0)).sample()


class BetaBinomialHead(LikelihoodHead):
    """Two raw outputs per pixel, each mapped by softplus plus a floor to alpha and beta."""

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
        return BetaBinomial(
            representations.NUM_LEVELS - 1,
            positive(raw_alpha, self.min_concentration),
            positive(raw_beta, self.min_concentration),
            validate_args=False,
        )
