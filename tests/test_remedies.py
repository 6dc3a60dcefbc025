"""Free bits and KL warm-up: the per-dimension KL against its closed form, the free-bits charge
against a hand computation and its gradient, and the warm-up schedule that train() applies."""

from __future__ import annotations

import math

import pytest
import torch
from torch.distributions import Independent, Normal, kl_divergence

from vae_tutorial import load_digits
from vae_tutorial.likelihoods import LIKELIHOODS
from vae_tutorial.model import VAE
from vae_tutorial.objectives import elbo, free_bits_elbo, free_bits_kl, kl_per_latent_dimension
from vae_tutorial.priors import with_vamp_prior
from vae_tutorial.training import objective, train, warmup_beta

TRAIN, VAL = load_digits("train"), load_digits("val")


def small_vae(latent: int = 3) -> VAE:
    torch.manual_seed(0)
    return VAE(LIKELIHOODS["binomial"](), latent_dim=latent, hidden=(16,))


def test_kl_per_latent_dimension_is_the_closed_form_and_sums_to_the_kl() -> None:
    g = torch.Generator().manual_seed(0)
    mu, s = (
        torch.randn(5, 3, generator=g, dtype=torch.float64),
        torch.rand(5, 3, generator=g).double() + 0.2,
    )
    mp, sp = torch.randn(3, dtype=torch.float64), torch.rand(3, dtype=torch.float64) + 0.5
    q, p = Independent(Normal(mu, s), 1), Independent(Normal(mp, sp), 1)
    kl = kl_per_latent_dimension(q, p)
    by_hand = torch.log(sp / s) + (s**2 + (mu - mp) ** 2) / (2 * sp**2) - 0.5
    torch.testing.assert_close(kl, by_hand, rtol=0, atol=1e-12)
    torch.testing.assert_close(kl.sum(-1), kl_divergence(q, p), rtol=0, atol=1e-12)


def test_kl_per_latent_dimension_refuses_a_mixture_prior() -> None:
    model = with_vamp_prior(small_vae(), num_pseudo=4)
    x = model.head.prepare(TRAIN[:4])
    with pytest.raises(ValueError, match="the prior must be a factorised Gaussian"):
        kl_per_latent_dimension(model.encode(x), model.prior())


def test_free_bits_charge_by_hand_and_its_gradient() -> None:
    kl = torch.tensor([[0.1, 2.0, 0.4], [0.3, 1.0, 0.8]], requires_grad=True)
    # minibatch means 0.2, 1.5, 0.6; floor 0.5 -> 0.5 + 1.5 + 0.6 = 2.6, for each of the 2 rows
    charge = free_bits_kl(kl, 0.5)
    assert charge.shape == (2,)
    assert charge.tolist() == pytest.approx([2.6, 2.6], abs=1e-6)
    charge.mean().backward()
    # the first dimension is below the floor: no gradient; the others: d mean / d KL_nl = 1/N
    assert kl.grad.tolist() == [[0.0, 0.5, 0.5], [0.0, 0.5, 0.5]]
    # floor 0: the ordinary KL term averaged over the minibatch
    assert free_bits_kl(kl, 0.0).tolist() == pytest.approx([2.3, 2.3], abs=1e-6)
    with pytest.raises(ValueError, match="free_bits must be >= 0"):
        free_bits_kl(kl, -0.1)
    with pytest.raises(ValueError, match=r"kl_per_dim must be \[N, L\]"):
        free_bits_kl(kl[0], 0.1)


def test_free_bits_elbo_with_a_zero_floor_is_the_elbo_on_average() -> None:
    model = small_vae()
    x = model.head.prepare(TRAIN[:30])
    torch.manual_seed(3)
    fb = free_bits_elbo(model, x, 0.0, n_samples=2)
    torch.manual_seed(3)
    terms = elbo(model, x, n_samples=2)
    assert fb.mean().item() == pytest.approx(terms.elbo.mean().item(), abs=1e-4)
    # a floor above every dimension's KL charges exactly L * floor
    torch.manual_seed(3)
    high = free_bits_elbo(model, x, 100.0, n_samples=2, beta=0.5)
    torch.testing.assert_close(high, terms.reconstruction - 0.5 * 3 * 100.0)
    # through objective(): the same numbers from the same draws
    torch.manual_seed(3)
    torch.testing.assert_close(objective(model, x, "elbo", 2, 0.5, free_bits=100.0), high)


