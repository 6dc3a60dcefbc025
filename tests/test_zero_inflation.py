"""Maximum-likelihood fits of one distribution to a column (vae_tutorial.zero_inflation)."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from vae_tutorial.likelihoods import LIKELIHOODS, TABLE_LIKELIHOODS
from vae_tutorial.zero_inflation import fit_by_group, fit_marginal


def test_poisson_fit_is_the_closed_form() -> None:
    x = torch.tensor([[0.0], [1.0], [4.0], [2.0], [0.0], [3.0]], dtype=torch.float64)
    head = LIKELIHOODS["poisson"]().to(torch.float64)
    raw, ll = fit_marginal(head, x)
    rate = x.mean().item()  # the maximum-likelihood rate is the sample mean
    expected = stats.poisson.logpmf(x.numpy(), rate).mean()
    assert math.isclose(ll, expected, rel_tol=1e-6)
    assert math.isclose(head(raw).mean.item(), rate, rel_tol=1e-4)


def test_zip_fit_recovers_the_gate() -> None:
    torch.manual_seed(0)
    from vae_tutorial.likelihoods import ZeroInflatedPoisson

    x = ZeroInflatedPoisson(torch.tensor(5.0), torch.logit(torch.tensor(0.3))).sample((4000, 1))
    head = TABLE_LIKELIHOODS["zero_inflated_poisson"]()
    raw, _ = fit_marginal(head, x)
    assert abs(torch.sigmoid(raw[1]).item() - 0.3) < 0.03
    assert abs(head(raw).base_dist.rate.item() - 5.0) < 0.15


def test_fit_by_group_is_the_weighted_average() -> None:
    x = torch.tensor([[0.0], [1.0], [5.0], [6.0], [7.0]], dtype=torch.float64)
    groups = torch.tensor([0, 0, 1, 1, 1])
    make = lambda: LIKELIHOODS["poisson"]().to(torch.float64)  # noqa: E731
    by_group = fit_by_group(make, x, groups)
    parts = [fit_marginal(make(), x[groups == g])[1] for g in (0, 1)]
    assert math.isclose(by_group, (2 * parts[0] + 3 * parts[1]) / 5, rel_tol=1e-9)
    assert by_group > fit_marginal(make(), x)[1]


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="fit_marginal: expected x of shape"):
        fit_marginal(LIKELIHOODS["poisson"](), torch.zeros(3))
    with pytest.raises(ValueError, match="fit_by_group: groups must have shape"):
        fit_by_group(lambda: LIKELIHOODS["poisson"](), torch.zeros(3, 1), torch.zeros(2))
