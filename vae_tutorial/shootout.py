r"""The likelihood shoot-out: every head, one architecture, one budget, one yardstick.

For each likelihood head and each seed, :func:`run_shootout` builds the same
:class:`~vae_tutorial.model.VAE` (MLP encoder and decoder, latent dimension :math:`L`), trains it
on the training split in the head's own representation with the same optimiser and number of
epochs (keeping the parameters of the best validation epoch), and scores it on the test split with
:func:`~vae_tutorial.evaluation.test_bits_per_dim`: the importance-weighted estimate, with ``k``
samples, of

.. math::

    \text{bits/dim} = -\frac{1}{N D \ln 2}\sum_{n=1}^N \log P_\theta(x_n),

the log-probability of the *discrete* digits (continuous heads through uniform dequantization),
so every row of the table is on the same scale. :func:`summarize` reduces the runs to the mean and
the standard deviation over seeds.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import nn

from .data import load_digits
from .evaluation import test_bits_per_dim
from .likelihoods.base import LikelihoodHead
from .model import VAE
from .training import fit_digits


@dataclass
class RunResult:
    """One trained model of the shoot-out: its head's label, seed, test bits/dim and cost."""

    label: str
    seed: int
    bits_per_dim: float
    cpu_seconds: float
    best_epoch: int
    model: VAE


@dataclass
class Summary:
    """Mean and standard deviation over seeds of one head's test bits/dim, and its mean CPU time."""

    label: str
    mean: float
    std: float
    cpu_seconds: float
    runs: int


def run_shootout(
    heads: Mapping[str, Callable[[], LikelihoodHead]],
    seeds: Sequence[int] = (0, 1, 2),
    epochs: int = 30,
    k: int = 100,
    latent_dim: int = 8,
    hidden: tuple[int, ...] = (256, 256),
    lr: float = 1e-3,
) -> list[RunResult]:
    """Train and score one VAE per (head, seed); ``heads`` maps a label to a head factory.

    Training: :func:`~vae_tutorial.training.fit_digits` with Adam (``lr``), batch size 100,
    ``epochs`` epochs, no early stop, best validation epoch kept. Evaluation: ``test_bits_per_dim``
    on the test split with ``k`` importance samples, the noise seeded by ``seed``. ``cpu_seconds``
    is the training's process CPU time, less sensitive to other programs than wall time.
    """
    test = load_digits("test")
    results = []
    for label, make_head in heads.items():
        for seed in seeds:
            start = time.process_time()
            model, history = fit_digits(
                make_head(),
                latent_dim=latent_dim,
                hidden=hidden,
                seed=seed,
                epochs=epochs,
                lr=lr,
                patience=None,
            )
            cpu = time.process_time() - start
            torch.manual_seed(seed)
            bpd = test_bits_per_dim(model, test, k=k)
            results.append(RunResult(label, seed, bpd, cpu, history.best_epoch, model))
    return results


def summarize(results: Sequence[RunResult]) -> list[Summary]:
    """One :class:`Summary` per label, in order of first appearance (std with n - 1)."""
    labels = list(dict.fromkeys(r.label for r in results))
    out = []
    for label in labels:
        runs = [r for r in results if r.label == label]
        values = [r.bits_per_dim for r in runs]
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        cpu = statistics.fmean(r.cpu_seconds for r in runs)
        out.append(Summary(label, statistics.fmean(values), std, cpu, len(runs)))
    return out


def format_table(summaries: Sequence[Summary], sort: bool = True) -> str:
    """Plain-text table: label, mean +- std of test bits/dim, CPU time (best first if ``sort``)."""
    rows = sorted(summaries, key=lambda s: s.mean) if sort else list(summaries)
    width = max(len(s.label) for s in rows)
    lines = [f"{'likelihood':{width}s}  test bits/dim (mean +- std)  training CPU  seeds"]
    for s in rows:
        lines.append(
            f"{s.label:{width}s}  {s.mean:8.3f} +- {s.std:.3f}           {s.cpu_seconds:5.1f} s"
            f"       {s.runs}"
        )
    return "\n".join(lines)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters (shared ones counted once)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def uniform_bits_per_dim(num_levels: int = 17) -> float:
    """The model that knows nothing: :math:`\\log_2 K` bits per dimension."""
    return math.log2(num_levels)


def results_record(summaries: Sequence[Summary]) -> dict[str, dict[str, float]]:
    """The reproducible part of a table: mean and std of test bits/dim (3 decimals) and seeds.

    CPU times are left out: they depend on the machine.
    """
    return {
        s.label: {"mean": round(s.mean, 3), "std": round(s.std, 3), "runs": s.runs}
        for s in summaries
    }


def record_results(summaries: Sequence[Summary], path: str | Path) -> dict[str, dict[str, float]]:
    """Keep a part's results in a JSON file that a later part of the shoot-out reads.

    Writes ``path`` when it does not exist; otherwise checks that the file holds exactly what was
    just computed and raises an ``AssertionError`` if not, so a stale file cannot feed the summary
    table of another notebook. Delete the file and re-run the notebook to refresh it.
    """
    path = Path(path)
    record = results_record(summaries)
    if not path.exists():
        path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        return record
    stored = json.loads(path.read_text())
    assert stored == record, (
        f"{path} does not match the results just computed: delete it and re-run this notebook"
    )
    return record


def load_results(path: str | Path) -> dict[str, dict[str, float]]:
    """Read a file written by :func:`record_results`."""
    return json.loads(Path(path).read_text())
