"""Measure the expected ranges of the "train and compare" exercises (vae_tutorial.exercises).

Trains each exercise's models exactly as the exercise states for seeds 0, 1, 2 and prints the
results. The ranges in ``vae_tutorial/exercises/`` are the min and max over the seeds, widened by
0.03 bits/dim (test bits/dim of the digits), 3 nats (validation ELBOs, discretized-real-line-ex-2)
or 0.1 bits per feature (the synthetic counts, whose seed spread is larger), and rounded to the
precision the exercise prints. Foundations (``fit_digits``, 60 epochs, test bits/dim with k=100
importance samples and ``torch.manual_seed(0)`` before the estimate): about two minutes on one
core. The likelihood zoo (Part II, the runs of :data:`ZOO`): about seven minutes on one core.
Parts III to V (``later``) and the three priors of shootout-best-ex-2 (``best_priors``): a few
minutes each.

    TQDM_DISABLE=1 python scripts/exercise_ranges.py [foundations|zoo|LABEL|later|best_priors]

The zoo's runs are functions ``run(seed) -> tuple of floats`` so that the tests
(``tests/test_exercise_solutions_zoo.py``) train seed 0 exactly as this script does.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable

import torch

from vae_tutorial import LIKELIHOODS, load_digits
from vae_tutorial.evaluation import test_bits_per_dim
from vae_tutorial.training import fit_digits

RUNS = {  # exercise: (head, latent_dim)
    "what-is-pxz-ex-4 (binomial, L=8)": ("binomial", 8),
    "what-is-pxz-ex-5 (categorical, L=2)": ("categorical", 2),
    "what-is-pxz-ex-5 (categorical, L=16)": ("categorical", 16),
}


def _score(model, k: int = 100) -> float:
    torch.manual_seed(0)
    return test_bits_per_dim(model, load_digits("test"), k=k)


# --------------------------------------------------------------------------- Part II, the zoo
GAUSSIAN_FLOORS = (0.005, 0.018, 0.05)


def gaussian_ex_4(seed: int) -> tuple[float, ...]:
    """Test bits/dim of the diagonal Gaussian with the three floors (30 epochs, lr 2e-3)."""
    from vae_tutorial.likelihoods import GaussianDiagonalHead

    out = []
    for floor in GAUSSIAN_FLOORS:
        model, _ = fit_digits(GaussianDiagonalHead(min_sigma=floor), epochs=30, lr=2e-3, seed=seed)
        out.append(_score(model))
    return tuple(out)


def _robust_heads() -> dict[str, torch.nn.Module]:
    from vae_tutorial.likelihoods import GaussianDiagonalHead, LaplaceHead, StudentTHead
    from vae_tutorial.shootout import like_for_like_floor

    s0 = (1 / 16) / math.sqrt(12)
    return {"Gaussian": GaussianDiagonalHead(min_sigma=s0),
            "Laplace": LaplaceHead(min_scale=like_for_like_floor("laplace", s0)),
            "Student-t": StudentTHead(df=3.0, min_scale=like_for_like_floor("student_t", s0))}


def _robust(train_levels: torch.Tensor, val_levels: torch.Tensor, seed: int) -> tuple[float, ...]:
    """The chapter's three heads trained 40 epochs (lr 2e-3) on the given levels; test bits/dim."""
    from vae_tutorial.model import VAE
    from vae_tutorial.training import train

    out = []
    for head in _robust_heads().values():
        torch.manual_seed(seed)
        model = VAE(head)
        train(model, head.prepare(train_levels), head.prepare(val_levels), epochs=40, lr=2e-3,
              seed=seed)
        out.append(_score(model))
    return tuple(out)


def laplace_student_t_ex_3(seed: int) -> tuple[float, ...]:
    """Gaussian, Laplace, Student-t bits/dim; salt concentrated in a fifth of the images."""
    from vae_tutorial.corruption import salt_pixels

    noisy_train, _ = salt_pixels(load_digits("train"), image_fraction=0.2, pixels_per_image=10,
                                 seed=1)
    noisy_val, _ = salt_pixels(load_digits("val"), image_fraction=0.2, pixels_per_image=10, seed=2)
    return _robust(noisy_train, noisy_val, seed)


def laplace_student_t_ex_5(seed: int) -> tuple[float, ...]:
    """Gaussian, Laplace, Student-t bits/dim, trained on the clean digits."""
    return _robust(load_digits("train"), load_digits("val"), seed)


def discretized_real_line_ex_2(seed: int) -> tuple[float, ...]:
    """(best validation ELBO floor 1e-3, floor 0.018, test bits/dim floor 1e-3, floor 0.018)."""
    from vae_tutorial.likelihoods import GaussianDiagonalHead

    elbos, bpds = [], []
    for floor in (1e-3, 0.018):
        model, hist = fit_digits(GaussianDiagonalHead(min_sigma=floor), epochs=20, patience=10,
                                 seed=seed)
        elbos.append(hist.best_val)
        bpds.append(_score(model, k=50))
    return (*elbos, *bpds)


