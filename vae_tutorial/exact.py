r"""Latent variable models we can solve exactly: the linear-Gaussian model and 1-D quadrature.

**Linear-Gaussian model (probabilistic PCA, Tipping & Bishop, 1999).** With :math:`z\in\mathbb R^L`,
:math:`x\in\mathbb R^D`,

.. math::

    p(z) = \mathcal N(0, I_L),\qquad
    p(x\mid z) = \mathcal N(Wz + b,\ \sigma^2 I_D),

the marginal and the posterior are Gaussian and known in closed form:

.. math::

    p(x) = \mathcal N\bigl(b,\ C\bigr),\quad C = WW^\top + \sigma^2 I_D,\qquad
    p(z\mid x) = \mathcal N\bigl(M^{-1}W^\top(x-b),\ \sigma^2 M^{-1}\bigr),\quad
    M = W^\top W + \sigma^2 I_L.

The maximum-likelihood parameters are also closed form: with the sample mean :math:`\bar x`, the
sample covariance :math:`S` and its eigenvalues :math:`\lambda_1\ge\dots\ge\lambda_D` (eigenvectors
:math:`U`), :math:`b = \bar x`, :math:`\sigma^2 = \frac{1}{D-L}\sum_{j>L}\lambda_j` and
:math:`W = U_L(\Lambda_L - \sigma^2 I)^{1/2}` (up to a rotation of the latent space), see
:func:`fit_ppca`.

**One-dimensional models by quadrature.** For :math:`z\in\mathbb R` and any likelihood,
:math:`p(x) = \int p(x\mid z)p(z)\,dz` is a one-dimensional integral that a fine grid computes to
high accuracy; :func:`posterior_on_grid` returns :math:`\log p(x)` and the posterior density on
the grid, and :func:`fit_gaussian_reverse_kl` the Gaussian :math:`q` closest to it in
:math:`\mathrm{KL}(q\,\|\,p(z\mid x))`.

Everything here works in float64: the point of the module is to provide *reference* values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.distributions import Independent, MultivariateNormal, Normal

from .likelihoods.gaussian_fixed import GaussianFixedHead
from .model import VAE

LOG_2PI = math.log(2.0 * math.pi)


def _as64(x: Tensor | float) -> Tensor:
    return torch.as_tensor(x, dtype=torch.float64)


@dataclass
class LinearGaussianModel:
    r"""The model :math:`p(z)=\mathcal N(0,I_L)`, :math:`p(x\mid z)=\mathcal N(Wz+b,\sigma^2 I_D)`.

    ``W`` has shape ``[D, L]``, ``b`` shape ``[D]``, ``sigma2`` is the scalar noise variance
    :math:`\sigma^2 > 0`. Tensors are converted to float64.
    """

    W: Tensor
    b: Tensor
    sigma2: Tensor | float

    def __post_init__(self) -> None:
        self.W = _as64(self.W)
        self.b = _as64(self.b)
        self.sigma2 = _as64(self.sigma2)
        if self.W.dim() != 2 or self.b.shape != (self.W.shape[0],):
            raise ValueError(
                f"LinearGaussianModel: expected W [D, L] and b [D], got {tuple(self.W.shape)} "
                f"and {tuple(self.b.shape)}"
            )
        if self.sigma2.dim() != 0 or not bool(self.sigma2 > 0):
            raise ValueError(
                f"LinearGaussianModel: sigma2 must be a positive scalar, got {self.sigma2}"
            )

    @property
    def data_dim(self) -> int:
        """:math:`D`."""
        return self.W.shape[0]

    @property
    def latent_dim(self) -> int:
        """:math:`L`."""
        return self.W.shape[1]

    # -- the pieces we choose ---------------------------------------------------------
    def prior(self) -> MultivariateNormal:
        r""":math:`p(z) = \mathcal N(0, I_L)`."""
        L = self.latent_dim
        zeros = torch.zeros(L, dtype=torch.float64)
        return MultivariateNormal(zeros, torch.eye(L, dtype=torch.float64))

    def likelihood(self, z: Tensor) -> Independent:
        r""":math:`p(x\mid z) = \mathcal N(Wz + b, \sigma^2 I_D)` for ``z [..., L]``.

        Event shape ``(D,)``: ``log_prob`` sums over the :math:`D` pixels.
        """
        mean = _as64(z) @ self.W.T + self.b
        return Independent(Normal(mean, self.sigma2.sqrt().expand_as(mean)), 1)

    def log_joint(self, x: Tensor, z: Tensor) -> Tensor:
        r""":math:`\log p(x\mid z) + \log p(z)`; ``x [..., D]`` broadcasts with ``z [..., L]``."""
        return self.likelihood(z).log_prob(_as64(x)) + self.prior().log_prob(_as64(z))

    # -- the pieces that follow from them -----------------------------------------------
    def marginal_covariance(self) -> Tensor:
        r""":math:`C = WW^\top + \sigma^2 I_D`, shape ``[D, D]``."""
        return self.W @ self.W.T + self.sigma2 * torch.eye(self.data_dim, dtype=torch.float64)

    def marginal(self) -> MultivariateNormal:
        r""":math:`p(x) = \mathcal N(b, WW^\top + \sigma^2 I_D)`."""
        return MultivariateNormal(self.b, self.marginal_covariance())

    def log_marginal(self, x: Tensor) -> Tensor:
        r""":math:`\log p(x)` of each row of ``x [N, D]``, shape ``[N]`` (nats)."""
        return self.marginal().log_prob(_as64(x))

    def posterior_precision_matrix(self) -> Tensor:
        r""":math:`M = W^\top W + \sigma^2 I_L`, ``[L, L]``.

        The posterior precision matrix is :math:`M/\sigma^2`.
        """
        return self.W.T @ self.W + self.sigma2 * torch.eye(self.latent_dim, dtype=torch.float64)

    def posterior(self, x: Tensor) -> MultivariateNormal:
        r""":math:`p(z\mid x) = \mathcal N(M^{-1}W^\top(x-b), \sigma^2 M^{-1})` for ``x [N, D]``.

        Batch shape ``[N]``, event shape ``(L,)``; the covariance is the same for every ``x``.
        """
        M = self.posterior_precision_matrix()
        mean = torch.linalg.solve(M, self.W.T @ (_as64(x) - self.b).T).T
        cov = self.sigma2 * torch.linalg.inv(M)
        cov = 0.5 * (cov + cov.T)
        return MultivariateNormal(mean, cov.expand(mean.shape[:-1] + cov.shape))

    def sample(self, n: int, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """Ancestral sampling: ``z ~ p(z)``, then ``x ~ p(x|z)``; returns ``z [n, L], x [n, D]``."""
        z = torch.randn(n, self.latent_dim, dtype=torch.float64, generator=generator)
        eps = torch.randn(n, self.data_dim, dtype=torch.float64, generator=generator)
        return z, z @ self.W.T + self.b + self.sigma2.sqrt() * eps

    def elbo(self, x: Tensor, q_mean: Tensor, q_cov: Tensor) -> Tensor:
        r"""The ELBO of a Gaussian :math:`q(z) = \mathcal N(m, \Sigma)`, in closed form, ``[N]``.

        .. math::

            \mathcal L = -\tfrac D2\log(2\pi\sigma^2)
            - \frac{\lVert x - Wm - b\rVert^2 + \operatorname{tr}(W\Sigma W^\top)}{2\sigma^2}
            - \tfrac12\bigl(\operatorname{tr}\Sigma + m^\top m - L - \log\det\Sigma\bigr),

        the expected log-likelihood minus :math:`\mathrm{KL}(q\,\|\,\mathcal N(0, I))`.
        ``x [N, D]``, ``q_mean [N, L]``, ``q_cov [L, L]`` or ``[N, L, L]``.
        """
        x, m, S = _as64(x), _as64(q_mean), _as64(q_cov)
        D, L = self.data_dim, self.latent_dim
        resid = x - m @ self.W.T - self.b
        tr_wsw = torch.einsum("dl,...lk,dk->...", self.W, S, self.W)
        rec = -0.5 * D * torch.log(2 * math.pi * self.sigma2) - (resid.pow(2).sum(-1) + tr_wsw) / (
            2 * self.sigma2
        )
        kl = 0.5 * (
            torch.diagonal(S, dim1=-2, dim2=-1).sum(-1) + m.pow(2).sum(-1) - L - torch.logdet(S)
        )
        return rec - kl


def covariance_eigendecomposition(x: Tensor, ddof: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    r"""Mean, eigenvalues (descending, ``[D]``) and eigenvectors (columns, ``[D, D]``) of ``x``'s
    sample covariance :math:`S = \frac{1}{N-\text{ddof}}\sum_n (x_n-\bar x)(x_n-\bar x)^\top`,
    in float64. Eigenvalues are clamped at 0 (round-off can make tiny ones negative)."""
    x = _as64(x)
    mean = x.mean(0)
    xc = x - mean
    eigenvalues, eigenvectors = torch.linalg.eigh(xc.T @ xc / (len(x) - ddof))
    return mean, eigenvalues.flip(0).clamp(min=0.0), eigenvectors.flip(1)


def fit_ppca(
    x: Tensor, latent_dim: int, ddof: int = 0, sigma2: float | None = None
) -> LinearGaussianModel:
    r"""Maximum-likelihood probabilistic PCA of ``x [N, D]``, closed form (Tipping & Bishop, 1999).

    With the eigen-decomposition :math:`\lambda_1\ge\dots\ge\lambda_D`, :math:`U` of the sample
    covariance (:func:`covariance_eigendecomposition`):

    .. math::

        b = \bar x,\qquad \sigma^2 = \frac{1}{D-L}\sum_{j=L+1}^{D}\lambda_j,\qquad
        W = U_L\,\bigl(\max(\Lambda_L - \sigma^2 I_L, 0)\bigr)^{1/2}.

    ``ddof=0`` gives the maximum-likelihood estimate; ``ddof=1`` uses the unbiased covariance,
    as scikit-learn's ``PCA`` does (its ``score`` is this model's mean log-likelihood). With
    ``sigma2`` given, the noise variance is held at that value and ``W`` is the maximiser for it:
    the global optimum of a linear VAE with that decoder noise (Lucas et al., 2019); directions
    with :math:`\lambda_l \le \sigma^2` get a zero column. The columns of ``W`` are orthogonal,
    so the posterior covariance :math:`\sigma^2M^{-1}` is diagonal.
    """
    d = x.shape[-1]
    top = d if sigma2 is not None else d - 1
    if not 1 <= latent_dim <= top:
        raise ValueError(f"fit_ppca: latent_dim must be in 1..{top}, got {latent_dim}")
    if sigma2 is not None and not sigma2 > 0:
        raise ValueError(f"fit_ppca: sigma2 must be positive, got {sigma2}")
    b, lam, U = covariance_eigendecomposition(x, ddof)
    s2 = lam[latent_dim:].mean() if sigma2 is None else _as64(sigma2)
    W = U[:, :latent_dim] * (lam[:latent_dim] - s2).clamp(min=0.0).sqrt()
    return LinearGaussianModel(W, b, s2)


def _inverse_softplus(y: Tensor) -> Tensor:
    return y + torch.log(-torch.expm1(-y))


def linear_vae(model: LinearGaussianModel, exact_encoder: bool = True) -> VAE:
    r"""A float64 :class:`~vae_tutorial.model.VAE` whose decoder *is* ``model``.

    The decoder is one linear layer :math:`z\mapsto Wz+b` with a
    :class:`~vae_tutorial.likelihoods.gaussian_fixed.GaussianFixedHead` of standard deviation
    :math:`\sigma`. With ``exact_encoder=True`` the (linear) encoder is set to the true
    posterior: mean :math:`M^{-1}W^\top(x-b)` and standard deviations the square roots of the
    diagonal of :math:`\sigma^2M^{-1}`; this *is* :math:`p(z\mid x)` when :math:`W^\top W` is
    diagonal, as for :func:`fit_ppca` (otherwise it is the posterior's diagonal approximation).
    Use it with :func:`~vae_tutorial.objectives.elbo` and
    :func:`~vae_tutorial.objectives.iwae_bound`.
    """
    D, L = model.data_dim, model.latent_dim
    head = GaussianFixedHead(sigma=float(model.sigma2.sqrt()))
    vae = VAE(head, data_dim=D, latent_dim=L, hidden=())
    vae = vae.double()
    with torch.no_grad():
        vae.decoder.net[0].weight.copy_(model.W)
        vae.decoder.net[0].bias.copy_(model.b)
        if exact_encoder:
            M = model.posterior_precision_matrix()
            A = torch.linalg.solve(M, model.W.T)  # [L, D]
            std = (model.sigma2 * torch.linalg.inv(M)).diagonal().sqrt()
            enc = vae.encoder.net[0]
            enc.weight.zero_()
            enc.weight[:L] = A
            enc.bias[:L] = -A @ model.b
            enc.bias[L:] = _inverse_softplus(std - vae.encoder.min_std)
    return vae.eval()


def linear_gaussian_from_vae(vae: VAE) -> LinearGaussianModel:
    r"""The exact model of a VAE with a linear decoder and a Gaussian head with one :math:`\sigma`.

    The decoder must be a single ``nn.Linear`` (``VAE(head, hidden=())``) and the head
    ``gaussian_fixed`` or ``gaussian_shared``; then :math:`p_\theta(x)` is the Gaussian
    :math:`\mathcal N(b, WW^\top+\sigma^2 I)` and :math:`\log p_\theta(x)` is exact.
    """
    layers = list(vae.decoder.net)
    if len(layers) != 1 or not isinstance(layers[0], torch.nn.Linear):
        raise ValueError(
            "linear_gaussian_from_vae: the decoder must be one linear layer (hidden=())"
        )
    if vae.head.name not in ("gaussian_fixed", "gaussian_shared"):
        raise ValueError(
            f"linear_gaussian_from_vae: expected a gaussian_fixed or gaussian_shared head, got "
            f"{vae.head.name}"
        )
    sigma = _as64(vae.head.sigma).detach()
    with torch.no_grad():
        return LinearGaussianModel(layers[0].weight.detach(), layers[0].bias.detach(), sigma**2)


# -- one-dimensional latent variable: quadrature ----------------------------------------
def trapezoid_log_weights(z: Tensor) -> Tensor:
    """Log of the trapezoid-rule weights of an increasing grid ``z [G]`` (float64)."""
    z = _as64(z)
    dz = z.diff()
    w = torch.zeros_like(z)
    w[:-1] += dz / 2
    w[1:] += dz / 2
    return w.log()


def posterior_on_grid(log_likelihood: Tensor, z: Tensor) -> tuple[Tensor, Tensor]:
    r"""Bayes' rule on a grid for a scalar latent with prior :math:`\mathcal N(0, 1)`.

    ``log_likelihood [..., G]`` holds :math:`\log p(x\mid z_g)` at the grid points ``z [G]``
    (wide enough that the prior is negligible outside). Returns

    * :math:`\log p(x) = \log\int p(x\mid z)p(z)\,dz` by the trapezoid rule, shape ``[...]``;
    * the log posterior density, shape ``[..., G]``,
      :math:`\log p(z_g\mid x) = \log p(x\mid z_g) + \log p(z_g) - \log p(x)`.
    """
    z = _as64(z)
    log_prior = -0.5 * z**2 - 0.5 * LOG_2PI
    log_joint = _as64(log_likelihood) + log_prior
    log_px = torch.logsumexp(log_joint + trapezoid_log_weights(z), dim=-1)
    return log_px, log_joint - log_px.unsqueeze(-1)


def integrate_on_grid(values: Tensor, z: Tensor) -> Tensor:
    r""":math:`\int v(z)\,dz` by the trapezoid rule, ``values [..., G]`` on the grid ``z [G]``."""
    return torch.trapezoid(_as64(values), _as64(z), dim=-1)


def reverse_kl_on_grid(mean: Tensor, std: Tensor, log_p: Tensor, z: Tensor) -> Tensor:
    r""":math:`\mathrm{KL}(q\,\|\,p) = \int q(z)[\log q(z) - \log p(z)]\,dz` for
    :math:`q = \mathcal N(\text{mean}, \text{std}^2)`, a log density ``log_p [G]`` on ``z [G]``."""
    log_q = Normal(mean, std).log_prob(_as64(z))
    return integrate_on_grid(log_q.exp() * (log_q - _as64(log_p)), z)


def fit_gaussian_reverse_kl(
    log_p: Tensor, z: Tensor, steps: int = 200
) -> tuple[float, float, float]:
    r"""The Gaussian :math:`q=\mathcal N(m, s^2)` minimising :math:`\mathrm{KL}(q\|p)` on a grid.

    ``log_p [G]`` is a normalised log density on the grid ``z [G]`` (e.g. a posterior from
    :func:`posterior_on_grid`). Minimised by L-BFGS from :math:`m` at the mode of :math:`p`
    (the reverse KL is *mode seeking*: for a multimodal :math:`p` it settles on one mode).
    Returns ``(m, s, KL)``.
    """
    z, log_p = _as64(z), _as64(log_p).detach()
    p = log_p.exp()
    mode = z[log_p.argmax()]
    var = integrate_on_grid(p * (z - mode) ** 2, z)
    mean = mode.clone().requires_grad_(True)
    log_std = (0.5 * var.clamp(min=1e-8).log()).clone().requires_grad_(True)
    opt = torch.optim.LBFGS([mean, log_std], max_iter=steps, line_search_fn="strong_wolfe")

    def closure() -> Tensor:
        opt.zero_grad()
        loss = reverse_kl_on_grid(mean, log_std.exp(), log_p, z)
        loss.backward()
        return loss

    opt.step(closure)
    with torch.no_grad():
        kl = reverse_kl_on_grid(mean, log_std.exp(), log_p, z)
    return float(mean.detach()), float(log_std.detach().exp()), float(kl)
