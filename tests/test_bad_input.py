"""Bad input to the public API, called as a reader would: each gets a ValueError that names the
argument and what was expected (or, where the input is valid after all, the right answer)."""

from __future__ import annotations

import math

import pytest
import torch

from vae_tutorial import LIKELIHOODS, load_digits
from vae_tutorial.model import VAE
from vae_tutorial.objectives import bits_per_dim, elbo, iwae_bound, log_importance_weights
from vae_tutorial.training import objective, train

LEVELS = load_digits("test")[:6]


def small_vae(head: str = "binomial", data_dim: int = 64) -> VAE:
    torch.manual_seed(0)
    return VAE(LIKELIHOODS[head](), data_dim=data_dim, latent_dim=2, hidden=(8,))


def test_train_on_empty_data() -> None:
    model = small_vae()
    with pytest.raises(
        ValueError, match="^train: train_x is empty; expected at least one example$"
    ):
        train(model, torch.zeros(0, 64), epochs=1, progress=False)
    with pytest.raises(
        ValueError, match="^train: val_x is empty; pass None to train without validation$"
    ):
        train(model, LEVELS, torch.zeros(0, 64), epochs=1, progress=False)


@pytest.mark.parametrize("batch_size", [0, -3, 2.5])
def test_train_batch_size_must_be_positive(batch_size) -> None:
    with pytest.raises(ValueError, match="train: batch_size must be an integer >= 1"):
        train(small_vae(), LEVELS, epochs=1, batch_size=batch_size, progress=False)


def test_iwae_with_zero_samples() -> None:
    model = small_vae()
    with pytest.raises(ValueError, match="train: k must be an integer >= 1, got 0"):
        train(model, LEVELS, epochs=1, kind="iwae", k=0, progress=False)
    with pytest.raises(ValueError, match="objective: k must be an integer >= 1, got 0"):
        objective(model, LEVELS, kind="iwae", k=0)
    with pytest.raises(ValueError, match="iwae_bound: k must be >= 1"):
        iwae_bound(model, LEVELS, k=0)


def test_train_other_bad_arguments() -> None:
    model = small_vae()
    cases = [
        ({"kind": "vi"}, "train: kind must be 'elbo' or 'iwae'"),
        ({"epochs": -1}, "train: epochs must be an integer >= 0"),
        ({"epochs": 2.5}, "train: epochs must be an integer >= 0"),
        ({"patience": -1}, "train: patience must be None or an integer >= 0"),
        ({"lr": 0.0}, "train: lr must be positive"),
        ({"beta": -1.0}, "train: beta must be >= 0"),
    ]
    for kwargs, message in cases:
        with pytest.raises(ValueError, match=message):
            train(model, LEVELS, **{"epochs": 1, "progress": False, **kwargs})
    with pytest.raises(ValueError, match="objective: kind must be"):
        objective(model, LEVELS, kind="vi")


def test_float64_data_on_a_float32_model() -> None:
    model = small_vae()
    x64 = LEVELS.double()
    with pytest.raises(ValueError, match=r"train: train_x has dtype torch.float64 .*torch.float32"):
        train(model, x64, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"train: val_x has dtype torch.float64"):
        train(model, LEVELS, x64, epochs=1, progress=False)
    for fn in (elbo, iwae_bound, log_importance_weights):
        with pytest.raises(ValueError, match=r"x has dtype torch.float64 .*model.to"):
            fn(model, x64, 2)
    # converting the model, as the message says, works
    model.double()
    assert torch.isfinite(elbo(model, x64).elbo).all()


def test_data_dim_mismatch() -> None:
    model = small_vae(data_dim=32)
    for fn in (elbo, iwae_bound, log_importance_weights):
        with pytest.raises(ValueError, match=r"expected x of shape \[\.\.\., 32\] \(the model has"):
            fn(model, LEVELS, 2)
    with pytest.raises(ValueError, match=r"train: expected train_x of shape \[N, 32\]"):
        train(model, LEVELS, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"train: expected val_x of shape \[N, 32\]"):
        train(model, LEVELS[:, :32], LEVELS, epochs=1, progress=False)


def test_image_shaped_data_get_a_flatten_hint() -> None:
    model = small_vae()
    images = LEVELS.view(-1, 1, 8, 8)
    with pytest.raises(ValueError, match=r"got \(6, 1, 8, 8\); flatten images first"):
        elbo(model, images)
    with pytest.raises(ValueError, match=r"flatten images first"):
        iwae_bound(model, images)
    with pytest.raises(ValueError, match=r"train_x.flatten\(1\)"):
        train(model, images, epochs=1, progress=False)
    with pytest.raises(ValueError, match="must be a float tensor"):
        elbo(model, LEVELS.long())


def test_bits_per_dim_needs_positive_dims() -> None:
    for bad in (0, -64, 6.4):
        with pytest.raises(ValueError, match="bits_per_dim: num_dims must be an integer >= 1"):
            bits_per_dim(-10.0, bad)
    assert bits_per_dim(-2 * math.log(2.0), 2) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("kwargs", "arg"),
    [
        ({"latent_dim": 0}, "latent_dim"),
        ({"latent_dim": -2}, "latent_dim"),
        ({"data_dim": 0}, "data_dim"),
        ({"latent_dim": 2.0}, "latent_dim"),
        ({"hidden": (8, 0)}, "hidden"),
    ],
)
def test_vae_sizes_must_be_positive(kwargs, arg) -> None:
    with pytest.raises(ValueError, match=f"VAE: {arg} must be"):
        VAE(LIKELIHOODS["bernoulli"](), **kwargs)


def test_vae_head_must_be_a_head() -> None:
    with pytest.raises(ValueError, match="VAE: head must be a LikelihoodHead"):
        VAE("bernoulli")  # type: ignore[arg-type]


def test_patience_zero_stops_at_the_first_epoch_without_improvement() -> None:
    torch.manual_seed(0)
    model = small_vae()
    h = train(model, LEVELS, LEVELS, epochs=30, lr=0.5, patience=0, progress=False)
    assert h.epochs_run == h.best_epoch + 2 or h.epochs_run == 30


def test_non_finite_loss_is_reported_with_its_epoch() -> None:
    model = VAE(LIKELIHOODS["binomial"](validate_args=False), latent_dim=2, hidden=(8,))
    with torch.no_grad():
        model.decoder.net[-1].bias.fill_(float("nan"))
    with pytest.raises(FloatingPointError, match="^train: non-finite loss at epoch 0$"):
        train(model, LEVELS, epochs=1, progress=False)