def counts_ex_3(seed: int) -> tuple[float, ...]:
    """Poisson and NB test bits per feature on Poisson data; median learned NB dispersion."""
    from vae_tutorial.likelihoods import NegativeBinomialHead, PoissonHead
    from vae_tutorial.model import VAE
    from vae_tutorial.objectives import bits_per_dim, iwae_bound
    from vae_tutorial.synthetic import load_overdispersed_counts
    from vae_tutorial.training import train

    tr, va, te = (load_overdispersed_counts(s, dispersion=float("inf"))
                  for s in ("train", "val", "test"))
    out, r_median = [], 0.0
    for head in (PoissonHead(), NegativeBinomialHead()):
        torch.manual_seed(seed)
        m = VAE(head, data_dim=32, latent_dim=2, hidden=(128, 128))
        train(m, tr.counts, va.counts, epochs=40, lr=2e-3, patience=10, seed=seed)
        torch.manual_seed(0)
        out.append(float(bits_per_dim(iwae_bound(m, te.counts, k=200).mean(), 32)))
        if head.name == "negative_binomial":
            with torch.no_grad():
                r_median = float(m.reconstruct(te.counts).base_dist.total_count.median())
    return (*out, r_median)


ZOO: dict[str, Callable[[int], tuple[float, ...]]] = {
    "gaussian-ex-4": gaussian_ex_4,
    "laplace-student-t-ex-3": laplace_student_t_ex_3,
    "laplace-student-t-ex-5": laplace_student_t_ex_5,
    "discretized-real-line-ex-2": discretized_real_line_ex_2,
    "counts-ex-3": counts_ex_3,
}


def foundations() -> None:
    test = load_digits("test")
    for name, (head, latent_dim) in RUNS.items():
        scores = []
        for seed in range(3):
            start = time.time()
            model, _ = fit_digits(LIKELIHOODS[head](), latent_dim=latent_dim, epochs=60, seed=seed)
            torch.manual_seed(0)
            scores.append(test_bits_per_dim(model, test, k=100))
            print(f"{name} seed {seed}: {scores[-1]:.4f} bits/dim ({time.time() - start:.0f} s)")
        print(f"{name}: range [{min(scores) - 0.03:.2f}, {max(scores) + 0.03:.2f}]")


def zoo(labels: list[str]) -> None:
    for label in labels:
        results = []
        for seed in range(3):
            start = time.time()
            results.append(ZOO[label](seed))
            print(f"{label} seed {seed}: {', '.join(f'{v:.4f}' for v in results[-1])} "
                  f"({time.time() - start:.0f} s)", flush=True)
        lows = [min(r[i] for r in results) for i in range(len(results[0]))]
        highs = [max(r[i] for r in results) for i in range(len(results[0]))]
        print(f"{label}: min {', '.join(f'{v:.4f}' for v in lows)}; "
              f"max {', '.join(f'{v:.4f}' for v in highs)}", flush=True)


