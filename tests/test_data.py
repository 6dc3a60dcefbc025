"""The digits: split sizes, dtype, shape and values."""

from __future__ import annotations

import pytest
import torch

from vae_tutorial import load_digits
from vae_tutorial.data import SPLITS


@pytest.mark.parametrize(("split", "n"), [("train", 1000), ("val", 350), ("test", 447)])
def test_split(split, n) -> None:
    x = load_digits(split)
    assert x.shape == (n, 64) and x.dtype == torch.float32
    assert x.min() == 0 and x.max() == 16
    assert torch.equal(x, x.round())
    x2, y = load_digits(split, with_labels=True)
    assert torch.equal(x, x2) and y.shape == (n,) and y.dtype == torch.int64
    assert set(y.unique().tolist()) <= set(range(10))


def test_splits_are_disjoint_and_cover_the_data() -> None:
    parts = [load_digits(s) for s in SPLITS]
    assert sum(len(p) for p in parts) == 1797
    rows = {tuple(r.tolist()) for r in torch.cat(parts)}
    assert len(rows) > 1700  # a few true duplicates exist in the digits; the splits do not overlap
    assert not torch.equal(parts[0][:5], parts[1][:5])


def test_returns_a_copy() -> None:
    x = load_digits("train")
    x[0, 0] = 99.0
    assert load_digits("train")[0, 0] != 99.0


def test_bad_split() -> None:
    with pytest.raises(ValueError, match="load_digits: split must be one of"):
        load_digits("validation")
