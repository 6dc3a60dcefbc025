"""Progress bars for readers, none in stored outputs.

Training and the long evaluation use ``tqdm.auto`` (a widget bar in Jupyter, text elsewhere) with
``leave=True``, so the bar stays with its final numbers. ``progress=False`` or ``TQDM_DISABLE=1``
(set by scripts/execute_notebooks.py and ``make test``) turns them off, so stored notebooks and
nbval never see a bar.
"""

from __future__ import annotations

import pytest
import torch
import tqdm.auto

from vae_tutorial import evaluation, load_digits, training
from vae_tutorial.likelihoods import LIKELIHOODS
from vae_tutorial.model import VAE
from vae_tutorial.objectives import iwae_bound

TRAIN, TEST = load_digits("train")[:200], load_digits("test")[:30]


def small_vae(name: str = "binomial") -> VAE:
    torch.manual_seed(0)
    return VAE(LIKELIHOODS[name](), latent_dim=2, hidden=(16,))


def test_notebook_aware_bars() -> None:
    assert training.tqdm is tqdm.auto.tqdm
    assert evaluation.tqdm is tqdm.auto.tqdm


def test_training_bar_stays(capsys: pytest.CaptureFixture[str],
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    model = small_vae()
    x = model.head.prepare(TRAIN)
    training.train(model, x, x[:50], epochs=2, seed=0)
    err = capsys.readouterr().err
    final = err.rstrip("\n").split("\r")[-1]
    assert "2/2" in final and "100%" in final and "val=" in final, err
    assert err.endswith("\n"), "the bar was cleared (leave=False)"


@pytest.mark.parametrize("name", ["binomial", "gaussian_fixed"])  # discrete and continuous
def test_evaluation_bar(name: str, capsys: pytest.CaptureFixture[str],
                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TQDM_DISABLE", raising=False)
    model = small_vae(name)
    torch.manual_seed(1)
    with_bar = evaluation.discrete_log_likelihood(model, TEST, k=4, batch=10)
    err = capsys.readouterr().err
    assert "log P(x), k=4" in err and "30/30" in err.split("\r")[-1], err
    torch.manual_seed(1)
    without = evaluation.discrete_log_likelihood(model, TEST, k=4, batch=10, progress=False)
    assert capsys.readouterr().err == ""
    assert torch.equal(with_bar, without)
    if model.head.discrete:  # batching for the bar draws exactly what one iwae_bound call draws
        torch.manual_seed(1)
        assert torch.equal(with_bar, iwae_bound(model, model.head.prepare(TEST), k=4, batch=10))


def test_tqdm_disable_silences_everything(capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TQDM_DISABLE", "1")
    model = small_vae()
    training.train(model, model.head.prepare(TRAIN), epochs=1, seed=0)
    evaluation.test_bits_per_dim(model, TEST, k=2)
    assert capsys.readouterr().err == ""
