"""The maps from the digits' levels to each head's values, and the bins of the continuous ones."""

from __future__ import annotations

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from vae_tutorial import representations as rep
from vae_tutorial.likelihoods import LIKELIHOODS

LEVELS = torch.arange(17.0)


def test_binarize() -> None:
    x = rep.binarize(LEVELS)
    assert x.dtype == torch.float32
    assert x.tolist() == [0.0] * 8 + [1.0] * 9  # k >= 8 = (K-1)/2
    assert rep.binarize(torch.tensor([0.0, 1.0, 2.0, 3.0]), num_levels=4).tolist() == [0, 0, 1, 1]


def test_unit_interval_and_open_unit_interval() -> None:
    u = rep.unit_interval(LEVELS)
    assert u[0] == 0.0 and u[-1] == 1.0
    torch.testing.assert_close(u, LEVELS / 16)
    o = rep.open_unit_interval(LEVELS)
    assert (o > 0).all() and (o < 1).all()
    torch.testing.assert_close(o, (LEVELS + 0.5) / 17)
    assert (o.diff() > 0).all()


def test_levels_is_identity_and_checks() -> None:
    assert rep.levels(LEVELS) is LEVELS
    assert rep.levels(torch.tensor([255.0]), 256).item() == 255.0


@pytest.mark.parametrize(
    "fn",
    [rep.levels, rep.binarize, rep.unit_interval, rep.open_unit_interval, rep.unit_interval_bins],
)
@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (torch.tensor([17.0]), "whole-number levels in 0..16"),
        (torch.tensor([-1.0]), "whole-number levels"),
        (torch.tensor([2.5]), "whole-number levels"),
        (torch.tensor([float("nan")]), "NaN"),
        (torch.tensor([3]), "float tensor"),
    ],
)
def test_bad_levels_are_refused(fn, bad, message) -> None:
    with pytest.raises(ValueError, match=message):
        fn(bad)


@pytest.mark.parametrize("num_levels", [2, 17, 256])
def test_unit_interval_bins_partition_the_range(num_levels) -> None:
    levels = torch.arange(float(num_levels), dtype=torch.float64)
    lo, hi = rep.unit_interval_bins(levels, num_levels)
    assert lo[0] == 0.0 and hi[-1] == 1.0
    torch.testing.assert_close(lo[1:], hi[:-1])  # adjacent, no gaps or overlaps
    assert (hi > lo).all()
    assert (hi - lo).sum().item() == pytest.approx(1.0)
    x = rep.unit_interval(levels, num_levels)
    assert ((lo <= x) & (x <= hi)).all()


@pytest.mark.parametrize("num_levels", [2, 17, 256])
def test_open_unit_interval_bins_partition_the_range(num_levels) -> None:
    levels = torch.arange(float(num_levels), dtype=torch.float64)
    lo, hi = rep.open_unit_interval_bins(levels, num_levels)
    assert lo[0] == 0.0 and hi[-1] == 1.0
    torch.testing.assert_close(lo[1:], hi[:-1])
    torch.testing.assert_close(hi - lo, torch.full_like(lo, 1 / num_levels))
    x = rep.open_unit_interval(levels, num_levels)
    assert ((lo < x) & (x < hi)).all()


@given(st.lists(st.integers(0, 16), min_size=1, max_size=64))
def test_every_head_prepares_into_its_support(values) -> None:
    levels = torch.tensor(values, dtype=torch.float32)
    for name, cls in LIKELIHOODS.items():
        head = cls()
        x = head.prepare(levels)
        assert x.shape == levels.shape, name
        assert bool(head.support.check(x).all()), name
        if not head.discrete:
            lo, hi = head.bin_edges(levels)
            assert ((lo <= x) & (x <= hi)).all(), name


def test_prepare_is_the_documented_representation() -> None:
    expected = {
        "bernoulli": rep.binarize,
        "continuous_bernoulli": rep.unit_interval,
        "gaussian_fixed": rep.unit_interval,
        "gaussian_shared": rep.unit_interval,
        "gaussian_diagonal": rep.unit_interval,
        "laplace": rep.unit_interval,
        "student_t": rep.unit_interval,
        "beta": rep.open_unit_interval,
        "categorical": rep.levels,
        "discretized_logistic": rep.levels,
        "discretized_gaussian": rep.levels,
        "discretized_laplace": rep.levels,
        "binomial": rep.levels,
        "poisson": rep.levels,
        "negative_binomial": rep.levels,
    }
    for name, fn in expected.items():
        torch.testing.assert_close(LIKELIHOODS[name]().prepare(LEVELS), fn(LEVELS), msg=name)


def test_prepare_refuses_levels_a_head_cannot_hold() -> None:
    with pytest.raises(ValueError, match="0..3"):
        LIKELIHOODS["categorical"](num_levels=4).prepare(torch.tensor([5.0]))


def test_dequantize_stays_in_each_levels_bin() -> None:
    levels = torch.tensor([[0.0, 1.0, 8.0, 16.0], [3.0, 16.0, 0.0, 2.0]])
    x = rep.dequantize(levels, copies=500, generator=torch.Generator().manual_seed(0))
    assert x.shape == (1000, 4)
    centre = rep.unit_interval(levels).repeat(500, 1)
    offset = (x - centre) * 16  # in bin widths
    assert offset.abs().max() <= 0.5
    # uniform on the bin: mean about 0, variance about 1/12
    assert abs(float(offset.mean())) < 0.03 and abs(float(offset.var()) - 1 / 12) < 0.01
    with pytest.raises(ValueError, match="copies"):
        rep.dequantize(levels, copies=0)
