r"""Fitting one distribution to a column, without a latent code: the quickest check of a head.

:func:`fit_marginal` fits a head's raw parameters, shared by every row, by maximum likelihood:

.. math::

    \hat r = \arg\max_r \frac1N \sum_{n=1}^N \log p(x_n \mid \eta(r)).

It answers "can this family describe the column at all?" (for instance: are there more zeros than
a Poisson or a negative binomial with the fitted mean allows?). :func:`fit_by_group` does the same
within groups of rows (e.g. the levels of another column), the simplest form of conditioning:
zeros that look "extra" in the whole column may be explained once the rows are grouped, which is
what a VAE's latent code does in a learned way.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .likelihoods.base import LikelihoodHead


def fit_marginal(head: LikelihoodHead, x: Tensor, max_iter: int = 100) -> tuple[Tensor, float]:
    """Fit ONE set of raw parameters to every row of ``x`` (``[N, D]``) by maximum likelihood.

    L-BFGS (strong Wolfe line search, at most ``max_iter`` iterations) on the mean
    log-likelihood, from raw parameters 0; the head's own learned parameters (e.g. ordinal
    cut-points) are fitted too. Returns the raw vector ``[D * P]`` and the fitted mean
    log-likelihood per row (nats). A family whose best fit lies at a boundary (a negative
    binomial on under-dispersed counts: dispersion to infinity) stops at a large raw value.
    """
    if x.dim() != 2 or len(x) == 0:
        raise ValueError(
            f"fit_marginal: expected x of shape [N, D] with N >= 1, got {tuple(x.shape)}"
        )
    raw = torch.zeros(x.shape[-1] * head.params_per_dim, dtype=x.dtype, requires_grad=True)
    optimizer = torch.optim.LBFGS(
        [raw, *head.parameters()], max_iter=max_iter, line_search_fn="strong_wolfe"
    )

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = -head(raw).log_prob(x).mean()
        loss.backward()
        return loss

    optimizer.step(closure)
    with torch.no_grad():
        return raw.detach(), head(raw).log_prob(x).mean().item()


def fit_by_group(make_head, x: Tensor, groups: Tensor, max_iter: int = 100) -> float:
    """Mean log-likelihood per row when each group of rows gets its own fitted distribution.

    ``make_head()`` builds a fresh head per group; ``groups`` (``[N]``) labels the rows. The
    result is :math:`\\frac1N\\sum_g N_g\\,\\bar\\ell_g` with :math:`\\bar\\ell_g` the fitted mean
    log-likelihood of group :math:`g` (:func:`fit_marginal`).
    """
    if groups.shape != x.shape[:1]:
        raise ValueError(
            f"fit_by_group: groups must have shape [{len(x)}], got {tuple(groups.shape)}"
        )
    total = 0.0
    for g in groups.unique():
        rows = x[groups == g]
        total += len(rows) * fit_marginal(make_head(), rows, max_iter)[1]
    return total / len(x)
