r"""The likelihood shoot-out: every head, one architecture, one protocol, trained to convergence.

For each likelihood head of :data:`HEADS` and each seed, :func:`run_one` builds the same
:class:`~vae_tutorial.model.VAE` (MLP encoder and decoder, latent dimension :math:`L = 8`),
trains it on the training split in the head's own representation with Adam (batches of 100) until
the validation ELBO has not improved for ``patience`` epochs (at most ``max_epochs``), keeps the
parameters of the best validation epoch, and scores it on the test split with
:func:`~vae_tutorial.evaluation.test_bits_per_dim`: the importance-weighted estimate, with
:math:`k = 1000` samples, of

.. math::

    \text{bits/dim} = -\frac{1}{N D \ln 2}\sum_{n=1}^N \log P_\theta(x_n),

the log-probability of the *discrete* test digits, so every row is on the same scale. Each head
keeps the settings of its own zoo chapter (the ``setting`` field of :class:`HeadSpec` says
which). The two classical baselines of :mod:`vae_tutorial.baselines` and the book's best model
(:mod:`vae_tutorial.best`, its own protocol) are scored on the same test split.

The whole experiment is a command that writes one results file with its provenance::

    python -m vae_tutorial.shootout            # writes book/evaluation/shootout_results.json

The chapters of Part III read that file (:func:`load_results`); :func:`decision_guide` turns it
into the book's decision guide, each verdict computed from the means and seed-to-seed standard
deviations, so a verdict the numbers do not support cannot be printed.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import torch

from .data import load_digits
from .likelihoods import LIKELIHOODS, NONFACTORIZED
from .likelihoods.base import LikelihoodHead

#: Where the command writes its results, relative to the repository root.
RESULTS_PATH = Path("book") / "evaluation" / "shootout_results.json"

#: The diagonal Gaussian's floor, as in its chapter, is the standard deviation of a uniform
#: distribution over one level's bin (width 1/16 on the unit scale), :math:`\tfrac1{16}/\sqrt{12}`.
GAUSSIAN_FLOOR = (1 / 16) / math.sqrt(12)


def like_for_like_floor(family: str, sigma_min: float = GAUSSIAN_FLOOR, df: float = 3.0) -> float:
    r"""The scale floor of ``family`` that caps its density where the Gaussian's floor caps it.

    On discrete data a density with a learned scale gains without bound by shrinking the scale
    onto a level (:doc:`../zoo/gaussian`); the floor caps the log-density a pixel can earn at the
    peak value :math:`p_{\max}`. The Gaussian's peak is :math:`1/(\sigma_{\min}\sqrt{2\pi})`; the
    Laplace's :math:`1/(2b)`; the Student-t's
    :math:`\Gamma(\frac{\nu+1}2)/(\Gamma(\frac\nu2)\sqrt{\nu\pi}\,s)`. Equal peaks give

    .. math::

        b_{\min} = \sigma_{\min}\sqrt{2\pi}/2,\qquad
        s_{\min} = \sigma_{\min}\sqrt{2\pi}\,
                   \frac{\Gamma(\frac{\nu+1}2)}{\Gamma(\frac\nu2)\sqrt{\nu\pi}} .

    ``family`` is ``"gaussian"``, ``"laplace"`` or ``"student_t"``.
    """
    peak_gauss = 1 / (sigma_min * math.sqrt(2 * math.pi))
    if family == "gaussian":
        return sigma_min
    if family == "laplace":
        return 1 / (2 * peak_gauss)
    if family == "student_t":
        log_c = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
        return math.exp(log_c) / peak_gauss
    raise ValueError(
        f"like_for_like_floor: family must be gaussian, laplace or student_t, got {family!r}"
    )


@dataclass(frozen=True)
class HeadSpec:
    """One row of the shoot-out: ``LIKELIHOODS[likelihood](**kwargs)`` and where it comes from.

    ``group`` is ``"continuous"`` (a density, scored on its bins), ``"discrete"`` (a pmf of the
    levels) or ``"binary"`` (a model of the binarized digits, scored spread over the levels with
    :func:`~vae_tutorial.baselines.spread_binary_log_prob` and reported apart); ``family`` says
    how the head puts its mass on the levels, for the decision guide. ``scoring`` is ``"exact"``
    (the level probabilities, or the box probabilities of a factorized density) or
    ``"dequantize"`` (an importance-weighted lower bound, for densities whose box probabilities
    have no closed form).
    """

    label: str
    likelihood: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    group: str = "continuous"
    family: str = ""
    setting: str = "package defaults"
    scoring: str = "exact"

    def make(self) -> LikelihoodHead:
        """A fresh head (from ``LIKELIHOODS``, or ``NONFACTORIZED`` for Part IV's heads)."""
        registry = {**LIKELIHOODS, **NONFACTORIZED}
        if self.likelihood not in registry:
            raise ValueError(
                f"shootout: no likelihood {self.likelihood!r} in LIKELIHOODS or NONFACTORIZED "
                f"(have {sorted(registry)})"
            )
        return registry[self.likelihood](**self.kwargs)


#: Every head of the zoo with the settings of its own chapter (display order).
HEADS: tuple[HeadSpec, ...] = (
    HeadSpec(
        "continuous_bernoulli",
        "continuous_bernoulli",
        group="continuous",
        family="bounded",
        setting="zoo default",
    ),
    HeadSpec(
        "gaussian_fixed (sigma=1)",
        "gaussian_fixed",
        {"sigma": 1.0},
        family="real line",
        setting="sigma = 1: the plain squared-error VAE",
    ),
    HeadSpec(
        "gaussian_fixed (sigma=0.1)",
        "gaussian_fixed",
        {"sigma": 0.1},
        family="real line",
        setting="sigma = 0.1, near the learned shared sigma of the Gaussian chapter",
    ),
    HeadSpec(
        "gaussian_shared",
        "gaussian_shared",
        {"init_sigma": 0.2},
        family="real line",
        setting="initial sigma 0.2 (Gaussian chapter)",
    ),
    HeadSpec(
        "gaussian_diagonal",
        "gaussian_diagonal",
        {"min_sigma": GAUSSIAN_FLOOR},
        family="real line",
        setting="floor (1/16)/sqrt(12) (Gaussian chapter)",
    ),
    HeadSpec(
        "laplace",
        "laplace",
        {"min_scale": like_for_like_floor("laplace")},
        family="real line",
        setting="learned scale, floor capping the density like the Gaussian's",
    ),
    HeadSpec(
        "student_t (df=3)",
        "student_t",
        {"df": 3.0, "min_scale": like_for_like_floor("student_t")},
        family="real line",
        setting="3 degrees of freedom, floor capping the density like the Gaussian's",
    ),
    HeadSpec("beta", "beta", family="bounded", setting="zoo default"),
    HeadSpec(
        "categorical",
        "categorical",
        group="discrete",
        family="unordered levels",
        setting="17 levels",
    ),
    HeadSpec(
        "discretized_logistic",
        "discretized_logistic",
        group="discrete",
        family="discretized",
        setting="one component",
    ),
    HeadSpec(
        "discretized_logistic (3 components)",
        "discretized_logistic",
        {"num_components": 3},
        group="discrete",
        family="discretized",
        setting="mixture of 3 (its chapter's mixture)",
    ),
    HeadSpec(
        "discretized_gaussian",
        "discretized_gaussian",
        group="discrete",
        family="discretized",
        setting="zoo default",
    ),
    HeadSpec(
        "discretized_laplace",
        "discretized_laplace",
        group="discrete",
        family="discretized",
        setting="zoo default",
    ),
    HeadSpec("binomial", "binomial", group="discrete", family="counts", setting="16 trials"),
    HeadSpec("poisson", "poisson", group="discrete", family="counts", setting="zoo default"),
    HeadSpec(
        "negative_binomial",
        "negative_binomial",
        group="discrete",
        family="counts",
        setting="zoo default",
    ),
    HeadSpec(
        "bernoulli",
        "bernoulli",
        group="binary",
        family="binary",
        setting="binarized digits, spread over the levels",
    ),
)

#: Part IV's heads (pixels dependent given z) under the shoot-out's protocol; not in the default
#: run: ``python -m vae_tutorial.shootout --heads LABEL ... --no-best --merge`` adds them to the
#: results file. The correlated Gaussians are scored by dequantization (their box probabilities
#: have no closed form), the autoregressive heads exactly.
PART_IV_HEADS: tuple[HeadSpec, ...] = (
    HeadSpec(
        "gaussian_diagonal (dequantized)",
        "gaussian_diagonal",
        {"min_sigma": GAUSSIAN_FLOOR},
        group="nonfactorized",
        family="correlated Gaussian",
        setting="the shoot-out's diagonal Gaussian (same runs), scored dequantized like the "
        "correlated rows",
        scoring="dequantize",
    ),
    HeadSpec(
        "gaussian_lowrank (r=4)",
        "gaussian_lowrank",
        {"rank": 4, "min_sigma": GAUSSIAN_FLOOR},
        group="nonfactorized",
        family="correlated Gaussian",
        setting="rank 4 (its chapter), floor (1/16)/sqrt(12) like the diagonal, scored dequantized",
        scoring="dequantize",
    ),
    HeadSpec(
        "gaussian_full",
        "gaussian_full",
        {"min_sigma": GAUSSIAN_FLOOR},
        group="nonfactorized",
        family="correlated Gaussian",
        setting="Cholesky factor (its chapter), floor (1/16)/sqrt(12) like the diagonal, "
        "scored dequantized",
        scoring="dequantize",
    ),
    HeadSpec(
        "made (3 logistics)",
        "made",
        {"conditional": "discretized_logistic", "num_components": 3},
        group="nonfactorized",
        family="autoregressive decoder",
        setting="MADE, mixture of 3 discretized logistics per pixel",
    ),
    HeadSpec(
        "pixelcnn 5x5 (3 logistics)",
        "pixelcnn",
        {"kernel_size": 5, "conditional": "discretized_logistic", "num_components": 3},
        group="nonfactorized",
        family="autoregressive decoder",
        setting="5x5 causal convolution, mixture of 3 discretized logistics per pixel",
    ),
)

#: Labels of the rows that are not VAEs of :data:`HEADS`.
BEST_LABEL = "best model"
INDEPENDENT_LABEL = "independent pixels"
MIXTURE_LABEL = "mixture of categoricals"


@dataclass(frozen=True)
class Protocol:
    """Everything shared by every head's training and scoring (see the module docstring)."""

    latent_dim: int = 8
    hidden: tuple[int, ...] = (256, 256)
    optimizer: str = "Adam"
    lr: float = 2e-3
    batch_size: int = 100
    objective: str = "elbo"
    max_epochs: int = 400
    patience: int = 50
    k: int = 1000
    k_check: int = 5000
    seeds: tuple[int, ...] = (0, 1, 2)
    mixture_components: tuple[int, ...] = (10, 20, 30, 50)
    mixture_alpha: float = 0.5


PROTOCOL = Protocol()


# -- one run ------------------------------------------------------------------------------------
def _set_up_worker() -> None:
    """One torch thread and deterministic kernels, as in every chapter (``setup_notebook``)."""
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)


