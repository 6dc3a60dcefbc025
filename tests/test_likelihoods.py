"""The contract every likelihood head satisfies, its input validation, and its behaviour at the
extremes (huge raw outputs, values on the edge of the support): finite log-probabilities and
finite gradients, never a silent NaN."""

from __future__ import annotations

import itertools
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.distributions import Distribution, constraints

from vae_tutorial.likelihoods import LIKELIHOODS, HeadDistribution, OpenInterval

FAMILIES = {
    "bernoulli",
    "continuous_bernoulli",
    "gaussian_fixed",
    "gaussian_shared",
    "gaussian_diagonal",
    "laplace",
    "student_t",
    "beta",
    "categorical",
    "discretized_logistic",
    "discretized_gaussian",
    "discretized_laplace",
    "binomial",
    "poisson",
    "negative_binomial",
}


def edge_values(head) -> list[float]:
    """Values on (or next to) the edge of the support of ``head``, plus an interior one."""
    s = head.support
    if s is constraints.boolean:
        return [0.0, 1.0]
    if s is constraints.unit_interval:
        return [0.0, 1.0, 0.5]
    if isinstance(s, OpenInterval):
        return [1e-6, 1.0 - 1e-6, 0.5]
    if isinstance(s, constraints.integer_interval):
        return [0.0, float(s.upper_bound), float(s.upper_bound // 2)]
    if s is constraints.nonnegative_integer:
        return [0.0, 1.0, 16.0, 200.0]
    if s is constraints.real:
        return [0.0, 1.0, -5.0, 5.0]
    raise AssertionError(f"no edge values for support {s}")


def outside_value(head) -> float | None:
    """A value just outside the support, or None for the real line."""
    s = head.support
    if s is constraints.boolean:
        return 0.5
    if s is constraints.unit_interval:
        return 1.5
    if isinstance(s, OpenInterval):
        return 0.0
    if isinstance(s, constraints.integer_interval):
        return float(s.upper_bound + 1)
    if s is constraints.nonnegative_integer:
        return -1.0
    return None


# -- the registry and the module ---------------------------------------------------------------
def test_registry_has_every_family() -> None:
    assert set(LIKELIHOODS) == FAMILIES
    assert len(LIKELIHOODS) == 15
    for name, cls in LIKELIHOODS.items():
        head = cls()  # sensible defaults
        assert head.name == name
        assert isinstance(head, nn.Module)
        assert head.validate_args is True  # validation on by default
        assert isinstance(head.params_per_dim, int) and head.params_per_dim >= 1
        assert isinstance(head.support, constraints.Constraint)
        assert isinstance(head.expects, str) and head.expects


def test_params_per_dim_of_each_variant() -> None:
    expected = {
        ("bernoulli", ()): 1,
        ("continuous_bernoulli", ()): 1,
        ("gaussian_fixed", ()): 1,
        ("gaussian_shared", ()): 1,
        ("gaussian_diagonal", ()): 2,
        ("laplace", ()): 2,
        ("laplace", (("scale", 0.1),)): 1,
        ("student_t", ()): 2,
        ("student_t", (("df", None),)): 3,
        ("beta", ()): 2,
        ("categorical", ()): 17,
        ("categorical", (("num_levels", 256),)): 256,
        ("discretized_logistic", ()): 2,
        ("discretized_logistic", (("num_components", 5),)): 15,
        ("binomial", ()): 1,
        ("poisson", ()): 1,
        ("negative_binomial", ()): 2,
    }
    for (name, kwargs), p in expected.items():
        assert LIKELIHOODS[name](**dict(kwargs)).params_per_dim == p, (name, kwargs)


def test_gaussian_shared_sigma_is_a_parameter() -> None:
    head = LIKELIHOODS["gaussian_shared"]()
    params = dict(head.named_parameters())
    assert "log_sigma" in params and params["log_sigma"].requires_grad
    raw = torch.randn(4, 64)
    head(raw).log_prob(torch.rand(4, 64)).sum().backward()
    assert head.log_sigma.grad is not None and torch.isfinite(head.log_sigma.grad)


def test_gaussian_diagonal_sigma_transforms() -> None:
    """``"exp"`` reads the raw value as a log-variance (Wikipedia's N(f1(z), exp(f2(z))))."""
    raw = torch.linspace(-20.0, 20.0, 41, dtype=torch.float64)
    mean = torch.linspace(-1.0, 1.0, 41, dtype=torch.float64)
    wiki = LIKELIHOODS["gaussian_diagonal"](min_sigma=0.0, sigma_transform="exp")
    dist = wiki(torch.cat([mean, raw])).base_dist
    assert torch.allclose(dist.variance, raw.exp(), rtol=1e-12)
    assert torch.equal(dist.loc, mean)
    floored = LIKELIHOODS["gaussian_diagonal"](min_sigma=0.02, sigma_transform="exp")
    assert torch.allclose(floored.sigma(raw), (0.5 * raw).exp() + 0.02, rtol=1e-12)
    soft = LIKELIHOODS["gaussian_diagonal"](min_sigma=0.0)
    assert soft.sigma_transform == "softplus"
    assert torch.allclose(soft.sigma(raw), torch.nn.functional.softplus(raw), rtol=1e-12)
    # for small sigma both maps are exponential in raw: softplus(r) ~ e^r, exp(r/2) = e^(r/2)
    assert torch.allclose(soft.sigma(raw[:5]).log(), raw[:5], atol=1e-6)
    assert "sigma_transform='exp'" in repr(wiki) and "sigma_transform" not in repr(soft)


def test_other_heads_have_no_parameters(variant) -> None:
    head = variant.make()
    n = sum(p.numel() for p in head.parameters())
    assert n == (1 if variant.name == "gaussian_shared" else 0)


# -- shapes -----------------------------------------------------------------------------------
@pytest.mark.parametrize("batch_shape", [(), (3,), (2, 5)], ids=str)
def test_contract_shapes(variant, batch_shape) -> None:
    torch.manual_seed(0)
    head = variant.make()
    d = 7
    raw = torch.randn(*batch_shape, d * head.params_per_dim)
    dist = head(raw)
    assert isinstance(dist, Distribution) and isinstance(dist, HeadDistribution)
    assert dist.batch_shape == torch.Size(batch_shape)
    assert dist.event_shape == torch.Size((d,))
    assert dist.base_dist.batch_shape == torch.Size((*batch_shape, d))

    x = dist.sample()
    assert x.shape == (*batch_shape, d) and x.dtype == torch.float32
    assert bool(head.support.check(x).all()), f"sample outside the support: {x}"
    lp = dist.log_prob(x)
    assert lp.shape == batch_shape and lp.dtype == torch.float32
    assert torch.isfinite(lp).all()
    assert dist.log_prob_per_dim(x).shape == (*batch_shape, d)
    torch.testing.assert_close(dist.log_prob_per_dim(x).sum(-1), lp)

    xs = dist.sample((4,))
    assert xs.shape == (4, *batch_shape, d)
    assert dist.log_prob(xs).shape == (4, *batch_shape)
    assert dist.mean.shape == (*batch_shape, d)
    assert torch.isfinite(dist.mean).all()


def test_log_prob_broadcasts_data_over_latent_samples(variant) -> None:
    """The ELBO's pattern: batch [S, N] from z [S, N, L]; data x [N, D]."""
    head = variant.make()
    raw = torch.randn(5, 3, 8 * head.params_per_dim)
    dist = head(raw)
    x = dist.sample()[0]  # [3, 8]
    lp = dist.log_prob(x)
    assert lp.shape == (5, 3)
    torch.testing.assert_close(lp[2], head(raw[2]).log_prob(x))


def test_float64_raw_gives_float64(variant) -> None:
    head = variant.make(torch.float64)
    dist = head(torch.randn(2, 5 * head.params_per_dim, dtype=torch.float64))
    x = dist.sample()
    assert x.dtype == dist.mean.dtype == dist.log_prob(x).dtype == torch.float64


def test_prepare_lands_in_support(variant) -> None:
    head = variant.make()
    levels = torch.arange(17.0).repeat(2, 1)
    x = head.prepare(levels)
    assert x.shape == levels.shape and x.dtype == torch.float32
    assert bool(head.support.check(x).all())
    dist = head(torch.zeros(2, 17 * head.params_per_dim))
    assert torch.isfinite(dist.log_prob(x)).all()


# -- extremes: finite values and gradients ----------------------------------------------------
EXTREME_RAW = [-30.0, -10.0, 0.0, 10.0, 30.0]


def extreme_raw(head, d: int, dtype=torch.float32) -> torch.Tensor:
    """Rows of raw outputs built from extreme values (every combination when P <= 3)."""
    p = head.params_per_dim
    if p <= 3:
        rows = [
            torch.tensor(combo, dtype=dtype).repeat_interleave(d)
            for combo in itertools.product(EXTREME_RAW, repeat=p)
        ]
        return torch.stack(rows)
    g = torch.Generator().manual_seed(0)
    idx = torch.randint(len(EXTREME_RAW), (64, p * d), generator=g)
    return torch.tensor(EXTREME_RAW, dtype=dtype)[idx]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64], ids=str)
