"""Tests of vae_tutorial.estimators: both gradient estimators are unbiased; the KL closed form."""

from __future__ import annotations

import pytest
import torch
from torch.distributions import Normal, kl_divergence

from vae_tutorial.estimators import (
    kl_normal_to_standard_normal,
    pathwise_gradient,
    score_function_gradient,
)


@pytest.mark.parametrize("estimator", [score_function_gradient, pathwise_gradient])
def test_unbiased_for_quadratic(estimator) -> None:
    """E[z^2] = mu^2 + s^2, so the gradient is (2 mu, 2 s)."""
    mu, s, n = 1.2, 0.8, 400_000
    g = estimator(lambda z: z**2, mu, s, n, torch.Generator().manual_seed(0))
    assert g.shape == (n, 2)
    se = g.std(0) / n**0.5
    exact = torch.tensor([2 * mu, 2 * s], dtype=torch.float64)
    assert ((g.mean(0) - exact).abs() < 5 * se).all()


def test_pathwise_has_smaller_variance_here() -> None:
    f = lambda z: z**2  # noqa: E731
    gen = torch.Generator().manual_seed(1)
    sf = score_function_gradient(f, 1.2, 0.8, 20_000, gen)
    pw = pathwise_gradient(f, 1.2, 0.8, 20_000, gen)
    assert (pw.var(0) < sf.var(0)).all()
    # pathwise d/dmu of z^2 is 2z: variance 4 s^2 exactly
    assert pw[:, 0].var().item() == pytest.approx(4 * 0.8**2, rel=0.05)


def test_kl_closed_form_matches_torch() -> None:
    g = torch.Generator().manual_seed(2)
    mean = torch.randn(5, 3, generator=g)
    std = torch.rand(5, 3, generator=g) + 0.1
    ours = kl_normal_to_standard_normal(mean, std)
    ref = kl_divergence(Normal(mean, std), Normal(0.0, 1.0)).sum(-1)
    assert torch.allclose(ours, ref, atol=1e-6)
    zero = kl_normal_to_standard_normal(torch.zeros(3), torch.ones(3))
    assert torch.allclose(zero, torch.tensor(0.0))
