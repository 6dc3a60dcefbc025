"""Execute notebooks in place and store their outputs.

Usage: ``python scripts/execute_notebooks.py [NB ...]``.

Without arguments, every notebook under ``book/``. Runs each notebook from its own folder with
``TQDM_DISABLE=1`` (as the test run does), so the stored outputs are exactly what nbval re-checks.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]


def execute(path: Path, timeout: int = 600) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    seconds = time.perf_counter() - start
    nbformat.write(nb, path)
    return seconds


def main(argv: list[str]) -> int:
    os.environ["TQDM_DISABLE"] = "1"
    # Stored outputs are the default kernels' on one thread: the settings of the second,
    # generic-kernel nbval pass (Makefile GENERIC) must not leak into them from the shell.
    for name in ("ATEN_CPU_CAPABILITY", "MKL_CBWR", "VAE_TUTORIAL_THREADS"):
        os.environ.pop(name, None)
    paths = [Path(a) for a in argv] or sorted((ROOT / "book").rglob("*.ipynb"))
    for path in paths:
        if ".ipynb_checkpoints" in path.parts or "_build" in path.parts:
            continue
        print(f"{path}: {execute(path):.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