def _score(
    model: torch.nn.Module,
    head: LikelihoodHead,
    test: torch.Tensor,
    k: int,
    seed: int,
    dequantize: bool = False,
):
    """(bits/dim of the discrete test digits, bits/dim of the binarized ones or None).

    ``dequantize`` scores by dequantization instead of the exact level or box probabilities.
    """
    from .baselines import spread_binary_log_prob
    from .evaluation import test_bits_per_dim
    from .objectives import bits_per_dim, iwae_bound

    torch.manual_seed(seed)
    if head.name == "bernoulli":  # a model of binarized digits: spread P(b) over the levels
        log_pb = iwae_bound(model, head.prepare(test), k=k)  # type: ignore[arg-type]
        spread = spread_binary_log_prob(log_pb, test).mean()
        return float(bits_per_dim(spread, test.shape[1])), float(
            bits_per_dim(log_pb.mean(), test.shape[1])
        )
    if dequantize:
        return test_bits_per_dim(model, test, k=k, method="dequantize"), None  # type: ignore[arg-type]
    return test_bits_per_dim(model, test, k=k), None  # type: ignore[arg-type]


def train_one(label: str, seed: int, protocol: Protocol = PROTOCOL):
    """Build and train the model of ``label`` (a :data:`HEADS` label or :data:`BEST_LABEL`).

    Returns ``(model, history, max_epochs)``; the best validation epoch's parameters are loaded.
    """
    from .training import fit_digits

    _set_up_worker()
    if label == BEST_LABEL:
        from .best import BEST_CONFIG, train_best_model

        model, history = train_best_model(seed=seed)
        return model, history, BEST_CONFIG.epochs
    spec = spec_by_label(label)
    torch.manual_seed(seed)  # heads with weights of their own (Part IV) draw them here
    model, history = fit_digits(
        spec.make(),
        latent_dim=protocol.latent_dim,
        hidden=protocol.hidden,
        seed=seed,
        epochs=protocol.max_epochs,
        lr=protocol.lr,
        batch_size=protocol.batch_size,
        patience=protocol.patience,
        kind=protocol.objective,
        progress=False,
    )
    return model, history, protocol.max_epochs


