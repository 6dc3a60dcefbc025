"""Unit tests of the Gaussian families (fixed, shared, diagonal, low rank, full, grid).

Exact values against scipy in float64, errors and edge cases (see tests/mutation_equivalent.txt).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from vae_tutorial.likelihoods.gaussian_diagonal import GaussianDiagonalHead
from vae_tutorial.likelihoods.gaussian_fixed import GaussianFixedHead
from vae_tutorial.likelihoods.gaussian_full import GaussianFullHead
from vae_tutorial.likelihoods.gaussian_lowrank import GaussianLowRankHead
from vae_tutorial.likelihoods.gaussian_shared import GaussianSharedHead
from vae_tutorial.likelihoods.grid_gaussian import GridGaussianHead, GridNormal, OneOf

F64 = torch.float64
VALUES = (0.1, 0.2, 0.7, 1.5)  # not exact in float32: a float32 grid would not match


def rounded_normal_log_probs(mu: np.ndarray, s: np.ndarray, values: tuple) -> np.ndarray:
    """log P(x = v_k) of N(mu, s) rounded to the nearest value, by scipy: shape mu.shape + (K,)."""
    v = np.asarray(values)
    edges = np.concatenate([[-np.inf], (v[1:] + v[:-1]) / 2, [np.inf]])
    z = (edges - mu[..., None]) / s[..., None]
    lower, upper = z[..., :-1], z[..., 1:]
    # the upper tail in survival functions, so that no probability is 1 minus almost 1
    upper_tail = lower + upper > 0
    cdf = stats.norm.cdf(upper) - stats.norm.cdf(lower)
    sf = stats.norm.sf(lower) - stats.norm.sf(upper)
    return np.log(np.where(upper_tail, sf, cdf))


# -- grid Gaussian ---------------------------------------------------------------------------------
def test_one_of_checks_each_entry_exactly_in_the_value_dtype() -> None:
    """OneOf.check is elementwise (same shape as the input) and compares in the input's dtype."""
    support = OneOf(VALUES[:3])
    for dtype in (torch.float32, F64):
        x = torch.tensor([[0.1, 0.3], [0.7, 0.2]], dtype=dtype)
        assert support.check(x).tolist() == [[True, False], [True, True]]


def test_one_of_repr_lists_the_values_as_floats() -> None:
    """The repr names the values (as floats)."""
    assert repr(OneOf([1, 2.5])) == "OneOf([1.0, 2.5])"


@pytest.mark.parametrize("values", [(1.0,), (1.0, 1.0), (2.0, 1.0), (0.0, 2.0, 1.0)])
def test_grid_normal_rejects_grids_that_are_not_increasing(values: tuple) -> None:
    """Fewer than 2 values or a non-increasing grid: the exact ValueError."""
    with pytest.raises(ValueError) as err:
        GridNormal(torch.zeros(1), torch.ones(1), values)
    assert str(err.value) == "GridNormal: values must be at least 2 increasing numbers"


def test_grid_normal_log_prob_matches_scipy_over_a_batch() -> None:
    """log_prob of a (2, 3) batch, and of a (5, 2, 3) sample against it, equals scipy's rounded
    normal (also for float32 data); a two-value grid is allowed; validate_args=True accepts values
    on the grid."""
    gen = torch.Generator().manual_seed(0)
    loc = torch.randn(2, 3, generator=gen, dtype=F64)
    scale = 0.2 + torch.rand(2, 3, generator=gen, dtype=F64)
    ref = rounded_normal_log_probs(loc.numpy(), scale.numpy(), VALUES)
    dist = GridNormal(loc, scale, VALUES, validate_args=True)
    idx = torch.randint(0, 4, (5, 2, 3), generator=gen)
    x = torch.tensor(VALUES, dtype=F64)[idx]
    want = np.take_along_axis(np.broadcast_to(ref, (5, 2, 3, 4)), idx.numpy()[..., None], -1)
    np.testing.assert_allclose(dist.log_prob(x).numpy(), want[..., 0], rtol=1e-10)
    np.testing.assert_allclose(dist.log_prob(x[0]).numpy(), want[0, ..., 0], rtol=1e-10)
    # float32 data against a float64 model: matched to the grid in the data's own precision
    np.testing.assert_allclose(dist.log_prob(x[0].float()).numpy(), want[0, ..., 0], rtol=1e-10)
    two = GridNormal(loc, scale, VALUES[:2])
    want2 = rounded_normal_log_probs(loc.numpy(), scale.numpy(), VALUES[:2])[..., 1]
    np.testing.assert_allclose(two.log_prob(torch.full((2, 3), 0.2, dtype=F64)), want2, rtol=1e-10)


def test_grid_normal_validate_args_is_passed_on() -> None:
    """validate_args=False skips torch's parameter check (a negative scale); True runs it."""
    GridNormal(torch.zeros(1), -torch.ones(1), (0.0, 1.0), validate_args=False)
    with pytest.raises(ValueError):
        GridNormal(torch.zeros(1), -torch.ones(1), (0.0, 1.0), validate_args=True)


