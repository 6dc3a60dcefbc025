"""Seed-to-seed spread of the trained results that four zoo chapters assert.

The chapters train with seed 0 only (each must run in under a minute). The margins of their
asserts, and the nbval tolerances of the cells that print trained numbers, come from repeating the
same runs with other seeds; this script does that and prints one line per seed and run:

* ``gaussian``: book/zoo/gaussian.ipynb, the diagonal Gaussian with and without the variance
  floor (training and validation ELBO, smallest sigma, best pixel, the rise of the training
  objective over the last learning-rate stage);
* ``gaussian-bpd``: the same chapter's five models (fixed, shared, diagonal with and without the
  floor) and their test bits/dim;
* ``robust``: book/zoo/laplace_student_t.ipynb, Gaussian, Laplace and Student-t trained on
  salted digits with the same floor on the standard deviation (background haze, test bits/dim);
* ``beta``: book/zoo/beta.ipynb, the Beta VAE (ELBO, shapes of its densities, bits/dim);
* ``cb``: book/zoo/continuous_bernoulli.ipynb, the collapse experiments (KL, active units,
  validation ELBO of the plain, dequantized, BCE-initialised and KL-warm-up runs; bits/dim).

Seed 0 reproduces the chapter's numbers. Run, for example,
``TQDM_DISABLE=1 .venv/bin/python scripts/zoo_seed_spread.py cb --seeds 0 1 2``
(about a minute per part and three seeds on two cores).
"""

from __future__ import annotations

import argparse
import math
import time

import torch

from vae_tutorial import load_digits, representations, setup_notebook
from vae_tutorial.bce_grey import GreyBCEHead
from vae_tutorial.corruption import salt_pixels
from vae_tutorial.diagnostics import active_units
from vae_tutorial.evaluation import test_bits_per_dim
from vae_tutorial.likelihoods import (
    BetaHead,
    ContinuousBernoulliHead,
    GaussianDiagonalHead,
    GaussianFixedHead,
    GaussianSharedHead,
    LaplaceHead,
    StudentTHead,
)
from vae_tutorial.model import VAE
from vae_tutorial.objectives import elbo
from vae_tutorial.shootout import like_for_like_floor
from vae_tutorial.training import fit_digits, train

ROUNDING_SD = (1 / 16) / math.sqrt(12)  # sd of a value spread uniformly over one level's bin


def gaussian(seed: int) -> None:
    """The floor experiment of the Gaussian chapter (seed 0 = the chapter)."""
    head = GaussianDiagonalHead()
    x_train, x_val = head.prepare(load_digits("train")), head.prepare(load_digits("val"))
    schedule = [(30, 2e-3), (20, 3e-4), (20, 1e-4)]
    for floor in (1e-8, ROUNDING_SD):
        torch.manual_seed(seed)
        model = VAE(GaussianDiagonalHead(min_sigma=floor))
        curve: list[float] = []
        for stage, (epochs, lr) in enumerate(schedule):
            curve += train(
                model, x_train, None, epochs=epochs, lr=lr, seed=10 * seed + stage
            ).train_objective
        torch.manual_seed(0)
        with torch.no_grad():
            dist = model.decode(model.encode(x_train).sample())
            best_pixel = dist.log_prob_per_dim(x_train).mean(0).max().item()
            train_elbo = elbo(model, x_train, n_samples=10).elbo.mean().item()
            val_elbo = elbo(model, x_val, n_samples=10).elbo.mean().item()
        last = schedule[-1][0]
        rise = sum(curve[-5:]) / 5 - sum(curve[-last : -last + 5]) / 5
        print(
            f"gaussian seed {seed} floor {floor:.3g}: train ELBO {train_elbo:6.1f}, "
            f"val ELBO {val_elbo:6.1f}, smallest sigma {dist.base_dist.scale.min().item():.1e}, "
            f"best pixel {best_pixel:.2f}, rise over the last stage {rise:5.1f}",
            flush=True,
        )