def test_finite_log_prob_and_gradient_at_extremes(variant, dtype) -> None:
    head = variant.make(dtype)
    x = torch.tensor(edge_values(head), dtype=dtype)
    raw = extreme_raw(head, x.numel(), dtype).requires_grad_()
    dist = head(raw)
    lp = dist.log_prob_per_dim(x)
    assert torch.isfinite(lp).all(), (
        f"non-finite log-prob at rows {(~torch.isfinite(lp)).nonzero()}"
    )
    assert (lp <= 1e-6).all() or not head.discrete  # a probability is at most 1
    (grad,) = torch.autograd.grad(dist.log_prob(x).sum(), raw)
    assert torch.isfinite(grad).all(), f"non-finite gradient at {(~torch.isfinite(grad)).nonzero()}"
    assert torch.isfinite(dist.mean).all()
    s = dist.sample()
    assert bool(head.support.check(s).all())
    assert torch.isfinite(dist.log_prob(s)).all()


@given(raw=st.lists(st.floats(-30, 30), min_size=1, max_size=3))
def test_finite_at_random_extremes_hypothesis(raw) -> None:
    """Every head, every edge value, raw drawn anywhere in [-30, 30]."""
    for name, cls in LIKELIHOODS.items():
        head = cls()
        x = torch.tensor(edge_values(head))
        p = head.params_per_dim
        r = torch.tensor([raw[i % len(raw)] for i in range(p)]).repeat_interleave(x.numel())
        r.requires_grad_()
        lp = head(r).log_prob(x)
        (grad,) = torch.autograd.grad(lp, r)
        assert torch.isfinite(lp), name
        assert torch.isfinite(grad).all(), name