def test_grid_normal_samples_lie_on_the_grid_with_the_right_shape_and_frequency() -> None:
    """sample(shape) gives shape + batch_shape grid values; a narrow Normal always rounds to its
    nearest value; loc halfway between two values gives each about half of the draws."""
    torch.manual_seed(0)
    dist = GridNormal(torch.tensor([[0.4, 9.0]], dtype=F64), torch.full((1, 2), 0.1), (0, 5, 10))
    draws = dist.sample((3,))
    assert draws.shape == (3, 1, 2) and draws.dtype == F64
    assert draws.tolist() == [[[0.0, 10.0]]] * 3
    assert dist.sample().tolist() == [[0.0, 10.0]]
    half = GridNormal(torch.tensor(0.5), torch.tensor(1.0), (0.0, 1.0)).sample((2000,))
    assert set(half.unique().tolist()) == {0.0, 1.0}
    assert abs(half.mean().item() - 0.5) < 0.06


def test_grid_head_defaults() -> None:
    """Defaults: loc 0, scale 1, sigma 1 (the raw output is already the mean, sigma 1)."""
    head = GridGaussianHead((0.0, 1.0))
    assert (head.loc, head.scale, head.sigma) == (0.0, 1.0, 1.0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(scale=0), "scale and sigma must be positive, got 0, 1.0"),
        (dict(scale=-1.0), "scale and sigma must be positive, got -1.0, 1.0"),
        (dict(sigma=0), "scale and sigma must be positive, got 1.0, 0"),
        (dict(values=(1.0,)), "values must be at least 2 increasing numbers"),
        (dict(values=(1.0, 1.0)), "values must be at least 2 increasing numbers"),
        (dict(values=(3.0, 1.0, 2.0)), "values must be at least 2 increasing numbers"),
    ],
)
def test_grid_head_rejects_bad_settings(kwargs: dict, message: str) -> None:
    """A non-positive scale or sigma, or a grid that is not increasing: the exact ValueError."""
    settings = dict(values=(0.0, 1.0)) | kwargs
    with pytest.raises(ValueError) as err:
        GridGaussianHead(**settings)
    assert str(err.value) == f"grid_gaussian: {message}"


def test_grid_head_accepts_small_positive_settings_and_two_values() -> None:
    """scale and sigma below 1 and a two-value grid are valid; the probabilities use them."""
    head = GridGaussianHead((0.0, 1.0), loc=0.25, scale=0.5, sigma=0.5).to(F64)
    dist = head(torch.tensor([1.0], dtype=F64)).base_dist
    want = rounded_normal_log_probs(np.array([0.75]), np.array([0.25]), (0.0, 1.0))[0]
    np.testing.assert_allclose(dist.log_probs[0].numpy(), want, rtol=1e-12)


def test_grid_head_encoder_input_standardises() -> None:
    """The encoder sees (x - loc) / scale."""
    head = GridGaussianHead((17.5, 22.0), loc=29.0, scale=6.8)
    x = torch.tensor([22.0, 35.8, 29.0], dtype=F64)
    assert head.encoder_input(x).tolist() == pytest.approx([-7 / 6.8, 1.0, 0.0], rel=1e-12)


def test_grid_head_without_validation_leaves_off_grid_values_unchecked() -> None:
    """validate_args=False: neither the head nor its distribution checks x (no error)."""
    head = GridGaussianHead((0.0, 1.0), validate_args=False)
    assert head(torch.zeros(2, 3)).log_prob(torch.full((2, 3), 0.5)).shape == (2,)


# -- fixed, shared and diagonal Gaussians ----------------------------------------------------------
@pytest.mark.parametrize(
    "head",
    [
        GaussianFixedHead(validate_args=False),
        GaussianSharedHead(validate_args=False),
        GaussianDiagonalHead(validate_args=False),
        GaussianLowRankHead(rank=1, validate_args=False),
        GaussianFullHead(data_dim=2, validate_args=False),
    ],
    ids=lambda head: head.name,
)
def test_without_validation_a_nan_value_gives_nan(head) -> None:
    """validate_args=False reaches the torch distribution too: NaN in x gives NaN, no error."""
    raw = torch.zeros(3, 2 * head.params_per_dim)
    x = torch.tensor([[0.5, float("nan")]]).expand(3, 2)
    assert torch.isnan(head(raw).log_prob(x)).all()


def test_shared_head_defaults_and_sigma_clamp() -> None:
    """Defaults: sigma starts at 1 and is clamped to [1e-3, 1e3]."""
    head = GaussianSharedHead()
    assert head.sigma.item() == pytest.approx(1.0, rel=1e-6)
    with torch.no_grad():
        head.log_sigma.fill_(20.0)
        assert head.sigma.item() == pytest.approx(1e3, rel=1e-6)
        head.log_sigma.fill_(-20.0)
        assert head.sigma.item() == pytest.approx(1e-3, rel=1e-6)


