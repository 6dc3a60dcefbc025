"""The worked solutions of the foundations exercises whose code is not a notebook cell.

Each test runs the code a solution shows (or the computation it describes) and asserts the
claims its prose makes, so a solution that stops being true fails here, as a chapter's own
claims fail its asserts. Solutions that are notebook cells (``exact-ex-2``) run under nbval;
the encoder exercises' solutions run in ``test_exercises.py`` next to their checkers. The other
parts' solutions run in ``test_exercise_solutions_zoo.py`` and ``test_exercise_solutions_later.py``.
"""

from __future__ import annotations

import torch
from torch.distributions import MultivariateNormal, Normal, kl_divergence

from vae_tutorial import LIKELIHOODS, evaluation, load_digits
from vae_tutorial.exact import (
    fit_gaussian_reverse_kl,
    fit_ppca,
    integrate_on_grid,
    posterior_on_grid,
)
from vae_tutorial.exercises import check, expected_range
from vae_tutorial.model import VAE
from vae_tutorial.training import fit_digits

F64 = torch.float64
# test bits/dim of the chapter's categorical VAE (latent_dim=8, 60 epochs) scored as the
# exercises say (torch.manual_seed(0), k=100), seeds 0, 1, 2: scripts/exercise_ranges.py
CATEGORICAL_L8 = (2.10, 2.14)


def _score(head: str, latent_dim: int, seed: int = 0) -> float:
    model, _ = fit_digits(LIKELIHOODS[head](), latent_dim=latent_dim, epochs=60, seed=seed)
    torch.manual_seed(0)
    return evaluation.test_bits_per_dim(model, load_digits("test"), k=100)


def test_exact_ex_3_skewed_posterior() -> None:
    """exact-ex-3: the solution's code; mass from about 1.3 on, a long right tail, KL small > 0."""
    z_grid = torch.linspace(-6, 6, 4801, dtype=F64)
    log_lik = Normal(3 * torch.tanh(z_grid), 0.3).log_prob(torch.tensor(2.9, dtype=F64))
    _, log_post = posterior_on_grid(log_lik, z_grid)
    m, s, kl = fit_gaussian_reverse_kl(log_post, z_grid)
    post = log_post.exp()
    mean = integrate_on_grid(post * z_grid, z_grid)
    var = integrate_on_grid(post * (z_grid - mean) ** 2, z_grid)
    skew = integrate_on_grid(post * (z_grid - mean) ** 3, z_grid) / var**1.5
    assert skew > 0.3  # decays slowly to the right
    below = integrate_on_grid(post * (z_grid < 1.0), z_grid)
    assert below < 0.05  # "rises steeply near 1.3": little mass below 1
    assert 0.0 < kl < 0.1  # a Gaussian matches it only approximately


def test_elbo_ex_3_the_two_kls() -> None:
    """elbo-ex-3: q = p(z) has KL term 0 and a large gap; q = p(z|x) the reverse."""
    x = load_digits("train").to(F64)
    ppca = fit_ppca(x, 8)
    digit = x[0]
    L = 8
    prior = MultivariateNormal(torch.zeros(L, dtype=F64), torch.eye(L, dtype=F64))
    M = ppca.W.T @ ppca.W + ppca.sigma2 * torch.eye(L, dtype=F64)
    post_cov = ppca.sigma2 * torch.linalg.inv(M)
    post_mean = torch.linalg.solve(M, ppca.W.T @ (digit - ppca.b))
    posterior = MultivariateNormal(post_mean, post_cov)
    assert kl_divergence(prior, prior).abs() < 1e-12
    assert kl_divergence(prior, posterior) > 5  # gap: many nats
    assert kl_divergence(posterior, posterior).abs() < 1e-12
    assert kl_divergence(posterior, prior) > 5  # KL term: many nats


def test_decoder_dist_ex_4_samples_are_grainy() -> None:
    """decoder-dist-ex-4: the solution's expression; samples leave [0, 1], the mean is smooth."""
    torch.manual_seed(0)
    model = VAE(LIKELIHOODS["gaussian_fixed"](sigma=0.1), latent_dim=8)
    z = torch.randn(1, 8)
    with torch.no_grad():
        d = model.decode(z)
        images = torch.cat([d.mean, d.sample((8,)).squeeze(1)])
    assert images.shape == (9, 64)
    assert check("decoder-dist-ex-4", lambda d: torch.cat([d.mean, d.sample((8,)).squeeze(1)]),
                 quiet=True).passed
    noise = images[1:] - images[0]
    assert 0.08 < noise.std() < 0.12  # independent per-pixel noise of sd sigma
    outside = ((images[1:] < 0) | (images[1:] > 1)).float().mean()
    assert outside > 0.05


def test_what_is_pxz_ex_4_binomial() -> None:
    """The binomial exercise as stated: inside its range and clearly worse than a categorical."""
    bpd = _score("binomial", 8)
    assert check("what-is-pxz-ex-4", bpd, quiet=True).passed
    assert bpd > CATEGORICAL_L8[1] + 0.2


def test_what_is_pxz_ex_5_latent_dim() -> None:
    """L = 2 is clearly worse than L = 8; L = 16 is no better than L = 8 at this budget."""
    bpd_2, bpd_16 = _score("categorical", 2), _score("categorical", 16)
    assert check("what-is-pxz-ex-5", (bpd_2, bpd_16), quiet=True).passed
    assert bpd_2 > CATEGORICAL_L8[1] + 0.03
    assert bpd_16 > CATEGORICAL_L8[0] - 0.01
    for (lo, hi), value in zip(expected_range("what-is-pxz-ex-5"), (bpd_2, bpd_16), strict=True):
        assert lo <= value <= hi
