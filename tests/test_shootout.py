"""The shoot-out runner's bookkeeping and the best model's configuration."""

from __future__ import annotations

import math

import pytest
import torch

from vae_tutorial import LIKELIHOODS, best
from vae_tutorial.priors import VampPrior
from vae_tutorial.shootout import (
    RunResult,
    Summary,
    format_table,
    load_results,
    record_results,
    run_shootout,
    summarize,
    uniform_bits_per_dim,
)


def _fake(label: str, seed: int, bpd: float) -> RunResult:
    return RunResult(label, seed, bpd, 1.0, 0, model=None)  # type: ignore[arg-type]


def test_summarize_mean_and_sample_std() -> None:
    runs = [_fake("a", 0, 2.0), _fake("a", 1, 2.2), _fake("b", 0, 3.0)]
    a, b = summarize(runs)
    assert (a.label, b.label) == ("a", "b") and a.runs == 2 and b.runs == 1
    assert math.isclose(a.mean, 2.1) and math.isclose(a.std, math.sqrt(0.02)) and b.std == 0.0
    table = format_table([b, a])
    assert table.index("a ") < table.index("b ")  # best first


def test_uniform_is_log2_levels() -> None:
    assert math.isclose(uniform_bits_per_dim(17), math.log2(17))


def test_run_shootout_tiny_budget() -> None:
    runs = run_shootout(
        {"binomial": LIKELIHOODS["binomial"]}, seeds=(0,), epochs=1, k=2, hidden=(8,)
    )
    assert len(runs) == 1 and 0 < runs[0].bits_per_dim < 20 and runs[0].cpu_seconds >= 0


def test_best_model_is_built_as_configured() -> None:
    model = best.build_best_model()
    cfg = best.BEST_CONFIG
    assert model.head.name == cfg.likelihood and model.latent_dim == cfg.latent_dim
    assert isinstance(model.prior, VampPrior) and model.prior.num_pseudo == cfg.num_pseudo_inputs
    assert model.prior.encoder is model.encoder
    z = model.prior().sample((3,))
    assert z.shape == (3, cfg.latent_dim) and torch.isfinite(model.prior().log_prob(z)).all()
    assert "discretized_logistic" in best.describe()


def test_record_results_writes_then_checks(tmp_path) -> None:
    summaries = [Summary("beta", 2.44612, 0.00312, 1.5, 3), Summary("laplace", 3.6, 0.07, 1.0, 3)]
    path = tmp_path / "results.json"
    written = record_results(summaries, path)
    assert written == {
        "beta": {"mean": 2.446, "std": 0.003, "runs": 3},
        "laplace": {"mean": 3.6, "std": 0.07, "runs": 3},
    }
    assert load_results(path) == written
    assert record_results(summaries, path) == written  # same results: accepted
    changed = [Summary("beta", 2.5, 0.003, 1.5, 3), summaries[1]]
    with pytest.raises(AssertionError, match="delete it and re-run"):
        record_results(changed, path)
