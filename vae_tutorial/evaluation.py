r"""One scale for every model: the log-probability of the *discrete* digits.

The digits are integer levels :math:`k \in \{0, \dots, K-1\}`, so every model is scored by the
probability :math:`P_\theta(\text{levels})` it gives them, estimated with the importance-weighted
bound (Burda et al., 2016) and reported in bits per dimension. For that the model's
:math:`P_\theta(\text{level}_d \mid z)` must be a genuine distribution over the :math:`K` levels:
**the level probabilities sum to one**. Two kinds of head:

**Discrete heads** (categorical, discretized logistic/Gaussian/Laplace, binomial, Poisson,
negative binomial) give :math:`\log P(x\mid z)` of the levels directly, and the score is
:func:`~vae_tutorial.objectives.iwae_bound`. (The Bernoulli is scored the same way, but on the
binarized digits: another data set, not comparable with the others.) The Poisson and the
negative binomial also put mass on counts above 16; the digits never take those values, so that
mass is the model's own (penalised) choice, not a defect of the yardstick: they are scored on
0..16 like every other head.

**Continuous heads** give a *density* on their own scale, which cannot be compared with a
probability. Each level :math:`k` stands for a bin :math:`B_k = (\ell_k, u_k]` of that scale
(:meth:`~vae_tutorial.likelihoods.base.LikelihoodHead.bin_edges`); the bins partition the head's
support, so :math:`P(k\mid z) = \int_{B_k} p_\theta(x\mid z)\,dx` sums to one over the levels. For
a head on the real line (Gaussian, Laplace, Student-t) the edge bins are open,
:math:`B_0 = (-\infty, \tfrac1{32}]` and :math:`B_{16} = (\tfrac{31}{32}, +\infty)`
(:func:`~vae_tutorial.representations.real_line_bins`): a level-0 pixel owns all the mass below 0.

*Exact* (``method="exact"``, the default where available): when the per-pixel family has a CDF
:math:`F` (Gaussian, Laplace, Student-t; :mod:`~vae_tutorial.likelihoods.intervals`),
:math:`P(k\mid z) = F(u_k) - F(\ell_k)` in closed form, and

.. math::

    \log P(\text{levels}) \;\ge\; \mathcal L_S = \mathbb E\Bigl[\log\frac1S\sum_{s=1}^S
      \frac{\prod_d P(k_d\mid z_s)\,p(z_s)}{q_\phi(z_s\mid x)}\Bigr],\qquad
      z_s \sim q_\phi(z\mid x),

with the encoder fed the head's representation :math:`x` of the levels: the IWAE bound of a
genuinely discrete model, exactly as for a discrete head.

*Dequantization* (``method="dequantize"``, the general method; Theis et al., 2016): draw
:math:`x_s` from a proposal :math:`r(x\mid k)` on the bins and :math:`z_s \sim q_\phi(z\mid x_s)`;

.. math::

    \log P(\text{levels}) \;\ge\; \mathbb E\Bigl[\log\frac1S\sum_{s=1}^S
      \frac{p_\theta(x_s\mid z_s)\,p(z_s)}{q_\phi(z_s\mid x_s)\,r(x_s\mid k)}\Bigr].

On a finite bin :math:`r` is uniform, :math:`r = 1/(u_k - \ell_k)`. On an open edge bin, say
:math:`B_0 = (-\infty, u_0]` with :math:`w` one bin width, :math:`r` is a mixture: with probability
:math:`1 - \epsilon` uniform on the bin's first width :math:`[u_0 - w, u_0]` (density
:math:`(1-\epsilon)/w`), with probability :math:`\epsilon` (``TAIL_WEIGHT``, 0.1) a half-Cauchy
beyond it, :math:`x = u_0 - w - Y`, :math:`Y = w\tan(\pi U/2)`, density
:math:`\epsilon\,\frac{2}{\pi w}\bigl(1 + (Y/w)^2\bigr)^{-1}` (mirrored for the top level). The
uniform part makes a level-0 pixel as cheap to estimate as an interior one when the head's density
is concentrated near the data; the Cauchy tail (like :math:`Y^{-2}`) is heavier than that of a
Gaussian, a Laplace or a Student-t with :math:`\nu > 1`, so the weights stay bounded however
wide the density is. (On a diagonal Gaussian with a floor of 0.018 trained for 30 epochs, at
:math:`k = 200`, a pure half-Cauchy proposal of scale :math:`w` gave a bound 1.5 bits/dim looser,
since it spreads most draws far from a concentrated density; :math:`\epsilon` from 0.05 to 0.2
gave bounds within 0.05 bits/dim of each other.) The bound is valid for any proposal that covers
the bin; it is looser than the exact method (it also pays for the mismatch between :math:`r` and
:math:`p_\theta(x\mid z)` inside the bin) and needs no CDF, so it serves heads without one (Beta,
continuous Bernoulli).

``method="auto"`` takes the exact method where the head has it, else dequantization.

``method="clipped"`` is **kept only to demonstrate a pitfall**: it dequantizes on bins clipped
to [0, 1], so a real-line head loses the mass below 0 and above 1 and is scored with a defective
distribution (probabilities summing to less than one). Its numbers are lower than the proper
ones; never use them to compare models.
"""

