"""discrete_log_likelihood: equal to iwae_bound for discrete heads; for a continuous head, a
lower bound of log P(levels) that tightens with k, checked on a 1-D linear Gaussian model where
P(level) = Phi(upper) - Phi(lower) is known exactly."""

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


def exact_log_p_level(levels: torch.Tensor) -> torch.Tensor:
    """log P(bin of each level) under p(x) = N(B, W^2 + SIGMA^2), bins of unit_interval."""
    half = 0.5 / 16
    centre = levels.numpy() / 16
    lo, hi = (centre - half).clip(min=0.0), (centre + half).clip(max=1.0)
    sd = math.sqrt(W**2 + SIGMA**2)
    p = stats.norm.cdf(hi, B, sd) - stats.norm.cdf(lo, B, sd)
    return torch.from_numpy(p).log().squeeze(-1)


def test_continuous_head_lower_bounds_log_p_of_the_level() -> None:
    model = one_dim_model("gaussian_fixed")
    levels = torch.tensor([[0.0], [3.0], [7.0], [8.0], [12.0], [16.0]], dtype=F64)
    exact = exact_log_p_level(levels)
    torch.manual_seed(0)
    small = torch.stack([discrete_log_likelihood(model, levels, k=2) for _ in range(500)]).mean(0)
    big = torch.stack([discrete_log_likelihood(model, levels, k=2000) for _ in range(4)]).mean(0)
    assert (small <= exact + 1e-2).all()  # 1e-2: about 3 standard errors of the average
    assert (big <= exact + 2e-3).all()
    assert (small <= big + 1e-2).all() and small.mean() < big.mean()
    torch.testing.assert_close(big, exact, atol=5e-3, rtol=0)


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
