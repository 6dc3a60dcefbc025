"""discrete_log_likelihood: equal to iwae_bound for discrete heads; for a continuous head, every
method is a lower bound of log P(levels) that tightens with k, checked on a 1-D linear Gaussian
model where P(level) = Phi(upper) - Phi(lower) is known exactly (open edge bins; the clipped
demonstration against its own clipped bins)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from vae_tutorial import evaluation, load_digits
from vae_tutorial.evaluation import discrete_log_likelihood
from vae_tutorial.likelihoods import LIKELIHOODS
from vae_tutorial.model import VAE

F64 = torch.float64
SIGMA, W, B = 0.1, 0.2, 0.45


def z_free_model(head, data_dim: int = 64, seed: int = 0) -> tuple[VAE, torch.Tensor]:
    """A float64 VAE whose decoder ignores z (raw output = a random bias) and whose encoder is
    the prior, q(z|x) = N(0, I) = p(z): every importance weight is p(x | bias) exactly."""
    model = VAE(head, data_dim=data_dim, latent_dim=2, hidden=()).to(F64)
    raw = (
        torch.randn(
            data_dim * head.params_per_dim, generator=torch.Generator().manual_seed(seed), dtype=F64
        )
        * 2
    )
    with torch.no_grad():
        model.decoder.net[0].weight.zero_()
        model.decoder.net[0].bias.copy_(raw)
        enc = model.encoder.net[0]
        enc.weight.zero_()
        enc.bias.zero_()
        one = torch.tensor(1.0 - model.encoder.min_std, dtype=F64)
        enc.bias[2:] = one + torch.log(-torch.expm1(-one))  # softplus^-1: std exactly 1
    return model, raw


def test_discrete_heads_score_the_decoder_distribution(discrete_variant) -> None:
    """log P(levels) of a z-free model is the sum over pixels of the head's pmf at the head's
    representation of the levels, computed independently with scipy (any k: no noise)."""
    from test_likelihoods_numerics import reference_log_prob

    head = discrete_variant.make(F64)
    model, raw = z_free_model(head)
    levels = load_digits("test")[:6].double()
    x = head.prepare(levels).numpy()
    ref = np.stack(
        [
            reference_log_prob(
                discrete_variant, head, raw.view(head.params_per_dim, 64).numpy(), row
            )
            for row in x
        ]
    ).sum(-1)
    torch.manual_seed(5)
    ours = discrete_log_likelihood(model, levels, k=3)
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-9, atol=1e-7)
    bpd = evaluation.test_bits_per_dim(model, levels, k=2)
    assert bpd == pytest.approx(-ref.mean() / (64 * math.log(2)), rel=1e-9)


def one_dim_model(head_name: str) -> VAE:
    """x | z ~ N(W z + B, SIGMA^2) in 1-D, with the exact posterior as encoder, in float64."""
    head = LIKELIHOODS[head_name](sigma=SIGMA) if head_name == "gaussian_fixed" else None
    model = VAE(head, data_dim=1, latent_dim=1, hidden=()).to(F64)
    var = 1 / (1 + W**2 / SIGMA**2)
    with torch.no_grad():
        model.decoder.net[0].weight.fill_(W)
        model.decoder.net[0].bias.fill_(B)
        a = var * W / SIGMA**2
        enc = model.encoder.net[0]
        enc.weight.copy_(torch.tensor([[a], [0.0]], dtype=F64))
        std = torch.tensor(math.sqrt(var) - model.encoder.min_std, dtype=F64)
        enc.bias.copy_(
            torch.stack([torch.tensor(-a * B, dtype=F64), std + torch.log(-torch.expm1(-std))])
        )
    return model


def exact_log_p_level(levels: torch.Tensor, clipped: bool = False) -> torch.Tensor:
    """log P(bin of each level) under p(x) = N(B, W^2 + SIGMA^2), open edge bins (or clipped)."""
    half = 0.5 / 16
    centre = levels.numpy() / 16
    lo, hi = centre - half, centre + half
    if clipped:
        lo, hi = lo.clip(min=0.0), hi.clip(max=1.0)
    else:
        lo[levels.numpy() == 0], hi[levels.numpy() == 16] = -math.inf, math.inf
    sd = math.sqrt(W**2 + SIGMA**2)
    p = stats.norm.cdf(hi, B, sd) - stats.norm.cdf(lo, B, sd)
    return torch.from_numpy(p).log().squeeze(-1)


LEVELS_1D = torch.tensor([[0.0], [3.0], [7.0], [8.0], [12.0], [16.0]], dtype=F64)


@pytest.mark.parametrize("method", ["dequantize", "clipped"])
def test_dequantized_bound_lower_bounds_log_p_of_the_level(method) -> None:
    """Open edge bins (exponential proposals) bound log P(level); clipped bins bound less."""
    model = one_dim_model("gaussian_fixed")
    exact = exact_log_p_level(LEVELS_1D, clipped=method == "clipped")
    torch.manual_seed(0)
    small = torch.stack(
        [discrete_log_likelihood(model, LEVELS_1D, k=2, method=method) for _ in range(500)]
    ).mean(0)
    big = torch.stack(
        [discrete_log_likelihood(model, LEVELS_1D, k=2000, method=method) for _ in range(25)]
    ).mean(0)
    # tolerances: about 3 standard errors of the averages (the open edge bins are the noisiest)
    assert (small <= exact + 1e-2).all()
    assert (big <= exact + 1e-2).all()
    assert (small <= big + 1e-2).all() and small.mean() < big.mean()
    torch.testing.assert_close(big, exact, atol=1e-2, rtol=0)


def test_exact_method_converges_to_log_p_of_the_level() -> None:
    """The IWAE bound with exact bin probabilities tends to log P(level) and never exceeds it."""
    model = one_dim_model("gaussian_fixed")
    exact = exact_log_p_level(LEVELS_1D)
    torch.manual_seed(0)
    small = torch.stack(
        [discrete_log_likelihood(model, LEVELS_1D, k=1, method="exact") for _ in range(300)]
    ).mean(0)
    torch.manual_seed(1)
    big = discrete_log_likelihood(model, LEVELS_1D, k=5000, method="exact")
    assert (small <= exact + 1e-3).all()  # the ELBO (k = 1), averaged: a bound in expectation
    assert (small <= big + 2e-3).all() and small.mean() < big.mean()
    # Interior bins are narrow, so q(z | x = centre) is nearly the posterior given the bin and
    # k = 5000 is tight. For an open edge bin the encoder fed x = 0 is a poor proposal for
    # "x below 1/32" (here it is narrower than the prior, so the weights have infinite variance):
    # the edge levels are a valid bound in expectation but noisy, within a few hundredths.
    torch.testing.assert_close(big[1:-1], exact[1:-1], atol=2e-3, rtol=0)
    torch.testing.assert_close(big, exact, atol=6e-2, rtol=0)
    torch.manual_seed(1)
    auto = discrete_log_likelihood(model, LEVELS_1D, k=5000, method="auto")
    torch.testing.assert_close(auto, big, atol=0, rtol=0)  # auto is exact for a Gaussian head


def test_beta_head_bins_at_the_ends_are_safe() -> None:
    """Dequantized values near 0 and 1 stay inside the Beta's open interval, also in float32."""
    torch.manual_seed(0)
    model = VAE(LIKELIHOODS["beta"](), latent_dim=2, hidden=(8,))
    levels = torch.tensor([[0.0] * 32 + [16.0] * 32])
    out = discrete_log_likelihood(model, levels.expand(4, 64), k=3000, chunk=3000)
    assert torch.isfinite(out).all()


