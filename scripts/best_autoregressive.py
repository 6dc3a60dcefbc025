"""Train and score the autoregressive candidate for the best model; store the results.

Usage: ``python scripts/best_autoregressive.py [--workers N]``. For seeds 0, 1, 2: train
``vae_tutorial.best_autoregressive`` (CPU seconds of training recorded), score the test split
with k = 1000, and train/score the same decoder without a latent (exact). Writes
``book/nonfactorized/best_autoregressive.json`` with provenance. One thread per process.
"""

from __future__ import annotations

import datetime
import json
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vae_tutorial import load_digits, setup_notebook  # noqa: E402
from vae_tutorial.autoregressive_only import (  # noqa: E402
    AutoregressiveOnly,
    exact_bits_per_dim,
    train_autoregressive_only,
)
from vae_tutorial.best_autoregressive import AR_BEST_CONFIG, make_ar_head, train_ar_best  # noqa: E402
from vae_tutorial.evaluation import test_bits_per_dim  # noqa: E402

OUT = ROOT / "book" / "nonfactorized" / "best_autoregressive.json"


def run(seed: int) -> dict:
    setup_notebook(seed)
    start = time.process_time()
    model, history = train_ar_best(AR_BEST_CONFIG, seed)
    train_cpu = time.process_time() - start
    torch.manual_seed(seed)
    test = test_bits_per_dim(model, load_digits("test"), k=1000)
    torch.manual_seed(seed)
    alone = AutoregressiveOnly(make_ar_head(AR_BEST_CONFIG))
    train_autoregressive_only(
        alone,
        load_digits("train"),
        load_digits("val"),
        epochs=AR_BEST_CONFIG.epochs,
        patience=AR_BEST_CONFIG.patience,
        seed=seed,
    )
    return {
        "seed": seed,
        "test_bits_per_dim_k1000": round(test, 4),
        "train_cpu_seconds": round(train_cpu, 1),
        "best_epoch": history.best_epoch,
        "no_latent_test_bits_per_dim": round(exact_bits_per_dim(alone, load_digits("test")), 4),
    }


def main(argv: list[str]) -> int:
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 1
    seeds = [0, 1, 2]
    if workers > 1:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            runs = pool.map(run, seeds)
    else:
        runs = [run(s) for s in seeds]
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    result = {
        "provenance": {
            "command": "python scripts/best_autoregressive.py",
            "git_commit": commit,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": 1,
            "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        },
        "config": asdict(AR_BEST_CONFIG),
        "runs": runs,
        "mean_test_bits_per_dim": round(sum(r["test_bits_per_dim_k1000"] for r in runs) / 3, 4),
        "mean_no_latent_bits_per_dim": round(
            sum(r["no_latent_test_bits_per_dim"] for r in runs) / 3, 4
        ),
    }
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
