"""Checkers for the exercises of Parts IV and V (likelihoods that do not factorize; tables).

The ranges of the "train and compare" exercise ``iz-ex-2`` were measured with
``scripts/exercise_ranges.py later`` (seeds 0, 1, 2, the settings the exercise states): the min
and max over the seeds, widened by 0.03 bits/dim for the score and by about one nat for the KL.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor

from .evaluation import Lazy
from .kinds import Code, Numeric, Range, Verdict

__all__ = ["CHECKERS"]

_D_RGB = 256 * 256 * 3  # cg-ex-3: a 256 x 256 RGB image


def _lowrank_logdet(W: Tensor, sigma: Tensor) -> Tensor:
    """log det(W W^T + diag(sigma^2)), by the dense matrix (the reference, not the fast way)."""
    return torch.logdet(W @ W.T + torch.diag(sigma**2))


def _lowrank_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(12)
    out = []
    for D, r in ((20, 3), (50, 5), (8, 1), (64, 4)):
        W = torch.randn(D, r, generator=g, dtype=torch.float64)
        sigma = torch.rand(D, generator=g, dtype=torch.float64) * 0.9 + 0.1
        out.append((W, sigma))
    return out


def _zeros_gains() -> Numeric:
    from ..likelihoods import LIKELIHOODS, TABLE_LIKELIHOODS
    from ..tables import load_fair
    from ..zero_inflation import fit_by_group

    train = load_fair("train", coded=True)
    children, age, years = train[:, 3:4], train[:, 1], train[:, 2]

    def gain(groups: Tensor) -> float:
        zip_ = fit_by_group(lambda: TABLE_LIKELIHOODS["zero_inflated_poisson"](), children, groups)
        poisson = fit_by_group(lambda: LIKELIHOODS["poisson"](), children, groups)
        return zip_ - poisson

    g_age, g_both = gain(age), gain(age * 7 + years)
    return Numeric(
        (g_age, g_both), 0.05, 0.5,
        "Fit the ZIP and the Poisson per group with fit_by_group on the training rows "
        "(load_fair('train', coded=True)), and subtract the Poisson's mean log-likelihood per row "
        "from the ZIP's; the groups are the age band, then age band * 7 + years band.",
        names=("the gain by age", "the gain by age and years"), atol=1e-3,
        mistakes=(((-g_age, -g_both), "right size, wrong sign: the ZIP minus the Poisson."),),
    )


CHECKERS: dict[str, Callable[[str, object], Verdict]] = {
    # ------------------------------------------------------------------ correlated_gaussians
    "cg-ex-2": Code(
        _lowrank_logdet, _lowrank_cases,
        "logdet(W [D, r], sigma [D]) -> log det(W W^T + diag(sigma^2)), a scalar tensor",
        "Matrix determinant lemma with A = diag(sigma^2): log det A is 2 sum log sigma, and the "
        "r x r matrix is I_r + W^T A^{-1} W.",
        rtol=1e-8, atol=1e-8,
    ),
    "cg-ex-3": Numeric(
        (_D_RGB + _D_RGB * (_D_RGB + 1) / 2, 4 * _D_RGB * (_D_RGB + 1) / 2), 1e-3, 0.05,
        "D = 256 * 256 * 3; the Cholesky factor is lower triangular, D (D + 1) / 2 entries, and "
        "a float32 takes 4 bytes.",
        names=("the outputs", "the bytes"),
        mistakes=(
            ((_D_RGB + _D_RGB**2, 4 * _D_RGB**2),
             "a Cholesky factor is lower triangular: count only its D (D + 1) / 2 entries."),
            ((_D_RGB + _D_RGB * (_D_RGB + 1) / 2, 8 * _D_RGB * (_D_RGB + 1) / 2),
             "float32 takes 4 bytes per number, not 8."),
            ((256 * 256 + 256 * 256 * (256 * 256 + 1) / 2, 4 * 256 * 256 * (256 * 256 + 1) / 2),
             "an RGB image has three colour channels per pixel."),
        ),
    ),
    # ------------------------------------------------------------------ autoregressive
    "ar-ex-2": Numeric(
        (4.0, 12.0), 1e-9, 0.05,
        "Count the full rows above the centre, then the cells left of the centre in its own row.",
        names=("the count for k = 3", "the count for k = 5"),
        mistakes=(
            ((9.0, 25.0), "the mask hides the centre and every later pixel."),
            ((5.0, 13.0), "the first layer must not see the centre pixel itself (mask A)."),
            ((3.0, 10.0), "count the cells left of the centre in the centre row too."),
        ),
    ),
    # ------------------------------------------------------------------ ignoring_z
    "iz-ex-2": Range(
        0.0, 0.0, 0.5,
        "Train exactly as stated (make_decoder_head(15), 10 epochs at beta=0.1 with "
        "patience=None, then train(..., epochs=50, beta=1.0, seed=0)) and score with "
        "torch.manual_seed(0) and k=100.",
        names=("the KL term", "the test bits/dim"),
        bounds=((6.5, 10.0), (1.87, 1.95)),
    ),
    # ------------------------------------------------------------------ zero_inflation
    "zeros-ex-1": Numeric(
        ((1 - 0.35) / 0.35,), 1e-3, 0.05,
        "Match the NB's variance m + m^2 / kappa to the ZIP's with m = (1 - pi) lambda, and solve "
        "for kappa; lambda cancels.",
        names=("your kappa",),
        mistakes=(
            ((0.35 / 0.65,), "inverted: solve m^2 / kappa = (1 - pi) pi lambda^2 for kappa."),
            ((1 / 0.35,), "close in form, but the (1 - pi) of the mean stays in the numerator."),
        ),
    ),
    "zeros-ex-2": Lazy(_zeros_gains),
}