def test_bits_per_dim_for_every_head(variant) -> None:
    """bits/dim is minus the mean over images of log P(levels), divided by D ln 2 (checked with
    the same noise), and every log P(levels) is finite and negative."""
    torch.manual_seed(0)
    model = VAE(variant.make(), latent_dim=2, hidden=(8,))
    levels = load_digits("test")[:5]
    torch.manual_seed(3)
    bpd = evaluation.test_bits_per_dim(model, levels, k=4)
    torch.manual_seed(3)
    ll = discrete_log_likelihood(model, levels, k=4)
    assert ll.shape == (5,) and torch.isfinite(ll).all() and (ll < 0).all()
    assert bpd == pytest.approx(-ll.double().mean().item() / (64 * math.log(2)), rel=1e-6)
    assert math.isfinite(bpd) and bpd > 0


def test_discrete_head_has_no_bins() -> None:
    with pytest.raises(ValueError, match="binomial: a discrete head"):
        LIKELIHOODS["binomial"]().bin_edges(torch.zeros(3))


def test_dequantization_of_a_continuous_bernoulli_matches_its_cdf() -> None:
    """A continuous Bernoulli decoder that ignores z (logits eta_d) with q(z|x) = p(z): every
    importance weight is prod_d p(x_d) |B_d| with x uniform in the bin, whose mean is exactly
    P(bin) = F(u) - F(l), F(x) = expm1(eta x) / expm1(eta). The estimate with many samples must
    match it (a proposal fixed at the bin centre is off by about eta^2 h^2 / 24 per pixel)."""
    eta = torch.tensor([-6.0, -3.0, -1.0, 0.5, 2.0, 4.0, 6.0, 8.0], dtype=F64)
    model = VAE(LIKELIHOODS["continuous_bernoulli"](), data_dim=8, latent_dim=1, hidden=())
    model = model.to(F64)
    with torch.no_grad():
        model.decoder.net[0].weight.zero_()
        model.decoder.net[0].bias.copy_(eta)
        enc = model.encoder.net[0]
        enc.weight.zero_()
        one = torch.tensor(1.0 - model.encoder.min_std, dtype=F64)
        enc.bias.copy_(
            torch.stack([torch.tensor(0.0, dtype=F64), one + torch.log(-torch.expm1(-one))])
        )
    g = torch.Generator().manual_seed(0)
    levels = torch.randint(0, 17, (5, 8), generator=g).to(F64)
    lo, hi = model.head.bin_edges(levels)
    cdf = lambda x: torch.expm1(eta * x) / torch.expm1(eta)  # noqa: E731
    exact = (cdf(hi) - cdf(lo)).log().sum(-1)
    torch.manual_seed(1)
    estimate = discrete_log_likelihood(model, levels, k=4000, chunk=1000)
    assert (estimate <= exact + 0.01).all()
    torch.testing.assert_close(estimate, exact, atol=0.01, rtol=0)


