"""``pip install vae-tutorial`` into a reader's existing environment keeps the torch it has.

pyproject.toml declares compatible ranges (no exact pins: those are in requirements.txt, for
reproducing the book). Each test builds a fresh virtual environment that already holds torch and
the other dependencies, asks pip what it *would* install for the package's wheel
(``pip install --dry-run --report``, no index, so any download would be an error), and checks that
the answer is the package alone. Fast: no environment is populated with real copies of packages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# pip sees only what the test gives it: no configuration file (which may name local wheel folders
# or indexes), no PYTHONPATH (which would show the source tree as an installed package).
PIP_ENV = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") and k != "PYTHONPATH"}
PIP_ENV["PIP_CONFIG_FILE"] = os.devnull
PIP_ENV["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"

# The oldest versions the ranges in pyproject.toml allow: an environment holding exactly these
# must be kept as it is.
MINIMUM = {
    "torch": "2.1.0",
    "numpy": "1.24.0",
    "scikit-learn": "1.2.0",
    "scipy": "1.10.0",
    "matplotlib": "3.6.0",
    "tqdm": "4.62.0",
}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's wheel, built from a copy (no build litter in the repository)."""
    src, out = tmp_path_factory.mktemp("src"), tmp_path_factory.mktemp("wheel")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "vae_tutorial", src / "vae_tutorial",
                    ignore=shutil.ignore_patterns("__pycache__"))
    cmd = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
           "--wheel-dir", str(out), str(src)]
    subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120, env=PIP_ENV)
    (built,) = out.glob("vae_tutorial-*.whl")
    return built


def make_venv(path: Path) -> Path:
    """A fresh venv without pip (pip runs from this interpreter with ``--python``)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    (site,) = path.glob("lib/python3*/site-packages")
    return site


def fake_distribution(site: Path, name: str, version: str) -> None:
    """Metadata of an installed distribution, which is all pip's resolver looks at."""
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    (info / "INSTALLER").write_text("pip\n")
    (info / "RECORD").write_text("")


def dry_run(venv: Path, wheel: Path) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    cmd = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
           "--dry-run", "--no-index", "--quiet", "--report", "-", str(wheel)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False,
                          env=PIP_ENV)
    if proc.returncode != 0:
        return proc, []
    report = json.loads(proc.stdout)
    return proc, sorted(item["metadata"]["name"] for item in report["install"])


def test_pyproject_has_ranges_not_pins() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for dep in deps:
        assert "==" not in dep and "<" not in dep, f"{dep}: no exact or upper pins in pyproject"
    declared = {d.split(">=")[0]: d.split(">=")[1] for d in deps}
    assert declared == {k: ".".join(v.split(".")[:2]) for k, v in MINIMUM.items()}


def test_keeps_the_pinned_torch(wheel: Path, tmp_path: Path) -> None:
    """A venv that already holds the book's torch (2.13.0+cpu) and the rest of its packages."""
    site = make_venv(tmp_path / "venv")
    # Make the test environment's packages (torch included) visible in the fresh venv, as if
    # they had been installed there.
    (site / "existing.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    proc, install = dry_run(tmp_path / "venv", wheel)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert install == ["vae-tutorial"], f"pip would also install {install}"


def test_keeps_the_oldest_supported_torch(wheel: Path, tmp_path: Path) -> None:
    """A venv holding the oldest versions pyproject.toml allows: nothing is replaced."""
    site = make_venv(tmp_path / "venv")
    for name, version in MINIMUM.items():
        fake_distribution(site, name, version)
    proc, install = dry_run(tmp_path / "venv", wheel)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert install == ["vae-tutorial"], f"pip would also install {install}"


def test_an_older_torch_is_not_accepted(wheel: Path, tmp_path: Path) -> None:
    """Control: below the range, pip would need a new torch (and fails without an index)."""
    site = make_venv(tmp_path / "venv")
    for name, version in {**MINIMUM, "torch": "2.0.1"}.items():
        fake_distribution(site, name, version)
    proc, _ = dry_run(tmp_path / "venv", wheel)
    assert proc.returncode != 0 and "torch" in proc.stderr, proc.stderr[-3000:]


def test_every_third_party_import_is_declared() -> None:
    """With ``--no-deps`` (Colab) nothing checks this at install time: the test does."""
    import ast
    import sys as _sys

    dist = {"sklearn": "scikit-learn", "myst_nb": None}  # myst_nb: optional (glue), guarded
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [d for group in project.get("optional-dependencies", {}).values() for d in group]
    declared = {d.split(">=")[0] for d in project["dependencies"] + extras}
    imported = set()
    for path in (ROOT / "vae_tutorial").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = {
        name for name in imported
        if name not in _sys.stdlib_module_names and name not in ("vae_tutorial", "__future__")
    }
    missing = {dist.get(n, n) for n in third_party} - declared - {None}
    assert not missing, f"imported by vae_tutorial but not in pyproject dependencies: {missing}"
