"""Tests of vae_tutorial.corruption.salt_pixels."""

from __future__ import annotations

import pytest
import torch

from vae_tutorial import load_digits
from vae_tutorial.corruption import salt_pixels


def test_counts_values_and_mask() -> None:
    levels = load_digits("train")
    noisy, mask = salt_pixels(levels, image_fraction=0.2, pixels_per_image=8, seed=3)
    assert noisy.shape == levels.shape and mask.shape == levels.shape and mask.dtype == torch.bool
    rows = mask.any(1)
    assert int(rows.sum()) == 200  # round(0.2 * 1000) images
    assert (mask[rows].sum(1) == 8).all()  # exactly 8 distinct pixels per corrupted image
    assert (noisy[mask] == 16).all()
    assert torch.equal(noisy[~mask], levels[~mask])


def test_input_untouched_and_deterministic() -> None:
    levels = load_digits("val")
    before = levels.clone()
    a, ma = salt_pixels(levels, 1.0, 2, seed=5)
    b, mb = salt_pixels(levels, 1.0, 2, seed=5)
    c, _ = salt_pixels(levels, 1.0, 2, seed=6)
    assert torch.equal(levels, before)
    assert torch.equal(a, b) and torch.equal(ma, mb)
    assert not torch.equal(a, c)


def test_zero_fraction_is_identity() -> None:
    levels = load_digits("val")
    noisy, mask = salt_pixels(levels, 0.0, 4)
    assert torch.equal(noisy, levels) and not mask.any()


@pytest.mark.parametrize(
    "kwargs", [{"image_fraction": 1.5}, {"pixels_per_image": 0}, {"pixels_per_image": 65}]
)
def test_rejects_bad_arguments(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        salt_pixels(load_digits("val"), **kwargs)


def test_rejects_non_levels() -> None:
    with pytest.raises(ValueError):
        salt_pixels(torch.full((2, 64), 0.5), 1.0, 1)
