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
