"""The fair table: bundled with statsmodels, split once, columns typed and coded."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch

from vae_tutorial import tables
from vae_tutorial.tables import FAIR_COLUMNS, FAIR_SPLITS, codes_to_values, load_fair


def test_the_data_ship_with_statsmodels() -> None:
    spec = importlib.util.find_spec("statsmodels.datasets.fair")
    assert spec is not None and spec.origin is not None
    assert (Path(spec.origin).parent / "fair.csv").is_file()  # read from disk, not downloaded


@pytest.mark.parametrize(("split", "n"), list(FAIR_SPLITS.items()))
def test_split_shapes_and_values(split, n) -> None:
    x = load_fair(split)
    assert x.shape == (n, 9) and x.dtype == torch.float32
    codes = load_fair(split, coded=True)
    torch.testing.assert_close(codes_to_values(codes), x)
    for j, col in enumerate(FAIR_COLUMNS):
        if col.values is None:
            assert col.name == "affairs" and (x[:, j] >= 0).all()
            assert torch.equal(codes[:, j], x[:, j])
        else:
            assert set(x[:, j].tolist()) <= set(col.values), col.name
            assert codes[:, j].min() >= 0 and codes[:, j].max() <= col.num_levels - 1
            assert torch.equal(codes[:, j], codes[:, j].round())


def test_splits_are_a_fixed_partition_of_all_rows() -> None:
    assert sum(FAIR_SPLITS.values()) == tables.FAIR_NUM_ROWS == 6366
    rows = [tables._split_rows(s) for s in FAIR_SPLITS]
    everything = torch.cat([torch.from_numpy(r) for r in rows])
    assert torch.equal(everything.sort().values, torch.arange(6366))
    torch.testing.assert_close(load_fair("train")[:3], load_fair("train")[:3])  # deterministic
    x = load_fair("train")
    x[0, 0] = 99.0
    assert load_fair("train")[0, 0] != 99.0  # a copy


def test_column_facts() -> None:
    names = [c.name for c in FAIR_COLUMNS]
    assert names[-1] == "affairs" and len(names) == 9
    x = torch.cat([load_fair(s) for s in FAIR_SPLITS])
    affairs = x[:, -1]
    assert 0.6 < (affairs == 0).float().mean() < 0.7  # zero-heavy
    kinds = {c.name: c.kind for c in FAIR_COLUMNS}
    assert kinds["occupation"] == kinds["occupation_husb"] == "categorical"
    assert kinds["children"] == "count" and kinds["rate_marriage"] == "ordinal"
    with pytest.raises(ValueError, match="continuous"):
        _ = FAIR_COLUMNS[-1].num_levels


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="load_fair: split must be one of"):
        load_fair("validation")
    x = load_fair("val")[:2].clone()
    x[0, 1] = 23.0
    with pytest.raises(ValueError, match="fair column 'age': 23 is not one of"):
        tables.values_to_codes(x)
    c = load_fair("val", coded=True)[:2].clone()
    c[0, 3] = 9.0  # nine children: recorded as the top code, 5.5 ("five or more")
    assert codes_to_values(c)[0, 3] == 5.5
    c[1, 6] = 6.0
    with pytest.raises(
        ValueError, match="fair column 'occupation': codes must be whole numbers 0..5"
    ):
        codes_to_values(c)


def test_models_for_the_table() -> None:
    from vae_tutorial.model import VAE
    from vae_tutorial.tables import (
        column_log_marginals,
        fair_mixed_head,
        fitted_sigma,
        gaussian_yardstick_head,
        standardisation,
    )

    torch.manual_seed(0)
    codes, values = load_fair("train", coded=True), load_fair("train")
    head = fair_mixed_head(codes)
    assert head.column_names == tuple(c.name for c in FAIR_COLUMNS)
    model = VAE(head, data_dim=9, latent_dim=2, hidden=(8,))
    assert torch.isfinite(model.decode(torch.zeros(2)).log_prob(codes[:50])).all()
    # column marginals: one shared set of prior draws, so the pmf of a discrete column sums to 1
    k = 6  # the age column has 6 codes: rows 0..5 carry each code once
    rows = codes[:k].clone()
    rows[:, 1] = torch.arange(k, dtype=rows.dtype)
    lm = column_log_marginals(model, rows, k=300, chunk=100)
    assert lm.shape == (k, 9)
    torch.testing.assert_close(lm[:, 1].exp().sum(), torch.tensor(1.0))
    # the Gaussian yardstick: a proper distribution in recorded units
    loc, scale = standardisation(values)
    mse = VAE(
        head_gauss := gaussian_yardstick_head(values, torch.ones(9)), data_dim=9, latent_dim=2
    )
    assert head_gauss.params_per_dim == 1
    lp = mse.decode(torch.zeros(3, 2)).log_prob_per_dim(values[:3])
    assert lp.shape == (3, 9) and torch.isfinite(lp).all() and (lp[:, :8] <= 0).all()
    torch.testing.assert_close(head_gauss.encoder_input(values), (values - loc) / scale)
    sigma = fitted_sigma(
        VAE(__import__("vae_tutorial").LIKELIHOODS["gaussian_fixed"](), data_dim=9, latent_dim=2),
        (values - loc) / scale,
    )
    assert sigma.shape == (9,) and (sigma > 0).all()


def test_fit_and_score_fair_models_quickly() -> None:
    from vae_tutorial.tables import fit_fair_models, score_fair_models

    models = fit_fair_models(seed=0, epochs=1, latent_dim=2, hidden=(8,))
    assert models.sigma.shape == (9,) and (models.sigma > 0).all()
    scores = score_fair_models(models, k=5, k_columns=20)
    assert set(scores) == {"mixed heads", "standardised + MSE"}
    for result in scores.values():
        assert len(result["per_column"]) == 9
        assert all(v < 0 for v in result["per_column"][:8])  # discrete columns: probabilities
        assert torch.isfinite(torch.tensor(result["total"]))