# -- the dequantization proposal, draw by draw --------------------------------------------------
# With torch.rand replaced by a constant c, every draw of the proposal is known: the estimate of a
# z-free model is then log p(x(c)) - log r(x(c)) exactly, for x(c) and r written out from the
# module docstring (uniform on a finite bin; on an open edge bin, with probability 1 - TAIL_WEIGHT
# uniform on the first bin width, else the first width plus a half-Cauchy draw Y = w tan(pi U / 2))
# and the densities from scipy.

TAIL = 0.1
TOP = 1.0 - 2.0**-53  # the largest value torch.rand can return in float64


def constant_rand(c: float):
    def rand(*size, dtype=None, **kwargs):
        shape = size[0] if len(size) == 1 and not isinstance(size[0], int) else size
        return torch.full(tuple(shape), c, dtype=dtype or torch.get_default_dtype())

    return rand


def proposal_reference(lower: np.ndarray, upper: np.ndarray, c: float, w: float):
    """x drawn with every uniform equal to c, and log r(x) summed over the pixels."""
    u = min(max(c, 1e-6), 1 - 1e-6)  # the draws stay strictly inside the bin
    in_tail = c < TAIL
    y = w * math.tan(0.5 * math.pi * c)
    depth = w + y if in_tail else u * w
    log_open = (
        math.log(TAIL) + stats.halfcauchy.logpdf(y, scale=w)
        if in_tail
        else math.log(1 - TAIL) + stats.uniform.logpdf(u * w, 0, w)
    )
    lo_open, hi_open = np.isinf(lower), np.isinf(upper)
    width = np.where(lo_open | hi_open, 1.0, upper - lower)
    finite_lo = np.where(lo_open, 0.0, lower)
    x = np.where(lo_open, upper - depth, np.where(hi_open, lower + depth, finite_lo + u * width))
    log_r = np.where(lo_open | hi_open, log_open, stats.uniform.logpdf(x, finite_lo, width))
    return x, log_r.sum(-1)


def decoded(model: VAE, dtype=F64):
    """The per-pixel distribution of a z-free model (the same for every z)."""
    with torch.no_grad():
        return model.decode(torch.zeros(1, 2, dtype=dtype)).base_dist


def gaussian_z_free() -> VAE:
    """A z-free Gaussian (sigma 0.3) with means from -0.2 to 1.2 around the six pixels' data."""
    model, _ = z_free_model(LIKELIHOODS["gaussian_fixed"](sigma=0.3), data_dim=6)
    with torch.no_grad():
        model.decoder.net[0].bias.copy_(torch.tensor([-0.2, 0.1, 0.5, 0.4, 0.9, 1.2], dtype=F64))
    return model


LEVELS_EDGES = torch.tensor(
    [[0.0, 1.0, 7.0, 8.0, 15.0, 16.0], [16.0, 0.0, 3.0, 12.0, 0.0, 16.0]], dtype=F64
)


