"""train(): determinism under a seed, early stopping that restores the best state, and a short
training run of a VAE with EVERY head on the digits without NaNs (the notebook-free check)."""

from __future__ import annotations

import math

import pytest
import torch
from test_objectives import data, exact_log_px, linear_gaussian_vae

from vae_tutorial import evaluation, load_digits
from vae_tutorial.likelihoods import LIKELIHOODS
from vae_tutorial.model import VAE
from vae_tutorial.objectives import elbo
from vae_tutorial.training import fit_digits, objective, train

TRAIN, VAL = load_digits("train"), load_digits("val")


def small_vae(head_name: str = "binomial", **kwargs) -> VAE:
    torch.manual_seed(0)
    return VAE(LIKELIHOODS[head_name](**kwargs), latent_dim=2, hidden=(32,))


def test_deterministic_under_a_seed() -> None:
    runs = []
    for _ in range(2):
        model = small_vae()
        x = model.head.prepare(TRAIN[:300])
        h = train(model, x, model.head.prepare(VAL[:100]), epochs=3, seed=3, progress=False)
        runs.append((h, model.state_dict()))
    (h1, s1), (h2, s2) = runs
    assert h1.train_objective == h2.train_objective and h1.val_objective == h2.val_objective
    assert h1.best_epoch == h2.best_epoch
    for k in s1:
        assert torch.equal(s1[k], s2[k]), k
    model = small_vae()
    h3 = train(model, model.head.prepare(TRAIN[:300]), epochs=3, seed=4, progress=False)
    assert h3.train_objective != h1.train_objective


def test_early_stopping_restores_the_best_state() -> None:
    """Stop after `patience` epochs without improvement and restore the best epoch's weights:
    equal to a rerun that stops right at the best epoch (training is deterministic)."""
    head = "bernoulli"
    x = LIKELIHOODS[head]().prepare(TRAIN[:100])
    xv = LIKELIHOODS[head]().prepare(VAL[:100])
    model = small_vae(head)
    h = train(model, x, xv, epochs=60, patience=3, lr=1e-2, seed=0, progress=False)
    assert h.epochs_run < 60, "expected early stopping on this overfitting set-up"
    assert h.epochs_run == h.best_epoch + 1 + 3
    assert h.best_val == max(h.val_objective) == h.val_objective[h.best_epoch]
    rerun = small_vae(head)
    h2 = train(
        rerun, x, xv, epochs=h.best_epoch + 1, patience=None, lr=1e-2, seed=0, progress=False
    )
    assert h2.val_objective == h.val_objective[: h.best_epoch + 1]
    for k, v in rerun.state_dict().items():
        assert torch.equal(model.state_dict()[k], v), k


def test_bad_inputs_are_refused() -> None:
    model = small_vae("bernoulli")
    with pytest.raises(ValueError, match=r"train: expected train_x of shape \[N, 64\]"):
        train(model, torch.zeros(10, 63), epochs=1, progress=False)
    with pytest.raises(ValueError, match="bernoulli expects x in"):
        train(model, TRAIN[:10], epochs=1, progress=False)  # levels, not binarized
    with pytest.raises(ValueError, match="objective: kind must be"):
        objective(model, torch.zeros(2, 64), kind="vi")


def test_iwae_training_runs() -> None:
    """IWAE training on the digits: finite, and the bound it reports improves."""
    model = small_vae("bernoulli")
    x = model.head.prepare(TRAIN[:200])
    h = train(model, x, x[:50], epochs=4, lr=3e-3, kind="iwae", k=3, progress=False)
    assert all(math.isfinite(v) for v in h.train_objective + h.val_objective)
    assert h.train_objective[-1] > h.train_objective[0] + 1.0
    assert h.val_objective[-1] > h.val_objective[0] + 1.0