def test_free_bits_arguments_are_checked() -> None:
    model = small_vae()
    x = model.head.prepare(TRAIN[:20])
    with pytest.raises(ValueError, match="objective: free_bits needs kind='elbo'"):
        objective(model, x, "iwae", 2, free_bits=0.5)
    with pytest.raises(ValueError, match="train: free_bits needs kind='elbo'"):
        train(model, x, kind="iwae", epochs=1, free_bits=0.5, progress=False)
    with pytest.raises(ValueError, match="train: free_bits must be None or >= 0"):
        train(model, x, epochs=1, free_bits=-1.0, progress=False)
    with pytest.raises(ValueError, match="train: warmup_epochs must be an integer >= 0"):
        train(model, x, epochs=1, warmup_epochs=-1, progress=False)
    with pytest.raises(ValueError, match="train: warmup_epochs must be an integer >= 0"):
        train(model, x, epochs=1, warmup_epochs=2.5, progress=False)


def test_warmup_beta_schedule() -> None:
    assert [warmup_beta(e, 4) for e in range(6)] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.0]
    assert [warmup_beta(e, 2, 0.5) for e in range(3)] == [0.0, 0.25, 0.5]
    assert warmup_beta(0, 0) == 1.0 and warmup_beta(7, 0, 0.3) == 0.3


def test_train_applies_the_schedule_and_free_bits(monkeypatch) -> None:
    """train() hands objective() beta_e epoch by epoch and the free-bits floor on every batch;
    the validation objective stays the plain ELBO (beta = 1, no floor)."""
    import vae_tutorial.training as training

    calls: list[tuple[float, float | None, bool]] = []

    def recording(model, batch, kind="elbo", k=1, beta=1.0, mask=None, free_bits=None):
        calls.append((beta, free_bits, model.training))
        return objective(model, batch, kind, k, beta, mask, free_bits=free_bits)

    monkeypatch.setattr(training, "objective", recording)
    model = small_vae()
    x = model.head.prepare(TRAIN[:40])
    xv = model.head.prepare(VAL[:20])
    train(model, x, xv, epochs=4, batch_size=20, warmup_epochs=2, free_bits=0.25, progress=False)
    batches = [(b, f) for b, f, t in calls if t]
    validation = [(b, f) for b, f, t in calls if not t]
    assert batches == [(0.0, 0.25)] * 2 + [(0.5, 0.25)] * 2 + [(1.0, 0.25)] * 4
    assert validation == [(1.0, None)] * 4


def test_patience_counts_from_the_end_of_the_warm_up() -> None:
    """With a warm-up of W epochs, early stopping cannot stop before epoch W - 1 + patience."""
    x = LIKELIHOODS["bernoulli"]().prepare(TRAIN[:100])
    xv = LIKELIHOODS["bernoulli"]().prepare(VAL[:100])
    torch.manual_seed(0)
    model = VAE(LIKELIHOODS["bernoulli"](), latent_dim=2, hidden=(32,))
    h = train(
        model, x, xv, epochs=300, lr=1e-2, seed=0, patience=3, warmup_epochs=30, progress=False
    )
    assert h.epochs_run == max(h.best_epoch, 29) + 1 + 3
    assert all(math.isfinite(v) for v in h.val_objective)


def _message(call) -> str:
    """The whole message of the ValueError that ``call()`` raises."""
    with pytest.raises(ValueError) as err:
        call()
    return str(err.value)


