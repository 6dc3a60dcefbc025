"""Missing values: masked objectives, the masked VAE, masks and imputers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from vae_tutorial import LIKELIHOODS
from vae_tutorial.missing import (
    MaskedVAE,
    block_mask,
    impute,
    knn_impute,
    mean_impute,
    random_mask,
)
from vae_tutorial.model import VAE
from vae_tutorial.objectives import elbo, iwae_bound, log_importance_weights
from vae_tutorial.training import train


def small_model(seed: int = 0) -> MaskedVAE:
    torch.manual_seed(seed)
    return MaskedVAE(LIKELIHOODS["binomial"](), data_dim=6, latent_dim=2, hidden=(8,))


def data(n: int = 5) -> torch.Tensor:
    g = torch.Generator().manual_seed(0)
    return torch.randint(0, 17, (n, 6), generator=g).float()


def test_masks() -> None:
    m = random_mask((400, 50), 0.3, seed=1)
    assert m.dtype == torch.bool and abs((~m).float().mean().item() - 0.3) < 0.02
    assert torch.equal(m, random_mask((400, 50), 0.3, seed=1))
    b = block_mask(10, 4, seed=2)
    assert b.shape == (10, 64) and ((~b).sum(1) == 16).all()
    square = (~b[0]).reshape(8, 8).nonzero()
    assert (square.max(0).values - square.min(0).values == 3).all()  # one 4x4 square
    with pytest.raises(ValueError, match="random_mask: rate"):
        random_mask((2, 2), 1.0)
    with pytest.raises(ValueError, match="block_mask: size"):
        block_mask(2, 9)


def test_masked_vae_ignores_what_is_missing() -> None:
    model = small_model()
    x, mask = data(), random_mask((5, 6), 0.5, seed=3)
    garbage = torch.where(mask, x, torch.tensor(float("nan")))
    q1, q2 = model.encode(garbage, mask=mask), model.encode(torch.where(mask, x, 99.0), mask=mask)
    torch.testing.assert_close(q1.mean, q2.mean)
    assert torch.isfinite(q1.mean).all()
    # a full mask and no mask are the same
    torch.testing.assert_close(
        model.encode(x).mean, model.encode(x, mask=torch.ones_like(mask)).mean
    )


def test_masked_objectives_equal_the_observed_part() -> None:
    model = small_model()
    x, mask = data(), random_mask((5, 6), 0.5, seed=3)
    garbage = torch.where(mask, x, torch.tensor(float("nan")))
    torch.manual_seed(0)
    terms = elbo(model, garbage, mask=mask)
    torch.manual_seed(0)
    q = model.encode(x, mask=mask)
    z = q.rsample((1,))
    rec = (model.decode(z).log_prob_per_dim(x) * mask).sum(-1).mean(0)
    torch.testing.assert_close(terms.reconstruction, rec)
    assert torch.isfinite(terms.elbo).all()
    logw = log_importance_weights(model, garbage, 7, mask)
    assert logw.shape == (7, 5) and torch.isfinite(logw).all()
    bound = iwae_bound(model, garbage, k=50, chunk=20, batch=2, mask=mask)
    assert bound.shape == (5,) and torch.isfinite(bound).all()
    # nothing observed: log p(x_obs | z) = 0 exactly, so the ELBO is -KL <= 0
    nothing = elbo(model, garbage, mask=torch.zeros_like(mask))
    assert (nothing.reconstruction == 0).all() and (nothing.elbo <= 0).all()


def test_plain_vae_refuses_a_mask() -> None:
    model = VAE(LIKELIHOODS["binomial"](), data_dim=6, latent_dim=2, hidden=(8,))
    with pytest.raises(ValueError, match="a mask needs a model whose encoder sees it"):
        elbo(model, data(), mask=torch.ones(5, 6, dtype=torch.bool))


def test_training_with_holes() -> None:
    model = small_model()
    x = data(60)
    mask = random_mask(x.shape, 0.4, seed=4)
    holes = torch.where(mask, x, torch.tensor(float("nan")))
    history = train(
        model, holes, holes[:20], epochs=3, batch_size=20, mask=mask, val_mask=mask[:20]
    )
    assert history.epochs_run == 3 and all(math.isfinite(v) for v in history.val_objective)
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_impute_keeps_the_observed_and_fills_the_rest() -> None:
    model = small_model()
    x, mask = data(8), random_mask((8, 6), 0.5, seed=5)
    holes = torch.where(mask, x, torch.tensor(float("nan")))
    torch.manual_seed(0)
    out = impute(model, holes, mask, k=30, n_draws=4, batch=3)
    assert out.mean.shape == (8, 6) and out.draws.shape == (4, 8, 6)
    assert out.log_weights.shape == (30, 8)
    torch.testing.assert_close(out.mean[mask], x[mask])
    assert torch.isfinite(out.mean).all() and torch.isfinite(out.draws).all()
    assert (out.draws[:, mask] == x[mask]).all()
    assert bool(LIKELIHOODS["binomial"]().support.check(out.draws).all())
    # the single imputation is the weighted mean of E[x | z_i] (here recomputed by hand)
    torch.manual_seed(1)
    one = impute(model, holes[:1], mask[:1], k=1)
    torch.manual_seed(1)
    q = model.encode(holes[:1], mask=mask[:1])
    z = q.sample((1,))
    torch.testing.assert_close(one.mean[~mask[:1]], model.decode(z).mean[0][~mask[:1]])


def test_baseline_imputers() -> None:
    train_x = torch.tensor([[1.0, 10.0], [3.0, 30.0], [5.0, 50.0], [7.0, 70.0]])
    train_mask = torch.tensor([[True, True], [True, False], [True, True], [True, True]])
    x = torch.tensor([[2.0, 0.0], [0.0, 40.0]])
    mask = torch.tensor([[True, False], [False, True]])
    filled = mean_impute(train_x, x, mask, train_mask)
    assert filled[0, 1] == pytest.approx((10 + 50 + 70) / 3) and filled[1, 0] == 4.0
    assert filled[0, 0] == 2.0 and filled[1, 1] == 40.0
    knn = knn_impute(train_x, x, mask, train_mask, n_neighbors=1)
    assert knn[0, 1] == 10.0  # row 0 (x=2) is nearest to the training row with 1, observed 10
    from sklearn.impute import KNNImputer

    reference = KNNImputer(n_neighbors=2).fit(np.where(train_mask, train_x, np.nan))
    expected = reference.transform(np.where(mask, x, np.nan))
    np.testing.assert_allclose(knn_impute(train_x, x, mask, train_mask, 2).numpy(), expected)


def test_training_objective_iwae_ignores_what_the_mask_hides() -> None:
    """objective(kind="iwae", mask=m) passes the mask on: entries marked missing may hold NaN,
    and the value equals the importance-weighted bound of the observed entries only."""
    from vae_tutorial.training import objective

    model = small_model()
    x = model.head.prepare(data())
    mask = torch.ones_like(x, dtype=torch.bool)
    mask[:, :2] = False
    holes = x.masked_fill(~mask, float("nan"))
    values = []
    for batch, fn in ((holes, objective), (x, None)):
        torch.manual_seed(0)
        if fn is None:
            values.append(iwae_bound(model, batch, k=3, mask=mask))
        else:
            values.append(fn(model, batch, "iwae", 3, mask=mask))
    assert torch.isfinite(values[0]).all()
    assert torch.equal(values[0], values[1])


def test_iwae_bound_accepts_a_broadcast_mask_across_batches() -> None:
    """A mask of one row applies to every image, also when the images are scored in several
    batches (it used to stop at the first batch's split)."""
    model = small_model()
    x = model.head.prepare(data(5))
    row = torch.tensor([[True, False, True, True, False, True]])
    torch.manual_seed(0)
    broadcast = iwae_bound(model, x, k=4, batch=2, mask=row)
    torch.manual_seed(0)
    full = iwae_bound(model, x, k=4, batch=2, mask=row.expand_as(x))
    assert broadcast.shape == (5,) and torch.equal(broadcast, full)
    with pytest.raises(ValueError) as err:
        iwae_bound(model, x, k=4, mask=torch.ones(2, 6, dtype=torch.bool))
    assert (
        str(err.value) == "iwae_bound: mask of shape (2, 6) does not broadcast to x of shape (5, 6)"
    )


def test_a_mask_needs_a_model_whose_encoder_sees_it() -> None:
    """The whole message: what is needed, where it lives, and what was passed."""
    torch.manual_seed(0)
    plain = VAE(LIKELIHOODS["binomial"](), data_dim=6, latent_dim=2, hidden=(8,))
    x = plain.head.prepare(data())
    with pytest.raises(ValueError) as err:
        elbo(plain, x, mask=torch.ones_like(x, dtype=torch.bool))
    assert str(err.value) == (
        "a mask needs a model whose encoder sees it (vae_tutorial.missing.MaskedVAE), got VAE"
    )
