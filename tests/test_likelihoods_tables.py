"""The heads for table columns (zero-inflated Poisson / negative binomial, ordinal, log-normal,
hurdle log-normal) and the heterogeneous head: the contract of every head, its validation, its
behaviour at extreme raw outputs, and agreement with independent references (scipy.stats, sums
over the support, numerical integration)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import torch
from scipy import integrate, special, stats
from torch.distributions import constraints

from vae_tutorial.likelihoods import (
    LIKELIHOODS,
    TABLE_LIKELIHOODS,
    CumulativeLogit,
    HeterogeneousHead,
    LikelihoodHead,
)

F64 = torch.float64
VARIANTS = {
    "zero_inflated_poisson": {},
    "zero_inflated_negative_binomial": {},
    "ordinal-5": {"num_levels": 5},
    "ordinal-17-per-dim": {"num_levels": 17, "num_dims": 7},
    "lognormal": {},
    "hurdle_lognormal": {},
}


def make(vid: str, dtype=torch.float32) -> LikelihoodHead:
    name = vid.split("-")[0]
    return TABLE_LIKELIHOODS[name](**VARIANTS[vid]).to(dtype)


def softplus(r):
    return np.logaddexp(0.0, r)


def edge_values(head) -> list[float]:
    s = head.support
    if isinstance(s, constraints.integer_interval):
        return [0.0, float(s.upper_bound), float(s.upper_bound // 2)] * 2 + [1.0]
    if s is constraints.nonnegative_integer:
        return [0.0, 1.0, 16.0, 200.0, 0.0, 3.0, 1.0]
    if s is constraints.positive:
        return [1e-6, 1.0, 1e3, 0.3, 2.0, 50.0, 7.0]
    if s is constraints.nonnegative:
        return [0.0, 1e-6, 1.0, 1e3, 0.0, 2.0, 7.0]
    raise AssertionError(s)


def outside_value(head) -> float:
    s = head.support
    if isinstance(s, constraints.integer_interval):
        return float(s.upper_bound + 1)
    if s is constraints.positive:
        return 0.0
    return -1.0


ids = list(VARIANTS)


def test_registry() -> None:
    assert set(TABLE_LIKELIHOODS) == {
        "zero_inflated_poisson",
        "zero_inflated_negative_binomial",
        "ordinal",
        "lognormal",
        "hurdle_lognormal",
    }
    assert not set(TABLE_LIKELIHOODS) & set(LIKELIHOODS)
    for name, cls in TABLE_LIKELIHOODS.items():
        head = cls()
        assert head.name == name and head.validate_args
        assert isinstance(head.support, constraints.Constraint) and head.expects


# -- contract ----------------------------------------------------------------------------------
@pytest.mark.parametrize("vid", ids)
@pytest.mark.parametrize("batch_shape", [(), (3,), (2, 5)], ids=str)
def test_contract_shapes(vid, batch_shape) -> None:
    torch.manual_seed(0)
    head = make(vid)
    d = 7
    dist = head(torch.randn(*batch_shape, d * head.params_per_dim))
    assert dist.batch_shape == batch_shape and dist.event_shape == (d,)
    x = dist.sample()
    assert x.shape == (*batch_shape, d) and x.dtype == torch.float32
    assert bool(head.support.check(x).all())
    lp = dist.log_prob(x)
    assert lp.shape == batch_shape and torch.isfinite(lp).all()
    torch.testing.assert_close(dist.log_prob_per_dim(x).sum(-1), lp)
    xs = dist.sample((4,))
    assert xs.shape == (4, *batch_shape, d) and dist.log_prob(xs).shape == (4, *batch_shape)
    assert dist.mean.shape == (*batch_shape, d) and torch.isfinite(dist.mean).all()


@pytest.mark.parametrize("vid", ids)
def test_broadcasts_data_over_latent_samples_and_float64(vid) -> None:
    head = make(vid, F64)
    raw = torch.randn(5, 3, 7 * head.params_per_dim, dtype=F64)
    dist = head(raw)
    x = dist.sample()[0]
    assert x.dtype == dist.mean.dtype == dist.log_prob(x).dtype == F64
    torch.testing.assert_close(dist.log_prob(x)[2], head(raw[2]).log_prob(x))


EXTREME_RAW = [-30.0, -10.0, 0.0, 10.0, 30.0]


@pytest.mark.parametrize("vid", ids)
@pytest.mark.parametrize("dtype", [torch.float32, F64], ids=str)
def test_finite_at_extremes(vid, dtype) -> None:
    head = make(vid, dtype)
    x = torch.tensor(edge_values(head), dtype=dtype)
    p = head.params_per_dim
    rows = [
        torch.tensor(c, dtype=dtype).repeat_interleave(x.numel())
        for c in itertools.product(EXTREME_RAW, repeat=p)
    ]
    raw = torch.stack(rows).requires_grad_()
    dist = head(raw)
    lp = dist.log_prob_per_dim(x)
    assert torch.isfinite(lp).all(), (~torch.isfinite(lp)).nonzero()
    if head.discrete:
        assert (lp <= 1e-6).all()
    (grad,) = torch.autograd.grad(dist.log_prob(x).sum(), raw)
    assert torch.isfinite(grad).all()
    assert torch.isfinite(dist.mean).all() or vid.startswith(("lognormal", "hurdle"))
    s = dist.sample()
    assert bool(head.support.check(s).all())


@pytest.mark.parametrize("vid", ids)
def test_gradients_are_correct_float64(vid) -> None:
    torch.manual_seed(1)
    head = make(vid, F64)
    raw = torch.randn(2, 7 * head.params_per_dim, dtype=F64)
    x = head(raw).sample()
    raw.requires_grad_()
    assert torch.autograd.gradcheck(lambda r: head(r).log_prob(x), (raw,), eps=1e-6, atol=1e-5)


# -- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize("vid", ids)
def test_validation(vid) -> None:
    head = make(vid)
    name = head.name
    dist = head(torch.zeros(2, 7 * head.params_per_dim))
    x = dist.sample()
    bad = x.clone()
    bad[1, 2] = outside_value(head)
    with pytest.raises(ValueError, match=rf"^{name} expects x in "):
        dist.log_prob(bad)
    if head.discrete:
        frac = x.clone()
        frac[0, 0] = 0.5
        with pytest.raises(ValueError, match=name):
            dist.log_prob(frac)
    nan = x.clone()
    nan[0, 1] = float("nan")
    with pytest.raises(ValueError, match=rf"{name}.*NaN"):
        dist.log_prob(nan)
    with pytest.raises(ValueError, match=rf"{name}: x has trailing size 3"):
        dist.log_prob(x[:, :3])
    with pytest.raises(ValueError, match=rf"{name}: x must be a float tensor"):
        dist.log_prob(x.long())
    for value in (float("nan"), float("inf")):
        raw = torch.zeros(2, 7 * head.params_per_dim)
        raw[1, 3] = value
        with pytest.raises(ValueError, match=rf"{name}: raw decoder output contains"):
            head(raw)
    with pytest.raises(ValueError, match=rf"{name}: expected raw .*got shape \(2, 0\)"):
        head(torch.zeros(2, 0))


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("ordinal", {"num_levels": 1}, "num_levels"),
        ("ordinal", {"num_dims": 0}, "num_dims"),
        ("ordinal", {"min_gap": 0.0}, "min_gap"),
        ("lognormal", {"min_sigma": 0.0}, "min_sigma"),
        ("hurdle_lognormal", {"min_sigma": -1.0}, "min_sigma"),
        ("zero_inflated_poisson", {"min_rate": -1.0}, "min_rate"),
        ("zero_inflated_negative_binomial", {"min_dispersion": 0.0}, "min_dispersion"),
    ],
)
def test_bad_constructor_arguments(name, kwargs, message) -> None:
    with pytest.raises(ValueError, match=rf"{name}: .*{message}"):
        TABLE_LIKELIHOODS[name](**kwargs)


def test_ordinal_per_dim_cutpoints_need_matching_d() -> None:
    head = TABLE_LIKELIHOODS["ordinal"](num_levels=4, num_dims=3)
    with pytest.raises(ValueError, match="ordinal: the head has cut-points for 3 dimensions"):
        head(torch.zeros(2, 5))


# -- references ---------------------------------------------------------------------------------
RNG = np.random.default_rng(0)
RAW_ROWS = [RNG.normal(0, 2, size=3) for _ in range(6)] + [np.array([8.0, -6.0, 3.0])]


@pytest.mark.parametrize("r", RAW_ROWS, ids=lambda r: ",".join(f"{v:.1f}" for v in r))
def test_zip_against_scipy_and_sums_to_one(r) -> None:
    head = TABLE_LIKELIHOODS["zero_inflated_poisson"]().to(F64)
    rate, pi = softplus(r[0]) + 1e-6, special.expit(r[1])
    ks = np.arange(0, 200)
    ref = (1 - pi) * stats.poisson.pmf(ks, rate) + pi * (ks == 0)
    dist = head(torch.tensor([r[0], r[1]], dtype=F64))  # D = 1
    ours = dist.base_dist.log_prob(torch.tensor(ks, dtype=F64)).exp().numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-300)
    assert abs(ours.sum() - 1) < 1e-10
    np.testing.assert_allclose(dist.mean.item(), (ks * ref).sum(), rtol=1e-9)
    var = (ks**2 * ref).sum() - (ks * ref).sum() ** 2
    np.testing.assert_allclose(dist.base_dist.variance.item(), var, rtol=1e-8)


@pytest.mark.parametrize("r", RAW_ROWS, ids=lambda r: ",".join(f"{v:.1f}" for v in r))
def test_zinb_against_scipy_and_sums_to_one(r) -> None:
    head = TABLE_LIKELIHOODS["zero_inflated_negative_binomial"]().to(F64)
    mu, kappa, pi = softplus(r[0]) + 1e-6, softplus(r[1]) + 1e-3, special.expit(r[2])
    # scipy's nbinom(n, p): n = kappa, p = kappa / (kappa + mu) has mean mu
    ks = np.arange(0, int(stats.nbinom.isf(1e-14, kappa, kappa / (kappa + mu))) + 2)
    ref = (1 - pi) * stats.nbinom.pmf(ks, kappa, kappa / (kappa + mu)) + pi * (ks == 0)
    dist = head(torch.tensor(r, dtype=F64))
    ours = dist.base_dist.log_prob(torch.tensor(ks, dtype=F64)).exp().numpy()
    np.testing.assert_allclose(ours, ref, rtol=1e-8, atol=1e-300)
    assert abs(ours.sum() - 1) < 1e-10
    np.testing.assert_allclose(dist.mean.item(), (ks * ref).sum(), rtol=1e-8)
    var = (ks**2 * ref).sum() - (ks * ref).sum() ** 2
    np.testing.assert_allclose(dist.base_dist.variance.item(), var, rtol=1e-7)


@pytest.mark.parametrize("num_levels", [2, 3, 5, 17])
@pytest.mark.parametrize("location", [-40.0, -3.0, 0.0, 0.7, 5.0, 40.0])
def test_ordinal_probabilities_sum_to_one_and_match_the_definition(num_levels, location) -> None:
    g = torch.Generator().manual_seed(num_levels)
    cut = torch.sort(torch.randn(num_levels - 1, generator=g, dtype=F64) * 3).values
    dist = CumulativeLogit(torch.tensor(location, dtype=F64), cut, validate_args=True)
    probs = dist.log_probs.exp()
    assert abs(probs.sum().item() - 1) < 1e-12
    # the definition: differences of the logistic cdf at the cut-points (scipy's expit)
    cdf = np.concatenate([[0.0], special.expit(cut.numpy() - location), [1.0]])
    np.testing.assert_allclose(probs.numpy(), np.diff(cdf), rtol=1e-9, atol=1e-15)
    levels = torch.arange(num_levels, dtype=F64)
    torch.testing.assert_close(dist.log_prob(levels), dist.log_probs)
    np.testing.assert_allclose(
        dist.mean.item(), (np.arange(num_levels) * np.diff(cdf)).sum(), rtol=1e-9, atol=1e-14
    )


def test_ordinal_head_sums_to_one_and_orders_the_levels() -> None:
    torch.manual_seed(0)
    head = TABLE_LIKELIHOODS["ordinal"](num_levels=5, num_dims=3).to(F64)
    with torch.no_grad():
        head.raw_gaps.normal_()
        head.first_cutpoint.normal_()
    assert (head.cutpoints.diff(dim=-1) > 0).all()
    locations = torch.linspace(-6, 6, 13, dtype=F64)[:, None].expand(13, 3).contiguous()
    dist = head(locations)
    probs = dist.base_dist.probs
    torch.testing.assert_close(probs.sum(-1), torch.ones(13, 3, dtype=F64))
    # a larger location moves mass upwards: P(x <= k) falls, so the mean rises
    assert (dist.mean.diff(dim=0) > 0).all()
    # the head starts with equal probabilities at location 0
    fresh = TABLE_LIKELIHOODS["ordinal"](num_levels=5)
    torch.testing.assert_close(fresh(torch.zeros(1)).base_dist.probs, torch.full((1, 5), 0.2))


def test_ordinal_cutpoints_are_learned() -> None:
    head = TABLE_LIKELIHOODS["ordinal"](num_levels=4)
    head(torch.zeros(3, 2)).log_prob(torch.tensor([[3.0, 3.0]] * 3)).sum().backward()
    assert head.first_cutpoint.grad is not None and head.raw_gaps.grad.abs().sum() > 0


def test_cumulative_logit_refuses_unordered_cutpoints() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        CumulativeLogit(torch.tensor(0.0), torch.tensor([0.0, -1.0]), validate_args=True)


def integral_over_log_x(dist, mu: float, sigma: float, power: int = 0) -> float:
    """int_0^inf x^power p(x) dx, computed in t = log x (dx = e^t dt) over mu +- 40 sigma."""

    def f(t: float) -> float:
        return math.exp(
            dist.log_prob(torch.tensor(math.exp(t), dtype=F64)).item() + (1 + power) * t
        )

    total, _ = integrate.quad(f, mu - 40 * sigma, mu + 40 * sigma, points=[mu], limit=200)
    return total


@pytest.mark.parametrize("r", RAW_ROWS[:4], ids=str)
def test_lognormal_against_scipy_and_integrates_to_one(r) -> None:
    head = TABLE_LIKELIHOODS["lognormal"]().to(F64)
    mu, sigma = r[0], softplus(r[1]) + 1e-3
    xs = np.array([1e-3, 0.1, 1.0, 2.5, 40.0])
    dist = head(torch.tensor(r[:2], dtype=F64))
    ours = dist.base_dist.log_prob(torch.tensor(xs, dtype=F64)).numpy()
    np.testing.assert_allclose(ours, stats.lognorm.logpdf(xs, s=sigma, scale=np.exp(mu)))
    total = integral_over_log_x(dist.base_dist, mu, sigma)
    assert abs(total - 1) < 1e-7


@pytest.mark.parametrize("r", RAW_ROWS[:5], ids=str)
def test_hurdle_against_scipy_and_integrates_to_one_over_the_mixed_measure(r) -> None:
    """Mass at 0 plus the integral of the density over (0, inf) (measure delta_0 + length) = 1."""
    head = TABLE_LIKELIHOODS["hurdle_lognormal"]().to(F64)
    pi, mu, sigma = special.expit(r[0]), r[1], softplus(r[2]) + 1e-3
    dist = head(torch.tensor(r, dtype=F64)).base_dist
    xs = np.array([0.0, 1e-3, 0.5, 1.0, 7.0])
    ours = dist.log_prob(torch.tensor(xs, dtype=F64)).numpy()
    ref = np.where(
        xs == 0,
        np.log(pi),
        np.log1p(-pi) + stats.lognorm.logpdf(np.where(xs > 0, xs, 1), s=sigma, scale=np.exp(mu)),
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-10)
    mass_at_zero = dist.log_prob(torch.zeros((), dtype=F64)).exp().item()
    density = integral_over_log_x(dist, mu, sigma)
    assert abs(mass_at_zero + density - 1) < 1e-7
    mean = integral_over_log_x(dist, mu, sigma, power=1)
    np.testing.assert_allclose(dist.mean.item(), mean, rtol=1e-6)


@pytest.mark.parametrize("vid", ids)
def test_mean_matches_samples(vid) -> None:
    torch.manual_seed(0)
    head = make(vid, F64)
    raw = torch.randn(7 * head.params_per_dim, dtype=F64).clamp(-1.5, 1.5)
    dist = head(raw)
    draws = dist.sample((40000,))
    sd = draws.std(0) / math.sqrt(40000)
    assert ((draws.mean(0) - dist.mean).abs() < 5 * sd + 1e-9).all()


# -- masks: missing entries change neither the value nor the gradient ------------------------------
def mask_cases():
    from conftest import VARIANTS as DIGIT_VARIANTS

    for v in DIGIT_VARIANTS:
        yield pytest.param(lambda v=v: v.make(F64), id=v.id)
    for vid in ids:
        yield pytest.param(lambda vid=vid: make(vid, F64), id=vid)
    yield pytest.param(lambda: fair_like_head().to(F64), id="heterogeneous")


def fair_like_head() -> HeterogeneousHead:
    return HeterogeneousHead(
        {
            "rating": TABLE_LIKELIHOODS["ordinal"](num_levels=5),
            "children": TABLE_LIKELIHOODS["zero_inflated_negative_binomial"](),
            "job": LIKELIHOODS["categorical"](num_levels=6),
            "income": TABLE_LIKELIHOODS["lognormal"](),
            "affairs": TABLE_LIKELIHOODS["hurdle_lognormal"](),
            "height": LIKELIHOODS["gaussian_diagonal"](),
            "smokes": LIKELIHOODS["bernoulli"](),
        }
    )


@pytest.mark.parametrize("make_head", list(mask_cases()))
def test_masked_entries_change_neither_value_nor_gradient(make_head) -> None:
    torch.manual_seed(0)
    head = make_head()
    d = 7
    raw = torch.randn(3, 4, d * head.params_per_dim, dtype=F64)  # [S, N, D*P]
    x = head(raw).sample()[0]  # [N, D]
    mask = torch.rand(4, d) < 0.6
    mask[0] = True
    mask[1] = False
    garbage = x.clone()
    garbage[~mask] = float("nan")

    def value_and_grad(values, use_mask):
        r = raw.clone().requires_grad_()
        for p in head.parameters():
            p.grad = None
        dist = head(r)
        lp = (
            dist.log_prob(values, mask=mask)
            if use_mask
            else (dist.log_prob_per_dim(values) * mask).sum(-1)
        )
        lp.sum().backward()
        params = [p.grad.clone() for p in head.parameters() if p.grad is not None]
        return lp.detach(), r.grad, params

    lp_nan, grad_nan, pg_nan = value_and_grad(garbage, True)
    lp_ref, grad_ref, pg_ref = value_and_grad(x, False)
    assert lp_nan.shape == (3, 4)
    assert torch.isfinite(lp_nan).all() and torch.isfinite(grad_nan).all()
    torch.testing.assert_close(lp_nan, lp_ref)
    torch.testing.assert_close(grad_nan, grad_ref)
    for a, b in zip(pg_nan, pg_ref, strict=True):
        torch.testing.assert_close(a, b)
    assert (lp_nan[:, 1] == 0).all()  # a row with nothing observed has log-likelihood 0
    # a different garbage value at the missing entries gives the very same numbers
    lp_other, grad_other, _ = value_and_grad(torch.where(mask, x, torch.full_like(x, 1e6)), True)
    torch.testing.assert_close(lp_other, lp_nan)
    torch.testing.assert_close(grad_other, grad_nan)
    per_dim = head(raw).log_prob_per_dim(garbage, mask=mask)
    assert (per_dim[:, ~mask] == 0).all()


def test_mask_must_be_bool_and_broadcast() -> None:
    head = LIKELIHOODS["poisson"]()
    dist = head(torch.zeros(2, 3))
    x = torch.ones(2, 3)
    with pytest.raises(ValueError, match="poisson: mask must be a bool tensor"):
        dist.log_prob(x, mask=torch.ones(2, 3))
    with pytest.raises(ValueError, match="poisson: mask of shape \\(2, 2\\)"):
        dist.log_prob(x, mask=torch.ones(2, 2, dtype=torch.bool))
    # observed entries are still validated
    with pytest.raises(ValueError, match="poisson expects x in"):
        dist.log_prob(torch.tensor([[0.5, 1.0, 1.0]] * 2), mask=torch.ones(2, 3, dtype=torch.bool))
    # a full mask is the unmasked log-probability
    torch.testing.assert_close(
        dist.log_prob(x, mask=torch.ones(3, dtype=torch.bool)), dist.log_prob(x)
    )


# -- the heterogeneous head ---------------------------------------------------------------------
def test_heterogeneous_sums_the_columns_and_keeps_the_raw_layout() -> None:
    torch.manual_seed(0)
    head = fair_like_head().to(F64)
    d, p = 7, head.params_per_dim
    assert p == 6  # the categorical column needs 6 logits
    raw = torch.randn(5, d * p, dtype=F64)
    dist = head(raw)
    x = dist.sample()
    per_col = dist.log_prob_per_column(x)
    assert list(per_col) == list(head.column_names)
    torch.testing.assert_close(sum(per_col.values()), dist.log_prob(x))
    blocks = raw.unflatten(-1, (p, d))
    for c, (name, col_head) in enumerate(head.column_heads.items()):
        own = torch.cat([blocks[:, j, c : c + 1] for j in range(col_head.params_per_dim)], -1)
        reference = col_head(own).log_prob(x[:, c : c + 1])  # the column head alone, D = 1
        torch.testing.assert_close(per_col[name], reference, msg=name)
        torch.testing.assert_close(dist.mean[:, c], col_head(own).mean[:, 0])
    assert bool(head.support.check(x).all())


def test_heterogeneous_unused_raw_entries_get_no_gradient() -> None:
    head = fair_like_head()
    raw = torch.randn(2, 7 * head.params_per_dim, requires_grad=True)
    dist = head(raw)
    dist.log_prob(dist.sample()).sum().backward()
    used = torch.zeros(head.params_per_dim, 7, dtype=torch.bool)
    for c, h in enumerate(head.column_heads.values()):
        used[: h.params_per_dim, c] = True
    grad = raw.grad.unflatten(-1, (head.params_per_dim, 7))
    assert (grad[:, ~used] == 0).all()
    assert (grad[:, used] != 0).any()


def test_heterogeneous_errors_name_the_column() -> None:
    head = fair_like_head()
    dist = head(torch.zeros(2, 7 * head.params_per_dim))
    x = dist.sample()
    x[1, 2] = 7.0
    with pytest.raises(ValueError, match=r"heterogeneous: column 'job': categorical expects x in"):
        dist.log_prob(x)
    with pytest.raises(ValueError, match=r"column 'job'"):
        head.check_value(x)
    x[1, 2] = 0.0
    x[0, 3] = -2.0
    with pytest.raises(ValueError, match=r"column 'income': lognormal expects x in positive"):
        dist.log_prob(x)
    x[0, 3] = float("nan")
    with pytest.raises(ValueError, match=r"column 'income': .*NaN"):
        dist.log_prob(x)
    with pytest.raises(ValueError, match=r"heterogeneous: x has trailing size 3, the head has 7"):
        dist.log_prob(x[:, :3])
    with pytest.raises(ValueError, match=r"heterogeneous: expected raw .*7 \* 6"):
        head(torch.zeros(2, 8 * 6))
    with pytest.raises(ValueError, match=r"heterogeneous: expected raw .*trailing size"):
        head(torch.zeros(2, 7 * 6 + 1))
    with pytest.raises(ValueError, match="column names must be unique"):
        HeterogeneousHead([("a", LIKELIHOODS["poisson"]()), ("a", LIKELIHOODS["poisson"]())])
    with pytest.raises(ValueError, match="column 'b' needs a single-column likelihood head"):
        HeterogeneousHead({"a": LIKELIHOODS["poisson"](), "b": fair_like_head()})
    with pytest.raises(ValueError, match=r"encoder_loc and encoder_scale must have shape \(1,\)"):
        HeterogeneousHead({"a": LIKELIHOODS["poisson"]()}, encoder_scale=torch.zeros(1))


def test_heterogeneous_in_a_vae() -> None:
    from vae_tutorial.model import VAE
    from vae_tutorial.objectives import elbo, iwae_bound

    torch.manual_seed(0)
    head = fair_like_head()
    model = VAE(head, data_dim=7, latent_dim=2, hidden=(16,))
    _, dist = model.sample(10)
    x = dist.sample()
    terms = elbo(model, x)
    assert terms.elbo.shape == (10,) and torch.isfinite(terms.elbo).all()
    log_px = iwae_bound(model, x, k=20)
    assert (log_px >= terms.elbo - 5).all()
    head.encoder_loc.fill_(1.0)
    torch.testing.assert_close(head.encoder_input(x), x - 1.0)


# -- yardstick heads for Gaussian (MSE) models ----------------------------------------------------
GRID = (17.5, 22.0, 27.0, 32.0, 37.0, 42.0)


@pytest.mark.parametrize("raw", [-40.0, -3.0, 0.0, 0.4, 3.0, 40.0])
def test_grid_gaussian_is_the_rounded_gaussian(raw) -> None:
    from vae_tutorial.likelihoods.grid_gaussian import GridGaussianHead

    head = GridGaussianHead(GRID, loc=29.0, scale=6.8, sigma=0.7).to(F64)
    dist = head(torch.tensor([raw], dtype=F64))
    x = torch.tensor(GRID, dtype=F64)
    probs = dist.base_dist.log_prob(x).exp().numpy()
    mu, s = 29.0 + 6.8 * raw, 6.8 * 0.7
    edges = np.concatenate([[-np.inf], (np.array(GRID[1:]) + GRID[:-1]) / 2, [np.inf]])
    ref = np.diff(stats.norm.cdf(edges, mu, s))
    np.testing.assert_allclose(probs, ref, rtol=1e-9, atol=1e-15)
    assert abs(probs.sum() - 1) < 1e-12
    r = torch.tensor([raw], dtype=F64, requires_grad=True)
    (g,) = torch.autograd.grad(head(r).log_prob_per_dim(x).sum(), r)
    assert torch.isfinite(g).all() and torch.isfinite(head(r).log_prob_per_dim(x)).all()
    with pytest.raises(ValueError, match=r"grid_gaussian expects x in one of 17.5, 22"):
        head(torch.zeros(1)).log_prob(torch.tensor([23.0]))


@pytest.mark.parametrize("raw", [-30.0, -1.0, 0.0, 2.0, 30.0])
def test_censored_gaussian_is_tobit(raw) -> None:
    from vae_tutorial.likelihoods.censored_gaussian import CensoredGaussianHead

    head = CensoredGaussianHead(loc=0.7, scale=2.2, sigma=0.8).to(F64)
    dist = head(torch.tensor([raw], dtype=F64)).base_dist
    mu, s = 0.7 + 2.2 * raw, 2.2 * 0.8
    xs = np.array([0.0, 0.3, 5.0])
    ours = dist.log_prob(torch.tensor(xs, dtype=F64)).numpy()
    ref = np.where(xs == 0, stats.norm.logcdf(0, mu, s), stats.norm.logpdf(xs, mu, s))
    np.testing.assert_allclose(ours, ref, rtol=1e-9)
    assert np.isfinite(ours).all()
    mass = stats.norm.cdf(0, mu, s)
    density, _ = integrate.quad(lambda t: stats.norm.pdf(t, mu, s), 0, np.inf)
    assert abs(mass + density - 1) < 1e-9
    mean = stats.norm.expect(lambda t: max(t, 0.0), loc=mu, scale=s)
    np.testing.assert_allclose(dist.mean.item(), mean, rtol=1e-6, atol=1e-12)
    with pytest.raises(ValueError, match="censored_gaussian expects x in real numbers >= 0"):
        head(torch.zeros(1)).log_prob(torch.tensor([-0.5]))
