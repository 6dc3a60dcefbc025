r"""The training objective and the evaluation of :math:`\log p_\theta(x)`.

ELBO, for one data point:

.. math::

    \mathcal L(x) = \mathbb E_{q_\phi(z\mid x)}\bigl[\log p_\theta(x\mid z)\bigr]
    - \mathrm{KL}\bigl(q_\phi(z\mid x)\,\|\,p(z)\bigr) \;\le\; \log p_\theta(x).

Importance-weighted bound (Burda et al., 2016), with :math:`z_i \sim q_\phi(z\mid x)`:

.. math::

    \mathcal L_k(x) = \mathbb E\Bigl[\log \frac1k\sum_{i=1}^k
    \frac{p_\theta(x\mid z_i)\,p(z_i)}{q_\phi(z_i\mid x)}\Bigr],\qquad
    \mathcal L_1 = \mathcal L \le \mathcal L_k \le \mathcal L_{k+1} \le \log p_\theta(x).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor
from torch.distributions import kl_divergence

from .model import VAE


def _check_count(where: str, arg: str, value: object) -> None:
    """Raise a ValueError unless ``value`` is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{where}: {arg} must be an integer >= 1, got {value!r}")


@dataclass
class ElboTerms:
    """Per-example terms, each of shape ``[N]``: ``elbo = reconstruction - kl``."""

    elbo: Tensor
    reconstruction: Tensor
    kl: Tensor


def _encode(model: VAE, x: Tensor, mask: Tensor | None):
    """``q(z|x)``; with a mask, the model's encoder must be told which entries are missing."""
    if mask is None:
        return model.encode(x)
    if not getattr(model, "accepts_mask", False):
        raise ValueError(
            "a mask needs a model whose encoder sees it (vae_tutorial.missing.MaskedVAE), got "
            f"{type(model).__name__}"
        )
    return model.encode(x, mask=mask)


def _log_likelihood(dist, x: Tensor, mask: Tensor | None) -> Tensor:
    """``log p(x|z)``, over the observed entries only when ``mask`` is given."""
    return dist.log_prob(x) if mask is None else dist.log_prob(x, mask=mask)


def elbo(
    model: VAE,
    x: Tensor,
    n_samples: int = 1,
    kl: Literal["analytic", "mc"] = "analytic",
    mask: Tensor | None = None,
) -> ElboTerms:
    r"""Monte Carlo ELBO of each row of ``x`` (``[N, D]``) with ``n_samples`` draws of z.

    ``reconstruction`` :math:`= \frac1S\sum_s \log p_\theta(x\mid z_s)`; ``kl`` is the closed form
    :math:`\mathrm{KL}(q\,\|\,p)` when torch knows it for the prior (``"analytic"``), else the
    estimate :math:`\frac1S\sum_s[\log q(z_s\mid x) - \log p(z_s)]` (``"mc"``).

    With a bool ``mask`` (``[N, D]``, True = observed) this is the ELBO of the observed entries,
    :math:`\mathbb E_q[\log p_\theta(x_{\text{obs}}\mid z)] - \mathrm{KL}`, for a model whose
    encoder is told the mask (:class:`~vae_tutorial.missing.MaskedVAE`).
    """
    q = _encode(model, x, mask)
    z = q.rsample((n_samples,))  # [S, N, L]
    reconstruction = _log_likelihood(model.decode(z), x, mask).mean(0)
    prior = model.prior()
    if kl == "analytic":
        try:
            kl_term = kl_divergence(q, prior)
        except NotImplementedError:
            kl_term = (q.log_prob(z) - prior.log_prob(z)).mean(0)
    elif kl == "mc":
        kl_term = (q.log_prob(z) - prior.log_prob(z)).mean(0)
    else:
        raise ValueError(f"elbo: kl must be 'analytic' or 'mc', got {kl!r}")
    return ElboTerms(reconstruction - kl_term, reconstruction, kl_term)


def log_importance_weights(model: VAE, x: Tensor, k: int, mask: Tensor | None = None) -> Tensor:
    r"""Log importance weights, shape ``[k, N]``:

    :math:`\log p_\theta(x\mid z_i) + \log p(z_i) - \log q_\phi(z_i\mid x)`
    with :math:`z_i \sim q_\phi`.
    """
    q = _encode(model, x, mask)
    z = q.rsample((k,))
    log_px_z = _log_likelihood(model.decode(z), x, mask)
    return log_px_z + model.prior().log_prob(z) - q.log_prob(z)


def iwae_bound(
    model: VAE,
    x: Tensor,
    k: int = 1000,
    chunk: int = 250,
    batch: int = 500,
    mask: Tensor | None = None,
) -> Tensor:
    r"""Importance-weighted estimate :math:`\mathcal L_k(x)` of :math:`\log p_\theta(x)`, ``[N]``.

    The ``k`` samples are drawn in chunks of ``chunk`` and examples in batches of ``batch`` to
    bound memory; the result is :math:`\operatorname{logsumexp}_i \log w_i - \log k`. With a
    ``mask``, the bound on :math:`\log p_\theta(x_{\text{obs}})` (see :func:`elbo`).
    """
    if k < 1:
        raise ValueError(f"iwae_bound: k must be >= 1, got {k}")
    out = []
    with torch.no_grad():
        masks = [None] * len(x.split(batch)) if mask is None else mask.split(batch)
        for xb, mb in zip(x.split(batch), masks, strict=True):
            logw = torch.cat(
                [
                    log_importance_weights(model, xb, min(chunk, k - i), mb)
                    for i in range(0, k, chunk)
                ]
            )
            out.append(torch.logsumexp(logw, dim=0) - math.log(k))
    return torch.cat(out)


def bits_per_dim(log_px: Tensor | float, num_dims: int) -> Tensor | float:
    r"""Negative log-likelihood in bits per dimension: :math:`-\log p(x) / (D \ln 2)`.

    ``log_px`` is :math:`\log p(x)` of ONE data vector in nats (or a tensor of them, e.g. the mean
    over a test set); ``num_dims`` is its number of dimensions :math:`D` (64 for the digits).
    """
    _check_count("bits_per_dim", "num_dims", num_dims)
    return -log_px / (num_dims * math.log(2.0))
