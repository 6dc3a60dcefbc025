"""The correlated Gaussian heads against scipy.stats.multivariate_normal in float64, their raw
layouts, validation, sampling, and that the VAE, ELBO, IWAE and yardstick run with them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from vae_tutorial.evaluation import discrete_log_likelihood
from vae_tutorial.likelihoods import NONFACTORIZED, GaussianFullHead, GaussianLowRankHead
from vae_tutorial.model import VAE
from vae_tutorial.objectives import elbo, iwae_bound
from vae_tutorial.training import train

F64 = torch.float64


def softplus(a: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, a)


@pytest.mark.parametrize("rank", [0, 1, 3])
def test_lowrank_matches_scipy_float64(rank) -> None:
    torch.manual_seed(0)
    d, n = 5, 4
    head = GaussianLowRankHead(rank=rank, min_sigma=0.01).to(F64)
    raw = torch.randn(n, d * head.params_per_dim, dtype=F64)
    x = torch.randn(n, d, dtype=F64)
    ours = head(raw).log_prob(x)
    r = raw.numpy().reshape(n, 2 + rank, d)  # block j = parameter j of every pixel
    for i in range(n):
        mean, sigma = r[i, 0], softplus(r[i, 1]) + 0.01
        w = r[i, 2:].T  # [d, rank]
        cov = w @ w.T + np.diag(sigma**2)
        ref = stats.multivariate_normal(mean, cov).logpdf(x[i].numpy())
        assert ours[i].item() == pytest.approx(ref, rel=1e-10, abs=1e-10)


def test_full_matches_scipy_float64() -> None:
    torch.manual_seed(1)
    d, n = 6, 3
    head = GaussianFullHead(data_dim=d, min_sigma=0.05).to(F64)
    assert head.params_per_dim == d + 1
    raw = torch.randn(n, d * (d + 1), dtype=F64)
    x = torch.randn(n, d, dtype=F64)
    ours = head(raw).log_prob(x)
    r = raw.numpy().reshape(n, d + 1, d)
    for i in range(n):
        a = r[i, 1:].T  # column j of A is block 1 + j
        chol = np.tril(a, -1) + np.diag(softplus(np.diag(a)) + 0.05)
        ref = stats.multivariate_normal(r[i, 0], chol @ chol.T).logpdf(x[i].numpy())
        assert ours[i].item() == pytest.approx(ref, rel=1e-10, abs=1e-10)


def test_full_ignores_the_upper_triangle() -> None:
    d = 4
    head = GaussianFullHead(data_dim=d)
    raw = torch.randn(2, d * (d + 1), requires_grad=True)
    head(raw).log_prob(torch.rand(2, d)).sum().backward()
    grad_a = raw.grad[:, d:].unflatten(-1, (d, d)).transpose(-1, -2)  # [i, j] = dA_ij
    upper = torch.triu(torch.ones(d, d, dtype=torch.bool), 1)
    assert (grad_a[:, upper] == 0).all() and (grad_a[:, ~upper] != 0).all()


def test_sample_covariance_matches_sigma() -> None:
    torch.manual_seed(2)
    head = GaussianLowRankHead(rank=2)
    dist = head(torch.randn(1, 3 * 4))
    s = dist.sample((40000,)).squeeze(1)
    emp = torch.cov(s.T)
    torch.testing.assert_close(emp, dist.covariance_matrix[0], atol=0.05, rtol=0.05)


def test_shapes_broadcast_like_torch() -> None:
    """IWAE evaluates z [k, N, L] against x [N, D]: log_prob broadcasts to [k, N]."""
    for head in (GaussianLowRankHead(rank=2), GaussianFullHead(data_dim=5)):
        raw = torch.randn(7, 3, 5 * head.params_per_dim)
        dist = head(raw)
        assert dist.batch_shape == (7, 3) and dist.event_shape == (5,)
        assert dist.log_prob(torch.rand(3, 5)).shape == (7, 3)
        assert dist.sample().shape == (7, 3, 5) and dist.mean.shape == (7, 3, 5)
        assert dist.expand((2, 7, 3)).log_prob(torch.rand(3, 5)).shape == (2, 7, 3)


def test_validation_messages() -> None:
    head = GaussianLowRankHead(rank=1)
    with pytest.raises(ValueError, match="gaussian_lowrank: x has trailing size 4"):
        head(torch.randn(2, 3 * 5)).log_prob(torch.rand(2, 4))
    with pytest.raises(ValueError, match="gaussian_lowrank: raw decoder output contains NaN"):
        head(torch.full((2, 3 * 5), float("nan")))
    with pytest.raises(ValueError, match="gaussian_lowrank: x contains NaN"):
        head(torch.randn(2, 15)).log_prob(torch.full((2, 5), float("nan")))
    with pytest.raises(ValueError, match="rank must be >= 0"):
        GaussianLowRankHead(rank=-1)
    with pytest.raises(ValueError, match=r"gaussian_full: expected .* D \* \(D \+ 1\) = 20"):
        GaussianFullHead(data_dim=4)(torch.randn(2, 5 * 6))


def test_registry() -> None:
    assert NONFACTORIZED["gaussian_lowrank"] is GaussianLowRankHead
    assert NONFACTORIZED["gaussian_full"] is GaussianFullHead
    for cls in (GaussianLowRankHead, GaussianFullHead):
        head = cls()
        assert not head.discrete and head.validate_args
        assert sum(p.numel() for p in head.parameters()) == 0


@pytest.mark.parametrize("make", [lambda: GaussianLowRankHead(rank=2), GaussianFullHead])
def test_vae_elbo_iwae_train_and_yardstick_run(make) -> None:
    torch.manual_seed(0)
    head = make()
    levels = torch.randint(0, 17, (30, 64)).float()
    x = head.prepare(levels)
    model = VAE(head, latent_dim=2, hidden=(16,))
    history = train(model, x, x, epochs=2, batch_size=10)
    assert len(history.val_objective) == 2
    terms = elbo(model, x)
    log_px = iwae_bound(model, x, k=20)
    assert terms.elbo.shape == log_px.shape == (30,)
    discrete = discrete_log_likelihood(model, levels, k=10)
    assert discrete.shape == (30,) and torch.isfinite(discrete).all()
    assert (discrete < 0).all()  # a probability of discrete images
