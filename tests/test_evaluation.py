"""discrete_log_likelihood: equal to iwae_bound for discrete heads; for a continuous head, every
method is a lower bound of log P(levels) that tightens with k, checked on a 1-D linear Gaussian
model where P(level) = Phi(upper) - Phi(lower) is known exactly (open edge bins; the clipped
demonstration against its own clipped bins)."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from vae_tutorial import evaluation, load_digits
from vae_tutorial.evaluation import discrete_log_likelihood
from vae_tutorial.likelihoods import LIKELIHOODS
from vae_tutorial.model import VAE
from vae_tutorial.objectives import iwae_bound

F64 = torch.float64
SIGMA, W, B = 0.1, 0.2, 0.45


def test_equals_iwae_for_discrete_heads(discrete_variant) -> None:
    torch.manual_seed(0)
    head = discrete_variant.make()
    model = VAE(head, latent_dim=2, hidden=(8,))
    levels = load_digits("test")[:6]
    torch.manual_seed(5)
    ours = discrete_log_likelihood(model, levels, k=8)
    torch.manual_seed(5)
    ref = iwae_bound(model, head.prepare(levels), k=8)
    torch.testing.assert_close(ours, ref)


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


def test_bits_per_dim_is_finite_for_every_head(variant) -> None:
    torch.manual_seed(0)
    model = VAE(variant.make(), latent_dim=2, hidden=(8,))
    bpd = evaluation.test_bits_per_dim(model, load_digits("test")[:5], k=4)
    assert math.isfinite(bpd) and bpd > 0


def test_discrete_head_has_no_bins() -> None:
    with pytest.raises(ValueError, match="binomial: a discrete head"):
        LIKELIHOODS["binomial"]().bin_edges(torch.zeros(3))
