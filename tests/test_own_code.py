"""The heads in a reader's own code (not the digits): explicit errors instead of silent wrong
answers, torch's Distribution contract (expand, mode, entropy, empty batches), and the
digits-specific defaults named in the errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import special, stats
from torch.distributions import constraints

from vae_tutorial.likelihoods import LIKELIHOODS, UnknownLikelihoodError

F64 = torch.float64
REAL_LINE = ["gaussian_fixed", "gaussian_shared", "gaussian_diagonal", "laplace", "student_t"]


# -- prepare on the reader's own data ----------------------------------------------------------
@pytest.mark.parametrize("name", ["bernoulli", *REAL_LINE, "continuous_bernoulli", "beta"])
def test_prepare_refuses_binary_data_it_would_change(name) -> None:
    binary = (torch.rand(10, 64) > 0.5).float()
    with pytest.raises(ValueError, match=rf"{name}.prepare: the data hold only 0s and 1s"):
        LIKELIHOODS[name]().prepare(binary)
    # read as levels on request: the documented representation of levels 0 and 1
    x = LIKELIHOODS[name]().prepare(binary, allow_binary_levels=True)
    assert x.shape == binary.shape


def test_bernoulli_message_says_what_would_happen() -> None:
    binary = torch.tensor([[0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match="would map 0 and 1 to 0 and 0") as info:
        LIKELIHOODS["bernoulli"]().prepare(binary)
    assert "need no prepare" in str(info.value)
    with pytest.raises(ValueError, match=r"would map 0 and 1 to 0 and 0.0625"):
        LIKELIHOODS["gaussian_fixed"]().prepare(binary)


@pytest.mark.parametrize("name", ["categorical", "binomial", "poisson", "negative_binomial"])
def test_heads_that_model_levels_accept_binary_data(name) -> None:
    binary = torch.tensor([[0.0, 1.0, 1.0, 0.0]])
    assert torch.equal(LIKELIHOODS[name]().prepare(binary), binary)


def test_digits_and_all_zero_data_are_prepared_as_before() -> None:
    zeros = torch.zeros(2, 64)
    assert torch.equal(LIKELIHOODS["bernoulli"]().prepare(zeros), zeros)
    levels = torch.tensor([[0.0, 1.0, 8.0, 16.0]])
    assert LIKELIHOODS["bernoulli"]().prepare(levels).tolist() == [[0.0, 0.0, 1.0, 1.0]]


@pytest.mark.parametrize("name", ["poisson", "negative_binomial"])
def test_count_heads_take_any_count(name) -> None:
    head = LIKELIHOODS[name]()
    counts = torch.tensor([[0.0, 20.0, 1000.0]])
    assert torch.equal(head.prepare(counts), counts)
    for bad in (2.5, -1.0, math.inf):
        with pytest.raises(ValueError, match="whole-number counts >= 0"):
            head.prepare(torch.tensor([bad]))
    torch.testing.assert_close(head.encoder_input(counts), counts / 16)
    scaled = LIKELIHOODS[name](count_scale=1000.0)
    torch.testing.assert_close(scaled.encoder_input(counts), counts / 1000)
    with pytest.raises(ValueError, match=f"{name}: count_scale must be positive"):
        LIKELIHOODS[name](count_scale=0.0)


def test_defaults_tied_to_the_digits_are_named_in_errors() -> None:
    with pytest.raises(ValueError, match=r"num_levels=17; the default 17 is the digits' levels"):
        LIKELIHOODS["categorical"]()(torch.zeros(17 * 2)).log_prob(torch.tensor([20.0, 1.0]))
    with pytest.raises(ValueError, match=r"total_count=16; the default 16 is the digits' 16 cells"):
        LIKELIHOODS["binomial"]()(torch.zeros(2)).log_prob(torch.tensor([20.0, 1.0]))
    with pytest.raises(ValueError, match=r"num_levels=17"):
        LIKELIHOODS["discretized_logistic"]()(torch.zeros(4)).log_prob(torch.tensor([17.0, 1.0]))


# -- names -------------------------------------------------------------------------------------
def test_unknown_name_lists_the_valid_ones() -> None:
    with pytest.raises(KeyError) as info:
        LIKELIHOODS["gaussian"]
    message = str(info.value)
    assert isinstance(info.value, ValueError) and isinstance(info.value, UnknownLikelihoodError)
    assert "unknown likelihood 'gaussian'" in message and "did you mean 'gaussian_fixed'" in message
    for name in LIKELIHOODS:
        assert name in message
    # still a dict
    assert isinstance(LIKELIHOODS, dict) and LIKELIHOODS.get("gaussian") is None
    assert "bernoulli" in LIKELIHOODS and "gaussian" not in LIKELIHOODS
    assert dict(LIKELIHOODS) == {cls.name: cls for cls in LIKELIHOODS.values()}


# -- settings ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "setting"),
    [
        ("beta", "min_concentration"),
        ("poisson", "min_rate"),
        ("negative_binomial", "min_mean"),
        ("negative_binomial", "min_dispersion"),
        ("laplace", "min_scale"),
        ("student_t", "min_scale"),
    ],
)
@pytest.mark.parametrize("value", [-1.0, 0.0, math.nan, math.inf])
def test_floors_must_be_positive(name, setting, value) -> None:
    with pytest.raises(ValueError, match=f"{name}: {setting} must be a positive number"):
        LIKELIHOODS[name](**{setting: value})


# -- the Distribution contract -----------------------------------------------------------------
def test_empty_batch(variant) -> None:
    head = variant.make()
    d = 5
    dist = head(torch.zeros(0, head.params_per_dim * d))
    x = torch.zeros(0, d)
    assert dist.log_prob(x).shape == (0,)
    assert dist.log_prob_per_dim(x).shape == (0, d)
    assert dist.sample().shape == (0, d)


def test_infinite_x_is_refused(variant) -> None:
    head = variant.make()
    dist = head(torch.zeros(head.params_per_dim * 2))
    for value in (math.inf, -math.inf):
        with pytest.raises(ValueError, match=f"{head.name} expects x in"):
            dist.log_prob(torch.tensor([0.0, value]))


def test_image_shaped_x_is_refused_with_a_hint() -> None:
    head = LIKELIHOODS["bernoulli"]()
    dist = head(torch.zeros(6, 8))  # a decoder built for D = 8, batch of 6
    images = torch.zeros(6, 1, 8, 8)
    with pytest.raises(ValueError, match=r"does not match .* flatten images first"):
        dist.log_prob(images)
    dist64 = head(torch.zeros(6, 64))
    with pytest.raises(ValueError, match=r"trailing size 8, .* D = 64 .*flatten images first"):
        dist64.log_prob(images)


def test_expand(variant) -> None:
    torch.manual_seed(0)
    head = variant.make(F64)
    dist = head(torch.randn(3, head.params_per_dim * 4, dtype=F64))
    x = dist.sample()
    big = dist.expand((2, 3))
    assert big.batch_shape == (2, 3) and big.event_shape == (4,)
    torch.testing.assert_close(big.log_prob(x), dist.log_prob(x).expand(2, 3))
    torch.testing.assert_close(big.mean, dist.mean.expand(2, 3, 4))
    assert big.sample().shape == (2, 3, 4)


def support_grid(head, dist) -> torch.Tensor:
    """The whole support of a discrete head, or a fine grid for a continuous one."""
    s = head.support
    if s is constraints.boolean:
        return torch.tensor([0.0, 1.0], dtype=F64)
    if isinstance(s, constraints.integer_interval):
        return torch.arange(s.lower_bound, s.upper_bound + 1, dtype=F64)
    if s is constraints.nonnegative_integer:
        return torch.arange(0.0, 400.0, dtype=F64)
    if s is constraints.real:
        return torch.linspace(-30, 30, 120001, dtype=F64)
    return torch.linspace(1e-6, 1 - 1e-6, 20001, dtype=F64)


def test_mode_is_the_most_probable_value(variant) -> None:
    """Independent check: the mode's log-probability is the largest over the support (a fine
    grid for densities), per dimension."""
    torch.manual_seed(1)
    head = variant.make(F64)
    raw = torch.randn(head.params_per_dim * 3, dtype=F64)
    if variant.name == "beta":
        raw = raw.abs() + 1.0  # both concentrations above 1: an interior mode
    dist = head(raw)
    try:
        mode = dist.mode
    except NotImplementedError:
        pytest.fail(f"{head.name}: no mode")
    assert mode.shape == (3,) and mode.dtype == F64
    grid = support_grid(head, dist).unsqueeze(-1)  # [M, 1] against D = 3
    per_dim = dist.base_dist.log_prob(grid.expand(-1, 3))
    best = grid.squeeze(-1)[per_dim.argmax(0)]
    if head.discrete:
        torch.testing.assert_close(mode, best)
    else:
        at_mode = dist.base_dist.log_prob(mode)
        assert (at_mode >= per_dim.max(0).values - 1e-9).all()
        step = float(grid[1] - grid[0])
        assert ((mode - best).abs() <= 2 * step + 1e-12).all()


def test_continuous_bernoulli_mode() -> None:
    head = LIKELIHOODS["continuous_bernoulli"]()
    mode = head(torch.tensor([-3.0, 2.0, 0.0])).mode
    assert mode[:2].tolist() == [0.0, 1.0] and math.isnan(mode[2])


def test_entropy_against_scipy_and_summation(discrete_variant) -> None:
    torch.manual_seed(2)
    head = discrete_variant.make(F64)
    raw = torch.randn(head.params_per_dim * 3, dtype=F64) * 2
    dist = head(raw)
    h = dist.entropy()
    assert h.shape == ()
    base = dist.base_dist
    if head.name == "poisson":
        ref = [stats.poisson.entropy(r) for r in base.rate.tolist()]
    elif head.name == "negative_binomial":
        p = (1 - base.probs).tolist()
        ref = [
            stats.nbinom.entropy(r, q) for r, q in zip(base.total_count.tolist(), p, strict=True)
        ]
    else:  # finite support: sum of -p log p over it
        grid = support_grid(head, dist).unsqueeze(-1)
        log_p = base.log_prob(grid.expand(-1, 3))
        ref = (-(log_p.exp() * log_p).sum(0)).tolist()
    np.testing.assert_allclose(
        base.entropy().numpy(), np.array(ref, dtype=float), rtol=1e-8, atol=1e-10
    )
    assert h.item() == pytest.approx(sum(ref), rel=1e-8)


def test_count_entropy_of_large_rates_and_heavy_tails() -> None:
    poisson = LIKELIHOODS["poisson"]().to(F64)
    rate = torch.tensor([1e-6, 0.5, 40.0, 5000.0], dtype=F64)
    raw = rate + torch.log(-torch.expm1(-rate))  # softplus^-1 (the floor 1e-6 is negligible)
    h = poisson(raw).base_dist.entropy()
    ref = [stats.poisson.entropy(r) for r in poisson(raw).base_dist.rate.tolist()]
    np.testing.assert_allclose(h.numpy(), ref, rtol=1e-7, atol=1e-9)
    # a negative binomial whose tail does not fit in a million counts: NaN, not a wrong number
    nb = LIKELIHOODS["negative_binomial"]().to(F64)
    skewed = nb(torch.tensor([30.0, -30.0], dtype=F64)).base_dist  # mean 30, dispersion 1e-3
    r, p = skewed.total_count.item(), 1 - skewed.probs.item()
    # scipy's nbinom.entropy stops early here ("sum did not converge"): sum 3 million terms
    pmf = stats.nbinom.pmf(np.arange(3_000_000.0), r, p)
    assert pmf.sum() == pytest.approx(1.0, abs=1e-12)
    ref = -special.xlogy(pmf, pmf).sum()
    assert skewed.entropy().item() == pytest.approx(ref, rel=1e-9)
    heavy = nb(torch.tensor([1e6, -30.0], dtype=F64)).base_dist  # mean 1e6, dispersion 1e-3
    assert math.isnan(heavy.entropy().item())
