"""Likelihood heads p(x|z): decoder outputs -> a ``torch.distributions.Distribution`` over x.

``LIKELIHOODS`` maps each family's name to its head class; every class constructs with
sensible defaults, e.g. ``LIKELIHOODS["categorical"]()``. ``TABLE_LIKELIHOODS`` holds the heads
for table columns, which
:class:`~vae_tutorial.likelihoods.heterogeneous.HeterogeneousHead` combines one per column.

``NONFACTORIZED`` maps the names of the heads whose pixels are dependent given z (correlated
Gaussians, autoregressive heads) to their classes; they keep the package's contract in the
extended form described in :mod:`~vae_tutorial.likelihoods.joint`.
"""

from __future__ import annotations

from .autoregressive import AutoregressiveDistribution, AutoregressiveHead
from .base import HeadDistribution, LikelihoodHead, OpenInterval
from .bernoulli import BernoulliHead
from .beta import BetaHead
from .binomial import BinomialHead
from .categorical import CategoricalHead, OrdinalCategorical
from .continuous_bernoulli import ContinuousBernoulliHead, StableContinuousBernoulli
from .discretized_gaussian import DiscretizedGaussianHead
from .discretized_laplace import DiscretizedLaplaceHead
from .discretized_logistic import DiscretizedLogisticHead, DiscretizedLogisticMixture
from .gaussian_diagonal import GaussianDiagonalHead
from .gaussian_fixed import GaussianFixedHead
from .gaussian_full import GaussianFullHead
from .gaussian_lowrank import GaussianLowRankHead
from .gaussian_shared import GaussianSharedHead
from .heterogeneous import HeterogeneousDistribution, HeterogeneousHead
from .hurdle_lognormal import HurdleLogNormal, HurdleLogNormalHead
from .intervals import DiscretizedDistribution
from .laplace import LaplaceHead
from .lognormal import LogNormalHead
from .made import MADEHead
from .negative_binomial import NegativeBinomialHead
from .ordinal import CumulativeLogit, OrdinalHead
from .pixelcnn import PixelCNNHead
from .poisson import PoissonHead
from .registry import HeadRegistry, UnknownLikelihoodError
from .student_t import StudentTHead
from .zero_inflated_negative_binomial import (
    ZeroInflatedNegativeBinomial,
    ZeroInflatedNegativeBinomialHead,
)
from .zero_inflated_poisson import ZeroInflatedPoisson, ZeroInflatedPoissonHead

LIKELIHOODS: dict[str, type[LikelihoodHead]] = {
    cls.name: cls
    for cls in (
        BernoulliHead,
        ContinuousBernoulliHead,
        GaussianFixedHead,
        GaussianSharedHead,
        GaussianDiagonalHead,
        LaplaceHead,
        StudentTHead,
        BetaHead,
        CategoricalHead,
        DiscretizedLogisticHead,
        DiscretizedGaussianHead,
        DiscretizedLaplaceHead,
        BinomialHead,
        PoissonHead,
        NegativeBinomialHead,
    )
}
LIKELIHOODS = HeadRegistry(LIKELIHOODS)  # unknown names: an error listing the valid ones

#: Heads for the columns of a table (Part V): counts with extra zeros, ordered levels, positive
#: amounts, and zero-or-positive amounts. Kept apart from :data:`LIKELIHOODS`, whose heads all
#: model the digits' grey levels. Combine them per column with ``HeterogeneousHead``.
TABLE_LIKELIHOODS: dict[str, type[LikelihoodHead]] = {
    cls.name: cls
    for cls in (
        ZeroInflatedPoissonHead,
        ZeroInflatedNegativeBinomialHead,
        OrdinalHead,
        LogNormalHead,
        HurdleLogNormalHead,
    )
}

NONFACTORIZED: dict[str, type[LikelihoodHead]] = {
    cls.name: cls for cls in (GaussianLowRankHead, GaussianFullHead, MADEHead, PixelCNNHead)
}

__all__ = [
    "TABLE_LIKELIHOODS",
    "HeterogeneousHead",
    "HeterogeneousDistribution",
    "CumulativeLogit",
    "ZeroInflatedPoisson",
    "ZeroInflatedNegativeBinomial",
    "HurdleLogNormal",
    "LIKELIHOODS",
    "UnknownLikelihoodError",
    "NONFACTORIZED",
    "AutoregressiveHead",
    "AutoregressiveDistribution",
    "LikelihoodHead",
    "HeadDistribution",
    "OpenInterval",
    "OrdinalCategorical",
    "StableContinuousBernoulli",
    "DiscretizedLogisticMixture",
    "DiscretizedDistribution",
] + [
    cls.__name__
    for cls in (*LIKELIHOODS.values(), *TABLE_LIKELIHOODS.values(), *NONFACTORIZED.values())
]
