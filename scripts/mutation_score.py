"""Mutation score of one module from mutmut's results (run after `mutmut run`).

    python scripts/mutation_score.py objectives

Counts the mutants of ``vae_tutorial.<module>`` by status and prints the score
killed / (all checked - equivalent), where the equivalent mutants (a change that cannot alter any
result, e.g. in an error message's wording or a default that every caller overrides) are listed
with a reason in ``tests/mutation_equivalent.txt``. Timeouts count as killed. Survivors that are
not listed as equivalent are printed: each needs a test, or a reason to be listed.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT = ROOT / "tests" / "mutation_equivalent.txt"


def equivalent_mutants() -> set[str]:
    if not EQUIVALENT.exists():
        return set()
    lines = EQUIVALENT.read_text(encoding="utf-8").splitlines()
    return {line.split()[0] for line in lines if line.strip() and not line.startswith("#")}


def main(module: str) -> int:
    out = subprocess.run(
        [str(Path(sys.executable).parent / "mutmut"), "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    prefix = f"vae_tutorial.{module}."
    status = {}
    for line in out.splitlines():
        name, _, state = line.strip().rpartition(": ")
        if name.startswith(prefix):
            status[name] = state
    equivalent = equivalent_mutants()
    counts = Counter(status.values())
    checked = {n: s for n, s in status.items() if s != "not checked"}
    # A listed equivalent mutant is left out whatever its status: one that "timed out" (a slow
    # machine can push a display-only mutant over mutmut's CPU limit) is no kill either.
    equiv = sorted(n for n in checked if n in equivalent)
    scored = {n: s for n, s in checked.items() if n not in equivalent}
    killed = sum(s in ("killed", "timeout") for s in scored.values())
    real = sorted(n for n, s in scored.items() if s not in ("killed", "timeout"))
    denominator = len(scored)
    score = killed / denominator if denominator else float("nan")
    print(f"{module}: {dict(counts)}")
    print(
        f"{module}: killed {killed} of {denominator} non-equivalent mutants = {score:.1%} "
        f"({len(equiv)} equivalent mutants listed in {EQUIVALENT.name} left out)"
    )
    for name in real:
        print(f"  survived: {name}")
    # mutmut numbers the mutants of a function in order, so editing the function renumbers them:
    # a listed "equivalent" mutant that the tests kill is a stale line that names another mutant.
    stale = sorted(n for n in equiv if checked[n] == "killed")
    for name in stale:
        print(f"  stale line in {EQUIVALENT.name} (this mutant is killed): {name}")
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1] if len(sys.argv) > 1 else "data"))
