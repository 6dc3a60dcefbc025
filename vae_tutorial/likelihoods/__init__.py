"""Likelihood heads p(x|z): decoder outputs -> a ``torch.distributions.Distribution`` over x.

``LIKELIHOODS`` maps each family's name to its head class; every class constructs with
sensible defaults, e.g. ``LIKELIHOODS["categorical"]()``.
"""

from __future__ import annotations

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
from .gaussian_shared import GaussianSharedHead
from .intervals import DiscretizedDistribution
from .laplace import LaplaceHead
from .negative_binomial import NegativeBinomialHead
from .poisson import PoissonHead
from .student_t import StudentTHead

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

__all__ = [
    "LIKELIHOODS",
    "LikelihoodHead",
    "HeadDistribution",
    "OpenInterval",
    "OrdinalCategorical",
    "StableContinuousBernoulli",
    "DiscretizedLogisticMixture",
    "DiscretizedDistribution",
] + [cls.__name__ for cls in LIKELIHOODS.values()]