def test_reported_objectives_are_the_bounds_on_an_exact_model() -> None:
    """On the linear Gaussian model with the exact posterior as encoder every log importance
    weight equals log p(x) (known in closed form), so the IWAE objective that train() reports is
    log p(x) for any k (the -log k is needed), and the validation ELBO (computed with beta = 1,
    whatever beta training used) is log p(x) on average, while the beta = 0 objective is
    larger by the KL term. A learning rate of 1e-12 keeps the model where it is."""
    model = linear_gaussian_vae(exact_posterior=True)
    x = data(n=300)
    log_px = exact_log_px(model, x).mean().item()
    for k in (1, 5):
        # 42 batches of 7 and one of 6: the epoch's mean weighs each batch by its size
        h = train(model, x, x, epochs=1, batch_size=7, lr=1e-12, kind="iwae", k=k, progress=False)
        assert h.train_objective[0] == pytest.approx(log_px, abs=1e-6)
        assert h.val_objective[0] == pytest.approx(log_px, abs=1e-6)
    kl = elbo(model, x).kl.mean().item()
    assert kl > 1.0  # so beta = 0 and beta = 1 differ clearly
    h = train(model, x, x, epochs=1, batch_size=300, lr=1e-12, beta=0.0, progress=False)
    # single-sample ELBO: sd of the mean over 300 examples is well below 0.2 nats here
    assert h.val_objective[0] == pytest.approx(log_px, abs=0.2)
    assert h.train_objective[0] == pytest.approx(log_px + kl, abs=0.2)


def test_shuffling_has_its_own_seeded_generator(monkeypatch) -> None:
    """Batches come from torch.Generator().manual_seed(seed), not from the global random state,
    so models that draw different amounts of noise (here: latent sizes 2 and 5) see the same
    batches in the same order, epoch after epoch."""
    import vae_tutorial.training as training

    x = LIKELIHOODS["binomial"]().prepare(TRAIN[:40])
    seen: list[list[torch.Tensor]] = []

    def recording(model, batch, *args, **kwargs):
        seen[-1].append(batch.clone())
        return objective(model, batch, *args, **kwargs)

    monkeypatch.setattr(training, "objective", recording)
    for latent in (2, 5):
        seen.append([])
        torch.manual_seed(0)
        model = VAE(LIKELIHOODS["binomial"](), latent_dim=latent, hidden=(8,))
        train(model, x, epochs=3, batch_size=16, seed=7, progress=False)
    g = torch.Generator().manual_seed(7)
    expected = [x[idx] for _ in range(3) for idx in torch.randperm(40, generator=g).split(16)]
    for run in seen:
        assert len(run) == len(expected) == 9
        for got, want in zip(run, expected, strict=True):
            assert torch.equal(got, want)


def test_every_head_trains_on_the_digits(variant) -> None:
    """3 epochs on the 1000 training digits, validation on 350: finite and improving."""
    torch.manual_seed(0)
    head = variant.make()
    model = VAE(head, latent_dim=4, hidden=(32,))
    x, xv = head.prepare(TRAIN), head.prepare(VAL)
    h = train(model, x, xv, epochs=3, lr=3e-3, seed=0, progress=False)
    values = h.train_objective + h.val_objective
    assert h.epochs_run == 3 and all(math.isfinite(v) for v in values), values
    assert h.val_objective[-1] > h.val_objective[0] or h.best_epoch > 0
    for name, p in model.named_parameters():
        assert torch.isfinite(p).all(), name
    ll = evaluation.discrete_log_likelihood(model, load_digits("test")[:20], k=5)
    assert torch.isfinite(ll).all()
    assert torch.isfinite(model.reconstruct(xv[:5]).mean).all()


def test_train_defaults() -> None:
    """The documented defaults (batch_size=100, lr=1e-3, no weight decay, the ELBO with one
    sample and beta=1, seed=0) are what an explicit call with those values does."""
    x = LIKELIHOODS["binomial"]().prepare(TRAIN[:250])
    states = []
    for kwargs in (
        {},
        {
            "batch_size": 100,
            "lr": 1e-3,
            "weight_decay": 0.0,
            "kind": "elbo",
            "k": 1,
            "beta": 1.0,
            "seed": 0,
        },
        {"batch_size": 99},
        {"lr": 2e-3},
        {"seed": 1},
        {"beta": 0.5},
        {"weight_decay": 0.1},
    ):
        model = small_vae()
        h = train(model, x, epochs=2, progress=False, **kwargs)
        states.append((h.train_objective, model.state_dict()))
    default, explicit, *others = states
    assert default[0] == explicit[0]
    for name, value in default[1].items():
        assert torch.equal(value, explicit[1][name]), name
    for _, state in others:
        assert any(not torch.equal(v, state[n]) for n, v in default[1].items())