def gaussian_bpd(seed: int) -> None:
    """Test bits/dim of the Gaussian chapter's five models (seed 0 = the chapter)."""
    levels_train, levels_val, levels_test = (load_digits(s) for s in ("train", "val", "test"))
    head = GaussianFixedHead()
    x_train, x_val = head.prepare(levels_train), head.prepare(levels_val)
    models = {}
    for sigma in (0.05, 0.3):
        model, _ = fit_digits(GaussianFixedHead(sigma=sigma), epochs=20, lr=3e-3, seed=seed)
        models[f"fixed sigma = {sigma}"] = model
        torch.manual_seed(0)
        with torch.no_grad():
            kl = elbo(model, x_val).kl.mean().item()
            mse = (model.reconstruct(x_val).mean - x_val).pow(2).mean().item()
        print(f"gaussian seed {seed} fixed sigma = {sigma}: KL {kl:.2f}, val mse {mse:.4f}")
    torch.manual_seed(seed)
    shared = VAE(GaussianSharedHead(init_sigma=0.2))
    for round_ in range(3):
        train(shared, x_train, x_val, epochs=20, lr=3e-3, seed=10 * seed + round_)
    for net in (shared.encoder, shared.decoder.net):
        net.requires_grad_(False)  # then sigma alone, as in the chapter
    train(shared, x_train, None, epochs=10, lr=3e-3, seed=10 * seed + 3)
    print(f"gaussian seed {seed} shared: learned sigma {shared.head.sigma.item():.3f}", flush=True)
    models["shared sigma (learned)"] = shared
    for floor in (ROUNDING_SD, 1e-8):
        torch.manual_seed(seed)
        model = VAE(GaussianDiagonalHead(min_sigma=floor))
        for stage, (epochs, lr) in enumerate([(30, 2e-3), (20, 3e-4), (20, 1e-4)]):
            train(model, x_train, None, epochs=epochs, lr=lr, seed=10 * seed + stage)
        models["diagonal, floor 0.018" if floor > 1e-3 else "diagonal, no floor"] = model
    torch.manual_seed(0)
    for name, model in models.items():
        bpd = test_bits_per_dim(model, levels_test, k=100)
        print(f"gaussian seed {seed} {name:24s}: test bits/dim {bpd:.3f}", flush=True)


def beta(seed: int) -> None:
    """The Beta chapter's model (seed 0 = the chapter): ELBO, shapes of its densities, bits/dim."""
    head = BetaHead()
    model, history = fit_digits(
        head, latent_dim=8, epochs=80, batch_size=200, lr=2e-3, patience=20, seed=seed
    )
    levels_test = load_digits("test")
    with torch.no_grad():
        base = model.reconstruct(representations.open_unit_interval(levels_test)).base_dist
    a, b = base.concentration1, base.concentration0
    j_or_u = ((a < 1) | (b < 1)).float().mean().item()
    u_shape = ((a < 1) & (b < 1)).float().mean().item()
    bump = ((a > 1) & (b > 1))[levels_test == 0].float().mean().item()
    torch.manual_seed(0)
    bpd = test_bits_per_dim(model, levels_test, k=200)
    print(
        f"beta seed {seed}: best val ELBO {history.best_val:.1f}, J or U {j_or_u:.1%}, "
        f"U {u_shape:.2%}, blank pixels as bumps {bump:.1%}, test bits/dim {bpd:.3f}",
        flush=True,
    )


def robust_heads() -> dict[str, torch.nn.Module]:
    """The three heads of the robustness experiment, floored like for like (equal peak density).

    The policy of the shoot-out, :func:`vae_tutorial.shootout.like_for_like_floor`: each scale is
    floored where its density's peak equals that of a Gaussian with sd ROUNDING_SD.
    """
    return {
        "Gaussian": GaussianDiagonalHead(min_sigma=ROUNDING_SD),
        "Laplace": LaplaceHead(min_scale=like_for_like_floor("laplace", ROUNDING_SD)),
        "Student-t": StudentTHead(df=3.0, min_scale=like_for_like_floor("student_t", ROUNDING_SD)),
    }