@pytest.mark.parametrize(
    "kwargs", [dict(min_sigma=0.0), dict(init_sigma=0.5, min_sigma=1.0), dict(init_sigma=2e3)]
)
def test_shared_head_rejects_unordered_sigmas(kwargs: dict) -> None:
    """Unless 0 < min_sigma <= init_sigma <= max_sigma: the exact ValueError."""
    with pytest.raises(ValueError) as err:
        GaussianSharedHead(**kwargs)
    assert str(err.value) == "gaussian_shared: need 0 < min_sigma <= init_sigma <= max_sigma"


def test_shared_head_allows_equal_sigmas() -> None:
    """min_sigma == init_sigma == max_sigma is allowed and fixes sigma."""
    head = GaussianSharedHead(init_sigma=0.5, min_sigma=0.5, max_sigma=0.5)
    assert head.sigma.item() == pytest.approx(0.5, rel=1e-6)


def test_shared_head_optimal_sigma_is_the_rms_residual() -> None:
    """optimal_sigma = sqrt(mean((x - mean)^2)): residuals 1, 2, -3 give sqrt(14 / 3)."""
    x = torch.tensor([1.0, 2.0, -2.0], dtype=F64)
    mean = torch.tensor([0.0, 0.0, 1.0], dtype=F64)
    assert GaussianSharedHead.optimal_sigma(x, mean).item() == pytest.approx(math.sqrt(14 / 3))


def test_diagonal_head_repr_names_a_non_default_transform() -> None:
    """extra_repr lists min_sigma, and sigma_transform when it is not softplus."""
    head = GaussianDiagonalHead(sigma_transform="exp")
    assert head.extra_repr() == (
        "name='gaussian_diagonal', params_per_dim=2, min_sigma=0.001, sigma_transform='exp'"
    )


# -- correlated Gaussians --------------------------------------------------------------------------
def test_correlated_heads_defaults() -> None:
    """Defaults: full D = 64, low rank r = 4, both min_sigma = 1e-3."""
    full, low = GaussianFullHead(), GaussianLowRankHead()
    assert (full.data_dim, full.min_sigma, full.params_per_dim) == (64, 1e-3, 65)
    assert (low.rank, low.min_sigma, low.params_per_dim) == (4, 1e-3, 6)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: GaussianFullHead(data_dim=0), "gaussian_full: data_dim must be >= 1, got 0"),
        (lambda: GaussianFullHead(min_sigma=0), "gaussian_full: min_sigma must be > 0, got 0"),
        (
            lambda: GaussianLowRankHead(min_sigma=0.0),
            "gaussian_lowrank: min_sigma must be > 0, got 0.0",
        ),
    ],
)
def test_correlated_heads_reject_bad_settings(make, message: str) -> None:
    """data_dim < 1 or min_sigma <= 0: the exact ValueError."""
    with pytest.raises(ValueError) as err:
        make()
    assert str(err.value) == message


def test_full_head_with_one_dimension_is_a_normal() -> None:
    """data_dim = 1 is valid: raw (m, a) is N(m, (softplus(a) + min_sigma)^2), as scipy says."""
    head = GaussianFullHead(data_dim=1, min_sigma=0.1).to(F64)
    raw = torch.tensor([[0.3, -0.4]], dtype=F64)
    sigma = math.log1p(math.exp(-0.4)) + 0.1
    got = head(raw).log_prob(torch.tensor([[1.2]], dtype=F64)).item()
    assert got == pytest.approx(stats.norm.logpdf(1.2, 0.3, sigma), rel=1e-12)


def test_full_head_distribution_from_blocks_matches_scipy() -> None:
    """distribution(mean, *columns) with column j = A[:, j] is N(mean, L L^T), L = tril(A, -1) +
    diag(softplus(diag A) + min_sigma), for a batch of 2 (scipy's multivariate normal)."""
    d, min_sigma = 3, 0.05
    gen = torch.Generator().manual_seed(1)
    mean = torch.randn(2, d, generator=gen, dtype=F64)
    a = torch.randn(2, d, d, generator=gen, dtype=F64)
    x = torch.randn(2, d, generator=gen, dtype=F64)
    head = GaussianFullHead(data_dim=d, min_sigma=min_sigma).to(F64)
    got = head.distribution(mean, *(a[..., :, j] for j in range(d))).log_prob(x)
    for b in range(2):
        factor = np.tril(a[b].numpy(), -1)
        factor += np.diag(np.log1p(np.exp(np.diag(a[b].numpy()))) + min_sigma)
        want = stats.multivariate_normal(mean[b].numpy(), factor @ factor.T).logpdf(x[b].numpy())
        assert got[b].item() == pytest.approx(want, rel=1e-12)
