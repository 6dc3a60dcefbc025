"""``setup_notebook``: the thread count comes from ``VAE_TUTORIAL_THREADS`` when it is set."""

from __future__ import annotations

import pytest
import torch

from vae_tutorial.notebook import DEFAULT_THREADS, THREADS_VARIABLE, setup_notebook, thread_count


@pytest.fixture
def torch_state():
    """Restore torch's thread count and determinism flag after a test that calls setup_notebook."""
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)


def test_default_is_one_thread(monkeypatch):
    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    assert DEFAULT_THREADS == 1
    assert thread_count() == 1
    assert thread_count(3) == 3


def test_environment_wins_over_default_and_argument(monkeypatch):
    monkeypatch.setenv(THREADS_VARIABLE, " 2 ")
    assert thread_count() == 2
    assert thread_count(1) == 2


def test_empty_variable_means_unset(monkeypatch):
    monkeypatch.setenv(THREADS_VARIABLE, "")
    assert thread_count() == DEFAULT_THREADS


@pytest.mark.parametrize("value", ["two", "0", "-1", "1.5"])
def test_bad_variable_is_a_clear_error(monkeypatch, value):
    monkeypatch.setenv(THREADS_VARIABLE, value)
    expected = THREADS_VARIABLE if value in ("two", "1.5") else "positive"
    with pytest.raises(ValueError, match=expected):
        thread_count()


def test_bad_argument_is_a_clear_error(monkeypatch):
    monkeypatch.delenv(THREADS_VARIABLE, raising=False)
    with pytest.raises(ValueError, match="positive integer"):
        thread_count(0)


def test_setup_notebook_sets_torch_threads(monkeypatch, torch_state):
    monkeypatch.setenv(THREADS_VARIABLE, "2")
    setup_notebook()
    assert torch.get_num_threads() == 2
    monkeypatch.delenv(THREADS_VARIABLE)
    setup_notebook()
    assert torch.get_num_threads() == 1
    assert torch.are_deterministic_algorithms_enabled()
