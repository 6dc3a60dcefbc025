"""binder/ holds the reader's runtime only, pinned as the book is tested.

Static checks, fast. ``make binder-check`` (scripts/binder_check.py) goes further: it installs
binder/requirements.txt into a fresh environment, starts its Jupyter server headless and runs a
chapter through the server's kernel (outside the default suite: it downloads JupyterLab).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"


def pins(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if line and not line.startswith("-"):
            name, _, version = line.partition("==")
            assert version, f"{path.name}: {line!r} is not pinned exactly"
            out[re.sub(r"[-_.]+", "-", name).lower()] = version
    return out


def test_runtime_is_python_311() -> None:
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"


def test_binder_pins_agree_with_the_book() -> None:
    binder, book = pins(BINDER / "requirements.txt"), pins(ROOT / "requirements.txt")
    for name in ("torch", "numpy", "scikit-learn", "scipy", "matplotlib", "tqdm"):
        assert binder.get(name) == book[name], f"binder pins {name}=={binder.get(name)}"
    for name in ("jupyterlab", "jupyterlab-myst", "ipywidgets"):
        assert name in binder, f"binder/requirements.txt lacks {name}"


def test_no_authoring_tools_in_binder() -> None:
    """cffconvert forces jsonschema 3.2, which makes `jupyter lab` crash (jupyter_events)."""
    binder = pins(BINDER / "requirements.txt")
    for name in ("cffconvert", "jsonschema", "jupyter-book", "pytest", "nbval", "ruff"):
        assert name not in binder, f"{name} belongs to requirements.txt, not binder/"


def test_postbuild_installs_the_package() -> None:
    post = BINDER / "postBuild"
    assert post.stat().st_mode & 0o111, "binder/postBuild must be executable"
    assert re.search(r"pip install .*--no-deps \.", post.read_text())
    # repo2docker ignores the root's configuration files when binder/ exists.
    assert not (ROOT / "postBuild").exists()