from __future__ import annotations

import math
import os
from typing import Literal

import torch
from torch import Tensor

from .model import VAE
from .objectives import bits_per_dim, iwae_bound
from .progress import tqdm

Method = Literal["auto", "exact", "dequantize", "clipped"]
METHODS: tuple[str, ...] = ("auto", "exact", "dequantize", "clipped")
#: Probability with which the proposal on an open edge bin draws from its half-Cauchy tail.
TAIL_WEIGHT = 0.1


def has_exact_level_probs(model: VAE) -> bool:
    """True when ``model.head`` gives exact level probabilities (discrete, or a CDF is known)."""
    head = model.head
    if head.discrete:
        return True
    dtype = next(model.parameters()).dtype
    with torch.no_grad():
        z = torch.zeros(1, model.latent_dim, dtype=dtype)
        dist = getattr(model.decode(z), "base_dist", None)
        if dist is None:  # a joint density (correlated Gaussian): no per-pixel CDF, dequantize
            return False
        levels = torch.zeros(1, model.data_dim, dtype=dtype)
        return head.level_log_prob(dist, levels) is not None


def _exact_log_weights(model: VAE, x: Tensor, levels: Tensor, k: int) -> Tensor:
    r"""``[k, N]``: :math:`\sum_d \log P(k_d\mid z_i) + \log p(z_i) - \log q(z_i\mid x)`."""
    q = model.encode(x)
    z = q.rsample((k,))
    log_p_levels = model.head.level_log_prob(model.decode(z).base_dist, levels).sum(-1)
    return log_p_levels + model.prior().log_prob(z) - q.log_prob(z)


def _dequantized_log_weights(
    model: VAE, lower: Tensor, upper: Tensor, k: int, tail_scale: float
) -> Tensor:
    r"""``[k, N]`` log weights, :math:`x` drawn from the bin proposal of the module docstring."""
    lo_open, hi_open = torch.isinf(lower), torch.isinf(upper)
    open_bin = lo_open | hi_open
    width = torch.where(open_bin, torch.ones_like(lower), upper - lower)
    shape = (k,) + lower.shape
    u = torch.rand(shape, dtype=lower.dtype).clamp(1e-6, 1 - 1e-6)  # stays inside open supports
    # open bins: distance from the finite edge, uniform on one bin width w, or (probability
    # TAIL_WEIGHT) w plus a half-Cauchy draw of scale w
    w = tail_scale
    in_tail = torch.rand(shape, dtype=lower.dtype) < TAIL_WEIGHT
    y = w * torch.tan(0.5 * math.pi * torch.rand(shape, dtype=lower.dtype))
    depth = torch.where(in_tail, w + y, u * w)
    finite_lo = torch.where(lo_open, torch.zeros_like(lower), lower)
    finite_hi = torch.where(hi_open, torch.zeros_like(upper), upper)
    x = torch.where(
        lo_open,
        finite_hi - depth,
        torch.where(hi_open, finite_lo + depth, finite_lo + u * width),
    )  # [k, N, D]
    log_tail = math.log(2 * TAIL_WEIGHT / (math.pi * w)) - torch.log1p((y / w) ** 2)
    log_open = torch.where(in_tail, log_tail, torch.full_like(y, math.log((1 - TAIL_WEIGHT) / w)))
    log_r = torch.where(open_bin, log_open, -width.log()).sum(-1)
    q = model.encode(x)
    z = q.rsample()
    log_px_z = model.decode(z).log_prob(x)
    return log_px_z + model.prior().log_prob(z) - q.log_prob(z) - log_r


def _batched(fn, k: int, chunk: int, *tensors: Tensor, batch: int, bar=None) -> Tensor:
    """``logsumexp`` over ``k`` weights from ``fn(*batch_tensors, kc)``, minus ``log k``."""
    out = []
    with torch.no_grad():
        for parts in zip(*(t.split(batch) for t in tensors), strict=True):
            logw = torch.cat([fn(*parts, min(chunk, k - i)) for i in range(0, k, chunk)])
            out.append(torch.logsumexp(logw, dim=0) - math.log(k))
            if bar is not None:
                bar.update(len(parts[0]))
    return torch.cat(out)


