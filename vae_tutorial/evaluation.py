r"""One scale for every model: the log-probability of the *discrete* digits.

A discrete head (Bernoulli on binarized data aside, every count or level head) gives
:math:`\log P(x)` of the integer levels directly, estimated by
:func:`~vae_tutorial.objectives.iwae_bound`.
A continuous head gives a *density* on its own scale, which cannot be compared with a probability.
Each level :math:`k` stands for a bin :math:`B_k = [\ell_k, u_k]` of that scale
(:meth:`~vae_tutorial.likelihoods.base.LikelihoodHead.bin_edges`), and the model assigns the level
the probability :math:`P(k) = \int_{B_k} p_\theta(x)\,dx`. Drawing :math:`x` uniformly in the bins
(uniform dequantization) and :math:`z \sim q_\phi(z\mid x)` gives the importance-weighted
lower bound

.. math::

    \log P(k) \;\ge\; \mathbb E\Bigl[\log\frac1S\sum_{s=1}^S
      \frac{p_\theta(x_s\mid z_s)\,p(z_s)}
           {q_\phi(z_s\mid x_s)\,\prod_d (u_{kd}-\ell_{kd})^{-1}}\Bigr],

i.e. density plus :math:`\sum_d \log(u_{kd}-\ell_{kd})`, the log-volume of the bin (the log-Jacobian
of the change of scale). It tightens as :math:`S` grows (Theis et al., 2016; Burda et al., 2016).
"""

from __future__ import annotations

import math
import os

import torch
from torch import Tensor
from tqdm.auto import tqdm

from .model import VAE
from .objectives import bits_per_dim, iwae_bound


def _dequantized_log_weights(model: VAE, lower: Tensor, upper: Tensor, k: int) -> Tensor:
    width = upper - lower
    u = torch.rand((k,) + lower.shape, dtype=lower.dtype).clamp(1e-6, 1 - 1e-6)
    x = lower + u * width  # [k, N, D]
    q = model.encode(x)
    z = q.rsample()
    log_px_z = model.decode(z).log_prob(x)
    return log_px_z + model.prior().log_prob(z) - q.log_prob(z) + width.log().sum(-1)


def discrete_log_likelihood(
    model: VAE,
    levels: Tensor,
    k: int = 1000,
    chunk: int = 250,
    batch: int = 500,
    progress: bool | None = None,
) -> Tensor:
    r"""Importance-weighted estimate of :math:`\log P(\text{levels})` in nats, shape ``[N]``.

    ``levels`` are the digits' integer levels (``load_digits``), whatever the head. For a discrete
    head this is ``iwae_bound(model, head.prepare(levels), k)``; for a continuous head, the
    dequantized bound described in the module docstring (never above the true value, up to noise).
    A progress bar over the examples is shown unless ``progress=False`` or the environment sets
    ``TQDM_DISABLE=1`` (as the book's stored notebooks do).
    """
    head = model.head
    show = progress if progress is not None else os.environ.get("TQDM_DISABLE", "") in ("", "0")
    bar = tqdm(total=len(levels), disable=not show, unit="img", leave=True,
               desc=f"{head.name}: log P(x), k={k}")
    if head.discrete:
        out = []
        for xb in head.prepare(levels).split(batch):  # the same draws as one iwae_bound call
            out.append(iwae_bound(model, xb, k=k, chunk=chunk, batch=batch))
            bar.update(len(xb))
        bar.close()
        return torch.cat(out)
    lower, upper = head.bin_edges(levels)
    out = []
    with torch.no_grad():
        for lo, hi in zip(lower.split(batch), upper.split(batch), strict=True):
            logw = torch.cat(
                [
                    _dequantized_log_weights(model, lo, hi, min(chunk, k - i))
                    for i in range(0, k, chunk)
                ]
            )
            out.append(torch.logsumexp(logw, dim=0) - math.log(k))
            bar.update(len(lo))
    bar.close()
    return torch.cat(out)


def test_bits_per_dim(
    model: VAE, levels: Tensor, k: int = 1000, progress: bool | None = None
) -> float:
    """Mean negative :func:`discrete_log_likelihood` in bits per dimension (lower is better).

    Shows a progress bar (see :func:`discrete_log_likelihood`): with ``k = 1000`` this takes
    several seconds.
    """
    log_px = discrete_log_likelihood(model, levels, k=k, progress=progress)
    return float(bits_per_dim(log_px.mean(), levels.shape[-1]))
