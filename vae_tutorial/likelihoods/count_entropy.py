r"""Entropy of a count distribution on :math:`\{0, 1, 2, \dots\}` by summation over its support.

.. math::

    H = -\sum_{k=0}^{\infty} P(k)\log P(k).

The Poisson and the negative binomial have no closed form. The sum is taken in float64 in chunks
of counts until the probability left in the tail is below ``tail`` (1e-12) for every element;
the neglected tail then changes :math:`H` by less than about ``tail`` times the log of the counts
involved. Elements whose tail is still above ``tail`` after ``max_count`` counts (a heavy negative
binomial tail, or a Poisson rate far above ``max_count``) get NaN rather than a truncated,
too-small value.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.distributions import Distribution


def entropy_by_summation(
    dist: Distribution, tail: float = 1e-12, max_count: int = 1_000_000, chunk: int = 512
) -> Tensor:
    """:math:`-\\sum_k P(k)\\log P(k)` of ``dist`` (batch shape ``S``, parameters best in
    float64), shape ``S``, in ``dist``'s dtype."""
    shape = dist.batch_shape
    dtype = dist.mean.dtype
    entropy = torch.zeros(shape, dtype=dtype)
    mass = torch.zeros(shape, dtype=dtype)
    start = 0
    while start < max_count:
        counts = torch.arange(start, start + chunk, dtype=dtype)
        log_p = dist.log_prob(counts.view((-1,) + (1,) * len(shape)))  # [chunk, *S]
        p = log_p.exp()
        entropy = entropy - torch.special.xlogy(p, p).sum(0)
        mass = mass + p.sum(0)
        start += chunk
        if bool((1.0 - mass < tail).all()):
            break
    return torch.where(1.0 - mass < tail, entropy, torch.full_like(entropy, float("nan")))