def discrete_log_likelihood(
    model: VAE,
    levels: Tensor,
    k: int = 1000,
    chunk: int = 250,
    batch: int = 500,
    method: Method = "auto",
    progress: bool | None = None,
) -> Tensor:
    r"""Importance-weighted estimate of :math:`\log P(\text{levels})` in nats, shape ``[N]``.

    ``levels [N, D]`` are the digits' integer levels (``load_digits``), whatever the head.
    ``method`` (see the module docstring):

    * ``"auto"``: ``"exact"`` where the head has exact level probabilities, else ``"dequantize"``;
    * ``"exact"``: the IWAE bound with :math:`P(k_d\mid z)` from the head (a discrete head: this
      is ``iwae_bound(model, head.prepare(levels), k)``; a continuous head: from its CDF);
      raises ``ValueError`` for a head without a CDF;
    * ``"dequantize"``: the dequantized bound on the head's bins (open edge bins on the real
      line), a lower bound of the same quantity as ``"exact"``;
    * ``"clipped"``: dequantization on bins clipped to [0, 1], **a demonstration of the pitfall
      only**: for a real-line head it scores a distribution whose level probabilities sum to
      less than one.

    All are lower bounds of :math:`\log P(\text{levels})` on average, tightening as ``k`` grows.
    ``"dequantize"`` and ``"clipped"`` raise ``ValueError`` for a discrete head (no bins).

    A progress bar over the examples (``tqdm.auto``, it stays when done) is shown unless
    ``progress=False`` or the environment sets ``TQDM_DISABLE=1`` (as the stored notebooks do).
    """
    if method not in METHODS:
        raise ValueError(
            f"discrete_log_likelihood: method must be one of {METHODS}, got {method!r}"
        )
    if k < 1:
        raise ValueError(f"discrete_log_likelihood: k must be >= 1, got {k}")
    show = progress if progress is not None else os.environ.get("TQDM_DISABLE", "") in ("", "0")
    with tqdm(total=len(levels), disable=not show, unit="img", leave=True,
              desc=f"{model.head.name}: log P(x), k={k}") as bar:
        return _discrete_log_likelihood(model, levels, k, chunk, batch, method, bar)


def _discrete_log_likelihood(
    model: VAE, levels: Tensor, k: int, chunk: int, batch: int, method: Method, bar
) -> Tensor:
    head = model.head
    if method in ("auto", "exact"):
        if head.discrete:
            out = []
            for xb in head.prepare(levels).split(batch):  # the draws of one iwae_bound call
                out.append(iwae_bound(model, xb, k=k, chunk=chunk, batch=batch))
                bar.update(len(xb))
            return torch.cat(out)
        if has_exact_level_probs(model):
            x = head.prepare(levels)
            return _batched(
                lambda xb, lb, kc: _exact_log_weights(model, xb, lb, kc),
                k,
                chunk,
                x,
                levels,
                batch=batch,
                bar=bar,
            )
        if method == "exact":
            raise ValueError(
                f"discrete_log_likelihood: {head.name} has no closed-form level probabilities "
                "(no CDF); use method='dequantize' or 'auto'"
            )
    if head.discrete:
        raise ValueError(
            f"discrete_log_likelihood: {head.name} is a discrete head; its level probabilities are "
            f"exact, so method must be 'auto' or 'exact', got {method!r}"
        )
    lower, upper = head.bin_edges(levels)
    if method == "clipped":
        lower, upper = lower.clamp(min=0.0), upper.clamp(max=1.0)
    tail = head.tail_scale()
    return _batched(
        lambda lo, hi, kc: _dequantized_log_weights(model, lo, hi, kc, tail),
        k,
        chunk,
        lower,
        upper,
        batch=batch,
        bar=bar,
    )


def test_bits_per_dim(
    model: VAE,
    levels: Tensor,
    k: int = 1000,
    method: Method = "auto",
    progress: bool | None = None,
) -> float:
    """Mean negative :func:`discrete_log_likelihood` in bits per dimension (lower is better).

    With ``k = 1000`` this takes several seconds: a progress bar shows how far it is (see
    :func:`discrete_log_likelihood`).
    """
    ll = discrete_log_likelihood(model, levels, k=k, method=method, progress=progress)
    return float(bits_per_dim(ll.mean(), levels.shape[-1]))
