"""The shoot-out runner's bookkeeping and the best model's configuration."""

from __future__ import annotations

import math

import pytest
import torch

from vae_tutorial import LIKELIHOODS, best, evaluation, load_digits
from vae_tutorial.model import VAE
from vae_tutorial.priors import VampPrior
from vae_tutorial.shootout import (
    RunResult,
    Summary,
    format_table,
    load_results,
    record_results,
    run_shootout,
    summarize,
    uniform_bits_per_dim,
)
from vae_tutorial.training import fit_digits


def _fake(label: str, seed: int, bpd: float) -> RunResult:
    return RunResult(label, seed, bpd, 1.0, 0, model=None)  # type: ignore[arg-type]


def test_summarize_mean_and_sample_std() -> None:
    runs = [_fake("a", 0, 2.0), _fake("a", 1, 2.2), _fake("b", 0, 3.0)]
    a, b = summarize(runs)
    assert (a.label, b.label) == ("a", "b") and a.runs == 2 and b.runs == 1
    assert math.isclose(a.mean, 2.1) and math.isclose(a.std, math.sqrt(0.02)) and b.std == 0.0
    table = format_table([b, a])
    assert table.index("a ") < table.index("b ")  # best first


def uniform_categorical_vae(num_levels: int) -> VAE:
    """A VAE whose decoder outputs all-zero logits (P(k) = 1/K for every pixel, whatever z) and
    whose encoder outputs q(z|x) = N(0, I) = p(z): every importance weight is exactly K^-64."""
    model = VAE(LIKELIHOODS["categorical"](num_levels=num_levels), latent_dim=2, hidden=())
    with torch.no_grad():
        model.decoder.net[0].weight.zero_()
        model.decoder.net[0].bias.zero_()
        enc = model.encoder.net[0]
        enc.weight.zero_()
        enc.bias.zero_()
        one = torch.tensor(1.0 - model.encoder.min_std)
        enc.bias[2:] = one + torch.log(-torch.expm1(-one))  # softplus^-1: std exactly 1
    return model


@pytest.mark.parametrize("num_levels", [2, 17, 256])
def test_uniform_is_log2_levels(num_levels) -> None:
    """The yardstick's bits/dim of a model that is uniform by construction is log2 K (2 levels:
    1 bit, 256 levels: 8 bits): test_bits_per_dim and uniform_bits_per_dim against it."""
    expected = {2: 1.0, 17: math.log2(17), 256: 8.0}[num_levels]
    assert uniform_bits_per_dim(num_levels) == pytest.approx(expected, abs=1e-12)
    model = uniform_categorical_vae(num_levels)
    levels = torch.randint(0, num_levels, (5, 64)).float()
    assert evaluation.test_bits_per_dim(model, levels, k=3) == pytest.approx(expected, abs=1e-5)


def test_run_shootout_tiny_budget() -> None:
    """One tiny run: its model is the one fit_digits trains with the same seed (no early stop),
    and its score is what test_bits_per_dim gives that model with the evaluation noise seeded."""
    runs = run_shootout(
        {"binomial": LIKELIHOODS["binomial"]}, seeds=(3,), epochs=2, k=2, hidden=(8,)
    )
    assert len(runs) == 1 and runs[0].cpu_seconds >= 0
    (run,) = runs
    assert (run.label, run.seed) == ("binomial", 3) and run.best_epoch in (0, 1)
    model, history = fit_digits(
        LIKELIHOODS["binomial"](), latent_dim=8, hidden=(8,), seed=3, epochs=2, patience=None
    )
    assert history.best_epoch == run.best_epoch
    for name, value in model.state_dict().items():
        assert torch.equal(value, run.model.state_dict()[name]), name
    torch.manual_seed(3)
    assert run.bits_per_dim == evaluation.test_bits_per_dim(model, load_digits("test"), k=2)


def test_best_model_is_built_as_configured() -> None:
    model = best.build_best_model()
    cfg = best.BEST_CONFIG
    assert model.head.name == cfg.likelihood and model.latent_dim == cfg.latent_dim
    assert isinstance(model.prior, VampPrior) and model.prior.num_pseudo == cfg.num_pseudo_inputs
    assert model.prior.encoder is model.encoder
    z = model.prior().sample((3,))
    assert z.shape == (3, cfg.latent_dim) and torch.isfinite(model.prior().log_prob(z)).all()
    assert "discretized_logistic" in best.describe()


def test_record_results_writes_then_checks(tmp_path) -> None:
    summaries = [Summary("beta", 2.44612, 0.00312, 1.5, 3), Summary("laplace", 3.6, 0.07, 1.0, 3)]
    path = tmp_path / "results.json"
    written = record_results(summaries, path)
    assert written == {
        "beta": {"mean": 2.446, "std": 0.003, "runs": 3},
        "laplace": {"mean": 3.6, "std": 0.07, "runs": 3},
    }
    assert load_results(path) == written
    assert record_results(summaries, path) == written  # same results: accepted
    changed = [Summary("beta", 2.5, 0.003, 1.5, 3), summaries[1]]
    with pytest.raises(AssertionError, match="delete it and re-run"):
        record_results(changed, path)