def run_one(
    label: str, seed: int, protocol: Protocol = PROTOCOL, check_k: bool = False
) -> dict[str, Any]:
    """Train and score one (head, seed) of the shoot-out; returns its row of the results file.

    ``label`` is a :data:`HEADS` label or :data:`BEST_LABEL`. The row holds the test bits/dim at
    ``protocol.k`` (and at ``protocol.k_check`` when ``check_k``), the best and last epochs
    (1-based), the best validation objective (nats per image), the validation curve and the CPU
    seconds of training and scoring. Everything but the times is deterministic for a given seed,
    thread count and set of CPU kernels.
    """
    test = load_digits("test")
    start = time.process_time()
    model, history, max_epochs = train_one(label, seed, protocol)
    train_cpu = time.process_time() - start
    dequantize = label != BEST_LABEL and spec_by_label(label).scoring == "dequantize"
    bpd, binary_bpd = _score(model, model.head, test, protocol.k, seed, dequantize)
    row: dict[str, Any] = {
        "label": label,
        "seed": seed,
        "test_bits_per_dim": bpd,
        "best_epoch": history.best_epoch + 1,
        "epochs_run": history.epochs_run,
        "hit_epoch_cap": history.epochs_run >= max_epochs,
        "best_val_objective": history.best_val,
        "val_curve": [round(v, 3) for v in history.val_objective],
    }
    if binary_bpd is not None:
        row["binary_bits_per_dim"] = binary_bpd
    if check_k:
        row[f"test_bits_per_dim_k{protocol.k_check}"] = _score(
            model, model.head, test, protocol.k_check, seed, dequantize
        )[0]
    row["train_cpu_seconds"] = round(train_cpu, 2)
    row["total_cpu_seconds"] = round(time.process_time() - start, 2)
    return row


def _run_task(task: tuple[str, int, Protocol, bool]) -> dict[str, Any]:
    return run_one(*task)


def key_of(label: str) -> str:
    """A name made of letters, digits and underscores, e.g. for ``glue``: ``student_t_df_3``."""
    return re.sub(r"\W+", "_", label).strip("_")


def spec_by_label(label: str) -> HeadSpec:
    """The :class:`HeadSpec` of ``label`` (in :data:`HEADS` or :data:`PART_IV_HEADS`)."""
    for spec in (*HEADS, *PART_IV_HEADS):
        if spec.label == label:
            return spec
    raise ValueError(f"shootout: unknown head {label!r}; have {[s.label for s in HEADS]}")


def baseline_rows(protocol: Protocol = PROTOCOL) -> list[dict[str, Any]]:
    """The classical baselines' rows: independent pixels (exact, no seed) and the EM mixture.

    The mixture's number of components is chosen on the validation split for each seed (the seed
    sets EM's random start).
    """
    from .baselines import independent_pixels_bits_per_dim, select_mixture

    train, val, test = (load_digits(s) for s in ("train", "val", "test"))
    rows: list[dict[str, Any]] = [
        {
            "label": INDEPENDENT_LABEL,
            "seed": 0,
            "test_bits_per_dim": independent_pixels_bits_per_dim(train, test, 17, 1.0),
        }
    ]
    for seed in protocol.seeds:
        mixture, scores = select_mixture(
            train, val, protocol.mixture_components, protocol.mixture_alpha, seed=seed
        )
        rows.append(
            {
                "label": MIXTURE_LABEL,
                "seed": seed,
                "test_bits_per_dim": mixture.bits_per_dim(test),
                "num_components": mixture.num_components,
                "val_bits_per_dim": {str(m): v for m, v in scores.items()},
            }
        )
    return rows


# -- Part IV: heads whose pixels are dependent given z (their own protocol) ---------------------
#: Group of the Part IV rows in summaries and tables.
PART_IV_GROUP = "Part IV"

#: The Part IV row of the new best model (a whole recipe, not only a decoder).
PART_IV_BEST_LABEL = "best autoregressive VAE"

