"""Seed-to-seed spread of trained numbers that chapters print, for their nbval tolerances.

The chapters train with seed 0 only. Where another processor's kernels (or two threads) move a
printed trained number, its cell compares with a tolerance (``tests/nbval_tolerance.py``) whose
size comes from repeating the chapter's run with other seeds; this script does that, one line per
seed. Seed 0 reproduces the chapter's numbers. Parts:

* ``decoder``: book/foundations/decoder_is_a_distribution.ipynb, the Gaussian VAE of its first
  section (code of one test digit, ranges of the raw outputs and of sigma; the first digit's
  -log p under four heads; the mean-reduced loss of 100 digits);
* ``gaussian-corner``: book/zoo/gaussian.ipynb, the diagonal Gaussian without a floor on sigma
  (seed 0 = the chapter's run): sigma of the always-blank corner pixel for the first test digit,
  and the peak 1 / (sqrt(2 pi) sigma) of its density, which the chapter's prose quotes.

Run, for example,
``TQDM_DISABLE=1 .venv/bin/python scripts/kernel_seed_spread.py decoder --seeds 0 1 2``.
"""

from __future__ import annotations

import argparse
import math

import torch
import torch.nn.functional as F

from vae_tutorial import LIKELIHOODS, load_digits, setup_notebook
from vae_tutorial.likelihoods import GaussianDiagonalHead, GaussianFixedHead
from vae_tutorial.model import VAE
from vae_tutorial.training import fit_digits, train


def decoder(seed: int) -> None:
    """The numbers printed by cells 4, 6 and 8 of decoder_is_a_distribution (seed 0 = chapter)."""
    head = LIKELIHOODS["gaussian_diagonal"](min_sigma=0.02)
    model, _ = fit_digits(head, latent_dim=8, epochs=30, seed=seed)
    levels = load_digits("test")
    x = head.prepare(levels)
    with torch.no_grad():
        z = model.encode(x[:1]).mean
        raw = model.decoder.net(z)
        sigma = model.decoder.head(raw).base_dist.scale
    raw_mean, raw_scale = raw.chunk(2, dim=-1)
    print(f"decoder seed {seed} cell 4: code z {[round(v, 2) for v in z[0].tolist()]}; raw block 1 "
          f"{raw_mean.min():.2f} to {raw_mean.max():.2f}; raw block 2 {raw_scale.min():.2f} to "
          f"{raw_scale.max():.2f}; sigma {sigma.min():.3f} to {sigma.max():.3f}", flush=True)
    torch.manual_seed(1)
    d = 64
    x01 = x[:32]
    with torch.no_grad():
        r = model.decoder.net(model.encode(x01).mean)[:, :d]
    gaussian = LIKELIHOODS["gaussian_fixed"](sigma=0.1)(r).log_prob(x01)
    laplace = LIKELIHOODS["laplace"](scale=0.1)(r).log_prob(x01)
    cont_bern = LIKELIHOODS["continuous_bernoulli"]()(r).log_prob(x01)
    bce_grey = F.binary_cross_entropy_with_logits(r, x01, reduction="none").sum(-1)
    print(f"decoder seed {seed} cell 6: first digit -log p {-gaussian[0]:.2f} (Gaussian), "
          f"{-laplace[0]:.2f} (Laplace), {bce_grey[0]:.2f} (BCE grey), "
          f"{-cont_bern[0]:.2f} (continuous Bernoulli)", flush=True)
    torch.manual_seed(2)
    xb = x[:100]
    q = model.encode(xb)
    raw_b = model.decoder.net(q.rsample())[:, :d]
    kl = torch.distributions.kl_divergence(q, model.prior())
    mean_reduced = F.mse_loss(raw_b, xb, reduction="mean") + kl.mean()
    print(f"decoder seed {seed} cell 8: mean-reduced MSE + KL {mean_reduced.item():.4f} "
          f"(sigma* = {math.sqrt(d / 2):.3f})", flush=True)


def gaussian_corner(seed: int) -> None:
    """The corner pixel's sigma and density peak of the unfloored Gaussian (seed 0 = chapter)."""
    x_train = GaussianFixedHead().prepare(load_digits("train"))
    x_test = GaussianFixedHead().prepare(load_digits("test"))
    torch.manual_seed(seed)
    model = VAE(GaussianDiagonalHead(min_sigma=1e-8))
    for stage, (epochs, lr) in enumerate([(30, 2e-3), (20, 3e-4), (20, 1e-4)]):
        train(model, x_train, None, epochs=epochs, lr=lr, seed=10 * seed + stage)
    with torch.no_grad():
        sigma = model.decode(model.encode(x_test[:1]).mean).base_dist.scale[0, 0].item()
    print(f"gaussian-corner seed {seed}: corner sigma {sigma:.2e}, "
          f"peak density {1 / (math.sqrt(2 * math.pi) * sigma):.0f}", flush=True)


PARTS = {"decoder": decoder, "gaussian-corner": gaussian_corner}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=sorted(PARTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    for seed in args.seeds:
        setup_notebook()
        PARTS[args.part](seed)


if __name__ == "__main__":
    main()
