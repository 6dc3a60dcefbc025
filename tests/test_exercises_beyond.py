"""The checkers of Parts IV and V (likelihoods that do not factorize; tables): each passes the
reference solution, computed here by the route the exercise's solution takes, and fails the
typical wrong answers with a hint; no message contains the reference answer."""

from __future__ import annotations

import torch
from checker_asserts import verdict, wrong

from vae_tutorial import LIKELIHOODS
from vae_tutorial.exercises import expected_range
from vae_tutorial.likelihoods import TABLE_LIKELIHOODS
from vae_tutorial.likelihoods.pixelcnn import PixelCNNHead
from vae_tutorial.tables import load_fair
from vae_tutorial.zero_inflation import fit_by_group

F64 = torch.float64




# ------------------------------------------------------------------ correlated_gaussians
def test_cg_ex_2_determinant_lemma() -> None:
    """The solution's route: 2 sum log sigma + log det(I_r + W^T A^{-1} W), never D x D."""
    def logdet(W, sigma):
        inner = torch.eye(W.shape[1], dtype=W.dtype) + (W / sigma[:, None] ** 2).T @ W
        return 2 * sigma.log().sum() + torch.linalg.cholesky(inner).diagonal().log().sum() * 2

    assert verdict("cg-ex-2", logdet).passed
    v = verdict("cg-ex-2", lambda W, s: torch.logdet(torch.eye(W.shape[1], dtype=W.dtype)
                                                       + (W / s[:, None] ** 2).T @ W))
    assert v.status == "wrong"  # log det A forgotten
    v = verdict("cg-ex-2", lambda W, s: s.log().sum() + torch.logdet(
        torch.eye(W.shape[1], dtype=W.dtype) + (W / s[:, None] ** 2).T @ W))
    assert v.status == "wrong"  # log sigma instead of log sigma^2
    v = verdict("cg-ex-2", lambda W, s: 2 * s.log().sum() + torch.logdet(
        torch.eye(W.shape[1], dtype=W.dtype) + (W / s[:, None]).T @ W))
    assert v.status == "wrong"  # A^{-1} with sigma, not sigma^2


def test_cg_ex_3_memory() -> None:
    D = 256 * 256 * 3
    tri = D * (D + 1) // 2
    ref = (D + tri, 4 * tri)
    assert verdict("cg-ex-3", ref).passed
    assert abs(4 * tri / 1e9 - 77.3) < 0.1  # the solution's "77 GB"
    wrong("cg-ex-3", (D + D * D, 4 * D * D), *ref, says="triangular")
    wrong("cg-ex-3", (D + tri, 8 * tri), *ref, says="4 bytes")
    wrong("cg-ex-3", (65536 + 65536 * 65537 // 2, 4 * 65536 * 65537 // 2), *ref, says="colour")


# ------------------------------------------------------------------ autoregressive
def test_ar_ex_2_receptive_field() -> None:
    """The package's head agrees with (k^2 - 1) / 2, and so does counting the mask."""
    counts = []
    for k in (3, 5):
        mask = torch.zeros(k, k)
        mask[: k // 2] = 1  # rows above the centre
        mask[k // 2, : k // 2] = 1  # left of the centre
        counts.append(int(mask.sum()))
        assert PixelCNNHead(kernel_size=k).receptive_field == counts[-1] == (k * k - 1) // 2
    assert verdict("ar-ex-2", tuple(counts)).passed
    wrong("ar-ex-2", (9, 25), 4, 12, says="centre")
    wrong("ar-ex-2", (5, 13), 4, 12, says="mask A")
    wrong("ar-ex-2", (3, 10), 4, 12, says="left")


# ------------------------------------------------------------------ ignoring_z
def test_iz_ex_2_range() -> None:
    (k_lo, k_hi), (b_lo, b_hi) = expected_range("iz-ex-2")
    assert verdict("iz-ex-2", ((k_lo + k_hi) / 2, (b_lo + b_hi) / 2)).passed
    v = verdict("iz-ex-2", (0.0, (b_lo + b_hi) / 2))  # the KL of the warm-up phase alone
    assert v.status == "wrong" and "KL" in v.message
    v = verdict("iz-ex-2", ((k_lo + k_hi) / 2, b_hi + 1))  # a training objective, not the score
    assert v.status == "wrong"


# ------------------------------------------------------------------ zero_inflation
def test_zeros_ex_1_dispersion() -> None:
    """kappa from matching the moments, checked against a negative binomial's moments."""
    pi, lam = 0.35, 6.0
    m, var = (1 - pi) * lam, (1 - pi) * lam * (1 + pi * lam)
    kappa = m**2 / (var - m)
    nb = torch.distributions.NegativeBinomial(torch.tensor(kappa, dtype=F64),
                                              probs=torch.tensor(m / (m + kappa), dtype=F64))
    assert abs(nb.mean.item() - m) < 1e-9 and abs(nb.variance.item() - var) < 1e-9
    assert verdict("zeros-ex-1", kappa).passed
    wrong("zeros-ex-1", 1 / kappa, kappa, says="inverted")
    wrong("zeros-ex-1", 1 / pi, kappa)


def test_zeros_ex_2_gains() -> None:
    train = load_fair("train", coded=True)
    children, age, years = train[:, 3:4], train[:, 1], train[:, 2]

    def gain(groups):
        return (fit_by_group(lambda: TABLE_LIKELIHOODS["zero_inflated_poisson"](), children, groups)
                - fit_by_group(lambda: LIKELIHOODS["poisson"](), children, groups))

    ref = (gain(age), gain(age * 7 + years))
    assert verdict("zeros-ex-2", ref).passed
    assert verdict("zeros-ex-2", tuple(round(g, 3) for g in ref)).passed
    wrong("zeros-ex-2", (-ref[0], -ref[1]), *ref, says="sign")
    whole = gain(torch.zeros(len(children)))  # one fit for the whole column: the wrong grouping
    assert verdict("zeros-ex-2", (whole, ref[1])).status == "wrong"
