"""ELBO and IWAE: shapes, identities, and the bounds ELBO <= IWAE_k <= log p(x) checked on a
linear Gaussian model where log p(x) is known in closed form.

The exact model: z ~ N(0, I_L), x | z ~ N(W z + b, sigma^2 I_D) (``gaussian_fixed`` head on a
linear decoder), so p(x) = N(b, W W^T + sigma^2 I) and the posterior p(z|x) is Gaussian with
covariance S = (I + W^T W / sigma^2)^{-1} and mean S W^T (x - b) / sigma^2. The encoder is also
linear, so it can be set to the exact posterior (when S is diagonal) or left wrong on purpose.
"""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import MultivariateNormal

from vae_tutorial.likelihoods import LIKELIHOODS
from vae_tutorial.model import VAE
from vae_tutorial.objectives import bits_per_dim, elbo, iwae_bound, log_importance_weights
from vae_tutorial.training import objective

F64 = torch.float64
SIGMA = 0.5


def inverse_softplus(y: torch.Tensor) -> torch.Tensor:
    return y + torch.log(-torch.expm1(-y))


def linear_gaussian_vae(exact_posterior: bool, d: int = 4, latent: int = 2) -> VAE:
    """Decoder W with orthogonal columns, so the true posterior covariance is diagonal."""
    torch.manual_seed(0)
    model = VAE(
        LIKELIHOODS["gaussian_fixed"](sigma=SIGMA), data_dim=d, latent_dim=latent, hidden=()
    )
    model = model.to(F64)
    q, _ = torch.linalg.qr(torch.randn(d, latent, dtype=F64))
    w = q * torch.tensor([1.5, 0.7], dtype=F64)[:latent]
    b = torch.randn(d, dtype=F64) * 0.3
    with torch.no_grad():
        model.decoder.net[0].weight.copy_(w)
        model.decoder.net[0].bias.copy_(b)
        enc = model.encoder.net[0]
        if exact_posterior:
            cov = torch.linalg.inv(torch.eye(latent, dtype=F64) + w.T @ w / SIGMA**2)
            assert torch.allclose(cov, torch.diag(cov.diagonal()))
            a = cov @ w.T / SIGMA**2  # mean = A (x - b)
            std = cov.diagonal().sqrt()
            enc.weight.copy_(torch.cat([a, torch.zeros(latent, d, dtype=F64)]))
            enc.bias.copy_(torch.cat([-a @ b, inverse_softplus(std - model.encoder.min_std)]))
        else:  # a mediocre encoder: the exact one, shrunk and with the wrong spread
            cov = torch.linalg.inv(torch.eye(latent, dtype=F64) + w.T @ w / SIGMA**2)
            a = 0.7 * cov @ w.T / SIGMA**2
            std = 1.5 * cov.diagonal().sqrt()
            enc.weight.copy_(torch.cat([a, torch.zeros(latent, d, dtype=F64)]))
            enc.bias.copy_(torch.cat([-a @ b, inverse_softplus(std - model.encoder.min_std)]))
    return model


def exact_log_px(model: VAE, x: torch.Tensor) -> torch.Tensor:
    lin = model.decoder.net[0]
    w, b = lin.weight.detach(), lin.bias.detach()
    cov = w @ w.T + SIGMA**2 * torch.eye(len(b), dtype=F64)
    return MultivariateNormal(b, cov).log_prob(x)


def data(n: int = 20, d: int = 4) -> torch.Tensor:
    g = torch.Generator().manual_seed(1)
    return torch.randn(n, d, generator=g, dtype=F64)


def test_elbo_terms_against_independent_values(variant) -> None:
    """Each term recomputed by hand from the same draws of z: the reconstruction as the mean of
    log p(x|z_s) over the S draws, the KL from the closed form of two diagonal Gaussians,
    0.5 * sum(mu^2 + s^2 - 1 - 2 log s), and the ELBO as their difference."""
    torch.manual_seed(0)
    head = variant.make()
    model = VAE(head, latent_dim=3, hidden=(16,))
    x = head.prepare(torch.randint(0, 17, (7, 64)).float())
    with torch.no_grad():
        mean, raw_std = model.encoder.net(head.encoder_input(x)).chunk(2, dim=-1)
        std = torch.nn.functional.softplus(raw_std) + model.encoder.min_std
        kl = 0.5 * (mean**2 + std**2 - 1 - 2 * std.log()).sum(-1)
        for s in (1, 4):
            torch.manual_seed(s)
            terms = elbo(model, x, n_samples=s)
            torch.manual_seed(s)
            z = mean + std * torch.randn(s, *mean.shape)
            rec = model.decoder.net(z)
            rec = torch.stack([head(r).log_prob(x) for r in rec]).mean(0)
            for t in (terms.elbo, terms.reconstruction, terms.kl):
                assert t.shape == (7,) and torch.isfinite(t).all()
            torch.testing.assert_close(terms.kl, kl, rtol=1e-5, atol=1e-5)
            torch.testing.assert_close(terms.reconstruction, rec, rtol=1e-5, atol=1e-4)
            torch.testing.assert_close(terms.elbo, rec - kl, rtol=1e-5, atol=1e-4)
    assert log_importance_weights(model, x, 5).shape == (5, 7)
    assert iwae_bound(model, x, k=6, chunk=4, batch=3).shape == (7,)


