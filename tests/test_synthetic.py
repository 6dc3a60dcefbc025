"""Tests of the synthetic over-dispersed count data (vae_tutorial.synthetic)."""

from __future__ import annotations

import math

import pytest
import torch

from vae_tutorial.synthetic import (
    COUNT_SPLITS,
    load_overdispersed_counts,
    make_overdispersed_counts,
)


def test_shapes_types_and_whole_numbers() -> None:
    data = make_overdispersed_counts(n=50, num_features=7, latent_dim=3, seed=1)
    assert data.counts.shape == (50, 7) and data.mean.shape == (50, 7)
    assert data.latent.shape == (50, 3)
    assert data.counts.dtype == torch.float32
    assert bool((data.counts >= 0).all()) and torch.equal(data.counts, data.counts.round())
    assert bool((data.mean > 0).all())


def test_deterministic_in_seed() -> None:
    a = make_overdispersed_counts(n=20, seed=3)
    b = make_overdispersed_counts(n=20, seed=3)
    c = make_overdispersed_counts(n=20, seed=4)
    assert torch.equal(a.counts, b.counts) and torch.equal(a.mean, b.mean)
    assert not torch.equal(a.counts, c.counts)


def test_conditional_moments_match_negative_binomial() -> None:
    # Many draws at ONE latent value: E[x|z] = mu, Var[x|z] = mu + mu^2 / r.
    r = 2.0
    data = make_overdispersed_counts(
        n=40_000, num_features=3, latent_dim=1, loading_scale=0.0, dispersion=r, seed=0
    )
    mu = data.mean[0].double()
    x = data.counts.double()
    assert torch.allclose(x.mean(0), mu, rtol=0.03)
    assert torch.allclose(x.var(0), mu + mu**2 / r, rtol=0.08)


def test_infinite_dispersion_is_poisson() -> None:
    data = make_overdispersed_counts(
        n=40_000, num_features=3, latent_dim=1, loading_scale=0.0, dispersion=math.inf, seed=0
    )
    mu = data.mean[0].double()
    assert torch.allclose(data.counts.double().var(0), mu, rtol=0.05)
    assert torch.isfinite(data.true_log_prob()).all()


def test_true_log_prob_is_a_negative_binomial_log_pmf() -> None:
    data = make_overdispersed_counts(n=5, num_features=4, dispersion=1.5, seed=2)
    mu, r, x = data.mean.double(), 1.5, data.counts.double()
    manual = (
        torch.lgamma(x + r)
        - torch.lgamma(torch.tensor(r))
        - torch.lgamma(x + 1)
        + r * torch.log(r / (r + mu))
        + x * torch.log(mu / (r + mu))
    ).sum(-1)
    assert torch.allclose(data.true_log_prob(), manual, atol=1e-8)


def test_splits() -> None:
    sizes = {s: len(load_overdispersed_counts(s).counts) for s in COUNT_SPLITS}
    assert sizes == {"train": 1000, "val": 350, "test": 447}
    assert torch.equal(
        load_overdispersed_counts("train").counts, load_overdispersed_counts("train").counts
    )


@pytest.mark.parametrize("kwargs", [{"n": 0}, {"dispersion": 0.0}, {"dispersion": -1.0}])
def test_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        make_overdispersed_counts(**kwargs)


def test_bad_split() -> None:
    with pytest.raises(ValueError, match="split must be one of"):
        load_overdispersed_counts("training")
