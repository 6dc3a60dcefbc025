"""The VAE's pieces: shapes, the decoder's raw size, and that every head plugs in."""

from __future__ import annotations

import math

import torch
from torch.distributions import Independent

from vae_tutorial.likelihoods import LIKELIHOODS, HeadDistribution
from vae_tutorial.model import VAE, mlp


def test_mlp() -> None:
    net = mlp([3, 5, 2])
    assert [type(m).__name__ for m in net] == ["Linear", "Tanh", "Linear"]
    assert len(mlp([3, 2])) == 1


def test_vae_with_every_head(variant) -> None:
    torch.manual_seed(0)
    head = variant.make()
    model = VAE(head, latent_dim=3, hidden=(16,))
    assert model.decoder.net[-1].out_features == 64 * head.params_per_dim
    assert model.head is head and model.decoder.head is head
    x = head.prepare(torch.randint(0, 17, (5, 64)).float())
    q = model.encode(x)
    assert isinstance(q, Independent) and q.batch_shape == (5,) and q.event_shape == (3,)
    z = q.rsample((2,))
    dist = model.decode(z)
    assert isinstance(dist, HeadDistribution)
    assert dist.batch_shape == (2, 5) and dist.event_shape == (64,)
    assert torch.isfinite(dist.log_prob(x)).all()
    z, dist = model.sample(4)
    assert z.shape == (4, 3) and dist.sample().shape == (4, 64)
    assert model.reconstruct(x).mean.shape == (5, 64)
    prior = model.prior()
    assert prior.event_shape == (3,) and torch.equal(prior.mean, torch.zeros(3))


def test_vae_pieces_compute_what_they_say() -> None:
    """Encoder, decoder, prior and reconstruct against the formulas, on a linear VAE."""
    torch.manual_seed(0)
    head = LIKELIHOODS["gaussian_fixed"](sigma=0.3)
    model = VAE(head, data_dim=5, latent_dim=2, hidden=())
    enc, dec = model.encoder.net[0], model.decoder.net[0]
    x = torch.randn(4, 5)
    q = model.encode(x)
    out = x @ enc.weight.T + enc.bias
    torch.testing.assert_close(q.mean, out[:, :2])
    torch.testing.assert_close(q.stddev, torch.nn.functional.softplus(out[:, 2:]) + 1e-4)
    z = torch.randn(3, 4, 2)
    dist = model.decode(z)
    mu = z @ dec.weight.T + dec.bias
    ref = torch.distributions.Normal(mu, 0.3).log_prob(x).sum(-1)
    torch.testing.assert_close(dist.log_prob(x), ref)
    torch.testing.assert_close(model.reconstruct(x).mean, q.mean @ dec.weight.T + dec.bias)
    prior_ref = -0.5 * (z**2).sum(-1) - math.log(2 * math.pi)
    torch.testing.assert_close(model.prior().log_prob(z), prior_ref)
    torch.manual_seed(1)
    zs, _ = model.sample(20000)
    assert zs.mean(0).abs().max() < 0.05 and (zs.std(0) - 1).abs().max() < 0.05


def test_decoder_mirrors_the_encoder() -> None:
    model = VAE(LIKELIHOODS["categorical"](num_levels=5), data_dim=7, latent_dim=3, hidden=(16, 32))
    sizes = [(m.in_features, m.out_features) for m in model.encoder.net if hasattr(m, "weight")]
    assert sizes == [(7, 16), (16, 32), (32, 6)]
    sizes = [(m.in_features, m.out_features) for m in model.decoder.net if hasattr(m, "weight")]
    assert sizes == [(3, 32), (32, 16), (16, 35)]
    acts = [type(m).__name__ for m in model.decoder.net]
    assert acts == ["Linear", "Tanh", "Linear", "Tanh", "Linear"]


def test_gaussian_shared_sigma_is_trained_with_the_model() -> None:
    model = VAE(LIKELIHOODS["gaussian_shared"](), latent_dim=2, hidden=(8,))
    names = [n for n, _ in model.named_parameters()]
    assert names.count("head.log_sigma") == 1  # shared by model.head and decoder.head, once
