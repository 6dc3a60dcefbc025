"""BCE on grey values: not normalised, integrates to 1/C(lambda); matches BCEWithLogits."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from vae_tutorial import LIKELIHOODS, load_digits
from vae_tutorial.bce_grey import GreyBCEHead, bce_log_normaliser_gap, bce_total_mass
from vae_tutorial.evaluation import discrete_log_likelihood
from vae_tutorial.model import VAE

LOGITS = torch.tensor(
    [-30.0, -5.0, -1.0, -1e-3, 0.0, 1e-3, 0.4, 2.0, 8.0, 30.0], dtype=torch.float64
)


def test_log_prob_is_minus_bce_with_logits() -> None:
    head = GreyBCEHead()
    raw = torch.randn(5, 64, generator=torch.Generator().manual_seed(0))
    x = torch.rand(5, 64, generator=torch.Generator().manual_seed(1))
    expected = -F.binary_cross_entropy_with_logits(raw, x, reduction="none").sum(-1)
    torch.testing.assert_close(head(raw).log_prob(x), expected)
    torch.testing.assert_close(head(raw).mean, torch.sigmoid(raw))


def test_integral_over_unit_interval_is_one_over_c() -> None:
    head = GreyBCEHead().double()
    grid = torch.linspace(0.0, 1.0, 20001, dtype=torch.float64)
    values = grid[:, None].expand(-1, len(LOGITS))
    density = head.distribution(LOGITS).log_prob(values).exp()  # [G, n]
    integral = torch.trapezoid(density, grid, dim=0)
    torch.testing.assert_close(integral, bce_total_mass(LOGITS), rtol=1e-6, atol=1e-9)
    assert bool((integral <= 0.5 + 1e-9).all()), "exp(-BCE) never holds more than half the mass"
    # closed form tanh(eta/2)/eta away from 0
    nz = LOGITS.abs() > 1e-2
    torch.testing.assert_close(
        bce_total_mass(LOGITS[nz]), torch.tanh(LOGITS[nz] / 2) / LOGITS[nz], rtol=1e-9, atol=0.0
    )


def test_bce_plus_gap_is_the_continuous_bernoulli_density() -> None:
    raw = torch.randn(3, 64, generator=torch.Generator().manual_seed(2))
    x = torch.rand(3, 64, generator=torch.Generator().manual_seed(3))
    cb = LIKELIHOODS["continuous_bernoulli"]()(raw).log_prob(x)
    bce = GreyBCEHead()(raw).log_prob(x)
    torch.testing.assert_close(cb, bce + bce_log_normaliser_gap(raw), rtol=1e-5, atol=1e-4)
    assert bool((bce_log_normaliser_gap(raw) >= 64 * math.log(2) - 1e-4).all())


def test_unnormalised_density_peaks_at_an_end_point() -> None:
    head = GreyBCEHead().double()
    grid = torch.linspace(0.0, 1.0, 101, dtype=torch.float64)
    logits = torch.tensor([-2.0, -0.3, 0.3, 2.0], dtype=torch.float64)
    lp = head.distribution(logits).log_prob(grid[:, None].expand(-1, 4))
    argmax = grid[lp.argmax(0)]
    assert argmax.tolist() == [0.0, 0.0, 1.0, 1.0]


def test_rejects_values_outside_unit_interval_and_evaluation() -> None:
    head = GreyBCEHead()
    with pytest.raises(ValueError, match="grey_bce expects x in"):
        head(torch.zeros(1, 64)).log_prob(torch.full((1, 64), 1.5))
    assert "grey_bce" not in LIKELIHOODS
    model = VAE(head)
    with pytest.raises(ValueError, match="not a normalised likelihood"):
        discrete_log_likelihood(model, load_digits("test")[:2], k=2)
