"""Checkers for the exercises of Part I, Foundations (five chapters)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor
from torch.distributions import Independent, Laplace, LogNormal, Normal

from .kinds import Code, Numeric, Range, Verdict, flat_output

__all__ = ["CHECKERS", "resolve"]


# --------------------------------------------------------------------------- references
def _exact_posterior(x: Tensor, w: Tensor, sigma: Tensor) -> tuple[Tensor, Tensor]:
    m = w**2 + sigma**2
    return w * x / m, sigma**2 / m


def _exact_posterior_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(20, generator=g, dtype=torch.float64) * 2
    w = torch.rand(20, generator=g, dtype=torch.float64) * 3 + 0.1
    sigma = torch.rand(20, generator=g, dtype=torch.float64) + 0.1
    return [(x, w, sigma), (torch.tensor(1.5, dtype=torch.float64), torch.tensor(0.5,
            dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64))]


def _ppca_sigma2(x: Tensor, latent_dim: int) -> Tensor:
    from ..exact import fit_ppca

    return torch.as_tensor(fit_ppca(x, latent_dim).sigma2)


def _ppca_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(2)
    a = torch.randn(10, 10, generator=g, dtype=torch.float64)
    x = torch.randn(300, 10, generator=g, dtype=torch.float64) @ a
    return [(x, 1), (x, 3), (x, 7)]


_TANH_GRID = (-6.0, 6.0, 4801)


def _tanh_posterior_mean() -> float:
    from ..exact import integrate_on_grid, posterior_on_grid

    z = torch.linspace(*_TANH_GRID, dtype=torch.float64)  # type: ignore[arg-type]
    log_lik = Normal(3 * torch.tanh(z), 0.3).log_prob(torch.tensor(2.9, dtype=torch.float64))
    _, log_post = posterior_on_grid(log_lik, z)
    return float(integrate_on_grid(log_post.exp() * z, z))


def _kl_point_mass(z0: Tensor, eps: Tensor) -> Tensor:
    """KL(N(z0, eps^2 I) || N(0, I)) for z0 [..., L] and a scalar or [...] eps."""
    eps = torch.as_tensor(eps, dtype=z0.dtype)
    L = z0.shape[-1]
    return 0.5 * ((z0**2).sum(-1) + L * eps**2 - L - L * torch.log(eps**2))


def _kl_point_mass_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(3)
    z0 = torch.randn(8, generator=g, dtype=torch.float64)
    return [(z0, torch.tensor(e, dtype=torch.float64)) for e in (1e-3, 0.1, 0.5, 1.0, 2.0)]


def _mean_field_gap(W: Tensor, sigma2: Tensor) -> Tensor:
    """KL(q || p(z|x)) for the best diagonal Gaussian q of a linear-Gaussian model.

    The posterior precision is P = (W^T W + sigma2 I) / sigma2; the best diagonal q has variances
    1 / diag(P) and the posterior mean, so KL = (sum log diag P - log det P) / 2.
    """
    L = W.shape[-1]
    P = (W.T @ W + sigma2 * torch.eye(L, dtype=W.dtype)) / sigma2
    return 0.5 * (torch.diagonal(P).log().sum() - torch.logdet(P))


def _mean_field_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(4)
    out = []
    for D, L in ((6, 2), (10, 4), (64, 8)):
        W = torch.randn(D, L, generator=g, dtype=torch.float64)
        out.append((W, torch.tensor(0.3, dtype=torch.float64)))
    q, _ = torch.linalg.qr(torch.randn(5, 3, generator=g, dtype=torch.float64))
    out.append((q * torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64),
                torch.tensor(0.5, dtype=torch.float64)))  # orthogonal columns: gap 0
    return out


def _lognormal_log_prob(x: Tensor, mu: Tensor, s: Tensor) -> Tensor:
    return LogNormal(mu, s).log_prob(x).sum(-1)


def _positive_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(5)
    x = torch.rand(4, 64, generator=g, dtype=torch.float64) * 5 + 0.01
    mu = torch.randn(4, 64, generator=g, dtype=torch.float64)
    s = torch.rand(4, 64, generator=g, dtype=torch.float64) + 0.2
    return [(x, mu, s)]


def _laplace_nll(x: Tensor, mu: Tensor, b: Tensor) -> Tensor:
    return -Laplace(mu, b).log_prob(x).sum(-1)


def _laplace_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(6)
    x = torch.rand(4, 64, generator=g, dtype=torch.float64)
    mu = torch.rand(4, 64, generator=g, dtype=torch.float64)
    return [(x, mu, torch.tensor(b, dtype=torch.float64)) for b in (0.1, 0.5, 2.0)]


def _mean_and_samples(dist: torch.distributions.Distribution) -> Tensor:
    return torch.cat([dist.mean, dist.sample((8,)).squeeze(1)])


def _sample_dist() -> Independent:
    g = torch.Generator().manual_seed(7)
    loc = torch.rand(1, 64, generator=g, dtype=torch.float64)
    return Independent(Normal(loc, torch.full_like(loc, 0.1)), 1)


@dataclass(frozen=True)
class MeanAndSamples:
    """``fn(dist) -> [9, D]``: the mean first, then 8 samples of ``dist`` (batch [1, D])."""

    def __call__(self, label: str, answer: object) -> Verdict:
        if not callable(answer):
            return Verdict(label, "wrong", "pass your function: fn(dist) -> tensor [9, 64].")
        dist = _sample_dist()
        torch.manual_seed(0)
        try:
            out = flat_output(answer(dist))
        except Exception as err:
            return Verdict(label, "wrong", f"your function raised {type(err).__name__}: {err}.")
        if out is None or out.numel() != 9 * 64:
            return Verdict(label, "wrong", "expected 9 images of 64 pixels: the mean, then 8 "
                           "samples (squeeze the batch dimension of size 1).")
        out = out.reshape(9, 64)
        mean, std = dist.mean.reshape(64), dist.base_dist.scale.reshape(64)
        if not torch.allclose(out[0], mean):
            return Verdict(label, "wrong", "the first row should be the decoder's mean, dist.mean.")
        zs = (out[1:] - mean) / std
        if torch.allclose(out[1:], mean.expand(8, 64)) or zs.std() < 0.5:
            return Verdict(label, "wrong", "rows 2-9 do not vary like samples: use dist.sample(), "
                           "not the mean or a mode.")
        if (out[1:] - out[1]).abs().max() < 1e-12:
            return Verdict(label, "wrong", "the 8 samples are identical: draw them with "
                           "dist.sample((8,)) rather than repeating one sample.")
        if zs.mean().abs() > 0.3 or not 0.7 < float(zs.std()) < 1.3:
            return Verdict(label, "close", "rows 2-9 vary, but not like samples of this "
                           "distribution: did you add your own noise instead of dist.sample()?")
        return Verdict(label, "right", "the mean and 8 samples of p(x|z).")


# --------------------------------------------------------------------------- the registry
# Expected ranges of the "train and compare" exercises: test bits/dim (k=100 importance samples,
# torch.manual_seed(0) before the estimate), 60 epochs, seeds 0, 1, 2 of fit_digits; the range
# is the min and max over those seeds widened by 0.03 bits/dim (seed-to-seed spread and CPU).
_RANGES = {
    "what-is-pxz-ex-4": Range(
        2.47, 2.55, 0.15,
        "Train exactly as stated (fit_digits(LIKELIHOODS['binomial'](), epochs=60, seed=0)) "
        "and score with test_bits_per_dim(model, load_digits('test'), k=100).",
        names=("the binomial VAE's test bits/dim",),
    ),
}

CHECKERS: dict[str, Callable[[str, object], Verdict]] = {
    # ------------------------------------------------------------------ what_is_p_x_given_z
    "what-is-pxz-ex-4-moments": Numeric(
        (8.0, 4.0), 1e-9, 0.05,
        "For Binomial(n, p): mean n p, variance n p (1 - p), in counts (0..16), not fractions.",
        names=("the mean", "the variance"),
        mistakes=(
            ((8.0, 8.0), "the variance of a binomial is n p (1 - p), not n p."),
            ((0.5, 0.25), "give the moments of the count out of 16, not of the fraction."),
            ((8.0, 2.0), "the variance is n p (1 - p), not its square root times something."),
        ),
    ),
    "what-is-pxz-ex-4": _RANGES["what-is-pxz-ex-4"],
    "what-is-pxz-ex-5": Range(
        0.0, 0.0, 0.1,
        "Use fit_digits(LIKELIHOODS['categorical'](), latent_dim=L, epochs=60, seed=0) and "
        "test_bits_per_dim(model, load_digits('test'), k=100) after torch.manual_seed(0).",
        names=("test bits/dim with L = 2", "test bits/dim with L = 16"),
        bounds=((2.16, 2.23), (2.08, 2.17)),
    ),
    # ------------------------------------------------------------------ exact_model
    "exact-ex-1": Code(
        _exact_posterior, _exact_posterior_cases,
        "posterior(x, w, sigma) -> (mean, variance), elementwise on tensors",
        "Complete the square in z: log p(x|z) + log p(z) with x = w z + sigma * noise.",
    ),
    "exact-ex-2": Code(
        _ppca_sigma2, _ppca_cases,
        "ppca_sigma2(x [N, D], L) -> the maximum-likelihood noise variance (a scalar tensor)",
        "Theorem exact-thm-ml: sigma^2 is the MEAN of the D - L smallest eigenvalues of the "
        "maximum-likelihood covariance (divide by N, not N - 1).",
        rtol=1e-6, close_rtol=0.02,
    ),
    "exact-ex-3": Numeric(
        (float("nan"),), 2e-3, 0.05,
        "Give the posterior mean E[z | x = 2.9] from posterior_on_grid on the chapter's z_grid; "
        "Normal(loc, scale) takes a standard deviation, and the noise s = 0.3 is one.",
        names=("your posterior mean",),
    ),
    # ------------------------------------------------------------------ elbo
    "elbo-ex-1": Code(
        _kl_point_mass, _kl_point_mass_cases,
        "kl(z0 [L], eps) -> KL(N(z0, eps^2 I) || N(0, I)), a scalar tensor",
        "Sum the univariate closed form (mu^2 + s^2 - 1 - log s^2) / 2 over the L dimensions.",
    ),
    "elbo-ex-2": Code(
        _mean_field_gap, _mean_field_cases,
        "gap(W [D, L], sigma2) -> KL(q || p(z|x)) of the best diagonal Gaussian q (scalar)",
        "The best diagonal q matches the DIAGONAL OF THE PRECISION of the posterior "
        "(variances 1 / diag(P)), not the diagonal of the covariance; then the Gaussian KL.",
        rtol=1e-6, atol=1e-9,
    ),
    # ------------------------------------------------------------------ encoder_reparameterization
    "encoder-ex-1": Numeric(
        (34.5,), 0.06, 0.2,
        "Use z = mu + s * eps with mu = 2, s = 0.5, n = 20,000, c = mu^2 + s^2, and the "
        "variance of (f(z) - c) (z - mu) / s^2 over the samples.",
        names=("your variance",),
        mistakes=(((124.0,), "that is the variance without the baseline: subtract c from f."),),
    ),
    "encoder-ex-2": Numeric(
        (1.0, 18.0, 386.5), 0.08, 0.25,
        "Exact: d/ds E[z^2] with E[z^2] = mu^2 + s^2. Variances: the second column of "
        "pathwise_gradient and of score_function_gradient, mu = 2, s = 0.5, n = 20,000.",
        names=("the exact gradient", "the pathwise variance", "the score-function variance"),
        mistakes=(((4.0, 18.0, 386.5), "4 is the gradient with respect to mu; this one is "
                   "with respect to s."),),
    ),
    # ------------------------------------------------------------------ decoder_is_a_distribution
    "decoder-dist-ex-1": Code(
        _lognormal_log_prob, _positive_cases,
        "log_normal_log_prob(x [N, D], mu [N, D], s [N, D]) -> log p(x|z) summed over D, [N]",
        "log x ~ N(mu, s^2): the density of x needs the Jacobian of x -> log x.",
    ),
    "decoder-dist-ex-2": Numeric(
        (784.0,), 1e-9, 0.05,
        "Multiply the mean-reduced loss by the number of terms the BCE was averaged over.",
        names=("your beta",),
        mistakes=(
            ((64.0,), "64 pixels is the digits; the colleague's images are 28 x 28."),
            ((1 / 784,), "the KL is weighted up relative to the summed BCE, not down."),
            ((16.0,), "the latent dimension does not enter: the KL is summed over it in both."),
        ),
    ),
    "decoder-dist-ex-3": Numeric(
        (64.0,), 1e-9, 0.05,
        "Match (1/D) sum |x - mu| + KL with (1/b) sum |x - mu| + KL for the 8 x 8 digits.",
        names=("your b",),
        mistakes=(((1 / 64,), "the mean divides the L1 term by D, so 1/b = 1/D."),
                  ((32.0,), "compare with the Gaussian case: there a 1/2 appears, here not.")),
    ),
    "decoder-dist-ex-3-nll": Code(
        _laplace_nll, _laplace_cases,
        "laplace_nll(x [N, D], mu [N, D], b scalar) -> the negative log-likelihood summed, [N]",
        "The Laplace density is exp(-|x - mu| / b) / (2 b); keep its normaliser.",
    ),
    "decoder-dist-ex-4": MeanAndSamples(),
}


def resolve(checkers: dict[str, Callable[[str, object], Verdict]]) -> None:
    """Fill in references that need a computation (done once, on first use)."""
    key = "exact-ex-3"
    chk = checkers[key]
    if isinstance(chk, Numeric) and math.isnan(chk.reference[0]):
        wrong = _tanh_posterior_mean_with_variance()
        checkers[key] = Numeric(
            (_tanh_posterior_mean(),), chk.rtol, chk.close_rtol, chk.hint, chk.names,
            mistakes=(((wrong,), "Normal's second argument is the standard deviation: "
                       "you used 0.3 as a variance."),),
        )


def _tanh_posterior_mean_with_variance() -> float:
    from ..exact import integrate_on_grid, posterior_on_grid

    z = torch.linspace(*_TANH_GRID, dtype=torch.float64)  # type: ignore[arg-type]
    log_lik = Normal(3 * torch.tanh(z), 0.3**0.5).log_prob(torch.tensor(2.9, dtype=torch.float64))
    _, log_post = posterior_on_grid(log_lik, z)
    return float(integrate_on_grid(log_post.exp() * z, z))


