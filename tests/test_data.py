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
    """Against scikit-learn's own array: train, val and test are rows 0..999, 1000..1349 and
    1350..1796 in order, so together they are every image exactly once (no gap, no overlap)."""
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    everything = torch.from_numpy(bunch.data).float()
    labels = torch.from_numpy(bunch.target)
    parts = [load_digits(s, with_labels=True) for s in ("train", "val", "test")]
    assert [len(x) for x, _ in parts] == [1000, 350, 447]
    assert torch.equal(torch.cat([x for x, _ in parts]), everything)
    assert torch.equal(torch.cat([y for _, y in parts]), labels)
    # the boundaries themselves: the first and last image of each split
    starts = (0, 1000, 1350)
    for (x, _), start in zip(parts, starts, strict=True):
        assert torch.equal(x[0], everything[start]) and torch.equal(
            x[-1], everything[start + len(x) - 1]
        )
    assert set(SPLITS) == {"train", "val", "test"}


def test_default_split_is_train() -> None:
    assert torch.equal(load_digits(), load_digits("train"))
    x, y = load_digits(with_labels=True)
    assert torch.equal(x, load_digits("train")) and len(y) == 1000


def test_returns_a_copy() -> None:
    x = load_digits("train")
    x[0, 0] = 99.0
    assert load_digits("train")[0, 0] != 99.0


def test_bad_split() -> None:
    with pytest.raises(ValueError, match="load_digits: split must be one of"):
        load_digits("validation")
