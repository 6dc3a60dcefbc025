r"""Synthetic over-dispersed count data: gamma-Poisson counts driven by a low-dimensional latent.

The generative process, for example :math:`n` and feature :math:`f`:

.. math::

    z_n &\sim \mathcal N(0, I_L), \\
    \mu_{nf} &= \exp\bigl(b_f + w_f^\top z_n\bigr), \\
    \lambda_{nf} \mid z_n &\sim \mathrm{Gamma}(\text{shape}=r,\ \text{rate}=r/\mu_{nf}), \\
    x_{nf} \mid \lambda_{nf} &\sim \mathrm{Poisson}(\lambda_{nf}).

Integrating out :math:`\lambda` gives a negative binomial given :math:`z`:
:math:`x_{nf}\mid z_n \sim \mathrm{NB}(\text{mean}=\mu_{nf}, \text{dispersion}=r)`, with
:math:`\mathbb E[x\mid z] = \mu` and :math:`\operatorname{Var}[x\mid z] = \mu + \mu^2/r`, more than
the Poisson's :math:`\mu` (over-dispersion). This is the model of single-cell gene-expression
counts used by scVI and DCA (Lopez et al., 2018; Eraslan et al., 2019), in miniature: a few
latent "cell states" set each gene's mean, and biological and technical noise inflate the
variance beyond Poisson.

Everything is drawn from one seeded NumPy generator, so a seed gives the same data on every
machine: the baselines :math:`b_f` uniform on :math:`[\log 1, \log 20]`, the loadings
:math:`w_f \sim \mathcal N(0, \text{loading\_scale}^2 I_L)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import torch
from torch import Tensor

#: Split boundaries of :func:`load_overdispersed_counts` (same sizes as the digits' splits).
COUNT_SPLITS: dict[str, slice] = {
    "train": slice(0, 1000),
    "val": slice(1000, 1350),
    "test": slice(1350, 1797),
}


@dataclass(frozen=True)
class CountData:
    """A synthetic count data set; all tensors are float32.

    ``counts [N, F]`` whole numbers; ``mean [N, F]`` the true :math:`\\mu = E[x\\mid z]`;
    ``latent [N, L]`` the true :math:`z`; ``dispersion`` the true :math:`r` (shared by all
    features; ``inf`` means plain Poisson counts).
    """

    counts: Tensor
    mean: Tensor
    latent: Tensor
    dispersion: float

    def true_log_prob(self) -> Tensor:
        r""":math:`\log p(x_n\mid z_n)` under the true model, summed over features: ``[N]``."""
        if np.isinf(self.dispersion):
            dist = torch.distributions.Poisson(self.mean.double())
        else:
            r = torch.tensor(self.dispersion, dtype=torch.float64)
            logits = self.mean.double().log() - r.log()
            dist = torch.distributions.NegativeBinomial(total_count=r, logits=logits)
        return dist.log_prob(self.counts.double()).sum(-1)


def make_overdispersed_counts(
    n: int = 1797,
    num_features: int = 32,
    latent_dim: int = 2,
    dispersion: float = 2.0,
    loading_scale: float = 0.5,
    seed: int = 0,
) -> CountData:
    r"""Draw ``n`` examples of ``num_features`` gamma-Poisson counts (see the module docstring).

    ``dispersion`` is :math:`r > 0` (smaller = more over-dispersed; ``float("inf")`` gives
    Poisson counts with the same means). Returns a :class:`CountData`; deterministic in ``seed``.
    """
    if n < 1 or num_features < 1 or latent_dim < 1:
        raise ValueError("make_overdispersed_counts: n, num_features and latent_dim must be >= 1")
    if not dispersion > 0:
        raise ValueError(f"make_overdispersed_counts: dispersion must be > 0, got {dispersion}")
    rng = np.random.default_rng(seed)
    bias = rng.uniform(np.log(1.0), np.log(20.0), size=num_features)
    loadings = rng.normal(0.0, loading_scale, size=(num_features, latent_dim))
    z = rng.standard_normal((n, latent_dim))
    mean = np.exp(bias + z @ loadings.T)  # [n, F]
    if np.isinf(dispersion):
        rate = mean
    else:
        rate = rng.gamma(shape=dispersion, scale=mean / dispersion)  # E = mean, Var = mean^2 / r
    counts = rng.poisson(rate)
    as_t = lambda a: torch.from_numpy(np.asarray(a, dtype=np.float32))  # noqa: E731
    return CountData(as_t(counts), as_t(mean), as_t(z), float(dispersion))


@lru_cache(maxsize=4)
def _default_counts(dispersion: float, seed: int) -> CountData:
    return make_overdispersed_counts(n=1797, dispersion=dispersion, seed=seed)


def load_overdispersed_counts(
    split: str = "train", dispersion: float = 2.0, seed: int = 0
) -> CountData:
    """One split (``"train"`` 1000, ``"val"`` 350, ``"test"`` 447) of the default data set.

    32 features, a 2-dimensional latent, dispersion ``r = 2`` unless given; the splits come
    from one draw of :func:`make_overdispersed_counts` with ``seed``.
    """
    if split not in COUNT_SPLITS:
        raise ValueError(
            f"load_overdispersed_counts: split must be one of {sorted(COUNT_SPLITS)}, got {split!r}"
        )
    data, s = _default_counts(float(dispersion), seed), COUNT_SPLITS[split]
    return CountData(data.counts[s], data.mean[s], data.latent[s], data.dispersion)
