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

Free bits (Kingma et al., 2016), a *training* objective that is not a bound: each latent
dimension is charged only for the KL above a floor :math:`\lambda` (:func:`free_bits_elbo`).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor
from torch.distributions import Independent, Normal, kl_divergence

from .likelihoods.masking import check_mask
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
        # a mask may broadcast (e.g. one row for every image): expand it before splitting
        masks = (
            [None] * len(x.split(batch))
            if mask is None
            else check_mask(mask, x, "iwae_bound").split(batch)
        )
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


def kl_per_latent_dimension(q: Independent, prior: Independent) -> Tensor:
    r"""The closed-form KL of each latent dimension, ``[N, L]``.

    :math:`\mathrm{KL}_{n,l} = \mathrm{KL}\bigl(q(z_l\mid x_n)\,\|\,p(z_l)\bigr)`.
    Both ``q`` (batch ``[N]``) and ``prior`` must be factorised Gaussians
    (``Independent(Normal)``); then the KL term of the ELBO is the sum over :math:`l` of

    .. math::

        \mathrm{KL}_l = \log\frac{\sigma_{p,l}}{s_l}
        + \frac{s_l^2 + (\mu_l - \mu_{p,l})^2}{2\sigma_{p,l}^2} - \frac12 .
    """
    bases = []
    for what, dist in (("encoder", q), ("prior", prior)):
        base = dist.base_dist if isinstance(dist, Independent) else dist
        if not isinstance(base, Normal):
            raise ValueError(
                f"kl_per_latent_dimension: the {what} must be a factorised Gaussian, got "
                f"{type(base).__name__}"
            )
        bases.append(base)
    return kl_divergence(bases[0], bases[1])


def free_bits_kl(kl_per_dim: Tensor, free_bits: float) -> Tensor:
    r"""The free-bits KL charge of a minibatch, repeated for each of its ``N`` rows: ``[N]``.

    ``kl_per_dim`` is ``[N, L]`` (:func:`kl_per_latent_dimension`). Following Kingma et al.
    (2016, eq. 15, one group per latent dimension), the KL of each dimension is averaged over
    the minibatch and charged only above the floor :math:`\lambda` = ``free_bits`` (nats):

    .. math::

        \widetilde{\mathrm{KL}} = \sum_{l=1}^{L}
        \max\Bigl(\lambda,\ \frac1N\sum_{n=1}^{N}\mathrm{KL}_{n,l}\Bigr).

    A dimension whose average KL is below :math:`\lambda` gets no gradient from the KL term, so
    the encoder may spend up to :math:`\lambda` nats on it for free. With :math:`\lambda = 0`
    this is the ordinary KL term averaged over the minibatch.
    """
    if not free_bits >= 0:
        raise ValueError(f"free_bits_kl: free_bits must be >= 0 nats, got {free_bits!r}")
    if kl_per_dim.dim() != 2:
        raise ValueError(
            f"free_bits_kl: kl_per_dim must be [N, L], got shape {tuple(kl_per_dim.shape)}"
        )
    charge = torch.clamp(kl_per_dim.mean(0), min=free_bits).sum()
    return charge.expand(kl_per_dim.shape[0])


def free_bits_elbo(
    model: VAE, x: Tensor, free_bits: float, n_samples: int = 1, beta: float = 1.0
) -> Tensor:
    r"""The free-bits training objective of each row of ``x``, ``[N]`` (to be maximised).

    :math:`\frac1S\sum_s \log p_\theta(x\mid z_s) - \beta\,\widetilde{\mathrm{KL}}`, with the
    reconstruction term of :func:`elbo` and the charge :math:`\widetilde{\mathrm{KL}}` of
    :func:`free_bits_kl` (shared by the rows of the minibatch). With :math:`\beta = 1`, because
    :math:`\widetilde{\mathrm{KL}} \ge` the minibatch-mean KL, the mean of this objective is at
    most the mean ELBO: it is a training device, *not* a bound to score a model with; score
    with :func:`elbo` or :func:`iwae_bound`. Needs a factorised Gaussian encoder and prior.
    """
    _check_count("free_bits_elbo", "n_samples", n_samples)
    q = model.encode(x)
    z = q.rsample((n_samples,))
    reconstruction = model.decode(z).log_prob(x).mean(0)
    charge = free_bits_kl(kl_per_latent_dimension(q, model.prior()), free_bits)
    return reconstruction - beta * charge