def test_iwae_objective_is_log_px_on_the_exact_model() -> None:
    """With q = p(z|x) every weight is p(x): the IWAE objective is log p(x) for every k."""
    model = linear_gaussian_vae(exact_posterior=True)
    x = data()
    log_px = exact_log_px(model, x)
    for k in (1, 3, 10):
        torch.testing.assert_close(objective(model, x, kind="iwae", k=k), log_px, atol=1e-6, rtol=0)
        torch.testing.assert_close(iwae_bound(model, x, k=k, chunk=2), log_px, atol=1e-6, rtol=0)


def test_elbo_gradients_flow() -> None:
    model = VAE(LIKELIHOODS["bernoulli"](), latent_dim=2, hidden=(8,))
    x = (torch.rand(5, 64) > 0.5).float()
    elbo(model, x).elbo.sum().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_bad_arguments() -> None:
    model = VAE(LIKELIHOODS["bernoulli"](), latent_dim=2, hidden=(8,))
    x = torch.zeros(2, 64)
    with pytest.raises(ValueError, match="elbo: kl must be"):
        elbo(model, x, kl="exact")
    with pytest.raises(ValueError, match="iwae_bound: k must be >= 1"):
        iwae_bound(model, x, k=0)


def test_analytic_and_monte_carlo_kl_agree() -> None:
    torch.manual_seed(0)
    model = VAE(LIKELIHOODS["bernoulli"](), latent_dim=4, hidden=(16,))
    x = (torch.rand(6, 64) > 0.5).float()
    torch.manual_seed(1)
    analytic = elbo(model, x, n_samples=20000, kl="analytic")
    torch.manual_seed(1)
    mc = elbo(model, x, n_samples=20000, kl="mc")
    torch.testing.assert_close(analytic.reconstruction, mc.reconstruction)  # same z draws
    # the MC KL estimator's sd per sample is at most ~sqrt(2 KL + L/2); 20000 draws
    tol = 5 * torch.sqrt(2 * analytic.kl + 2) / math.sqrt(20000)
    assert ((analytic.kl - mc.kl).abs() <= tol).all(), (analytic.kl, mc.kl)


def test_iwae_k1_has_the_elbo_expectation() -> None:
    model = linear_gaussian_vae(exact_posterior=False)
    x = data()
    torch.manual_seed(0)
    e = elbo(model, x, n_samples=4000, kl="mc").elbo  # mean of 4000 single-sample ELBOs
    iw1 = torch.stack([iwae_bound(model, x, k=1) for _ in range(400)])
    logw = log_importance_weights(model, x, 4000).detach()
    se = logw.std(0) * math.sqrt(1 / 400 + 1 / 4000)
    assert ((iw1.mean(0) - e).abs() <= 5 * se).all()
    analytic = elbo(model, x, n_samples=4000).elbo  # same expectation, lower variance
    assert ((analytic - e).abs() <= 5 * logw.std(0) / math.sqrt(4000)).all()


def test_bounds_are_ordered_and_iwae_approaches_log_px() -> None:
    """ELBO <= IWAE_k <= IWAE_{k'} (k < k', on average) <= log p(x), and IWAE_k -> log p(x)."""
    model = linear_gaussian_vae(exact_posterior=False)
    x = data()
    log_px = exact_log_px(model, x)
    torch.manual_seed(0)
    e = elbo(model, x, n_samples=2000).elbo
    means = {}
    for k in (1, 10, 100, 5000):
        reps = 200 if k <= 100 else 8
        means[k] = torch.stack([iwae_bound(model, x, k=k, chunk=1000) for _ in range(reps)]).mean(0)
    gap = log_px - e
    assert gap.mean() > 0.2, "the mediocre encoder should leave a clear gap"
    assert (means[1] <= means[10] + 0.05).all()
    assert (means[10] <= means[100] + 0.02).all() and (means[100] <= means[5000] + 0.02).all()
    assert e.mean() < means[10].mean() < means[100].mean() < means[5000].mean()
    assert (means[5000] <= log_px + 0.02).all() and means[5000].mean() <= log_px.mean() + 0.005
    assert (log_px - means[5000]).abs().max() < 0.03  # the gap is (almost) closed