def test_gradients_are_correct_float64(variant) -> None:
    """Autograd's gradient of log p(x|z) w.r.t. raw agrees with finite differences."""
    torch.manual_seed(1)
    head = variant.make(torch.float64)
    d = 3
    raw = torch.randn(2, d * head.params_per_dim, dtype=torch.float64)
    x = head(raw).sample()
    raw.requires_grad_()
    assert torch.autograd.gradcheck(lambda r: head(r).log_prob(x), (raw,), eps=1e-6, atol=1e-5)


# -- validation: clear ValueErrors naming the family ------------------------------------------
@pytest.mark.parametrize(
    ("name", "kwargs", "bad"),
    [
        ("continuous_bernoulli", {}, 16.0),
        ("continuous_bernoulli", {}, -0.1),
        ("binomial", {}, 17.0),
        ("binomial", {}, 2.5),
        ("binomial", {}, -1.0),
        ("bernoulli", {}, 0.5),
        ("beta", {}, 0.0),
        ("beta", {}, 1.0),
        ("categorical", {}, 17.0),
        ("categorical", {"num_levels": 256}, 256.0),
        ("categorical", {}, 3.5),
        ("discretized_logistic", {}, 17.0),
        ("discretized_logistic", {"num_components": 3}, -1.0),
        ("poisson", {}, -1.0),
        ("poisson", {}, 0.5),
        ("negative_binomial", {}, 1.5),
    ],
)
def test_value_outside_support_is_refused(name, kwargs, bad) -> None:
    head = LIKELIHOODS[name](**kwargs)
    dist = head(torch.zeros(2, 4 * head.params_per_dim))
    x = head(torch.zeros(2, 4 * head.params_per_dim)).sample()
    x[1, 2] = bad
    with pytest.raises(ValueError, match=rf"^{name} expects x in .*{bad:.4g}"):
        dist.log_prob(x)
    with pytest.raises(ValueError, match=name):
        dist.log_prob_per_dim(x)
    with pytest.raises(ValueError, match=name):
        head.check_value(x)