#: The family of each Part IV row, by label (see :func:`part_iv_rows`).
PART_IV_FAMILIES: dict[str, str] = {
    "PixelCNN-style 5x5 (3 logistics)": "autoregressive decoder",
    "PixelCNN-style 15x15 (3 logistics)": "autoregressive decoder",
    "MADE (3 logistics)": "autoregressive decoder",
    "MADE (3 logistics), free bits": "autoregressive decoder",
    "best autoregressive VAE": "autoregressive decoder",
    "PixelCNN-style 15x15 without z (exact)": "no latent",
}


def part_iv_rows(folder: str | Path = Path("book") / "nonfactorized") -> list[dict[str, Any]]:
    """Rows (label, seed, test bits/dim) of the Part IV heads, read from Part IV's results files.

    **Their own protocol, not the shoot-out's**: ``receptive_field.json`` and ``remedies.json``
    train with the ELBO at lr 1e-3 for at most 60 epochs (patience 20) and score with
    :math:`k = 100` (a looser bound than the shoot-out's :math:`k = 1000`, so these rows are if
    anything pessimistic); ``best_autoregressive.json`` is the new best model's recipe, scored with
    :math:`k = 1000`. Every row has ``"protocol"`` naming its file. The correlated Gaussians are
    not here: they were run under the shoot-out's own protocol (:data:`PART_IV_HEADS`).
    """
    folder = Path(folder)
    grid = json.loads((folder / "receptive_field.json").read_text())
    remedies = json.loads((folder / "remedies.json").read_text())
    best = json.loads((folder / "best_autoregressive.json").read_text())
    rows: list[dict[str, Any]] = []

    def add(label: str, seed: int, bpd: float, source: str) -> None:
        rows.append({"label": label, "seed": seed, "test_bits_per_dim": bpd, "protocol": source})

    for decoder, label in (
        ("conv 5x5", "PixelCNN-style 5x5 (3 logistics)"),
        ("conv 15x15", "PixelCNN-style 15x15 (3 logistics)"),
        ("MADE", "MADE (3 logistics)"),
    ):
        for r in grid["runs"]:
            if r["decoder"] == decoder:
                add(label, r["seed"], r["vae_bits_per_dim"], "receptive_field.json, k = 100")
    for r in grid["runs"]:
        if r["decoder"] == "conv 15x15":
            add(
                "PixelCNN-style 15x15 without z (exact)",
                r["seed"],
                r["no_latent_bits_per_dim"],
                "receptive_field.json, exact",
            )
    for r in remedies["runs"]:
        if r["decoder"] == "MADE" and r["remedy"] == "free bits":
            add(
                "MADE (3 logistics), free bits",
                r["seed"],
                r["vae_bits_per_dim"],
                "remedies.json, k = 100",
            )
    for r in best["runs"]:
        add(
            "best autoregressive VAE",
            r["seed"],
            r["test_bits_per_dim_k1000"],
            "best_autoregressive.json, k = 1000",
        )
    return rows


# -- summaries ----------------------------------------------------------------------------------
@dataclass
class Summary:
    """Mean and standard deviation (n - 1) over seeds of one label's test bits/dim."""

    label: str
    mean: float
    sd: float
    n: int
    group: str = ""
    family: str = ""


def summarize(runs: Iterable[Mapping[str, Any]]) -> dict[str, Summary]:
    """One :class:`Summary` per label, in order of first appearance."""
    by_label: dict[str, list[float]] = {}
    for r in runs:
        by_label.setdefault(r["label"], []).append(float(r["test_bits_per_dim"]))
    out = {}
    for label, values in by_label.items():
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        group, family = _group_family(label)
        out[label] = Summary(label, statistics.fmean(values), sd, len(values), group, family)
    return out


def _group_family(label: str) -> tuple[str, str]:
    if label in PART_IV_FAMILIES:
        return PART_IV_GROUP, PART_IV_FAMILIES[label]
    if label == BEST_LABEL:
        return "best", "discretized"
    if label in (INDEPENDENT_LABEL, MIXTURE_LABEL):
        return "baseline", "no neural network"
    try:
        spec = spec_by_label(label)
    except ValueError:
        return "", ""
    return spec.group, spec.family


def uniform_bits_per_dim(num_levels: int = 17) -> float:
    """The model that knows nothing: :math:`\\log_2 K` bits per dimension."""
    return math.log2(num_levels)


def format_table(summaries: Mapping[str, Summary] | Sequence[Summary], sort: bool = True) -> str:
    """Plain-text table: label, group, mean +- sd of test bits/dim, seeds (best first)."""
    rows = list(summaries.values()) if isinstance(summaries, Mapping) else list(summaries)
    if sort:
        rows.sort(key=lambda s: s.mean)
    width = max(len(s.label) for s in rows)
    lines = [f"{'model':{width}s}  {'group':10s}  test bits/dim (mean +- sd)  seeds"]
    for s in rows:
        lines.append(
            f"{s.label:{width}s}  {s.group:10s}  {s.mean:8.3f} +- {s.sd:.3f}          {s.n}"
        )
    return "\n".join(lines)


# -- comparisons and the decision guide ---------------------------------------------------------
@dataclass(frozen=True)
class Comparison:
    """``a`` against ``b``: difference of mean test bits/dim and whether it exceeds the noise.

    The difference ``a.mean - b.mean`` counts only when it exceeds ``margin``, twice the
    seed-to-seed standard deviation of a difference of two runs,
    :math:`2\\sqrt{s_a^2 + s_b^2}` (and at least ``min_margin``); otherwise the two are tied.
    """

    a: str
    b: str
    difference: float
    margin: float

    @property
    def verdict(self) -> str:
        """``"better"`` (a lower than b), ``"worse"`` or ``"tied"``."""
        if self.difference < -self.margin:
            return "better"
        if self.difference > self.margin:
            return "worse"
        return "tied"


