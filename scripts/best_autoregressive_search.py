"""The validation-only search behind ``vae_tutorial.best_autoregressive``: one candidate per call.

Usage: ``python scripts/best_autoregressive_search.py NAME '{"lr": 2e-3, ...}' [--seeds 0 1]``.
Trains :func:`~vae_tutorial.best_autoregressive.train_ar_best` with the default configuration
changed by the JSON overrides, on one thread, records the training CPU seconds
(``time.process_time``) and the *validation* bits/dim (importance-weighted, k = 200), and appends
one line per seed to ``book/nonfactorized/best_autoregressive_search.jsonl``. The test split is
never loaded here.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vae_tutorial import load_digits, setup_notebook  # noqa: E402
from vae_tutorial.best_autoregressive import AR_BEST_CONFIG, train_ar_best  # noqa: E402
from vae_tutorial.evaluation import test_bits_per_dim  # noqa: E402

LOG = ROOT / "book" / "nonfactorized" / "best_autoregressive_search.jsonl"
VAL_K = 200


def main(argv: list[str]) -> int:
    name, overrides = argv[0], json.loads(argv[1])
    seeds = [int(s) for s in argv[argv.index("--seeds") + 1 :]] if "--seeds" in argv else [0]
    if "hidden" in overrides:
        overrides["hidden"] = tuple(overrides["hidden"])
    config = dataclasses.replace(AR_BEST_CONFIG, **overrides)
    for seed in seeds:
        setup_notebook(seed)
        start = time.process_time()
        model, history = train_ar_best(config, seed)
        cpu = time.process_time() - start
        torch.manual_seed(seed)
        val = test_bits_per_dim(model, load_digits("val"), k=VAL_K, progress=False)
        line = {
            "name": name,
            "overrides": argv[1],
            "seed": seed,
            f"val_bits_per_dim_k{VAL_K}": round(val, 4),
            "train_cpu_seconds": round(cpu, 1),
            "epochs_run": history.epochs_run,
            "best_epoch": history.best_epoch,
        }
        print(json.dumps(line), flush=True)
        with LOG.open("a") as f:
            f.write(json.dumps(line) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
