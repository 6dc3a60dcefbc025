r"""How much the latent code is used, against how much of the image the decoder sees.

For an autoregressive decoder (:mod:`~vae_tutorial.likelihoods.autoregressive`) the *receptive
field* is the number of earlier pixels that the prediction of one pixel may use
(:func:`receptive_field_of`, averaged over the pixels): a causal :math:`k\times k` convolution
sees a neighbourhood that grows with :math:`k` and covers the whole past of an 8x8 image at
:math:`k = 15`; MADE sees every earlier pixel. :func:`run_receptive_field` trains, for
each decoder and seed,

* the VAE with that decoder (:func:`~vae_tutorial.training.fit_digits`, ELBO) and records its
  test bits/dim (importance-weighted, ``k`` samples), its KL term per latent dimension and the
  number of active units (:mod:`~vae_tutorial.diagnostics`);
* the same decoder with no latent at all
  (:class:`~vae_tutorial.autoregressive_only.AutoregressiveOnly`), scored exactly.

The difference between the two is what the latent code adds. ``scripts/receptive_field.py`` runs
the whole grid (several minutes) and writes ``book/nonfactorized/receptive_field.json`` with its
provenance; the chapter reads that file.

:func:`run_remedies` trains the strongest decoders (:data:`REMEDY_DECODERS`) with each remedy of
:data:`REMEDIES` (none, free bits, KL warm-up; see :mod:`~vae_tutorial.training`) on the same
budget and scores them the same way; ``scripts/receptive_field.py --remedies`` writes
``book/nonfactorized/remedies.json``. What the latent adds is read against the no-latent runs of
the grid (same decoder, same seed).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch

from .autoregressive_only import AutoregressiveOnly, exact_bits_per_dim, train_autoregressive_only
from .data import load_digits
from .diagnostics import active_units, kl_per_dimension
from .evaluation import test_bits_per_dim
from .likelihoods import MADEHead, PixelCNNHead
from .likelihoods.autoregressive import AutoregressiveHead
from .training import fit_digits

#: The decoders of the grid, each a label and a kernel size (``None`` for MADE).
DECODERS: dict[str, int | None] = {
    "conv 3x3": 3,
    "conv 5x5": 5,
    "conv 9x9": 9,
    "conv 15x15": 15,
    "MADE": None,
}


def make_decoder_head(kernel_size: int | None) -> AutoregressiveHead:
    """A causal convolution of ``kernel_size`` (or MADE for ``None``), 3 discretized logistics."""
    if kernel_size is None:
        return MADEHead(conditional="discretized_logistic", num_components=3)
    return PixelCNNHead(
        kernel_size=kernel_size, conditional="discretized_logistic", num_components=3
    )


def receptive_field_of(kernel_size: int | None, height: int = 8, width: int = 8) -> float:
    r"""Earlier pixels the prediction of a pixel may use, averaged over the image's pixels.

    MADE (``None``) sees every earlier pixel: :math:`(D-1)/2` on average. A causal
    :math:`k\times k` convolution sees those within :math:`\lfloor k/2\rfloor` rows above and
    columns either side, fewer at the image's borders.
    """
    c = (height + width) if kernel_size is None else kernel_size // 2
    total = 0
    for r in range(height):
        for col in range(width):
            total += sum(
                1
                for r2 in range(height)
                for c2 in range(width)
                if (r2, c2) < (r, col) and r - r2 <= c and abs(col - c2) <= c
            )
    return total / (height * width)


@dataclass
class ReceptiveFieldRun:
    """One (decoder, seed): the VAE's test bits/dim, KL, active units, and the no-latent model."""

    decoder: str
    kernel_size: int | None
    seed: int
    vae_bits_per_dim: float
    kl_nats: float
    kl_per_dim: list[float]
    active_units: int
    no_latent_bits_per_dim: float
    vae_seconds: float
    no_latent_seconds: float


def run_one(
    decoder: str, seed: int, epochs: int = 60, no_latent_epochs: int = 150, k: int = 200
) -> ReceptiveFieldRun:
    """Train and score one decoder with one seed (see the module docstring)."""
    kernel = DECODERS[decoder]
    train, val, test = load_digits("train"), load_digits("val"), load_digits("test")
    start = time.process_time()
    torch.manual_seed(seed)  # the head's weights are drawn here, before fit_digits seeds
    model, _ = fit_digits(make_decoder_head(kernel), epochs=epochs, seed=seed)
    vae_seconds = time.process_time() - start
    torch.manual_seed(seed)
    bpd = test_bits_per_dim(model, test, k=k)
    kl = kl_per_dimension(model, test)
    au = active_units(model, test)
    torch.manual_seed(seed)
    alone = AutoregressiveOnly(make_decoder_head(kernel))
    start = time.process_time()
    train_autoregressive_only(alone, train, val, epochs=no_latent_epochs, seed=seed)
    alone_seconds = time.process_time() - start
    return ReceptiveFieldRun(
        decoder,
        kernel,
        seed,
        round(bpd, 4),
        round(kl.sum().item(), 3),
        [round(v, 3) for v in kl.tolist()],
        au,
        round(exact_bits_per_dim(alone, test), 4),
        round(vae_seconds, 1),
        round(alone_seconds, 1),
    )


