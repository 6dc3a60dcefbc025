r"""Reference points for test log-likelihoods: models that ignore every dependence between pixels.

The *independent-pixels* model gives each pixel :math:`d` its own distribution over the
:math:`K` values, estimated from training counts with a pseudo-count :math:`a` (add-:math:`a`
smoothing, so no test value gets probability 0):

.. math::

    \hat P_d(k) = \frac{n_{dk} + a}{N + K a},\qquad
    \log P(x) = \sum_{d=1}^{D} \log \hat P_d(x_d).

It is the best model that treats the :math:`D` pixels as independent (up to the smoothing), so a
VAE, whose latent variable is there to capture dependences, should beat it. With ``num_levels=2``
and binarized data it is the per-pixel Bernoulli baseline.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def independent_pixels_log_prob(
    train: Tensor, test: Tensor, num_levels: int = 17, pseudo_count: float = 1.0
) -> Tensor:
    r""":math:`\log P(x)` in nats of each row of ``test`` under the independent-pixels model.

    ``train [N, D]`` and ``test [M, D]`` hold whole numbers in ``0..num_levels-1`` (levels, or
    binarized values with ``num_levels=2``); returns ``[M]``.
    """
    for name, x in (("train", train), ("test", test)):
        if x.dim() != 2 or bool(((x < 0) | (x > num_levels - 1) | (x != x.round())).any()):
            raise ValueError(
                f"independent_pixels_log_prob: {name} must be [N, D] whole numbers in "
                f"0..{num_levels - 1}"
            )
    if pseudo_count <= 0:
        raise ValueError(
            f"independent_pixels_log_prob: pseudo_count must be > 0, got {pseudo_count}"
        )
    onehot = torch.nn.functional.one_hot(train.long(), num_levels).to(torch.float64)  # [N, D, K]
    counts = onehot.sum(0) + pseudo_count  # [D, K]
    log_p = counts.log() - counts.sum(-1, keepdim=True).log()  # [D, K]
    picked = log_p.gather(1, test.long().T)  # [D, M]
    return picked.sum(0).to(test.dtype)


def independent_pixels_bits_per_dim(
    train: Tensor, test: Tensor, num_levels: int = 17, pseudo_count: float = 1.0
) -> float:
    """Mean negative :func:`independent_pixels_log_prob` of ``test`` in bits per dimension."""
    log_p = independent_pixels_log_prob(train, test, num_levels, pseudo_count)
    return float(-log_p.double().mean() / (test.shape[1] * math.log(2.0)))