def test_free_bits_errors_name_the_function_and_argument() -> None:
    """The whole messages (a reader sees these): which function, which argument, what was got."""
    model = small_vae()
    x = model.head.prepare(TRAIN[:4])
    assert _message(lambda: free_bits_elbo(model, x, 0.5, n_samples=0)) == (
        "free_bits_elbo: n_samples must be an integer >= 1, got 0"
    )
    vamp = with_vamp_prior(small_vae(), num_pseudo=4)
    assert _message(lambda: kl_per_latent_dimension(vamp.encode(x), vamp.prior())) == (
        "kl_per_latent_dimension: the prior must be a factorised Gaussian, got MixtureSameFamily"
    )
    q = model.encode(x)
    assert _message(lambda: kl_per_latent_dimension(vamp.prior(), q)) == (
        "kl_per_latent_dimension: the encoder must be a factorised Gaussian, got MixtureSameFamily"
    )
    assert _message(lambda: objective(model, x, "iwae", 2, free_bits=0.5)) == (
        "objective: free_bits needs kind='elbo' and no mask"
    )
    assert _message(lambda: train(model, x, kind="iwae", epochs=1, free_bits=0.5)) == (
        "train: free_bits needs kind='elbo' and no mask"
    )
    assert _message(lambda: objective(model, x, "elbo ")) == (
        "objective: kind must be 'elbo' or 'iwae', got 'elbo '"
    )


def test_free_bits_elbo_draws_one_sample_by_default() -> None:
    """The default is one z per row: the same random stream as n_samples=1, not as 2."""
    model = small_vae()
    x = model.head.prepare(TRAIN[:8])
    values = {}
    for n in (None, 1, 2):
        torch.manual_seed(3)
        values[n] = free_bits_elbo(model, x, 0.5) if n is None else free_bits_elbo(model, x, 0.5, n)
    assert torch.equal(values[None], values[1]) and not torch.equal(values[None], values[2])


def test_a_zero_floor_is_allowed_and_training_with_free_bits_climbs() -> None:
    """free_bits = 0 is a valid floor (the ordinary KL charge), and a few full-batch steps with a
    floor raise the free-bits objective they descend on (the loss is its negative)."""
    model = small_vae()
    x = model.head.prepare(TRAIN[:50])

    def value() -> float:
        torch.manual_seed(0)
        with torch.no_grad():
            return free_bits_elbo(model, x, 0.5).mean().item()

    train(model, x, epochs=1, batch_size=50, free_bits=0.0, progress=False, seed=0)
    before = value()
    train(model, x, epochs=5, batch_size=50, lr=1e-2, free_bits=0.5, progress=False, seed=0)
    assert value() > before + 1.0


def test_training_defaults_to_no_warm_up(monkeypatch) -> None:
    """Without warmup_epochs every training batch gets the full beta from the first epoch."""
    import vae_tutorial.training as training

    betas: list[float] = []

    def recording(model, batch, kind="elbo", k=1, beta=1.0, mask=None, free_bits=None):
        if model.training:
            betas.append(beta)
        return objective(model, batch, kind, k, beta, mask, free_bits=free_bits)

    monkeypatch.setattr(training, "objective", recording)
    model = small_vae()
    train(model, model.head.prepare(TRAIN[:40]), epochs=2, batch_size=20, beta=0.7, progress=False)
    assert betas == [0.7] * 4


@pytest.mark.parametrize("warmup", [0, 1, 4])
def test_patience_stops_exactly_patience_epochs_after_the_warm_up(monkeypatch, warmup) -> None:
    """A validation objective that only falls (best epoch 0): training stops after epoch
    max(0, W - 1) + patience, i.e. it runs W + patience epochs (patience + 1 without warm-up)."""
    import vae_tutorial.training as training

    counter = iter(range(10**6))

    def falling(model, batch, kind="elbo", k=1, beta=1.0, mask=None, free_bits=None):
        out = objective(model, batch, kind, k, beta, mask, free_bits=free_bits)
        return out if model.training else out.detach() * 0 - next(counter)

    monkeypatch.setattr(training, "objective", falling)
    model = small_vae()
    x = model.head.prepare(TRAIN[:20])
    h = train(
        model, x, x, epochs=50, batch_size=20, patience=3, warmup_epochs=warmup, progress=False
    )
    assert h.best_epoch == 0
    assert h.epochs_run == max(0, warmup - 1) + 3 + 1
