"""Tests of :mod:`vae_tutorial.diagnostics`: KL per dimension, active units, linear VAE."""

from __future__ import annotations

import math

import pytest
import torch

from vae_tutorial import LIKELIHOODS, load_digits
from vae_tutorial.diagnostics import (
    active_units,
    activity,
    kl_per_dimension,
    linear_vae_model,
    linear_vae_optimum,
)
from vae_tutorial.model import VAE
from vae_tutorial.objectives import elbo, log_importance_weights


def _toy_data(n: int = 400, d: int = 6, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Data with known covariance eigenvalues 4, 2, 1, 0.5, 0.25, 0.1 (in a random basis)."""
    g = torch.Generator().manual_seed(seed)
    eig = torch.tensor([4.0, 2.0, 1.0, 0.5, 0.25, 0.1], dtype=torch.float64)[:d]
    basis, _ = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))
    z = torch.randn(n, d, generator=g, dtype=torch.float64)
    z = z - z.mean(0)
    chol = torch.linalg.cholesky(z.T @ z / n)
    z = torch.linalg.solve_triangular(chol, z.T, upper=False).T  # exactly white: cov = I
    return z * eig.sqrt() @ basis.T + 3.0, eig


def test_kl_per_dimension_sums_to_elbo_kl() -> None:
    torch.manual_seed(0)
    model = VAE(LIKELIHOODS["binomial"](), latent_dim=5, hidden=(16,))
    x = load_digits("val")[:50]
    per_dim = kl_per_dimension(model, x)
    assert per_dim.shape == (5,)
    assert (per_dim >= 0).all()
    total = elbo(model, x).kl.mean()
    assert torch.allclose(per_dim.sum(), total, atol=1e-5)


def test_activity_is_variance_of_encoder_mean() -> None:
    torch.manual_seed(1)
    model = VAE(LIKELIHOODS["gaussian_fixed"](), latent_dim=3, hidden=(8,))
    x = torch.rand(30, 64)
    a = activity(model, x)
    mean = model.encode(x).mean.detach()
    assert torch.allclose(a, ((mean - mean.mean(0)) ** 2).mean(0), atol=1e-6)
    assert active_units(model, x, threshold=-1.0) == 3
    assert active_units(model, x, threshold=float(a.max()) + 1.0) == 0


def test_active_units_uses_burda_threshold_on_the_divisor_n_variance() -> None:
    """A linear encoder whose mean copies data columns of known variance (divisor N):
    0.0101 and 0.5 are active, 0.0099 is not, nor is 0.008 (whose divisor-(N-1) variance,
    0.0107, would be): the count is 2 with the threshold 0.01 of Burda et al. (2016)."""
    from vae_tutorial.diagnostics import ACTIVITY_THRESHOLD

    assert ACTIVITY_THRESHOLD == 0.01
    variances = torch.tensor([0.0101, 0.0099, 0.008, 0.5])
    signs = torch.tensor([1.0, -1.0, 1.0, -1.0]).unsqueeze(-1)  # 4 rows, column mean 0
    x = torch.zeros(4, 64)
    x[:, :4] = signs * variances.sqrt()
    model = VAE(LIKELIHOODS["gaussian_fixed"](), latent_dim=4, hidden=())
    with torch.no_grad():
        model.encoder.net[0].weight.zero_()
        model.encoder.net[0].bias.zero_()
        model.encoder.net[0].weight[:4, :4] = torch.eye(4)
    torch.testing.assert_close(activity(model, x), variances)
    assert active_units(model, x) == 2
    assert active_units(model, x, threshold=0.009) == 3


def test_encoder_that_ignores_x_has_no_active_unit_and_zero_kl() -> None:
    model = VAE(LIKELIHOODS["gaussian_fixed"](), latent_dim=4, hidden=())
    with torch.no_grad():
        model.encoder.net[0].weight.zero_()
        raw = 1.0 - model.encoder.min_std  # softplus(raw) + min_std = 1
        model.encoder.net[0].bias.copy_(
            torch.cat([torch.zeros(4), torch.full((4,), raw + math.log(-math.expm1(-raw)))])
        )
    x = torch.rand(20, 64)
    assert active_units(model, x) == 0
    assert kl_per_dimension(model, x).abs().max() < 1e-5


@pytest.mark.parametrize("sigma", [0.3, 0.8, 1.2, 1.8, 2.5])
def test_linear_optimum_uses_eigenvalues_above_sigma_squared(sigma: float) -> None:
    x, eig = _toy_data()
    sol = linear_vae_optimum(x, latent_dim=4, sigma=sigma)
    assert torch.allclose(sol.eigenvalues, eig, atol=1e-8)
    assert sol.num_active == int((eig[:4] > sigma**2).sum())
    assert torch.allclose(sol.mean, torch.full((6,), 3.0, dtype=torch.float64), atol=1e-1)
    expected_kl = torch.where(eig[:4] > sigma**2, 0.5 * torch.log(eig[:4] / sigma**2), 0.0)
    assert torch.allclose(sol.kl, expected_kl, atol=1e-8)


@pytest.mark.parametrize("sigma", [0.8, 1.8])
def test_linear_vae_model_matches_closed_form(sigma: float) -> None:
    x, _ = _toy_data()
    sol = linear_vae_optimum(x, latent_dim=4, sigma=sigma)
    model = linear_vae_model(sol)
    assert torch.allclose(kl_per_dimension(model, x), sol.kl, atol=1e-8)
    assert torch.allclose(activity(model, x), sol.activity, atol=1e-8)
    assert active_units(model, x) == sol.num_active
    # the encoder is the exact posterior: every importance weight equals p(x)
    torch.manual_seed(0)
    logw = log_importance_weights(model, x, k=7)
    assert torch.allclose(logw, sol.log_marginal(x).expand_as(logw), atol=1e-8)


def test_linear_optimum_maximises_marginal_likelihood() -> None:
    x, _ = _toy_data()
    sol = linear_vae_optimum(x, latent_dim=2, sigma=0.8)
    best = sol.log_marginal(x).mean()
    g = torch.Generator().manual_seed(3)
    for _ in range(5):
        noise = 0.05 * torch.randn(sol.decoder_weight.shape, generator=g, dtype=torch.float64)
        sol_perturbed = linear_vae_optimum(x, latent_dim=2, sigma=0.8)
        sol_perturbed.decoder_weight = sol.decoder_weight + noise
        assert sol_perturbed.log_marginal(x).mean() < best


def test_linear_optimum_rejects_bad_arguments() -> None:
    x, _ = _toy_data()
    with pytest.raises(ValueError, match="sigma must be positive"):
        linear_vae_optimum(x, 2, 0.0)
    with pytest.raises(ValueError, match="latent_dim"):
        linear_vae_optimum(x, 7, 1.0)
