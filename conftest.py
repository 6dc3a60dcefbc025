"""Root pytest set-up: nbval compares cells that declare a numeric tolerance with that tolerance.

See ``tests/nbval_tolerance.py``. Unit tests have their own ``tests/conftest.py``.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "tests"))

import nbval_tolerance  # noqa: E402

nbval_tolerance.install()
