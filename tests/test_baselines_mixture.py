"""Mixture of per-pixel categoricals (EM) and the binary-to-levels conversion."""

from __future__ import annotations

import itertools
import math

import pytest
import torch

from vae_tutorial import load_digits
from vae_tutorial.baselines import (
    CategoricalMixture,
    independent_pixels_log_prob,
    select_mixture,
    spread_binary_log_prob,
)


def test_mixture_sums_to_one_over_all_images() -> None:
    train = torch.tensor([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0], [0.0, 0.0, 0.0], [2.0, 2.0, 1.0]])
    mix = CategoricalMixture(2, num_levels=3, seed=1).fit(train)
    images = torch.tensor(list(itertools.product(range(3), repeat=3)), dtype=torch.float32)
    assert math.isclose(float(mix.log_prob(images).exp().sum()), 1.0, rel_tol=1e-9)


def test_em_never_decreases_the_training_likelihood() -> None:
    train = load_digits("train")[:300]
    mix = CategoricalMixture(8, alpha=0.5, iterations=40, tol=0.0).fit(train)
    ll = torch.tensor(mix.history.train_log_likelihood)
    # penalised EM: the log-likelihood itself may move by a hair; it must not drop materially
    assert (ll.diff() > -1e-3).all() and ll[-1] > ll[0] + 10


def test_one_component_is_the_independent_pixels_model() -> None:
    train, test = load_digits("train"), load_digits("test")
    mix = CategoricalMixture(1, alpha=1.0).fit(train)
    torch.testing.assert_close(
        mix.log_prob(test), independent_pixels_log_prob(train, test).double(), atol=1e-3, rtol=0
    )


def test_select_mixture_uses_validation_and_beats_independent_pixels() -> None:
    train, val = load_digits("train"), load_digits("val")
    best, scores = select_mixture(train, val, components=(1, 10))
    assert set(scores) == {1, 10} and best.num_components == min(scores, key=scores.get)
    assert scores[10] < scores[1]


def test_samples_are_levels() -> None:
    mix = CategoricalMixture(3, iterations=5).fit(load_digits("train")[:100])
    x = mix.sample(10)
    assert x.shape == (10, 64) and bool(((x >= 0) & (x <= 16) & (x == x.round())).all())


def test_spread_binary_is_a_pmf_over_levels() -> None:
    levels = torch.arange(17.0).unsqueeze(-1)  # every level of a one-pixel image
    log_p_bit = torch.where(levels.squeeze(-1) >= 8, math.log(0.3), math.log(0.7))
    probs = spread_binary_log_prob(log_p_bit, levels).exp()
    assert math.isclose(float(probs.sum()), 1.0, rel_tol=1e-6)
    assert math.isclose(float(probs[0]), 0.7 / 8, rel_tol=1e-6)
    assert math.isclose(float(probs[16]), 0.3 / 9, rel_tol=1e-6)


def test_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="num_components"):
        CategoricalMixture(0)
    with pytest.raises(RuntimeError, match="fit"):
        CategoricalMixture(2).log_prob(torch.zeros(1, 64))