@pytest.mark.parametrize("c", [0.0, 0.05, 0.5, TOP])
def test_dequantization_proposal_draw_by_draw_on_the_real_line(monkeypatch, c) -> None:
    """Gaussian head, open edge bins: tail draws (c < 0.1, including c = 0, where the half-Cauchy
    starts at the first bin width), uniform draws and the largest uniform (clipped below 1)."""
    model = gaussian_z_free()
    base = decoded(model)
    lower, upper = (t.numpy() for t in model.head.bin_edges(LEVELS_EDGES))
    levels = LEVELS_EDGES.numpy()
    assert (np.isinf(lower) == (levels == 0)).all() and (np.isinf(upper) == (levels == 16)).all()
    x, log_r = proposal_reference(lower, upper, c, w=1 / 16)
    log_px = stats.norm.logpdf(x, base.loc.numpy(), 0.3).sum(-1)
    monkeypatch.setattr(torch, "rand", constant_rand(c))
    out = discrete_log_likelihood(model, LEVELS_EDGES, k=3, chunk=2, method="dequantize")
    np.testing.assert_allclose(out.numpy(), log_px - log_r, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("c", [0.0, 0.5, TOP, 1.0 - 2.0**-24])
def test_dequantization_stays_inside_the_beta_support(monkeypatch, c) -> None:
    """Beta head, bins [k/17, (k+1)/17] touching 0 and 1: torch.rand can return 0 and (in
    float32) 1 - 2^-24, and the draws must still be strictly inside (0, 1), finite, and equal to
    the reference; in float32 too."""
    for dtype in (F64, torch.float32):
        model, _ = z_free_model(LIKELIHOODS["beta"](), data_dim=6)
        model = model.to(dtype)
        levels = LEVELS_EDGES.to(dtype)
        base = decoded(model, dtype)
        lower, upper = (t.double().numpy() for t in model.head.bin_edges(levels))
        x, log_r = proposal_reference(lower, upper, c, w=1 / 16)
        a, b = base.concentration1.double().numpy(), base.concentration0.double().numpy()
        monkeypatch.setattr(torch, "rand", constant_rand(c))
        out = discrete_log_likelihood(model, levels, k=2, method="dequantize")
        monkeypatch.undo()
        assert torch.isfinite(out).all()
        if dtype == F64:
            ref = stats.beta.logpdf(x, a, b).sum(-1) - log_r
            np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize(("k", "chunk", "batch"), [(5, 2, 500), (7, 3, 2), (4, 4, 1)])
def test_chunks_and_batches_average_exactly_k_weights(k, chunk, batch) -> None:
    """A z-free model has k equal importance weights, so log mean = the exact log P(levels) for
    any k, chunk and batch; a last chunk of the wrong size, or a lost batch, breaks it."""
    model = gaussian_z_free()
    loc = decoded(model).loc.numpy()
    levels = torch.cat([LEVELS_EDGES, LEVELS_EDGES.flip(-1), LEVELS_EDGES[:1]])
    lower, upper = (t.numpy() for t in model.head.bin_edges(levels))
    exact = np.log(stats.norm.cdf(upper, loc, 0.3) - stats.norm.cdf(lower, loc, 0.3)).sum(-1)
    for method in ("exact", "auto"):
        out = discrete_log_likelihood(model, levels, k=k, chunk=chunk, batch=batch, method=method)
        np.testing.assert_allclose(out.numpy(), exact, rtol=1e-12, atol=1e-9)
    # dequantized: c = 0.5 draws (x at each bin's midpoint, or half a width into an edge bin)
    x, log_r = proposal_reference(lower, upper, 0.5, w=1 / 16)
    ref = stats.norm.logpdf(x, loc, 0.3).sum(-1) - log_r
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(torch, "rand", constant_rand(0.5))
        out = discrete_log_likelihood(
            model, levels, k=k, chunk=chunk, batch=batch, method="dequantize"
        )
    np.testing.assert_allclose(out.numpy(), ref, rtol=1e-12, atol=1e-9)


def test_bits_per_dim_scores_the_method_asked_for(monkeypatch) -> None:
    """test_bits_per_dim = -mean log P(levels) / (D ln 2) with the method passed: the exact bin
    probabilities, or the dequantized bound (draws at c = 0.5), two different numbers."""
    model = gaussian_z_free()
    loc = decoded(model).loc.numpy()
    lower, upper = (t.numpy() for t in model.head.bin_edges(LEVELS_EDGES))
    exact = np.log(stats.norm.cdf(upper, loc, 0.3) - stats.norm.cdf(lower, loc, 0.3)).sum(-1)
    x, log_r = proposal_reference(lower, upper, 0.5, w=1 / 16)
    dequantized = stats.norm.logpdf(x, loc, 0.3).sum(-1) - log_r
    to_bpd = lambda ll: -ll.mean() / (6 * math.log(2))  # noqa: E731
    assert abs(to_bpd(exact) - to_bpd(dequantized)) > 0.1
    assert evaluation.test_bits_per_dim(model, LEVELS_EDGES, k=2, method="exact") == pytest.approx(
        to_bpd(exact), rel=1e-12
    )
    monkeypatch.setattr(torch, "rand", constant_rand(0.5))
    for method in ("dequantize", "clipped"):
        bpd = evaluation.test_bits_per_dim(model, LEVELS_EDGES, k=2, method=method)
        if method == "dequantize":
            assert bpd == pytest.approx(to_bpd(dequantized), rel=1e-12)
        else:  # clipped bins: no open edge bins, the level-0 and level-16 bins cut at 0 and 1
            assert bpd != pytest.approx(to_bpd(dequantized), rel=1e-6)


def test_wrong_methods_and_k_are_refused_with_their_messages() -> None:
    model = gaussian_z_free()
    for k in (0, -3):
        with pytest.raises(ValueError, match=f"discrete_log_likelihood: k must be >= 1, got {k}"):
            discrete_log_likelihood(model, LEVELS_EDGES, k=k)
    with pytest.raises(ValueError, match="method must be one of"):
        discrete_log_likelihood(model, LEVELS_EDGES, method="exactly")
    beta, _ = z_free_model(LIKELIHOODS["beta"](), data_dim=6)
    with pytest.raises(
        ValueError,
        match=r"beta has no closed-form level probabilities \(no CDF\); "
        r"use method='dequantize' or 'auto'",
    ):
        discrete_log_likelihood(beta, LEVELS_EDGES, method="exact")
    binomial, _ = z_free_model(LIKELIHOODS["binomial"](), data_dim=6)
    with pytest.raises(
        ValueError,
        match="binomial is a discrete head; its level probabilities are "
        "exact, so method must be 'auto' or 'exact', got 'clipped'",
    ):
        discrete_log_likelihood(binomial, LEVELS_EDGES, method="clipped")


# -- the progress bar ----------------------------------------------------------------------------


def bar_text(capsys) -> str:
    return capsys.readouterr().err


@pytest.mark.parametrize("head_name", ["gaussian_fixed", "binomial"])
def test_progress_bar_counts_every_image_and_follows_tqdm_disable(
    monkeypatch, capsys, head_name
) -> None:
    """The bar (stderr) names the head and k, ends at N/N images over several batches, shows by
    default, hides with TQDM_DISABLE=1 (not with TQDM_DISABLE=0), and progress=True/False wins
    over the environment."""
    if head_name == "binomial":
        model, _ = z_free_model(LIKELIHOODS["binomial"](), data_dim=6)
    else:
        model = gaussian_z_free()
    levels = torch.cat([LEVELS_EDGES, LEVELS_EDGES, LEVELS_EDGES[:1]])  # 5 images
    run = lambda **kw: discrete_log_likelihood(model, levels, k=2, batch=2, **kw)  # noqa: E731
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    bar_text(capsys)
    run()
    text = bar_text(capsys)
    assert f"{model.head.name}: log P(x), k=2" in text and "5/5" in text
    assert "img/s]" in text and text.endswith("/s]\n")  # images per second; the bar stays
    run(progress=False)
    assert bar_text(capsys) == ""
    monkeypatch.setenv("TQDM_DISABLE", "0")
    run()
    assert "5/5" in bar_text(capsys)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    run()
    assert bar_text(capsys) == ""
    run(progress=True)
    assert "5/5" in bar_text(capsys)
    if head_name == "gaussian_fixed":
        run(progress=True, method="dequantize")
        assert "5/5" in bar_text(capsys)


def test_documented_default_k_is_1000(monkeypatch, capsys) -> None:
    """The default number of importance samples, k = 1000, shows in the bar's description; and
    test_bits_per_dim passes progress on (a bar although TQDM_DISABLE=1)."""
    monkeypatch.setenv("TQDM_DISABLE", "1")
    model = gaussian_z_free()
    bar_text(capsys)
    discrete_log_likelihood(model, LEVELS_EDGES, progress=True)
    assert "k=1000" in bar_text(capsys)
    evaluation.test_bits_per_dim(model, LEVELS_EDGES, progress=True)
    text = bar_text(capsys)
    assert "k=1000" in text and "2/2" in text
    evaluation.test_bits_per_dim(model, LEVELS_EDGES, k=2)
    assert bar_text(capsys) == ""
