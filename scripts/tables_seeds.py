"""Seed-to-seed spread of the comparison in book/tables/likelihood_per_column.ipynb.

Usage: ``python scripts/tables_seeds.py [--seeds 0 1 2]`` (about 30 s per seed on 2 cores).
Trains the mixed-head VAE and the standardised-MSE VAE of that chapter for each seed and writes
``book/tables/per_column_seeds.json``: per seed, the test log-likelihood of each model (total and
per column, nats per row, rounded to 3 decimals), their mean and standard deviation, and the
command and versions that produced them. The chapter reads this file.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vae_tutorial.notebook import setup_notebook  # noqa: E402
from vae_tutorial.tables import FAIR_COLUMN_NAMES, fit_fair_models, score_fair_models  # noqa: E402

OUT = ROOT / "book" / "tables" / "per_column_seeds.json"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args()
    setup_notebook()
    runs = {}
    for seed in args.seeds:
        scores = score_fair_models(fit_fair_models(seed=seed), seed=seed)
        runs[str(seed)] = {
            model: {
                "total": round(s["total"], 3),
                "per_column": dict(
                    zip(FAIR_COLUMN_NAMES, (round(v, 3) for v in s["per_column"]), strict=True)
                ),
            }
            for model, s in scores.items()
        }
        print(seed, {m: r["total"] for m, r in runs[str(seed)].items()}, flush=True)
    summary = {}
    for model in next(iter(runs.values())):
        keys = ["total", *FAIR_COLUMN_NAMES]
        values = {
            key: [
                r[model]["total"] if key == "total" else r[model]["per_column"][key]
                for r in runs.values()
            ]
            for key in keys
        }
        summary[model] = {
            key: {"mean": round(statistics.mean(v), 3), "sd": round(statistics.stdev(v), 3)}
            for key, v in values.items()
        }
    result = {
        "what": "test log-likelihood, nats per row (total: IWAE k=200; columns: prior k=2000)",
        "command": "python scripts/tables_seeds.py --seeds " + " ".join(map(str, args.seeds)),
        "versions": {"python": platform.python_version(), "torch": torch.__version__},
        "seeds": runs,
        "summary": summary,
    }
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