def _run_one_dict(decoder: str, seed: int, kwargs: dict) -> dict:
    torch.set_num_threads(1)
    return asdict(run_one(decoder, seed, **kwargs))


def run_receptive_field(
    decoders: Sequence[str] = tuple(DECODERS),
    seeds: Sequence[int] = (0, 1, 2),
    workers: int = 1,
    **kwargs: int,
) -> list[dict]:
    """:func:`run_one` for every decoder and seed, as plain dictionaries (for JSON).

    ``workers > 1`` runs that many processes (one thread each); every run seeds itself, so the
    results do not depend on ``workers``.
    """
    tasks = [(d, s, kwargs) for d in decoders for s in seeds]
    if workers <= 1:
        return [_run_one_dict(*t) for t in tasks]
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return pool.starmap(_run_one_dict, tasks)


#: The remedies for an unused latent code, each as keyword arguments of
#: :func:`~vae_tutorial.training.train`: free bits with a floor of 1 nat per latent dimension
#: (Kingma et al., 2016), a linear KL warm-up over the first 20 epochs (Bowman et al., 2016;
#: Sønderby et al., 2016), and no remedy (the grid's set-up).
REMEDIES: dict[str, dict[str, float | int]] = {
    "none": {},
    "free bits": {"free_bits": 1.0},
    "warm-up": {"warmup_epochs": 20},
}

#: The decoders the remedies are tried on (the whole-past ones, where the decoder is strongest).
REMEDY_DECODERS: tuple[str, ...] = ("conv 15x15", "MADE")


@dataclass
class RemedyRun:
    """One (decoder, remedy, seed): test bits/dim (true bound), KL, active units, best epoch."""

    decoder: str
    remedy: str
    seed: int
    vae_bits_per_dim: float
    kl_nats: float
    kl_per_dim: list[float]
    active_units: int
    best_epoch: int
    vae_seconds: float


def run_remedy(decoder: str, remedy: str, seed: int, epochs: int = 60, k: int = 100) -> RemedyRun:
    """Train the VAE with ``decoder`` under ``remedy`` (:data:`REMEDIES`) and score it.

    The set-up of :func:`run_one` (ELBO-based training, early stopping on the validation ELBO with
    :math:`\\beta = 1`); the test bits/dim is the importance-weighted bound with ``k`` samples,
    whatever the training objective was.
    """
    test = load_digits("test")
    start = time.process_time()
    torch.manual_seed(seed)  # the head's weights are drawn here, before fit_digits seeds
    model, history = fit_digits(
        make_decoder_head(DECODERS[decoder]), epochs=epochs, seed=seed, **REMEDIES[remedy]
    )
    seconds = time.process_time() - start
    torch.manual_seed(seed)
    bpd = test_bits_per_dim(model, test, k=k)
    kl = kl_per_dimension(model, test)
    return RemedyRun(
        decoder,
        remedy,
        seed,
        round(bpd, 4),
        round(kl.sum().item(), 3),
        [round(v, 3) for v in kl.tolist()],
        active_units(model, test),
        history.best_epoch,
        round(seconds, 1),
    )


def _run_remedy_dict(decoder: str, remedy: str, seed: int, kwargs: dict) -> dict:
    torch.set_num_threads(1)
    return asdict(run_remedy(decoder, remedy, seed, **kwargs))


def run_remedies(
    decoders: Sequence[str] = REMEDY_DECODERS,
    remedies: Sequence[str] = tuple(REMEDIES),
    seeds: Sequence[int] = (0, 1, 2),
    workers: int = 1,
    **kwargs: int,
) -> list[dict]:
    """:func:`run_remedy` for every decoder, remedy and seed, as plain dictionaries (for JSON)."""
    tasks = [(d, r, s, kwargs) for d in decoders for r in remedies for s in seeds]
    if workers <= 1:
        return [_run_remedy_dict(*t) for t in tasks]
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(workers) as pool:
        return pool.starmap(_run_remedy_dict, tasks)