def compare(
    summaries: Mapping[str, Summary], a: str, b: str, min_margin: float = 0.005
) -> Comparison:
    """Compare two labels of ``summaries`` (see :class:`Comparison`)."""
    sa, sb = summaries[a], summaries[b]
    margin = max(2 * math.sqrt(sa.sd**2 + sb.sd**2), min_margin)
    return Comparison(a, b, sa.mean - sb.mean, margin)


def tied_with_best(
    summaries: Mapping[str, Summary], labels: Iterable[str], min_margin: float = 0.005
) -> list[str]:
    """The labels (of ``labels``, best first) not clearly worse than the best of them."""
    labels = sorted(
        (lbl for lbl in labels if lbl in summaries), key=lambda lbl: summaries[lbl].mean
    )
    if not labels:
        return []
    return [
        lbl for lbl in labels if compare(summaries, lbl, labels[0], min_margin).verdict == "tied"
    ]


def _fmt(s: Summary) -> str:
    return f"{s.mean:.3f} ± {s.sd:.3f}" if s.n > 1 else f"{s.mean:.3f}"


@dataclass
class GuideRow:
    """One row of the decision guide: a kind of data, what to use and avoid, and why."""

    data: str
    example: str
    use: list[str]
    avoid: list[str]
    evidence: str
    measured: bool
    source: str = "shoot-out"


def decision_guide(
    results: Mapping[str, Any],
    min_margin: float = 0.005,
    part_iv: Sequence[Mapping[str, Any]] | None = None,
) -> list[GuideRow]:
    """The decision guide, computed from a results file (:func:`load_results`).

    Rows whose ``measured`` is True are verdicts of the shoot-out on the digits: ``use`` lists the
    heads tied with the best of the candidates for that kind of data (:func:`tied_with_best`),
    ``avoid`` the other candidates, all clearly worse than the best; for the digits' own row
    (ordered levels, every head a candidate) ``avoid`` keeps only the heads clearly worse than a
    model without any latent variable (the independent-pixels baseline). The binary row follows
    from a definition, said in ``evidence``, not from the numbers.

    When the results hold autoregressive decoders (:data:`PART_IV_HEADS`, merged in) or
    ``part_iv`` is given (the rows of :func:`part_iv_rows`, Part IV's own protocol), the guide
    gains a row for pixels that depend on each other given :math:`z`: ``use`` lists the
    decoders tied with the best of them, provided that best is clearly better than the best
    factorized head; decoders run under the shoot-out's protocol take precedence, and the row's
    ``source`` says where its numbers come from. When the results hold the correlated Gaussians
    (family ``"correlated Gaussian"``, with the diagonal Gaussian scored the same way), a row
    for real-valued data with correlated noise compares them with each other only: they are
    scored by dequantization, a lower bound, so they are not set against exactly scored heads.
    """
    s = summarize(results["runs"])
    heads = [lbl for lbl, x in s.items() if x.group in ("continuous", "discrete")]
    reference = s[INDEPENDENT_LABEL]
    uniform = uniform_bits_per_dim()

    def avoid_of(candidates: Iterable[str]) -> list[str]:
        return [
            lbl
            for lbl in sorted(candidates, key=lambda x: s[x].mean)
            if lbl in s and compare(s, lbl, INDEPENDENT_LABEL, min_margin).verdict == "worse"
        ]

    rows: list[GuideRow] = []
    rows.append(
        GuideRow(
            "binary, 0/1",
            "black-and-white scans, presence/absence",
            ["bernoulli"],
            ["continuous densities"],
            "by definition: every distribution on {0, 1} is a Bernoulli",
            measured=False,
        )
    )
    use = tied_with_best(s, heads, min_margin)
    best = s[use[0]]
    worse_than_uniform = [lbl for lbl in heads if s[lbl].mean > uniform]
    rows.append(
        GuideRow(
            "ordered levels with a known maximum",
            "these digits (0..16), 8-bit intensities",
            use,
            [lbl for lbl in avoid_of(heads) if lbl not in use],
            f"best head {best.label} {_fmt(best)} bits/dim; independent pixels "
            f"{_fmt(reference)}; worse than knowing nothing ({uniform:.3f}): "
            + (", ".join(worse_than_uniform) if worse_than_uniform else "none"),
            measured=True,
        )
    )
    counts = [lbl for lbl in heads if s[lbl].family == "counts" and lbl != "binomial"]
    use_counts = tied_with_best(s, counts, min_margin)
    rows.append(
        GuideRow(
            "counts without a maximum",
            "words per document, gene reads",
            use_counts,
            [lbl for lbl in counts if lbl not in use_counts],
            "on the digits: "
            + ", ".join(f"{lbl} {_fmt(s[lbl])}" for lbl in sorted(counts, key=lambda x: s[x].mean)),
            measured=True,
        )
    )
    bounded = [lbl for lbl in heads if s[lbl].family == "bounded"]
    use_bounded = tied_with_best(s, bounded, min_margin)
    rows.append(
        GuideRow(
            "continuous in (0, 1)",
            "proportions, probabilities",
            use_bounded,
            [lbl for lbl in bounded if lbl not in use_bounded],
            "on the digits scaled to [0, 1]: "
            + ", ".join(f"{lbl} {_fmt(s[lbl])}" for lbl in sorted(bounded, key=lambda x: s[x].mean))
            + "; the continuous Bernoulli's density is monotone, so it cannot be U-shaped",
            measured=True,
        )
    )
    real = [lbl for lbl in heads if s[lbl].family == "real line"]
    use_real = tied_with_best(s, real, min_margin)
    worst_real = [
        lbl for lbl in real if compare(s, lbl, use_real[0], min_margin).verdict == "worse"
    ]
    rows.append(
        GuideRow(
            "real-valued",
            "sensor readings, standardised features",
            use_real,
            worst_real,
            "on the digits: "
            + ", ".join(f"{lbl} {_fmt(s[lbl])}" for lbl in sorted(real, key=lambda x: s[x].mean)),
            measured=True,
        )
    )
    correlated = [lbl for lbl in s if s[lbl].family == "correlated Gaussian"]
    if correlated:
        use_corr = tied_with_best(s, correlated, min_margin)
        rows.append(
            GuideRow(
                "real-valued, noise correlated across dimensions",
                "neighbouring pixels, sensor arrays",
                use_corr,
                [lbl for lbl in correlated if lbl not in use_corr],
                "on the digits scaled to [0, 1], all scored by dequantization: "
                + ", ".join(
                    f"{lbl} {_fmt(s[lbl])}" for lbl in sorted(correlated, key=lambda x: s[x].mean)
                ),
                measured=True,
            )
        )
    if part_iv or any(x.family == "autoregressive decoder" for x in s.values()):
        rows.append(_part_iv_guide_row(s, summarize(part_iv or []), best.label, min_margin))
    return rows


