"""Tests of vae_tutorial.exact: closed forms against brute force, and the ML fit against sklearn."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vae_tutorial.exact import (
    LinearGaussianModel,
    covariance_eigendecomposition,
    fit_gaussian_reverse_kl,
    fit_ppca,
    integrate_on_grid,
    linear_gaussian_from_vae,
    linear_vae,
    posterior_on_grid,
    reverse_kl_on_grid,
)
from vae_tutorial.objectives import elbo, iwae_bound


def random_model(D: int = 5, L: int = 2, seed: int = 0) -> LinearGaussianModel:
    g = torch.Generator().manual_seed(seed)
    return LinearGaussianModel(
        torch.randn(D, L, generator=g, dtype=torch.float64),
        torch.randn(D, generator=g, dtype=torch.float64),
        0.3,
    )


def test_marginal_matches_sampling_moments() -> None:
    model = random_model()
    _, x = model.sample(200_000, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(x.mean(0), model.b, atol=0.02)
    assert torch.allclose(torch.cov(x.T), model.marginal_covariance(), atol=0.05)


def test_bayes_rule_holds_exactly() -> None:
    """log p(x|z) + log p(z) = log p(z|x) + log p(x) for any z."""
    model = random_model()
    g = torch.Generator().manual_seed(2)
    x = torch.randn(7, 5, generator=g, dtype=torch.float64)
    z = torch.randn(7, 2, generator=g, dtype=torch.float64)
    lhs = model.log_joint(x, z)
    rhs = model.posterior(x).log_prob(z) + model.log_marginal(x)
    assert torch.allclose(lhs, rhs, atol=1e-10)


def test_closed_form_elbo_gap_is_kl_to_posterior() -> None:
    model = random_model()
    x = model.sample(4, generator=torch.Generator().manual_seed(3))[1]
    post = model.posterior(x)
    q_mean = post.mean + 0.3
    q_cov = torch.diag(torch.tensor([0.5, 2.0], dtype=torch.float64))
    q = torch.distributions.MultivariateNormal(q_mean, q_cov)
    gap = model.log_marginal(x) - model.elbo(x, q_mean, q_cov)
    assert torch.allclose(gap, kl_divergence(q, post), atol=1e-10)
    tight = model.elbo(x, post.mean, post.covariance_matrix)
    assert torch.allclose(tight, model.log_marginal(x), atol=1e-10)


def test_fit_ppca_matches_sklearn_score() -> None:
    sklearn = pytest.importorskip("sklearn.decomposition")
    g = torch.Generator().manual_seed(4)
    x = torch.randn(300, 3, generator=g, dtype=torch.float64) @ torch.randn(
        3, 10, generator=g, dtype=torch.float64
    )
    x = x + 0.5 * torch.randn(300, 10, generator=g, dtype=torch.float64)
    pca = sklearn.PCA(n_components=3, svd_solver="full").fit(x.numpy())
    ours = fit_ppca(x, 3, ddof=1).log_marginal(x).mean().item()
    assert ours == pytest.approx(pca.score(x.numpy()), rel=1e-8)
    # the ddof=0 fit is the maximum-likelihood one
    assert fit_ppca(x, 3).log_marginal(x).mean().item() >= ours


def test_fit_ppca_is_a_maximum() -> None:
    g = torch.Generator().manual_seed(5)
    x = torch.randn(200, 6, generator=g, dtype=torch.float64) * torch.arange(1, 7)
    best = fit_ppca(x, 2)
    ll = best.log_marginal(x).mean()
    for scale in (0.9, 1.1):
        assert LinearGaussianModel(best.W * scale, best.b, best.sigma2).log_marginal(x).mean() < ll
        assert LinearGaussianModel(best.W, best.b, best.sigma2 * scale).log_marginal(x).mean() < ll
    wtw = best.W.T @ best.W
    assert torch.allclose(wtw, torch.diag(wtw.diagonal()), atol=1e-10)


def test_linear_vae_roundtrip_and_exact_encoder() -> None:
    g = torch.Generator().manual_seed(6)
    x = torch.randn(100, 6, generator=g, dtype=torch.float64) * torch.arange(1, 7)
    model = fit_ppca(x, 2)
    vae = linear_vae(model)
    back = linear_gaussian_from_vae(vae)
    assert torch.allclose(back.W, model.W) and torch.allclose(back.b, model.b)
    assert torch.allclose(back.sigma2, model.sigma2)
    q, post = vae.encode(x), model.posterior(x)
    assert torch.allclose(q.mean, post.mean, atol=1e-10)
    assert torch.allclose(q.variance, post.covariance_matrix.diagonal(dim1=-2, dim2=-1), atol=1e-10)
    # with the exact posterior, every importance weight equals p(x): ELBO = IWAE = log p(x)
    # (the single-sample ELBO is exact only with the MC KL: log p(x,z) - log q(z) is constant)
    torch.manual_seed(0)
    assert torch.allclose(elbo(vae, x[:5], kl="mc").elbo, model.log_marginal(x[:5]), atol=1e-8)
    assert torch.allclose(iwae_bound(vae, x[:5], k=3), model.log_marginal(x[:5]), atol=1e-8)


def test_linear_gaussian_from_vae_rejects_nonlinear() -> None:
    from vae_tutorial import LIKELIHOODS
    from vae_tutorial.model import VAE

    with pytest.raises(ValueError, match="one linear layer"):
        linear_gaussian_from_vae(VAE(LIKELIHOODS["gaussian_shared"](), latent_dim=2))
    with pytest.raises(ValueError, match="gaussian"):
        linear_gaussian_from_vae(VAE(LIKELIHOODS["bernoulli"](), latent_dim=2, hidden=()))


def test_quadrature_matches_the_linear_gaussian_case() -> None:
    """x | z ~ N(a z, s^2) has p(x) = N(0, a^2 + s^2) and a Gaussian posterior."""
    a, s, x = 1.5, 0.7, torch.tensor([0.3, -2.0], dtype=torch.float64)
    z = torch.linspace(-10, 10, 4001, dtype=torch.float64)
    log_lik = Normal(a * z, s).log_prob(x[:, None])
    log_px, log_post = posterior_on_grid(log_lik, z)
    exact = Normal(0.0, math.sqrt(a * a + s * s)).log_prob(x)
    assert torch.allclose(log_px, exact, atol=1e-8)
    assert torch.allclose(integrate_on_grid(log_post.exp(), z), torch.ones(2, dtype=torch.float64))
    # the best Gaussian is the posterior itself, at KL 0
    post_var = s * s / (a * a + s * s)
    m, sd, kl = fit_gaussian_reverse_kl(log_post[1], z)
    assert m == pytest.approx(a * float(x[1]) / (a * a + s * s), abs=1e-5)
    assert sd == pytest.approx(math.sqrt(post_var), abs=1e-5)
    assert kl == pytest.approx(0.0, abs=1e-8)


def test_reverse_kl_is_positive_for_bimodal_posterior() -> None:
    z = torch.linspace(-8, 8, 3201, dtype=torch.float64)
    log_px, log_post = posterior_on_grid(Normal(z**2, 0.5).log_prob(torch.tensor(2.0)), z)
    m, sd, kl = fit_gaussian_reverse_kl(log_post, z)
    assert kl > 0.1 and abs(m) > 1.0  # mode seeking: sits on one of the two modes
    assert reverse_kl_on_grid(torch.tensor(m), torch.tensor(sd), log_post, z) == pytest.approx(kl)
    assert torch.isfinite(log_px)


def test_fit_ppca_with_fixed_noise_is_the_linear_vae_optimum() -> None:
    g = torch.Generator().manual_seed(3)
    x = torch.randn(500, 5, generator=g, dtype=torch.float64) * torch.tensor(
        [3.0, 2.0, 1.0, 0.5, 0.1], dtype=torch.float64
    )
    _, lam, _ = covariance_eigendecomposition(x)
    model = fit_ppca(x, latent_dim=5, sigma2=1.5)
    column_norms = model.W.pow(2).sum(0)
    assert torch.allclose(column_norms, (lam - 1.5).clamp(min=0.0), atol=1e-10)
    assert float(model.sigma2) == 1.5
    assert (column_norms[lam <= 1.5] == 0).all()  # directions below the noise are not used
    with pytest.raises(ValueError, match="sigma2"):
        fit_ppca(x, latent_dim=2, sigma2=0.0)
