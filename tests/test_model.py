"""The VAE's pieces: shapes, the decoder's raw size, and that every head plugs in."""

from __future__ import annotations

import torch
from torch.distributions import Independent

from vae_tutorial.likelihoods import HeadDistribution
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


def test_gaussian_shared_sigma_is_trained_with_the_model() -> None:
    from vae_tutorial.likelihoods import LIKELIHOODS

    model = VAE(LIKELIHOODS["gaussian_shared"](), latent_dim=2, hidden=(8,))
    names = [n for n, _ in model.named_parameters()]
    assert names.count("head.log_sigma") == 1  # shared by model.head and decoder.head, once