# --------------------------------------------------------------------------- Parts III to V
# The "train and compare" exercises of Parts III (evaluation), IV and V, run exactly as their text
# states, seeds 0, 1, 2. The ranges in vae_tutorial/exercises/evaluation.py and beyond.py are the
# min and max over the seeds, widened as the comment above each range says. A few minutes on one
# core:  TQDM_DISABLE=1 nice -n 10 python scripts/exercise_ranges.py later
def later(seeds: tuple[int, ...] = (0, 1, 2)) -> dict[str, list[tuple[float, ...]]]:
    """Measure the Part III-V exercises; print and return ``{exercise: [result per seed]}``."""
    from vae_tutorial.diagnostics import active_units, kl_per_dimension
    from vae_tutorial.likelihoods import TABLE_LIKELIHOODS
    from vae_tutorial.receptive_field import make_decoder_head
    from vae_tutorial.tables import load_fair
    from vae_tutorial.training import train
    from vae_tutorial.zero_inflation import fit_by_group

    torch.set_num_threads(1)
    test = load_digits("test")
    out: dict[str, list[tuple[float, ...]]] = {}

    def report(name: str, seed: int, values: tuple[float, ...], start: float) -> None:
        out.setdefault(name, []).append(values)
        shown = ", ".join(f"{v:.4f}" for v in values)
        print(f"{name} seed {seed}: {shown} ({time.time() - start:.0f} s)", flush=True)

    for seed in seeds:
        # estimating-ex-2: binomial VAEs, L = 2 and 16; test bits/dim by the ELBO (k=1) and k=1000
        for latent_dim in (2, 16):
            start = time.time()
            model, _ = fit_digits(LIKELIHOODS["binomial"](), latent_dim=latent_dim, epochs=60,
                                  seed=seed)
            torch.manual_seed(0)
            elbo_bpd = test_bits_per_dim(model, test, k=1)
            torch.manual_seed(0)
            iwae_bpd = test_bits_per_dim(model, test, k=1000)
            report(f"estimating-ex-2 L={latent_dim} (ELBO, k=1000)", seed, (elbo_bpd, iwae_bpd),
                   start)
        # posterior_collapse: the sweep's settings (latent 8, hidden 128-128, 30 epochs)
        unit = LIKELIHOODS["gaussian_fixed"]()
        x_val = unit.prepare(load_digits("val"))
        start = time.time()
        model, _ = fit_digits(LIKELIHOODS["gaussian_shared"](init_sigma=0.5), latent_dim=8,
                              hidden=(128, 128), epochs=30, patience=None, seed=seed)
        torch.manual_seed(0)
        units = active_units(model, x_val)
        bpd = test_bits_per_dim(model, test, k=100)
        report("collapse-ex-3 (sigma, active units, bits/dim)", seed,
               (float(model.head.sigma), float(units), bpd), start)
        start = time.time()
        model, _ = fit_digits(LIKELIHOODS["gaussian_fixed"](sigma=0.7), latent_dim=8,
                              hidden=(128, 128), epochs=30, patience=None, seed=seed)
        torch.manual_seed(0)
        units = active_units(model, x_val)
        kl = float(kl_per_dimension(model, x_val).sum())
        bpd = test_bits_per_dim(model, test, k=100)
        report("collapse-ex-5 (active units, KL, bits/dim)", seed, (float(units), kl, bpd), start)
        # iz-ex-2: KL warm-up for the 15 x 15 decoder: 10 epochs at beta 0.1, then 50 at beta 1
        start = time.time()
        head = make_decoder_head(15)
        model, _ = fit_digits(head, epochs=10, beta=0.1, patience=None, seed=seed)
        x_tr, x_va = head.prepare(load_digits("train")), head.prepare(load_digits("val"))
        train(model, x_tr, x_va, epochs=50, beta=1.0, seed=seed)
        torch.manual_seed(0)
        kl = float(kl_per_dimension(model, head.prepare(test)).sum())
        bpd = test_bits_per_dim(model, test, k=100)
        report("iz-ex-2 (KL, bits/dim)", seed, (kl, bpd), start)
    # zeros-ex-2: deterministic fits, no seed
    train_c = load_fair("train", coded=True)
    children, age_band, years_band = train_c[:, 3:4], train_c[:, 1], train_c[:, 2]
    families = {"Poisson": lambda: LIKELIHOODS["poisson"](),
                "ZIP": lambda: TABLE_LIKELIHOODS["zero_inflated_poisson"]()}
    start = time.time()
    by_age = {f: fit_by_group(m, children, age_band) for f, m in families.items()}
    both = age_band * 7 + years_band
    by_both = {f: fit_by_group(m, children, both) for f, m in families.items()}
    report("zeros-ex-2 (ZIP - Poisson by age, by both)", 0,
           (by_age["ZIP"] - by_age["Poisson"], by_both["ZIP"] - by_both["Poisson"]), start)
    return out


def best_priors(seeds: tuple[int, ...] = (0, 1, 2)) -> dict[str, list[float]]:
    """shootout-best-ex-2: the best model with its VampPrior, a mixture of 50 Gaussians and the
    standard normal prior, trained with BEST_CONFIG; validation bits/dim, k=100 after
    torch.manual_seed(0). About five minutes on one core:
    TQDM_DISABLE=1 nice -n 10 python scripts/exercise_ranges.py best_priors"""
    from vae_tutorial import best
    from vae_tutorial.model import StandardNormalPrior
    from vae_tutorial.priors import MixtureOfGaussiansPrior
    from vae_tutorial.training import train

    torch.set_num_threads(1)
    cfg = best.BEST_CONFIG
    val = load_digits("val")
    out: dict[str, list[float]] = {}
    for seed in seeds:
        for name in ("vamp", "mixture", "standard"):
            start = time.time()
            model = best.build_best_model(cfg, seed)
            if name == "mixture":
                model.prior = MixtureOfGaussiansPrior(cfg.latent_dim, 50)
            elif name == "standard":
                model.prior = StandardNormalPrior(cfg.latent_dim)
            head = model.head
            train(model, head.prepare(load_digits("train")), head.prepare(val),
                  epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                  patience=cfg.patience, kind=cfg.objective, k=cfg.k, seed=seed)
            torch.manual_seed(0)
            out.setdefault(name, []).append(test_bits_per_dim(model, val, k=100))
            print(f"shootout-best-ex-2 {name} seed {seed}: {out[name][-1]:.4f} bits/dim "
                  f"({time.time() - start:.0f} s)", flush=True)
    return out


def main(argv: list[str]) -> None:
    torch.set_num_threads(1)
    if not argv or "foundations" in argv:
        foundations()
    wanted = [a for a in argv if a in ZOO] or (list(ZOO) if not argv or "zoo" in argv else [])
    zoo(wanted)
    if "later" in argv:
        later()
    if "best_priors" in argv:
        best_priors()


if __name__ == "__main__":
    main(sys.argv[1:])