def test_exact_posterior_makes_elbo_tight() -> None:
    """With q = p(z|x) every importance weight equals p(x): ELBO = IWAE_k = log p(x) exactly."""
    model = linear_gaussian_vae(exact_posterior=True)
    x = data()
    log_px = exact_log_px(model, x)
    torch.manual_seed(0)
    logw = log_importance_weights(model, x, 50)
    torch.testing.assert_close(logw, log_px.expand(50, -1), atol=1e-6, rtol=0)
    # with the Monte Carlo KL the single-sample ELBO is log w itself (analytic KL: only on average)
    torch.testing.assert_close(elbo(model, x, kl="mc").elbo, log_px, atol=1e-6, rtol=0)
    torch.testing.assert_close(elbo(model, x, n_samples=20000).elbo, log_px, atol=0.02, rtol=0)
    torch.testing.assert_close(iwae_bound(model, x, k=7), log_px, atol=1e-6, rtol=0)


def test_iwae_on_a_one_dimensional_latent_by_quadrature() -> None:
    """A nonlinear decoder with a Bernoulli head: log p(x) by quadrature over z in 1-D."""
    torch.manual_seed(0)
    model = VAE(LIKELIHOODS["bernoulli"](), data_dim=10, latent_dim=1, hidden=(16,)).to(F64)
    x = model.decode(torch.randn(6, 1, dtype=F64)).sample()
    zs = torch.linspace(-10, 10, 20001, dtype=F64).unsqueeze(-1)  # [G, 1]
    with torch.no_grad():
        log_joint = model.decode(zs.unsqueeze(1)).log_prob(x) + model.prior().log_prob(
            zs.unsqueeze(1)
        )  # [G, N]
    log_px = torch.logsumexp(log_joint, 0) + math.log(20.0 / 20000)
    torch.manual_seed(1)
    e = elbo(model, x, n_samples=2000).elbo
    iw = iwae_bound(model, x, k=20000, chunk=5000)
    assert (e <= iw + 1e-3).all()
    assert (iw <= log_px + 1e-2).all()
    assert (log_px - iw).abs().max() < 0.05


def test_bits_per_dim() -> None:
    assert bits_per_dim(-64 * math.log(2.0), 64) == pytest.approx(1.0)
    assert bits_per_dim(-10.0, 5) == pytest.approx(10.0 / (5 * math.log(2.0)))
    assert bits_per_dim(0.0, 64) == 0.0
    torch.testing.assert_close(
        bits_per_dim(torch.tensor(-128 * math.log(2.0)), 64), torch.tensor(2.0)
    )


def test_documented_defaults() -> None:
    """elbo draws one z per example; iwae_bound uses k=1000 in chunks of 250, 500 rows at a time
    (the defaults decide which random numbers are drawn, so the same seed must give the same
    values as the explicit arguments, and other values must give other numbers)."""
    torch.manual_seed(0)
    model = VAE(LIKELIHOODS["bernoulli"](), latent_dim=2, hidden=(8,))
    x = (torch.rand(600, 64) > 0.5).float()
    results = []
    for kwargs in ({}, {"n_samples": 1}, {"n_samples": 2}):
        torch.manual_seed(1)
        results.append(elbo(model, x[:5], **kwargs).elbo)
    torch.testing.assert_close(results[0], results[1])
    assert not torch.equal(results[0], results[2])
    results = []
    for kwargs in ({}, {"k": 1000, "chunk": 250, "batch": 500}, {"batch": 501}, {"chunk": 251}):
        torch.manual_seed(2)
        results.append(iwae_bound(model, x, **kwargs))
    torch.testing.assert_close(results[0], results[1])
    assert not torch.equal(results[0], results[2]) and not torch.equal(results[0], results[3])


def test_analytic_kl_falls_back_to_monte_carlo_for_a_mixture_prior() -> None:
    """No closed form for KL(q || mixture): kl="analytic" gives the Monte Carlo estimate
    mean_s [log q(z_s|x) - log p(z_s)], computed here by hand from the same draws."""
    from vae_tutorial.priors import with_mixture_prior

    torch.manual_seed(0)
    model = with_mixture_prior(VAE(LIKELIHOODS["bernoulli"](), latent_dim=2, hidden=(8,)), 3)
    x = (torch.rand(5, 64) > 0.5).float()
    torch.manual_seed(1)
    analytic = elbo(model, x, n_samples=3, kl="analytic")
    torch.manual_seed(1)
    mc = elbo(model, x, n_samples=3, kl="mc")
    torch.manual_seed(1)
    q = model.encode(x)
    z = q.rsample((3,))
    by_hand = (q.log_prob(z) - model.prior().log_prob(z)).mean(0)
    for terms in (analytic, mc):
        assert terms.kl.shape == (5,)
        torch.testing.assert_close(terms.kl, by_hand)
