"""Learned priors: proper distributions over z, usable by the ELBO and the IWAE bound."""

from __future__ import annotations

import math

import pytest
import torch

from vae_tutorial import LIKELIHOODS, load_digits
from vae_tutorial.model import VAE
from vae_tutorial.objectives import elbo, iwae_bound
from vae_tutorial.priors import (
    MixtureOfGaussiansPrior,
    VampPrior,
    with_mixture_prior,
    with_vamp_prior,
)


def test_mixture_prior_shapes_and_normalisation() -> None:
    torch.manual_seed(0)
    prior = MixtureOfGaussiansPrior(latent_dim=1, num_components=3)
    dist = prior()
    assert dist.sample((5,)).shape == (5, 1)
    grid = torch.linspace(-12, 12, 20001).unsqueeze(-1)
    with torch.no_grad():
        mass = torch.trapezoid(dist.log_prob(grid).exp(), grid.squeeze(-1))
    assert math.isclose(float(mass), 1.0, abs_tol=1e-4)


def test_one_component_mixture_is_a_gaussian() -> None:
    """One component: the mixture's density is that Gaussian's, whose scale starts at
    softplus(0.5413) + 1e-4, which is 1 to within 2e-4 (seeded: the z are fixed)."""
    torch.manual_seed(0)
    prior = MixtureOfGaussiansPrior(latent_dim=2, num_components=1)
    z = torch.randn(7, 2)
    scale = torch.nn.functional.softplus(torch.tensor(0.5413)) + 1e-4
    assert abs(scale.item() - 1.0) < 2e-4
    expected = torch.distributions.Normal(prior.means[0], scale).log_prob(z).sum(-1)
    torch.testing.assert_close(prior().log_prob(z), expected, atol=1e-5, rtol=0)


def test_vamp_prior_is_the_mean_of_encoder_posteriors() -> None:
    torch.manual_seed(0)
    model = VAE(LIKELIHOODS["binomial"](), latent_dim=3, hidden=(16,))
    init = load_digits("train")[:4] / 16
    with_vamp_prior(model, num_pseudo=4, init=init)
    assert isinstance(model.prior, VampPrior)
    z = torch.randn(6, 3)
    u = torch.sigmoid(model.prior.raw_pseudo)  # the pseudo-inputs live in (0, 1)
    torch.testing.assert_close(model.prior.pseudo_inputs, u)
    q = model.encoder(u)
    by_hand = torch.logsumexp(q.log_prob(z.unsqueeze(1)), dim=1) - math.log(4)
    torch.testing.assert_close(model.prior().log_prob(z), by_hand)
    # the encoder is shared, not copied: its parameters appear once in the model
    names = [n for n, _ in model.named_parameters()]
    assert len(names) == len({id(p) for p in model.parameters()})
    assert torch.allclose(model.prior.pseudo_inputs, init.clamp(0.05, 0.95), atol=1e-5)


def test_elbo_and_iwae_run_with_learned_priors() -> None:
    torch.manual_seed(0)
    x = load_digits("train")[:20]
    for attach in (lambda m: with_vamp_prior(m, 5), lambda m: with_mixture_prior(m, 4)):
        model = attach(VAE(LIKELIHOODS["binomial"](), latent_dim=2, hidden=(16,)))
        terms = elbo(model, x)  # Monte Carlo KL: no closed form for a mixture
        assert terms.elbo.shape == (20,) and torch.isfinite(terms.elbo).all()
        terms.elbo.mean().backward()
        torch.manual_seed(1)
        assert torch.isfinite(iwae_bound(model, x, k=10)).all()


def test_documented_starting_values() -> None:
    """Mixture: 10 equal-weight components with scales softplus(0.5413) + 1e-4 ~ 1 and means
    drawn with spread init_spread; VampPrior: 50 pseudo-inputs near 1/2, equal weights."""
    import torch.nn.functional as F

    torch.manual_seed(0)
    prior = MixtureOfGaussiansPrior(latent_dim=3)
    dist = prior()
    assert prior.num_components == 10 and prior.means.shape == (10, 3)
    torch.testing.assert_close(dist.mixture_distribution.probs, torch.full((10,), 0.1))
    scale = dist.component_distribution.base_dist.scale
    torch.testing.assert_close(scale, F.softplus(prior.raw_scales) + 1e-4)
    assert (scale - 1).abs().max() < 1e-3
    torch.manual_seed(0)
    wide = MixtureOfGaussiansPrior(latent_dim=3, init_spread=5.0)
    torch.testing.assert_close(wide.means, 5.0 * prior.means)
    model = VAE(LIKELIHOODS["binomial"](), latent_dim=3, hidden=(8,))
    assert with_mixture_prior(model).prior.num_components == 10
    assert with_mixture_prior(model, 4).prior.num_components == 4
    torch.manual_seed(1)
    vamp = with_vamp_prior(VAE(LIKELIHOODS["binomial"](), latent_dim=3, hidden=(8,))).prior
    assert vamp.num_pseudo == 50 and vamp.pseudo_inputs.shape == (50, 64)
    assert (vamp.pseudo_inputs - 0.5).abs().max() < 0.15  # sigmoid(0.1 * N(0, 1))
    assert vamp.pseudo_inputs.std() > 0.005  # a little noise, not all equal
    torch.testing.assert_close(vamp().mixture_distribution.probs, torch.full((50,), 0.02))


def test_vamp_prior_init_is_clamped_and_checked() -> None:
    model = VAE(LIKELIHOODS["binomial"](), latent_dim=2, hidden=(8,))
    init = torch.tensor([[0.0, 1.0, 0.3] + [0.5] * 61])
    prior = VampPrior(model.encoder, 64, num_pseudo=1, init=init)
    torch.testing.assert_close(prior.pseudo_inputs[0, :3], torch.tensor([0.05, 0.95, 0.3]))
    with pytest.raises(ValueError, match=r"VampPrior: init must have shape \(2, 64\)"):
        VampPrior(model.encoder, 64, num_pseudo=2, init=init)
    with pytest.raises(ValueError, match="VampPrior: num_pseudo must be an integer >= 1"):
        VampPrior(model.encoder, 64, num_pseudo=0)
    with pytest.raises(ValueError, match="MixtureOfGaussiansPrior: num_components must be >= 1"):
        MixtureOfGaussiansPrior(2, num_components=0)
    with pytest.raises(ValueError, match="MixtureOfGaussiansPrior: latent_dim must be"):
        MixtureOfGaussiansPrior(0)


def test_prior_sizes_must_be_whole_numbers() -> None:
    model = VAE(LIKELIHOODS["binomial"](), latent_dim=2, hidden=(8,))
    assert VampPrior(model.encoder, 64).num_pseudo == 50
    for bad in (2.5, True):
        with pytest.raises(ValueError, match="VampPrior: num_pseudo must be an integer"):
            VampPrior(model.encoder, 64, num_pseudo=bad)
        with pytest.raises(ValueError, match="MixtureOfGaussiansPrior: latent_dim must be"):
            MixtureOfGaussiansPrior(bad)


def test_mixture_prior_means_start_as_scaled_normal_draws() -> None:
    """The component means start at init_spread times standard normal draws (the class's
    documented initialisation), the first random numbers the prior draws."""
    torch.manual_seed(0)
    prior = MixtureOfGaussiansPrior(4, num_components=5, init_spread=0.3)
    torch.manual_seed(0)
    assert torch.equal(prior.means.detach(), 0.3 * torch.randn(5, 4))