def test_message_says_what_was_expected() -> None:
    head = LIKELIHOODS["continuous_bernoulli"]()
    with pytest.raises(ValueError) as info:
        head(torch.zeros(1, 3)).log_prob(torch.tensor([[0.0, 16.0, 1.0]]))
    msg = str(info.value)
    assert "continuous_bernoulli expects x in [0, 1]" in msg and "max 16" in msg


def test_every_head_refuses_out_of_support(variant) -> None:
    head = variant.make()
    bad = outside_value(head)
    if bad is None:
        assert head.support is constraints.real
        return
    x = torch.full((1, 3), bad)
    with pytest.raises(ValueError, match=variant.name):
        head(torch.zeros(1, 3 * head.params_per_dim)).log_prob(x)


def test_nan_in_x_is_refused(variant) -> None:
    head = variant.make()
    dist = head(torch.zeros(2, 4 * head.params_per_dim))
    x = dist.sample()
    x[0, 1] = float("nan")
    with pytest.raises(ValueError, match=rf"{variant.name}.*NaN"):
        dist.log_prob(x)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_raw_is_refused(variant, value) -> None:
    head = variant.make()
    raw = torch.zeros(2, 4 * head.params_per_dim)
    raw[1, 3] = value
    with pytest.raises(ValueError, match=rf"{variant.name}: raw decoder output contains"):
        head(raw)


def test_wrong_raw_size_is_refused(variant) -> None:
    head = variant.make()
    with pytest.raises(ValueError, match=rf"{variant.name}: expected raw .*got shape \(2, 0\)"):
        head(torch.zeros(2, 0))  # no dimension at all
    if head.params_per_dim == 1:
        return  # any positive size is D * 1
    with pytest.raises(ValueError, match=rf"{variant.name}: expected raw .*trailing size"):
        head(torch.zeros(2, 4 * head.params_per_dim + 1))


def test_wrong_x_size_and_type_are_refused(variant) -> None:
    head = variant.make()
    dist = head(torch.zeros(2, 4 * head.params_per_dim))
    x = dist.sample()
    with pytest.raises(ValueError, match=rf"{variant.name}: x has trailing size 3"):
        dist.log_prob(x[:, :3])
    with pytest.raises(ValueError, match=rf"{variant.name}: x must be a float tensor"):
        dist.log_prob(x.long())
    with pytest.raises(ValueError, match=rf"{variant.name}: raw decoder output must be a float"):
        head(torch.zeros(2, 4 * head.params_per_dim, dtype=torch.long))


def test_validation_can_be_switched_off() -> None:
    head = LIKELIHOODS["bernoulli"](validate_args=False)
    dist = head(torch.zeros(1, 2))
    lp = dist.log_prob(torch.tensor([[0.5, 1.0]]))  # no check: BCE on a grey value
    assert math.isclose(lp.item(), 2 * -math.log(2.0), rel_tol=1e-6)


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("gaussian_fixed", {"sigma": 0.0}, "sigma must be positive"),
        ("gaussian_diagonal", {"min_sigma": -1.0}, "min_sigma"),
        ("gaussian_diagonal", {"sigma_transform": "square"}, "sigma_transform"),
        ("laplace", {"scale": -1.0}, "scale must be positive"),
        ("student_t", {"df": 0.0}, "df must be positive"),
        ("categorical", {"num_levels": 1}, "num_levels"),
        ("discretized_logistic", {"num_components": 0}, "num_components"),
        ("binomial", {"total_count": 0}, "total_count"),
        ("gaussian_shared", {"init_sigma": 0.0}, "min_sigma"),
    ],
)
def test_bad_constructor_arguments(name, kwargs, message) -> None:
    with pytest.raises(ValueError, match=rf"{name}: .*{message}"):
        LIKELIHOODS[name](**kwargs)


def test_continuous_head_bins_and_discrete_head_has_none(variant) -> None:
    head = variant.make()
    levels = torch.arange(17.0)
    if head.discrete:
        with pytest.raises(ValueError, match=variant.name):
            head.bin_edges(levels)
        return
    lo, hi = head.bin_edges(levels)
    x = head.prepare(levels)
    assert (lo <= x).all() and (x <= hi).all() and (lo < hi).all()
