"""Run the receptive-field grid of the chapter "The decoder that ignores z" and store its results.

Usage: ``python scripts/receptive_field.py [--quick] [--workers N]``. Trains, for every decoder of
``vae_tutorial.receptive_field.DECODERS`` and seeds 0, 1, 2, the VAE and the same decoder without
a latent, and writes ``book/nonfactorized/receptive_field.json`` with the provenance (command,
git commit, torch version, thread count, date, CPU seconds). One thread, as in the chapters.
Several minutes of CPU; ``--quick`` runs one decoder and one seed to check the set-up.

``--remedies`` runs instead the remedies (``vae_tutorial.receptive_field.REMEDIES``: none, free
bits, KL warm-up) on the strongest decoders, seeds 0, 1, 2, and writes
``book/nonfactorized/remedies.json`` with the same provenance.
"""

from __future__ import annotations

import datetime
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from vae_tutorial import setup_notebook  # noqa: E402
from vae_tutorial.receptive_field import (  # noqa: E402
    DECODERS,
    REMEDIES,
    REMEDY_DECODERS,
    receptive_field_of,
    run_receptive_field,
    run_remedies,
)

OUT = ROOT / "book" / "nonfactorized" / "receptive_field.json"
SETTINGS = {"epochs": 60, "no_latent_epochs": 100, "k": 100}
REMEDY_OUT = ROOT / "book" / "nonfactorized" / "remedies.json"
REMEDY_SETTINGS = {"epochs": 60, "k": 100}


def provenance(command: str, start: float, train_seconds: float) -> dict:
    """Command, git commit, versions, threads, date and CPU seconds of a run of this script."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    return {
        "command": command,
        "git_commit": commit,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "threads": torch.get_num_threads(),
        "torch_cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        # training CPU of every run (the worker processes' time is not this process's)
        "cpu_seconds": round(time.process_time() - start + train_seconds, 1),
    }


def main_remedies(workers: int) -> int:
    """Run every remedy on the strongest decoders and write ``remedies.json``."""
    start = time.process_time()
    runs = run_remedies(
        REMEDY_DECODERS, tuple(REMEDIES), (0, 1, 2), workers=workers, **REMEDY_SETTINGS
    )
    result = {
        "provenance": provenance(
            "python scripts/receptive_field.py --remedies",
            start,
            sum(r["vae_seconds"] for r in runs),
        ),
        "settings": REMEDY_SETTINGS,
        "remedies": REMEDIES,
        "runs": runs,
    }
    REMEDY_OUT.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {REMEDY_OUT.relative_to(ROOT)} ({len(runs)} runs)")
    return 0


def main(argv: list[str]) -> int:
    setup_notebook()
    workers = int(argv[argv.index("--workers") + 1]) if "--workers" in argv else 1
    if "--remedies" in argv:
        return main_remedies(workers)
    quick = "--quick" in argv
    decoders = ["conv 3x3"] if quick else list(DECODERS)
    seeds = [0] if quick else [0, 1, 2]
    start = time.process_time()
    runs = run_receptive_field(decoders, seeds, workers=workers, **SETTINGS)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    result = {
        "provenance": {
            "command": "python scripts/receptive_field.py" + (" --quick" if quick else ""),
            "git_commit": commit,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": torch.get_num_threads(),
            "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            # training CPU of every run (the worker processes' time is not this process's)
            "cpu_seconds": round(
                time.process_time()
                - start
                + sum(r["vae_seconds"] + r["no_latent_seconds"] for r in runs),
                1,
            ),
        },
        "settings": SETTINGS,
        "receptive_field": {d: receptive_field_of(DECODERS[d]) for d in decoders},
        "runs": runs,
    }
    path = OUT if not quick else OUT.with_name("receptive_field_quick.json")
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {path.relative_to(ROOT)} ({len(runs)} runs)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