def test_default_patience_is_20() -> None:
    head = "bernoulli"
    x = LIKELIHOODS[head]().prepare(TRAIN[:100])
    xv = LIKELIHOODS[head]().prepare(VAL[:100])
    import time

    start = time.perf_counter()
    h = train(small_vae(head), x, xv, epochs=300, lr=1e-2, seed=0, progress=False)
    wall = time.perf_counter() - start
    assert h.epochs_run < 300, "expected early stopping on this overfitting set-up"
    assert h.epochs_run == h.best_epoch + 1 + 20
    assert 0 < h.seconds <= wall and len(h.train_objective) == len(h.val_objective) == h.epochs_run


def test_fit_digits_builds_the_documented_model() -> None:
    """latent_dim=8, hidden=(256, 256), initialised from torch.manual_seed(seed)."""
    head = LIKELIHOODS["binomial"]()
    model, history = fit_digits(head, epochs=0)
    assert history.epochs_run == 0 and model.latent_dim == 8 and model.data_dim == 64
    sizes = [m.out_features for m in model.encoder.net if hasattr(m, "out_features")]
    assert sizes == [256, 256, 16]
    torch.manual_seed(0)
    again = VAE(LIKELIHOODS["binomial"](), latent_dim=8, hidden=(256, 256))
    for name, value in again.state_dict().items():
        assert torch.equal(value, model.state_dict()[name]), name


def test_progress_bar(capsys, monkeypatch) -> None:
    """Shown with progress=True, or by default unless TQDM_DISABLE=1; never with False."""
    x = LIKELIHOODS["binomial"]().prepare(TRAIN[:20])
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    train(small_vae(), x, epochs=1)  # no TQDM_DISABLE at all: shown
    assert "binomial" in capsys.readouterr().err
    cases = [
        (True, "1", True),
        (False, "", False),
        (None, "1", False),
        (None, "", True),
        (None, "0", True),
    ]
    for progress, env, shown in cases:
        monkeypatch.setenv("TQDM_DISABLE", env)
        train(small_vae(), x, epochs=1, progress=progress)
        err = capsys.readouterr().err
        assert ("binomial" in err) == shown, (progress, env, err)


def test_objective_defaults_and_beta() -> None:
    """objective(model, x) is the one-sample ELBO with beta = 1; with beta it is
    reconstruction - beta * KL of the same draws."""
    model = small_vae()
    x = LIKELIHOODS["binomial"]().prepare(TRAIN[:30])
    torch.manual_seed(4)
    default = objective(model, x)
    torch.manual_seed(4)
    terms = elbo(model, x, n_samples=1)
    torch.testing.assert_close(default, terms.elbo)
    torch.manual_seed(4)
    weighted = objective(model, x, "elbo", 1, 0.25)
    torch.testing.assert_close(weighted, terms.reconstruction - 0.25 * terms.kl)
    torch.manual_seed(4)
    two = objective(model, x, "elbo", 2)
    torch.manual_seed(4)
    torch.testing.assert_close(two, elbo(model, x, n_samples=2).elbo)


def test_zero_epochs_leave_the_model_as_it_was() -> None:
    model = small_vae()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = LIKELIHOODS["binomial"]().prepare(TRAIN[:30])
    h = train(model, x, x, epochs=0, progress=False)
    assert h.epochs_run == 0 and h.train_objective == [] and h.best_epoch == -1
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_fit_digits_trains_with_validation_and_passes_arguments_on() -> None:
    head = LIKELIHOODS["binomial"]()
    model, history = fit_digits(head, latent_dim=2, hidden=(8,), seed=3, epochs=2, lr=2e-3)
    assert len(history.val_objective) == 2 and history.epochs_run == 2
    torch.manual_seed(3)
    again = VAE(LIKELIHOODS["binomial"](), latent_dim=2, hidden=(8,))
    x, xv = head.prepare(TRAIN), head.prepare(VAL)
    h = train(again, x, xv, epochs=2, lr=2e-3, seed=3, progress=False)
    assert h.val_objective == history.val_objective
    for name, value in again.state_dict().items():
        assert torch.equal(value, model.state_dict()[name]), name


def test_default_number_of_epochs_is_100() -> None:
    x = LIKELIHOODS["binomial"]().prepare(TRAIN[:10])
    h = train(small_vae(), x, batch_size=10, progress=False)
    assert h.epochs_run == 100 and len(h.train_objective) == 100
