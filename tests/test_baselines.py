"""The independent-pixels baseline: a normalised model, matching hand-computed values."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from vae_tutorial import load_digits, representations
from vae_tutorial.baselines import independent_pixels_bits_per_dim, independent_pixels_log_prob


def test_sums_to_one_over_all_images() -> None:
    train = torch.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    images = torch.tensor(list(itertools.product(range(3), repeat=3)), dtype=torch.float32)
    log_p = independent_pixels_log_prob(train, images, num_levels=3)
    assert math.isclose(float(log_p.double().exp().sum()), 1.0, rel_tol=1e-6)


def test_hand_computed_value() -> None:
    train = torch.tensor([[0.0], [0.0], [1.0]])
    test = torch.tensor([[1.0]])
    # (1 + 1) / (3 + 2 * 1) = 0.4
    log_p = independent_pixels_log_prob(train, test, num_levels=2)
    assert math.isclose(float(log_p), math.log(0.4), rel_tol=1e-6)
    assert math.isclose(
        independent_pixels_bits_per_dim(train, test, num_levels=2), -math.log2(0.4), rel_tol=1e-6
    )


def test_digits_levels_and_binary() -> None:
    train, test = load_digits("train"), load_digits("test")
    bpd = independent_pixels_bits_per_dim(train, test)
    assert 0.0 < bpd < math.log2(17)
    b_train, b_test = representations.binarize(train), representations.binarize(test)
    assert 0.0 < independent_pixels_bits_per_dim(b_train, b_test, num_levels=2) < 1.0


def test_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="whole numbers in 0..1"):
        independent_pixels_log_prob(torch.zeros(2, 3), torch.full((1, 3), 0.5), num_levels=2)
