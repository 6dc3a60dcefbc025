"""Wall time and peak memory of every notebook, the book build and (optionally) the test suite.

Usage (``make benchmark`` runs the first form)::

    python scripts/benchmark.py                  # every notebook under book/ + the book build
    python scripts/benchmark.py --tests          # ... + `make test` (slow: runs everything)
    python scripts/benchmark.py book/zoo/beta.ipynb --no-build
    python scripts/benchmark.py --output benchmark.md

Each notebook is copied with its folder into a temporary directory and executed there in a
fresh kernel with nbclient (``TQDM_DISABLE=1``, as ``make notebooks`` and ``make test`` do), so
the stored notebooks are never modified. Peak memory is the largest resident set (``VmHWM``,
the kernel's high-water mark, read from /proc; RSS from psutil elsewhere) of any process started
for the measurement, polled every 0.1 s. The result is a Markdown table; rows over budget are
flagged and make the exit status 1.

Budgets (2 CPU cores): each notebook <= 60 s, book build <= 2 min, test suite <= 10 min.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
import psutil
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_BUDGET = 60.0
BUILD_BUDGET = 120.0
TEST_BUDGET = 600.0


@dataclass
class Row:
    name: str
    seconds: float
    peak_mib: float
    budget: float
    ok: bool = True  # the run itself succeeded
    note: str = ""

    @property
    def over_budget(self) -> bool:
        return self.seconds > self.budget


def _peak_bytes(proc: psutil.Process) -> int:
    """The process's peak resident set (VmHWM) where Linux reports it, else its current RSS."""
    try:
        with open(f"/proc/{proc.pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return proc.memory_info().rss
    except psutil.Error:
        return 0


@contextmanager
def peak_memory(interval: float = 0.1) -> Iterator[Callable[[], float]]:
    """Poll every process started below this one; yields a function returning the peak in MiB."""
    me = psutil.Process()
    before = {p.pid for p in me.children(recursive=True)}
    peaks: dict[int, int] = {}
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            for child in me.children(recursive=True):
                if child.pid not in before:
                    peaks[child.pid] = max(peaks.get(child.pid, 0), _peak_bytes(child))
            stop.wait(interval)

    thread = threading.Thread(target=poll, daemon=True)
    thread.start()
    try:
        yield lambda: max(peaks.values(), default=0) / 2**20
    finally:
        stop.set()
        thread.join()


def run_notebook(path: Path, timeout: int) -> Row:
    """Execute a temporary copy of ``path`` (with its folder) in a fresh kernel."""
    name = str(path.resolve().relative_to(ROOT))
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        folder = Path(tmp) / path.parent.name
        shutil.copytree(
            path.parent, folder, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__")
        )
        copy = folder / path.name
        nb = nbformat.read(copy, as_version=4)
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder)}},
        )
        ok, note = True, ""
        with peak_memory() as peak:
            start = time.perf_counter()
            try:
                client.execute()
            except Exception as err:  # report the failure in the table, keep benchmarking
                ok, note = False, f"failed: {type(err).__name__}"
            seconds = time.perf_counter() - start
            mib = peak()
        nbformat.write(nb, copy)  # the executed copy, discarded with the temporary folder
    return Row(name, seconds, mib, NOTEBOOK_BUDGET, ok, note)


def run_command(name: str, cmd: list[str], budget: float, timeout: float) -> Row:
    with peak_memory() as peak:
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
            )
            ok, note = (
                proc.returncode == 0,
                "" if proc.returncode == 0 else f"exit {proc.returncode}",
            )
            if not ok:
                sys.stderr.write(f"--- {name} output (tail) ---\n{proc.stdout[-2000:]}\n")
                sys.stderr.write(proc.stderr[-2000:] + "\n")
        except subprocess.TimeoutExpired:
            ok, note = False, f"timed out after {timeout:.0f} s"
        seconds = time.perf_counter() - start
        mib = peak()
    return Row(name, seconds, mib, budget, ok, note)


def table(rows: list[Row]) -> str:
    lines = [
        "| what | wall time (s) | peak memory (MiB) | budget (s) | status |",
        "|---|---:|---:|---:|---|",
    ]
    for r in rows:
        status = "OK" if r.ok and not r.over_budget else ""
        if r.over_budget:
            status = "**OVER BUDGET**"
        if not r.ok:
            status = (status + " " if status else "") + f"**{r.note}**"
        lines.append(
            f"| {r.name} | {r.seconds:.1f} | {r.peak_mib:.0f} | {r.budget:.0f} | {status} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every book/**/*.ipynb")
    parser.add_argument("--tests", action="store_true", help="also time `make test` (slow)")
    parser.add_argument("--no-build", action="store_true", help="do not time the book build")
    parser.add_argument("--timeout", type=int, default=600, help="per-cell timeout (s)")
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    args = parser.parse_args(argv)

    os.environ["TQDM_DISABLE"] = "1"  # inherited by the kernels, as in `make notebooks`
    paths = args.notebooks or sorted((ROOT / "book").rglob("*.ipynb"))
    paths = [p for p in paths if ".ipynb_checkpoints" not in p.parts and "_build" not in p.parts]

    rows: list[Row] = []
    for path in paths:
        rows.append(run_notebook(path, args.timeout))
        print(f"{rows[-1].name}: {rows[-1].seconds:.1f} s", file=sys.stderr, flush=True)

    if not args.no_build:
        jupyter_book = str(Path(sys.executable).with_name("jupyter-book"))
        with tempfile.TemporaryDirectory(prefix="bench-build-") as out:
            cmd = [jupyter_book, "build", ".", "-W", "-n", "--keep-going", "--path-output", out]
            rows.append(
                run_command("book build (jupyter-book build -W -n)", cmd, BUILD_BUDGET, 1800)
            )
        print(f"book build: {rows[-1].seconds:.1f} s", file=sys.stderr, flush=True)

    if args.tests:
        rows.append(run_command("test suite (make test)", ["make", "test"], TEST_BUDGET, 3600))
        print(f"make test: {rows[-1].seconds:.1f} s", file=sys.stderr, flush=True)

    cores = os.cpu_count()
    report = (
        f"Benchmark on {cores} CPU core(s), Python {sys.version.split()[0]}. "
        f"Budgets: notebook {NOTEBOOK_BUDGET:.0f} s, build {BUILD_BUDGET:.0f} s, "
        f"tests {TEST_BUDGET:.0f} s.\n\n{table(rows)}\n"
    )
    print(report)
    if args.output:
        args.output.write_text(report, encoding="utf-8")
    return 1 if any(r.over_budget or not r.ok for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
