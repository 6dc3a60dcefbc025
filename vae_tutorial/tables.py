r"""A real mixed-type table: the *fair* survey data bundled with statsmodels (no download).

In 1974 the magazine *Redbook* asked its readers about their marriages; Fair (1978) studied the
6,366 answers of married women and fitted a Tobit model to the time they spent in extramarital
affairs. statsmodels ships the table inside the package (``statsmodels/datasets/fair/fair.csv``),
so loading it never touches the network.

Each row is one woman; its nine columns have four different types, which is why one likelihood
for every column cannot be right:

===================  ===========  =========================================================
column               type         values as recorded
===================  ===========  =========================================================
``rate_marriage``    ordinal      1 = very poor ... 5 = very good
``age``              ordinal      6 age bands coded by their mid-points 17.5, 22, ..., 42
``yrs_married``      ordinal      7 bands coded 0.5, 2.5, 6, 9, 13, 16.5, 23
``children``         count        0, 1, 2, 3, 4 and 5.5 (the top code; read as "5 or more")
``religious``        ordinal      1 = not ... 4 = strongly
``educ``             ordinal      6 levels coded in years: 9, 12, 14, 16, 17, 20
``occupation``       categorical  6 unordered occupation groups coded 1..6
``occupation_husb``  categorical  the husband's occupation, same 6 groups
``affairs``          zero-heavy   a non-negative real number, exactly 0 in 68% of the rows
===================  ===========  =========================================================

Two views of the same rows: :func:`load_fair` returns the values as recorded (``coded=False``,
"their own units"), or with every discrete column replaced by its *code*, the index
:math:`0, \dots, K-1` of its value in :attr:`Column.values` (``coded=True``); ``affairs`` is the
same in both. The codes are what the discrete likelihood heads model; a probability of a code is
the probability of the recorded value, so log-likelihoods are the same in both views.

The rows are split once, by a seeded permutation, into 3,820 training, 1,273 validation and 1,273
test rows (:data:`FAIR_SPLITS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np
import torch
from torch import Tensor

ColumnKind = Literal["ordinal", "count", "categorical", "zero_heavy"]


@dataclass(frozen=True)
class Column:
    """One column of the table: its name, type, recorded values and meaning.

    ``values`` lists the values the survey records for a discrete column, in increasing order
    (code :math:`k` stands for ``values[k]``); it is ``None`` for the continuous ``affairs``.
    """

    name: str
    kind: ColumnKind
    values: tuple[float, ...] | None
    description: str

    @property
    def num_levels(self) -> int:
        """:math:`K`, the number of recorded values of a discrete column."""
        if self.values is None:
            raise ValueError(f"column {self.name!r} is continuous; it has no levels")
        return len(self.values)


FAIR_COLUMNS: tuple[Column, ...] = (
    Column(
        "rate_marriage",
        "ordinal",
        (1.0, 2.0, 3.0, 4.0, 5.0),
        "rating of the marriage, 1 = very poor ... 5 = very good",
    ),
    Column(
        "age",
        "ordinal",
        (17.5, 22.0, 27.0, 32.0, 37.0, 42.0),
        "age band, coded by its mid-point in years",
    ),
    Column(
        "yrs_married",
        "ordinal",
        (0.5, 2.5, 6.0, 9.0, 13.0, 16.5, 23.0),
        "years married, in bands coded by an approximate mid-point",
    ),
    Column(
        "children",
        "count",
        (0.0, 1.0, 2.0, 3.0, 4.0, 5.5),
        "number of children; the top code 5.5 is read as 'five or more'",
    ),
    Column("religious", "ordinal", (1.0, 2.0, 3.0, 4.0), "how religious, 1 = not ... 4 = strongly"),
    Column(
        "educ",
        "ordinal",
        (9.0, 12.0, 14.0, 16.0, 17.0, 20.0),
        "education: grade school, high school, some college, college, some graduate, advanced",
    ),
    Column(
        "occupation",
        "categorical",
        (1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
        "the woman's occupation group (unordered categories)",
    ),
    Column(
        "occupation_husb",
        "categorical",
        (1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
        "the husband's occupation group (unordered categories)",
    ),
    Column(
        "affairs",
        "zero_heavy",
        None,
        "time spent in extramarital affairs (Fair's measure): 0 for most, else positive",
    ),
)
FAIR_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in FAIR_COLUMNS)
#: Number of rows in each split (a seeded permutation of the 6,366 rows).
FAIR_SPLITS: dict[str, int] = {"train": 3820, "val": 1273, "test": 1273}
FAIR_NUM_ROWS = 6366
_SPLIT_SEED = 0


@lru_cache(maxsize=1)
def _fair_values() -> np.ndarray:
    """All rows as recorded, float64 ``[6366, 9]``, columns in :data:`FAIR_COLUMN_NAMES` order."""
    from statsmodels.datasets import fair

    frame = fair.load_pandas().data
    return frame[list(FAIR_COLUMN_NAMES)].to_numpy(dtype=np.float64)


def _split_rows(split: str) -> np.ndarray:
    if split not in FAIR_SPLITS:
        raise ValueError(f"load_fair: split must be one of {sorted(FAIR_SPLITS)}, got {split!r}")
    order = np.random.default_rng(_SPLIT_SEED).permutation(FAIR_NUM_ROWS)
    start = 0
    for name, size in FAIR_SPLITS.items():
        if name == split:
            return order[start : start + size]
        start += size
    raise AssertionError("unreachable")


def values_to_codes(x: Tensor) -> Tensor:
    """Recorded values ``[..., 9]`` -> codes (index of each value in ``Column.values``).

    Raises a ValueError naming the column if a value is not one the survey records.
    """
    out = x.clone()
    for j, col in enumerate(FAIR_COLUMNS):
        if col.values is None:
            continue
        allowed = torch.tensor(col.values, dtype=x.dtype, device=x.device)
        hit = x[..., j, None] == allowed
        if not bool(hit.any(-1).all()):
            bad = x[..., j][~hit.any(-1)].flatten()[0].item()
            raise ValueError(f"fair column {col.name!r}: {bad:.4g} is not one of {col.values}")
        out[..., j] = hit.to(x.dtype).argmax(-1).to(x.dtype)
    return out


def codes_to_values(codes: Tensor) -> Tensor:
    """Codes ``[..., 9]`` -> recorded values (the inverse of :func:`values_to_codes`)."""
    out = codes.clone()
    for j, col in enumerate(FAIR_COLUMNS):
        if col.values is None:
            continue
        k = codes[..., j]
        if not bool(((k >= 0) & (k <= col.num_levels - 1) & (k == k.round())).all()):
            raise ValueError(
                f"fair column {col.name!r}: codes must be whole numbers 0..{col.num_levels - 1}"
            )
        allowed = torch.tensor(col.values, dtype=codes.dtype, device=codes.device)
        out[..., j] = allowed[k.long()]
    return out


def load_fair(split: str = "train", coded: bool = False) -> Tensor:
    """The *fair* table, one split, as a float32 tensor ``[N, 9]`` (columns: :data:`FAIR_COLUMNS`).

    ``split`` is ``"train"`` (3,820 rows), ``"val"`` (1,273) or ``"test"`` (1,273): a fixed,
    seeded permutation of the rows, so every chapter sees the same split. With ``coded=False``
    the values are as recorded (ages 17.5..42, children 0..5.5, ...); with ``coded=True`` each
    discrete column holds the code 0..K-1 of its value (see :func:`values_to_codes`).
    """
    rows = _split_rows(split)
    x = torch.from_numpy(_fair_values()[rows].astype(np.float32))
    return values_to_codes(x) if coded else x
