r"""Diagnostics of posterior collapse: KL per latent dimension, active units, the linear VAE.

A latent dimension :math:`l` has *collapsed* when the encoder ignores the data along it:
:math:`q_\phi(z_l\mid x) \approx p(z_l) = \mathcal N(0, 1)` for every :math:`x`.
Two statistics show it.

* The KL per dimension, averaged over the data (:func:`kl_per_dimension`). With a factorised
  Gaussian encoder and the standard normal prior the KL term of the ELBO splits over dimensions,

  .. math::

      \mathrm{KL}\bigl(q_\phi(z\mid x)\,\|\,p(z)\bigr) = \sum_{l=1}^{L}
      \tfrac12\bigl(\mu_l^2 + s_l^2 - 1 - \log s_l^2\bigr),

  and a collapsed dimension contributes (almost) nothing.
* The activity :math:`A_l = \operatorname{Cov}_x\bigl(\mathbb E_{q_\phi(z\mid x)}[z_l]\bigr)` of
  Burda et al. (2016): how much the posterior mean moves when the input changes. A unit is
  *active* when :math:`A_l > 0.01` (:func:`active_units`).

For a *linear* VAE with a Gaussian decoder of fixed noise :math:`\sigma` the optimum is known in
closed form (:func:`linear_vae_optimum`): it is probabilistic PCA (Tipping & Bishop, 1999), whose
posterior a Gaussian encoder with a diagonal covariance represents exactly (Lucas et al., 2019).
Direction :math:`l` of the data covariance, with eigenvalue :math:`\lambda_l`, is used if and only
if :math:`\lambda_l > \sigma^2`; otherwise it collapses. Collapse there is a property of the
likelihood's :math:`\sigma`, not a failure of the optimiser or of the ELBO.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor
from torch.distributions import Independent, Normal, kl_divergence

from .exact import LinearGaussianModel, covariance_eigendecomposition, fit_ppca, linear_vae
from .model import VAE

#: The activity threshold of Burda et al. (2016).
ACTIVITY_THRESHOLD = 0.01


def _factorised_gaussian(q: Independent, what: str) -> Normal:
    base = q.base_dist if isinstance(q, Independent) else q
    if not isinstance(base, Normal):
        raise ValueError(f"{what}: expected a factorised Gaussian, got {type(base).__name__}")
    return base


@torch.no_grad()
def kl_per_dimension(model: VAE, x: Tensor) -> Tensor:
    r"""Data-averaged :math:`\mathrm{KL}(q_\phi(z_l\mid x)\,\|\,p(z_l))` of each latent dimension.

    ``x`` is ``[N, D]`` in the head's representation; returns ``[L]`` in nats. The entries sum to
    the mean KL term of the ELBO (the encoder and prior both factorise over dimensions).
    """
    q = _factorised_gaussian(model.encode(x), "kl_per_dimension: encoder")
    prior = _factorised_gaussian(model.prior(), "kl_per_dimension: prior")
    return kl_divergence(q, prior).mean(0)


@torch.no_grad()
def activity(model: VAE, x: Tensor) -> Tensor:
    r"""Activity :math:`A_l = \operatorname{Var}_x\bigl(\mathbb E_{q_\phi(z\mid x)}[z_l]\bigr)`.

    Returns shape ``[L]``.

    The variance over the ``N`` rows of ``x`` (divisor ``N``) of the encoder's mean.
    """
    mean = model.encode(x).mean  # [N, L]
    return mean.var(dim=0, unbiased=False)


def active_units(model: VAE, x: Tensor, threshold: float = ACTIVITY_THRESHOLD) -> int:
    r"""Number of latent dimensions with :func:`activity` :math:`A_l >` ``threshold``.

    The statistic of Burda et al. (2016), with their threshold 0.01 by default.
    """
    return int((activity(model, x) > threshold).sum())


@dataclass
class LinearVAESolution:
    r"""The global optimum of the linear VAE with Gaussian decoder noise :math:`\sigma` (= pPCA).

    Shapes: ``eigenvalues [D]`` (descending), ``mean [D]``, ``decoder_weight [D, L]``,
    ``encoder_weight [L, D]``, ``posterior_std [L]``, ``kl [L]``, ``activity [L]``, ``active [L]``.
    """

    sigma: float
    eigenvalues: Tensor
    mean: Tensor
    decoder_weight: Tensor
    encoder_weight: Tensor
    posterior_std: Tensor
    kl: Tensor
    activity: Tensor
    active: Tensor

    @property
    def num_active(self) -> int:
        """The number of latent directions the optimum uses.

        These are the directions with :math:`\\lambda_l > \\sigma^2`.
        """
        return int(self.active.sum())

    @property
    def model(self) -> LinearGaussianModel:
        """The optimum as a :class:`~vae_tutorial.exact.LinearGaussianModel`."""
        return LinearGaussianModel(self.decoder_weight, self.mean, self.sigma**2)

    def log_marginal(self, x: Tensor) -> Tensor:
        r"""Exact :math:`\log p(x) = \log\mathcal N(x;\,m,\,WW^\top + \sigma^2 I)`, ``[N]``."""
        return self.model.log_marginal(x)


def linear_vae_optimum(x: Tensor, latent_dim: int, sigma: float) -> LinearVAESolution:
    r"""Closed-form optimum of the linear VAE :math:`p(x\mid z) = \mathcal N(Wz + m, \sigma^2 I)`.

    With the sample covariance :math:`S = U\Lambda U^\top` of ``x`` (``[N, D]``, divisor ``N``) and
    its top ``latent_dim`` eigenpairs :math:`(\lambda_l, u_l)`, the maximum-likelihood solution of
    pPCA with fixed :math:`\sigma` (Tipping & Bishop, 1999) is

    .. math::

        m = \bar x,\qquad w_l = u_l\sqrt{\max(\lambda_l - \sigma^2, 0)},

    and its exact posterior is Gaussian with a *diagonal* covariance (Lucas et al., 2019):

    .. math::

        q(z_l \mid x) = \mathcal N\Bigl(\frac{w_l^\top (x - m)}{\max(\lambda_l, \sigma^2)},\;
        \frac{\sigma^2}{\max(\lambda_l, \sigma^2)}\Bigr).

    Averaged over the data, the KL of dimension :math:`l` is
    :math:`\tfrac12\log(\lambda_l/\sigma^2)` if :math:`\lambda_l > \sigma^2` and 0 otherwise,
    and its activity is :math:`A_l = 1 - \sigma^2/\lambda_l` (or 0): a direction is used if and
    only if its eigenvalue exceeds the decoder's noise variance. Computed in float64.
    """
    if not sigma > 0:
        raise ValueError(f"linear_vae_optimum: sigma must be positive, got {sigma}")
    s2 = float(sigma) ** 2
    ppca = fit_ppca(x, latent_dim, sigma2=s2)  # m = mean, W = U_L sqrt(max(lambda - s2, 0))
    mean, decoder_weight = ppca.b, ppca.W
    eigenvalues = covariance_eigendecomposition(x)[1]
    lam = eigenvalues[:latent_dim]
    active = lam > s2
    m_diag = torch.maximum(lam, torch.full_like(lam, s2))  # diagonal of W^T W + sigma^2 I
    encoder_weight = decoder_weight.T / m_diag[:, None]  # [L, D]
    posterior_std = (s2 / m_diag).sqrt()
    kl = torch.where(active, 0.5 * torch.log(lam / s2), torch.zeros_like(lam))
    act = torch.where(active, 1.0 - s2 / lam, torch.zeros_like(lam))
    return LinearVAESolution(
        sigma=float(sigma),
        eigenvalues=eigenvalues,
        mean=mean,
        decoder_weight=decoder_weight,
        encoder_weight=encoder_weight,
        posterior_std=posterior_std,
        kl=kl,
        activity=act,
        active=active,
    )


def linear_vae_model(solution: LinearVAESolution) -> VAE:
    r"""A float64 package :class:`~vae_tutorial.model.VAE` (no hidden layers) set to ``solution``.

    Decoder :math:`Wz + m` with a ``gaussian_fixed(sigma)`` head, encoder the exact posterior
    (see :func:`vae_tutorial.exact.linear_vae`): its ELBO equals :math:`\log p(x)` exactly.
    """
    return linear_vae(solution.model)


__all__ = [
    "ACTIVITY_THRESHOLD",
    "LinearVAESolution",
    "activity",
    "active_units",
    "kl_per_dimension",
    "linear_vae_model",
    "linear_vae_optimum",
]