def _part_iv_guide_row(
    s: Mapping[str, Summary], p: Mapping[str, Summary], best_factorized: str, min_margin: float
) -> GuideRow:
    """The guide's row for dependent pixels, against the best factorized head of the shoot-out.

    The candidates are the autoregressive decoders run under the shoot-out's own protocol
    (:data:`PART_IV_HEADS` merged into the results file) when there are any, else Part IV's rows
    ``p`` (their own protocol; the best model's whole recipe is not a candidate). ``use``: the
    candidates tied with the best of them, if that best is clearly better than
    ``best_factorized``; ``avoid``: the candidates clearly worse than it.
    """
    merged = {**s, **p}
    in_shootout = [lbl for lbl in s if s[lbl].family == "autoregressive decoder"]
    decoders = in_shootout or [
        lbl for lbl in p if p[lbl].family == "autoregressive decoder" and lbl != PART_IV_BEST_LABEL
    ]
    use = tied_with_best(merged, decoders, min_margin)
    worth = bool(use) and compare(merged, use[0], best_factorized, min_margin).verdict == "better"

    def listed(summ: Mapping[str, Summary]) -> str:
        return ", ".join(
            f"{lbl} {_fmt(summ[lbl])}" for lbl in sorted(summ, key=lambda x: summ[x].mean)
        )

    evidence = f"best factorized head {best_factorized} {_fmt(merged[best_factorized])} bits/dim"
    if in_shootout:
        evidence += "; " + listed({lbl: s[lbl] for lbl in in_shootout})
    if p:
        evidence += "; Part IV results files (their own protocol): " + listed(p)
    return GuideRow(
        "pixels that depend on each other given z",
        "images: strokes, edges, textures",
        use if worth else [],
        [lbl for lbl in decoders if lbl not in use] if worth else [],
        evidence,
        measured=True,
        source="shoot-out" if in_shootout else "Part IV results files (their own protocol)",
    )


def format_guide_markdown(rows: Sequence[GuideRow]) -> str:
    """The guide as a Markdown table (for ``IPython.display.Markdown``)."""
    lines = [
        "| your data | everyday example | use | avoid | evidence |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        use = ", ".join(f"`{u}`" for u in r.use) or "(no head stands out)"
        avoid = (
            ", ".join(
                f"`{a}`" if a in LIKELIHOODS or a in NONFACTORIZED or "(" in a else a
                for a in r.avoid
            )
            or "-"
        )
        source = f"{r.source}: " if r.measured else ""
        lines.append(f"| {r.data} | {r.example} | {use} | {avoid} | {source}{r.evidence} |")
    return "\n".join(lines)


def draw_decision_flowchart(rows: Sequence[GuideRow], ax=None):
    """Draw the guide as a flow chart of questions about the data; leaves come from ``rows``.

    Questions (blue) are fixed; each answer box (green) lists the ``use`` of the matching row of
    :func:`decision_guide` (at most three, best first). Returns the matplotlib axes.
    """
    import matplotlib.pyplot as plt

    by = {r.data: r for r in rows}

    def leaf(data: str) -> str:
        use = by[data].use[:3]
        return "\n".join(use) if use else "no head stands out"

    if ax is None:
        _, ax = plt.subplots(figsize=(9.6, 5.6))
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 6)
    ax.axis("off")
    q_colour, a_colour = "#dbe9f6", "#e3f4df"

    def box(xy, text, colour):
        ax.text(
            *xy,
            text,
            ha="center",
            va="center",
            fontsize=8.5,
            bbox=dict(boxstyle="round,pad=0.4", fc=colour, ec="0.3"),
        )

    def arrow(start, end, label):
        ax.annotate("", xy=end, xytext=start, arrowprops=dict(arrowstyle="->", color="0.3"))
        ax.text(
            (start[0] + end[0]) / 2,
            (start[1] + end[1]) / 2,
            label,
            fontsize=8,
            ha="center",
            va="center",
            backgroundcolor="white",
        )

    box((5.0, 5.5), "Are the values discrete?", q_colour)
    box((2.5, 4.1), "Only two values?", q_colour)
    box((7.5, 4.1), "Bounded in an interval?", q_colour)
    box((0.9, 2.5), "bernoulli", a_colour)
    box((3.6, 2.5), "Is there a known maximum?", q_colour)
    box((2.3, 0.7), leaf("ordered levels with a known maximum"), a_colour)
    box((5.1, 0.7), leaf("counts without a maximum"), a_colour)
    box((6.7, 2.5), leaf("continuous in (0, 1)"), a_colour)
    box((8.9, 2.5), leaf("real-valued"), a_colour)
    arrow((4.4, 5.3), (3.0, 4.35), "yes")
    arrow((5.6, 5.3), (7.0, 4.35), "no")
    arrow((2.1, 3.85), (1.1, 2.75), "yes")
    arrow((2.9, 3.85), (3.5, 2.75), "no")
    arrow((3.3, 2.25), (2.5, 1.3), "yes")
    arrow((3.9, 2.25), (4.9, 1.3), "no")
    arrow((7.2, 3.85), (6.8, 2.85), "yes")
    arrow((7.8, 3.85), (8.7, 2.85), "no")
    return ax


