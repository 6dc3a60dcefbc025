r"""A real mixed-type table: the *fair* survey data bundled with statsmodels (no download).

In 1974 the magazine *Redbook* asked its readers about their marriages; Fair (1978) studied the
6,366 answers of married women and fitted a Tobit model to the time they spent in extramarital
affairs. statsmodels ships the table inside the package (``statsmodels/datasets/fair/fair.csv``),
so loading it never touches the network.

Each row is one woman; its nine columns have four different types, which is why one likelihood
for every column cannot be right:

===================  ===========  =========================================================
column               type         values as recorded
===================  ===========  =========================================================
``rate_marriage``    ordinal      1 = very poor ... 5 = very good
``age``              ordinal      6 age bands coded by their mid-points 17.5, 22, ..., 42
``yrs_married``      ordinal      7 bands coded 0.5, 2.5, 6, 9, 13, 16.5, 23
``children``         count        0, 1, 2, 3, 4 and 5.5 (the top code; read as "5 or more")
``religious``        ordinal      1 = not ... 4 = strongly
``educ``             ordinal      6 levels coded in years: 9, 12, 14, 16, 17, 20
``occupation``       categorical  6 unordered occupation groups coded 1..6
``occupation_husb``  categorical  the husband's occupation, same 6 groups
``affairs``          zero-heavy   a non-negative real number, exactly 0 in 68% of the rows
===================  ===========  =========================================================

Two views of the same rows: :func:`load_fair` returns the values as recorded (``coded=False``,
"their own units"), or with every discrete column replaced by its *code*, the index
:math:`0, \dots, K-1` of its value in ``Column.values`` (``coded=True``); ``affairs`` is the
same in both. The codes are what the discrete likelihood heads model; a probability of a code is
the probability of the recorded value, so log-likelihoods are the same in both views.

The rows are split once, by a seeded permutation, into 3,820 training, 1,273 validation and 1,273
test rows (:data:`FAIR_SPLITS`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
from torch import Tensor

from .likelihoods.base import LikelihoodHead
from .likelihoods.heterogeneous import HeterogeneousHead

if TYPE_CHECKING:
    from .model import VAE

ColumnKind = Literal["ordinal", "count", "categorical", "zero_heavy"]


@dataclass(frozen=True)
class Column:
    """One column of the table: its name, type, recorded values and meaning.

    ``values`` lists the values the survey records for a discrete column, in increasing order
    (code :math:`k` stands for ``values[k]``); it is ``None`` for the continuous ``affairs``.
    """

    name: str
    kind: ColumnKind
    values: tuple[float, ...] | None
    description: str

    @property
    def num_levels(self) -> int:
        """:math:`K`, the number of recorded values of a discrete column."""
        if self.values is None:
            raise ValueError(f"column {self.name!r} is continuous; it has no levels")
        return len(self.values)


FAIR_COLUMNS: tuple[Column, ...] = (
    Column(
        "rate_marriage",
        "ordinal",
        (1.0, 2.0, 3.0, 4.0, 5.0),
        "rating of the marriage, 1 = very poor ... 5 = very good",
    ),
    Column(
        "age",
        "ordinal",
        (17.5, 22.0, 27.0, 32.0, 37.0, 42.0),
        "age band, coded by its mid-point in years",
    ),
    Column(
        "yrs_married",
        "ordinal",
        (0.5, 2.5, 6.0, 9.0, 13.0, 16.5, 23.0),
        "years married, in bands coded by an approximate mid-point",
    ),
    Column(
        "children",
        "count",
        (0.0, 1.0, 2.0, 3.0, 4.0, 5.5),
        "number of children; the top code 5.5 is read as 'five or more'",
    ),
    Column("religious", "ordinal", (1.0, 2.0, 3.0, 4.0), "how religious, 1 = not ... 4 = strongly"),
    Column(
        "educ",
        "ordinal",
        (9.0, 12.0, 14.0, 16.0, 17.0, 20.0),
        "education: grade school, high school, some college, college, some graduate, advanced",
    ),
    Column(
        "occupation",
        "categorical",
        (1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
        "the woman's occupation group (unordered categories)",
    ),
    Column(
        "occupation_husb",
        "categorical",
        (1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
        "the husband's occupation group (unordered categories)",
    ),
    Column(
        "affairs",
        "zero_heavy",
        None,
        "time spent in extramarital affairs (Fair's measure): 0 for most, else positive",
    ),
)
FAIR_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in FAIR_COLUMNS)
#: Number of rows in each split (a seeded permutation of the 6,366 rows).
FAIR_SPLITS: dict[str, int] = {"train": 3820, "val": 1273, "test": 1273}
FAIR_NUM_ROWS = 6366
_SPLIT_SEED = 0


@lru_cache(maxsize=1)
def _fair_values() -> np.ndarray:
    """All rows as recorded, float64 ``[6366, 9]``, columns in :data:`FAIR_COLUMN_NAMES` order."""
    try:
        from statsmodels.datasets import fair
    except ImportError as err:  # an optional dependency: the digits chapters do not need it
        raise ImportError(
            "load_fair needs statsmodels, which ships the fair data set: "
            'pip install "vae-tutorial[tables]" (or pip install statsmodels)'
        ) from err

    frame = fair.load_pandas().data
    return frame[list(FAIR_COLUMN_NAMES)].to_numpy(dtype=np.float64)


def _split_rows(split: str) -> np.ndarray:
    if split not in FAIR_SPLITS:
        raise ValueError(f"load_fair: split must be one of {sorted(FAIR_SPLITS)}, got {split!r}")
    order = np.random.default_rng(_SPLIT_SEED).permutation(FAIR_NUM_ROWS)
    start = 0
    for name, size in FAIR_SPLITS.items():
        if name == split:
            return order[start : start + size]
        start += size
    raise AssertionError("unreachable")


def values_to_codes(x: Tensor) -> Tensor:
    """Recorded values ``[..., 9]`` -> codes (index of each value in ``Column.values``).

    Raises a ValueError naming the column if a value is not one the survey records.
    """
    out = x.clone()
    for j, col in enumerate(FAIR_COLUMNS):
        if col.values is None:
            continue
        allowed = torch.tensor(col.values, dtype=x.dtype, device=x.device)
        hit = x[..., j, None] == allowed
        if not bool(hit.any(-1).all()):
            bad = x[..., j][~hit.any(-1)].flatten()[0].item()
            raise ValueError(f"fair column {col.name!r}: {bad:.4g} is not one of {col.values}")
        out[..., j] = hit.to(x.dtype).argmax(-1).to(x.dtype)
    return out


def codes_to_values(codes: Tensor) -> Tensor:
    """Codes ``[..., 9]`` -> recorded values (the inverse of :func:`values_to_codes`).

    A count column's top code stands for "that many or more": a count above it (as a count
    likelihood can draw) is recorded as the top value, like the survey would.
    """
    out = codes.clone()
    for j, col in enumerate(FAIR_COLUMNS):
        if col.values is None:
            continue
        k = codes[..., j]
        if col.kind == "count":
            k = k.clamp(max=col.num_levels - 1)
        if not bool(((k >= 0) & (k <= col.num_levels - 1) & (k == k.round())).all()):
            raise ValueError(
                f"fair column {col.name!r}: codes must be whole numbers 0..{col.num_levels - 1}"
            )
        allowed = torch.tensor(col.values, dtype=codes.dtype, device=codes.device)
        out[..., j] = allowed[k.long()]
    return out


def load_fair(split: str = "train", coded: bool = False) -> Tensor:
    """The *fair* table, one split, as a float32 tensor ``[N, 9]`` (columns: ``FAIR_COLUMNS``).

    ``split`` is ``"train"`` (3,820 rows), ``"val"`` (1,273) or ``"test"`` (1,273): a fixed,
    seeded permutation of the rows, so every chapter sees the same split. With ``coded=False``
    the values are as recorded (ages 17.5..42, children 0..5.5, ...); with ``coded=True`` each
    discrete column holds the code 0..K-1 of its value (see :func:`values_to_codes`).
    """
    rows = _split_rows(split)
    x = torch.from_numpy(_fair_values()[rows].astype(np.float32))
    return values_to_codes(x) if coded else x


# -- models for the table -------------------------------------------------------------------------
def fair_mixed_head(train_codes: Tensor) -> HeterogeneousHead:
    """One head per column of the coded table (Part V, chapter 1).

    Ordinal (cumulative-logit) heads for the ratings, bands and education levels, a negative
    binomial for the number of children, categorical heads for the two occupations, and a hurdle
    log-normal for ``affairs``. The encoder sees the coded table standardised with the training
    means and standard deviations of ``train_codes`` (``[N, 9]``).
    """
    from .likelihoods import LIKELIHOODS, TABLE_LIKELIHOODS

    columns: dict[str, LikelihoodHead] = {}
    for col in FAIR_COLUMNS:
        if col.kind == "ordinal":
            columns[col.name] = TABLE_LIKELIHOODS["ordinal"](num_levels=col.num_levels)
        elif col.kind == "count":
            columns[col.name] = LIKELIHOODS["negative_binomial"]()
        elif col.kind == "categorical":
            columns[col.name] = LIKELIHOODS["categorical"](num_levels=col.num_levels)
        else:
            columns[col.name] = TABLE_LIKELIHOODS["hurdle_lognormal"]()
    loc, scale = standardisation(train_codes)
    return HeterogeneousHead(columns, encoder_loc=loc, encoder_scale=scale)


def standardisation(train: Tensor) -> tuple[Tensor, Tensor]:
    """Per-column training mean and standard deviation, each ``[D]`` (the "standardise" step)."""
    return train.mean(0), train.std(0)


def gaussian_yardstick_head(train_values: Tensor, sigma: Tensor) -> HeterogeneousHead:
    """How a Gaussian (MSE) model of the standardised table is scored in the table's own units.

    Its decoder outputs a mean per column in standardised units; with the column's training
    mean ``m_c`` and standard deviation ``s_c`` and a noise level ``sigma[c]`` (standardised
    units) that is the Gaussian :math:`\\mathcal N(m_c + s_c r_c, (s_c\\sigma_c)^2)` in recorded
    units. A discrete column gets the Gaussian's probability of rounding to each recorded value
    (:class:`~vae_tutorial.likelihoods.grid_gaussian.GridGaussianHead`); ``affairs`` gets the
    Gaussian censored at 0
    (:class:`~vae_tutorial.likelihoods.censored_gaussian.CensoredGaussianHead`): the mass below 0
    at 0, the density above. Both are normalised, so the
    numbers compare with :func:`fair_mixed_head`'s on the same rows (recorded values here, codes
    there; a code and its value have the same probability).
    """
    from .likelihoods.censored_gaussian import CensoredGaussianHead
    from .likelihoods.grid_gaussian import GridGaussianHead

    loc, scale = standardisation(train_values)
    columns: dict[str, LikelihoodHead] = {}
    for c, col in enumerate(FAIR_COLUMNS):
        args = {"loc": loc[c].item(), "scale": scale[c].item(), "sigma": float(sigma[c])}
        if col.values is None:
            columns[col.name] = CensoredGaussianHead(lower=0.0, **args)
        else:
            columns[col.name] = GridGaussianHead(col.values, **args)
    return HeterogeneousHead(columns, encoder_loc=loc, encoder_scale=scale)


@torch.no_grad()
def fitted_sigma(model: VAE, x: Tensor, n_samples: int = 10) -> Tensor:
    r"""Per-column noise level that maximises the reconstruction term of a Gaussian decoder.

    For a decoder mean :math:`\mu_c(z)` the best :math:`\sigma_c` in
    :math:`\mathbb E_q[\log\mathcal N(x_c;\mu_c(z),\sigma_c^2)]` is the root mean squared error
    :math:`\sigma_c^2 = \frac1N\sum_n \mathbb E_{q(z\mid x_n)}(x_{nc} - \mu_c(z))^2`, estimated
    with ``n_samples`` draws per row. ``x`` is in the model's (standardised) units; returns
    ``[D]``.
    """
    z = model.encode(x).sample((n_samples,))
    return (x - model.decode(z).mean).pow(2).mean((0, 1)).sqrt()


@torch.no_grad()
def column_log_marginals(model: VAE, x: Tensor, k: int = 2000, chunk: int = 250) -> Tensor:
    r"""Each column's marginal log-likelihood :math:`\log p_\theta(x_c)`, shape ``[N, D]``.

    :math:`p_\theta(x_c) = \int p_\theta(x_c\mid z)\,p(z)\,dz` is estimated with ``k`` draws
    from the prior shared by all rows: :math:`\log\frac1k\sum_i p_\theta(x_c\mid z_i)`. It is
    the model's distribution of ONE column, ignoring the others; the total
    :math:`\log p_\theta(x)` also credits the dependence between columns, so it is not the sum
    of these (for a good model it is larger on average). Uses the global torch RNG.
    """
    out = None
    for i in range(0, k, chunk):
        z = model.prior().sample((min(chunk, k - i), 1))  # [k_i, 1, L]
        lp = model.decode(z).log_prob_per_dim(x)  # [k_i, N, D]
        lse = torch.logsumexp(lp, dim=0)
        out = lse if out is None else torch.logaddexp(out, lse)
    assert out is not None
    return out - math.log(k)


@dataclass
class FairModels:
    """The two VAEs of the chapter "A likelihood per column", trained with the same settings.

    ``mixed`` has :func:`fair_mixed_head` (on codes); ``mse`` has the MSE head (Gaussian with
    sigma 1) on the standardised recorded values; ``mse_scored`` is ``mse``'s networks under
    :func:`gaussian_yardstick_head` with the per-column ``sigma`` of :func:`fitted_sigma`.
    """

    mixed: VAE
    mse: VAE
    mse_scored: VAE
    sigma: Tensor


def fit_fair_models(
    seed: int = 0,
    epochs: int = 40,
    latent_dim: int = 4,
    hidden: tuple[int, ...] = (64, 64),
    lr: float = 5e-3,
    batch_size: int = 256,
    patience: int = 10,
) -> FairModels:
    """Train both VAEs on the training split (early stopping on the validation split)."""
    from .likelihoods import LIKELIHOODS
    from .model import VAE
    from .training import train

    settings = dict(epochs=epochs, batch_size=batch_size, lr=lr, patience=patience, seed=seed)
    train_c, val_c = load_fair("train", coded=True), load_fair("val", coded=True)
    train_x, val_x = load_fair("train"), load_fair("val")
    torch.manual_seed(seed)
    mixed = VAE(fair_mixed_head(train_c), data_dim=9, latent_dim=latent_dim, hidden=hidden)
    train(mixed, train_c, val_c, **settings)  # type: ignore[arg-type]
    m, s = standardisation(train_x)
    torch.manual_seed(seed)
    mse = VAE(
        LIKELIHOODS["gaussian_fixed"](sigma=1.0), data_dim=9, latent_dim=latent_dim, hidden=hidden
    )
    train(mse, (train_x - m) / s, (val_x - m) / s, **settings)  # type: ignore[arg-type]
    sigma = fitted_sigma(mse, (train_x - m) / s)
    scored = VAE(
        gaussian_yardstick_head(train_x, sigma), data_dim=9, latent_dim=latent_dim, hidden=hidden
    )
    scored.encoder.load_state_dict(mse.encoder.state_dict())
    scored.decoder.net.load_state_dict(mse.decoder.net.state_dict())
    return FairModels(mixed, mse, scored, sigma)


def score_fair_models(
    models: FairModels, k: int = 200, k_columns: int = 2000, seed: int = 0
) -> dict[str, dict[str, float | list[float]]]:
    """Test log-likelihoods (nats per row) of both models on one yardstick.

    ``{"mixed heads" | "standardised + MSE": {"total": L_k bound of log p(x) with k samples,
    "per_column": [log p(x_c) for the 9 columns, prior sampling with k_columns draws]}}``,
    averaged over the test rows. Seeds the global torch RNG with ``seed`` first.
    """
    from .objectives import iwae_bound

    test_c, test_x = load_fair("test", coded=True), load_fair("test")
    torch.manual_seed(seed)
    out: dict[str, dict[str, float | list[float]]] = {}
    for name, model, x in (
        ("mixed heads", models.mixed, test_c),
        ("standardised + MSE", models.mse_scored, test_x),
    ):
        out[name] = {"total": iwae_bound(model, x, k=k).mean().item()}
    for name, model, x in (
        ("mixed heads", models.mixed, test_c),
        ("standardised + MSE", models.mse_scored, test_x),
    ):
        out[name]["per_column"] = column_log_marginals(model, x, k=k_columns).mean(0).tolist()
    return out
