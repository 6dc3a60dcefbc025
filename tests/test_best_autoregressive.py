"""The autoregressive best model: its training loop, the stored results, and one seed re-run."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from vae_tutorial import load_digits
from vae_tutorial.autoregressive_only import AutoregressiveOnly, train_autoregressive_only
from vae_tutorial.best_autoregressive import (
    AR_BEST_CONFIG,
    build_ar_best,
    make_ar_head,
    train_ar_best,
    train_no_latent,
)
from vae_tutorial.evaluation import test_bits_per_dim as score_bits_per_dim
from vae_tutorial.training import train

RESULTS = Path(__file__).resolve().parents[1] / "book/nonfactorized/best_autoregressive.json"
TINY = dataclasses.replace(
    AR_BEST_CONFIG,
    hidden_channels=8,
    hidden=(32, 32),
    epochs=2,
    patience=20,
    lr=1e-3,
    schedule="constant",
    ema=0.0,
    weight_decay=0.0,
    batch_size=100,
)


def test_constant_schedule_is_the_package_training_loop() -> None:
    torch.set_num_threads(1)
    model, history = train_ar_best(TINY, seed=0)
    reference = build_ar_best(TINY, seed=0)
    ref_history = train(
        reference, load_digits("train"), load_digits("val"),
        epochs=2, patience=20, lr=1e-3, kind="iwae", k=TINY.k, seed=0, progress=False,
    )  # fmt: skip
    assert history.val_objective == ref_history.val_objective
    for a, b in zip(model.state_dict().values(), reference.state_dict().values(), strict=True):
        assert torch.equal(a, b)


def test_no_latent_early_stopping_is_the_package_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    import vae_tutorial.best_autoregressive as best

    torch.set_num_threads(1)
    monkeypatch.setitem(best.NO_LATENT_EARLY_STOPPING, "epochs", 2)
    model, history = train_no_latent(TINY, seed=0, budget="early_stopping")
    torch.manual_seed(0)
    reference = AutoregressiveOnly(make_ar_head(TINY))
    ref_history = train_autoregressive_only(
        reference, load_digits("train"), load_digits("val"), epochs=2, patience=20, seed=0
    )
    assert history.val_objective == ref_history.val_objective


def test_schedule_and_average_change_training_and_are_checked() -> None:
    torch.set_num_threads(1)
    _, plain = train_ar_best(TINY, seed=0)
    _, cosine = train_ar_best(dataclasses.replace(TINY, schedule="cosine", ema=0.9), seed=0)
    assert plain.val_objective != cosine.val_objective
    with pytest.raises(ValueError, match="schedule"):
        train_ar_best(dataclasses.replace(TINY, schedule="step"), seed=0)
    with pytest.raises(ValueError, match="ema"):
        train_ar_best(dataclasses.replace(TINY, ema=1.0), seed=0)
    with pytest.raises(ValueError, match="budget"):
        train_no_latent(TINY, seed=0, budget="longer")


def test_results_file_has_provenance_every_seed_and_the_search() -> None:
    data = json.loads(RESULTS.read_text())
    assert {"command", "git_commit", "torch", "threads", "date_utc"} <= set(data["provenance"])
    assert data["provenance"]["threads"] == 1
    config = dataclasses.asdict(AR_BEST_CONFIG)
    config["hidden"] = list(config["hidden"])
    assert data["config"] == config  # the file was written with the current defaults
    runs = data["runs"]
    assert [r["seed"] for r in runs] == [0, 1, 2]
    mean = sum(r["test_bits_per_dim_k1000"] for r in runs) / 3
    assert data["mean_test_bits_per_dim"] == pytest.approx(mean, abs=1e-4)
    for r in runs:
        chosen = r["no_latent"][r["no_latent_budget"]]
        assert r["no_latent_test_bits_per_dim"] == chosen["test_bits_per_dim"]
        # the no-z budget is chosen on validation, never on test
        best_val = min(b["val_bits_per_dim"] for b in r["no_latent"].values())
        assert chosen["val_bits_per_dim"] == best_val
    # the search that chose the configuration saw the validation split only
    assert data["search"] and all(
        not any("test" in key for key in entry) for entry in data["search"]
    )


def test_one_seed_reproduces_the_stored_results() -> None:
    """Re-train seed 0 (about a minute of CPU) and compare its validation score with the file."""
    from vae_tutorial import setup_notebook

    data = json.loads(RESULTS.read_text())
    stored = next(r for r in data["runs"] if r["seed"] == 0)
    setup_notebook(0)
    model, history = train_ar_best(AR_BEST_CONFIG, seed=0)
    torch.manual_seed(0)
    val = score_bits_per_dim(model, load_digits("val"), k=1000, progress=False)
    assert val == pytest.approx(stored["val_bits_per_dim_k1000"], abs=0.02)
    assert history.epochs_run == pytest.approx(stored["epochs_run"], abs=20)