# -- figures ------------------------------------------------------------------------------------
def plot_seed_scores(results: Mapping[str, Any], labels: Sequence[str], ax=None, title: str = ""):
    """One row per label (best first): each seed's test bits/dim as a dot, the mean as a bar.

    A red dashed line marks the uniform model, :math:`\\log_2 17`. Returns the axes.
    """
    import matplotlib.pyplot as plt

    s = summarize(results["runs"])
    labels = sorted((lbl for lbl in labels if lbl in s), key=lambda lbl: s[lbl].mean)
    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 0.42 * len(labels) + 1.3))
    for i, lbl in enumerate(labels):
        values = [r["test_bits_per_dim"] for r in results["runs"] if r["label"] == lbl]
        ax.plot([s[lbl].mean] * 2, [i - 0.3, i + 0.3], color="black", lw=1.5)
        ax.scatter(values, [i] * len(values), s=18, color="tab:blue", zorder=3)
    ax.set_yticks(range(len(labels)), labels)
    ax.invert_yaxis()
    uniform = uniform_bits_per_dim()
    if ax.get_xlim()[1] > uniform:
        ax.axvline(uniform, color="tab:red", ls="--", lw=1, label="uniform over 17 levels")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel(f"test bits/dim (k = {results['protocol']['k']}); dots: seeds, bar: mean")
    ax.set_title(title)
    return ax


def plot_validation_curves(
    results: Mapping[str, Any], labels: Sequence[str], seed: int = 0, ax=None, title: str = ""
):
    """Validation objective per epoch of one seed of each label, minus its best value (nats).

    A curve that has flattened stays near 0 over its last epochs; a circle marks the best epoch
    (the parameters kept). Returns the axes.
    """
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(6.4, 3.6))
    for lbl in labels:
        row = next((r for r in results["runs"] if r["label"] == lbl and r["seed"] == seed), None)
        if row is None or "val_curve" not in row:
            continue
        curve = [v - max(row["val_curve"]) for v in row["val_curve"]]
        (line,) = ax.plot(range(1, len(curve) + 1), curve, lw=1, label=lbl)
        ax.plot(row["best_epoch"], 0.0, "o", color=line.get_color(), ms=4)
    ax.set_yscale("symlog", linthresh=1.0)
    ax.set_xlabel("epoch")
    ax.set_ylabel("validation ELBO - its best (nats)")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2)
    return ax