def robust(seed: int) -> None:
    """The salted-digits experiment of the Laplace/Student-t chapter (seed 0 = the chapter)."""
    levels_train, levels_val, levels_test = (load_digits(s) for s in ("train", "val", "test"))
    noisy_train, _ = salt_pixels(levels_train, image_fraction=1.0, pixels_per_image=2, seed=1)
    noisy_val, _ = salt_pixels(levels_val, image_fraction=1.0, pixels_per_image=2, seed=2)
    x_test = representations.unit_interval(levels_test)
    background = levels_test == 0
    for name, head in robust_heads().items():
        torch.manual_seed(seed)
        model = VAE(head)
        train(
            model, head.prepare(noisy_train), head.prepare(noisy_val), epochs=40, lr=2e-3, seed=seed
        )
        with torch.no_grad():
            haze = model.reconstruct(x_test).mean[background].mean().item()
        torch.manual_seed(0)
        bpd = test_bits_per_dim(model, levels_test, k=100)
        print(f"robust seed {seed} {name:9s}: haze {haze:.3f}, test bits/dim {bpd:.3f}", flush=True)


def cb(seed: int) -> None:
    """The collapse experiments of the continuous Bernoulli chapter (seed 0 = the chapter)."""
    levels_train, levels_val = load_digits("train"), load_digits("val")
    x_train, x_val = (representations.unit_interval(v) for v in (levels_train, levels_val))
    settings = dict(latent_dim=8, epochs=80, batch_size=200, lr=2e-3, patience=20, seed=seed)
    cb_model, _ = fit_digits(ContinuousBernoulliHead(), **settings)
    bce_model, _ = fit_digits(GreyBCEHead(), **settings)
    gen = torch.Generator().manual_seed(seed)

    def dequantize(levels: torch.Tensor) -> torch.Tensor:
        lower, upper = representations.unit_interval_bins(levels)
        return lower + (upper - lower) * torch.rand(levels.shape, generator=gen)

    fit = dict(batch_size=200, lr=2e-3, patience=20, seed=seed)
    deq_train, deq_val = dequantize(levels_train), dequantize(levels_val)
    torch.manual_seed(seed)
    deq_model = VAE(ContinuousBernoulliHead())
    train(deq_model, deq_train, deq_val, epochs=80, **fit)
    warm_model = VAE(ContinuousBernoulliHead())
    warm_model.load_state_dict(bce_model.state_dict())
    train(warm_model, x_train, x_val, epochs=40, **fit)
    torch.manual_seed(seed)
    anneal_model = VAE(ContinuousBernoulliHead())
    for stage, beta in enumerate((0.0, 0.1, 0.3, 1.0)):
        train(
            anneal_model,
            x_train,
            x_val if beta == 1.0 else None,
            epochs=20,
            **{**fit, "seed": 10 * seed + stage},
            beta=beta,
        )
    levels_test = load_digits("test")
    bce_as_cb = VAE(ContinuousBernoulliHead())
    bce_as_cb.load_state_dict(bce_model.state_dict())
    bce_as_cb.eval()
    for name, model in (("plain", cb_model), ("BCE read as CB", bce_as_cb)):
        torch.manual_seed(0)
        bpd = test_bits_per_dim(model, levels_test, k=200)
        print(f"cb seed {seed} {name:12s}: test bits/dim {bpd:.3f}", flush=True)
    runs = {
        "plain": (cb_model, x_val),
        "BCE": (bce_model, x_val),
        "dequantized": (deq_model, deq_val),
        "from BCE": (warm_model, x_val),
        "warm-up": (anneal_model, x_val),
    }
    torch.manual_seed(0)
    with torch.no_grad():
        for name, (model, x) in runs.items():
            terms = elbo(model, x, n_samples=10)
            print(
                f"cb seed {seed} {name:12s}: val ELBO {terms.elbo.mean().item():7.1f}, "
                f"KL {terms.kl.mean().item():5.2f}, active units {active_units(model, x)}",
                flush=True,
            )


PARTS = {
    "beta": beta,
    "gaussian": gaussian,
    "gaussian-bpd": gaussian_bpd,
    "robust": robust,
    "cb": cb,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("part", choices=sorted(PARTS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    setup_notebook()
    for seed in args.seeds:
        start = time.perf_counter()
        PARTS[args.part](seed)
        print(f"({args.part} seed {seed}: {time.perf_counter() - start:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