def convergence_report(results: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per run: stopped by patience or at the cap, and the validation gain of its last epochs.

    ``late_gain`` is the best validation objective minus the best one reached before the last
    ``patience`` epochs (nats per image): 0 for a run stopped by early stopping, small for a run
    whose curve had flattened when it hit the cap. The best model (its own recipe) is left out.
    """
    patience = results["protocol"]["patience"]
    out = []
    for r in results["runs"]:
        if "val_curve" not in r or r["label"] == BEST_LABEL:  # the best model has its own recipe
            continue
        curve = r["val_curve"]
        before = max(curve[:-patience]) if len(curve) > patience else -math.inf
        out.append(
            {
                "label": r["label"],
                "seed": r["seed"],
                "epochs_run": r["epochs_run"],
                "best_epoch": r["best_epoch"],
                "hit_epoch_cap": r["hit_epoch_cap"],
                "late_gain": max(curve) - before,
            }
        )
    return out


# -- the command --------------------------------------------------------------------------------
def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], capture_output=True, text=True, check=True, timeout=30
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def provenance() -> dict[str, Any]:
    """Versions, machine and git state, for the results file."""
    import numpy

    return {
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "numpy": numpy.__version__,
        },
        "machine": {
            "platform": platform.platform(),
            "processor": platform.machine(),
            "cpu_count": os.cpu_count(),
            "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
            "ATEN_CPU_CAPABILITY": os.environ.get("ATEN_CPU_CAPABILITY"),
            "MKL_CBWR": os.environ.get("MKL_CBWR"),
        },
    }


def generic_kernels() -> bool:
    """True when the environment forces generic CPU kernels, which move trained results."""
    return os.environ.get("ATEN_CPU_CAPABILITY") == "default" or bool(os.environ.get("MKL_CBWR"))


def run_shootout(
    labels: Sequence[str] | None = None,
    protocol: Protocol = PROTOCOL,
    workers: int = 2,
    best: bool = True,
    baselines: bool = True,
    k_check_label: str = BEST_LABEL,
    log=print,
) -> dict[str, Any]:
    """Run the shoot-out and return the results (what :func:`main` writes to the file).

    Tasks (one per head and seed, the best model's seeds, the baselines) run on ``workers``
    processes with one torch thread each; every task seeds itself, so the results do not depend on
    which worker runs which task or in what order. The runs are stored in the order of
    :data:`HEADS` and seeds.
    """
    labels = [s.label for s in HEADS] if labels is None else list(labels)
    origin = provenance()  # the code the runs use: the git state at the start
    tasks = [(lbl, seed, protocol, False) for lbl in labels for seed in protocol.seeds]
    if best:
        tasks += [(BEST_LABEL, seed, protocol, False) for seed in protocol.seeds]
    tasks = [
        (lbl, seed, p, lbl == k_check_label and seed == protocol.seeds[0])
        for lbl, seed, p, _ in tasks
    ]
    expensive_first = sorted(tasks, key=lambda t: (t[0] != BEST_LABEL, not t[3]))
    wall = time.perf_counter()
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    if workers > 1:
        with ProcessPoolExecutor(
            workers, mp_context=get_context("spawn"), initializer=_set_up_worker
        ) as pool:
            for row in pool.map(_run_task, expensive_first):
                rows[(row["label"], row["seed"])] = row
                log(_progress(row, len(rows), len(tasks), wall))
    else:
        for task in expensive_first:
            row = _run_task(task)
            rows[(row["label"], row["seed"])] = row
            log(_progress(row, len(rows), len(tasks), wall))
    runs = [rows[(t[0], t[1])] for t in tasks]
    if baselines:
        runs += baseline_rows(protocol)
    wall = time.perf_counter() - wall
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = resource.getrusage(resource.RUSAGE_SELF)
    cpu = children.ru_utime + children.ru_stime + own.ru_utime + own.ru_stime
    summary = summarize(runs)
    k_row = next((r for r in runs if f"test_bits_per_dim_k{protocol.k_check}" in r), None)
    return {
        "command": shlex.join(["python", "-m", "vae_tutorial.shootout", *sys.argv[1:]])
        if sys.argv and sys.argv[0].endswith("shootout.py")
        else "vae_tutorial.shootout.run_shootout(...)",
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **origin,
        "workers": workers,
        "torch_threads_per_worker": 1,
        "wall_seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "protocol": asdict(protocol),
        "heads": {lbl: asdict(spec_by_label(lbl)) for lbl in labels},
        "runs": runs,
        "summary": {lbl: asdict(x) for lbl, x in summary.items()},
        "k_check": None
        if k_row is None
        else {
            "label": k_row["label"],
            "seed": k_row["seed"],
            f"k{protocol.k}": k_row["test_bits_per_dim"],
            f"k{protocol.k_check}": k_row[f"test_bits_per_dim_k{protocol.k_check}"],
            "gap": k_row["test_bits_per_dim"] - k_row[f"test_bits_per_dim_k{protocol.k_check}"],
        },
    }


def _progress(row: Mapping[str, Any], done: int, total: int, start: float) -> str:
    return (
        f"[{done:2d}/{total}] {time.perf_counter() - start:6.0f} s  {row['label']:36s} seed "
        f"{row['seed']}: {row['test_bits_per_dim']:.4f} bits/dim, best epoch {row['best_epoch']} "
        f"of {row['epochs_run']}, {row['total_cpu_seconds']:.0f} s CPU"
    )


def load_results(path: str | Path = RESULTS_PATH) -> dict[str, Any]:
    """Read a results file written by ``python -m vae_tutorial.shootout``."""
    return json.loads(Path(path).read_text())


def protocol_of(results: Mapping[str, Any]) -> Protocol:
    """The :class:`Protocol` a results file was made with (JSON lists back to tuples)."""
    return Protocol(
        **{key: tuple(v) if isinstance(v, list) else v for key, v in results["protocol"].items()}
    )


def stored_row(results: Mapping[str, Any], label: str, seed: int) -> dict[str, Any]:
    """The row of ``label`` and ``seed`` in a results file."""
    for row in results["runs"]:
        if row["label"] == label and row["seed"] == seed:
            return dict(row)
    raise KeyError(f"shootout: no run of {label!r} with seed {seed} in the results")


def merge_results(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """``old`` with the runs of ``new`` added (replacing ``old``'s runs of the same labels).

    The protocols must agree. The summary is recomputed; ``new``'s provenance is kept under
    ``"added"`` (one entry per merge), and ``old``'s own provenance is left as it was.
    """
    if json.loads(json.dumps(old["protocol"])) != json.loads(json.dumps(new["protocol"])):
        raise ValueError("merge_results: the two results files use different protocols")
    labels = {r["label"] for r in new["runs"]}
    merged = dict(old)
    merged["runs"] = [r for r in old["runs"] if r["label"] not in labels] + list(new["runs"])
    merged["heads"] = {**old.get("heads", {}), **new.get("heads", {})}
    merged["summary"] = {lbl: asdict(x) for lbl, x in summarize(merged["runs"]).items()}
    keys = ("command", "created", "git_commit", "git_dirty", "versions", "machine", "workers")
    entry = {key: new[key] for key in keys if key in new}
    entry.update(
        labels=sorted(labels), wall_seconds=new["wall_seconds"], cpu_seconds=new["cpu_seconds"]
    )
    merged["added"] = [*old.get("added", []), entry]
    return merged


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m vae_tutorial.shootout [--out PATH] [--workers N] [--heads LABEL ...]``."""
    parser = argparse.ArgumentParser(
        prog="python -m vae_tutorial.shootout", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, default=RESULTS_PATH, help="results file (JSON)")
    parser.add_argument("--workers", type=int, default=2, help="processes, 1 torch thread each")
    parser.add_argument("--heads", nargs="*", default=None, help="labels of HEADS (default: all)")
    parser.add_argument("--no-best", action="store_true", help="leave out the best model")
    parser.add_argument(
        "--merge",
        action="store_true",
        help="add the runs of --heads to the existing --out file (no baselines re-run)",
    )
    args = parser.parse_args(argv)
    results = run_shootout(
        args.heads, workers=args.workers, best=not args.no_best, baselines=not args.merge
    )
    if args.merge:
        subset = args.out.with_name(args.out.stem + "_added.json")
        subset.write_text(json.dumps(results, indent=1) + "\n")  # kept even if merging fails
        results = merge_results(load_results(args.out), results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print(format_table(summarize(results["runs"])))
    print(f"wall {results['wall_seconds']:.0f} s, CPU {results['cpu_seconds']:.0f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
