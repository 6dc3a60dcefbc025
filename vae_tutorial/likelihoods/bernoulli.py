r"""Bernoulli likelihood for binary data.

.. math::

    p(x_d \mid z) = \lambda_d^{x_d} (1-\lambda_d)^{1-x_d},\quad x_d \in \{0, 1\},\quad
    \lambda_d = \sigma(r_d),

    \log p(x \mid z) = \sum_d \bigl[x_d r_d - \mathrm{softplus}(r_d)\bigr]
    = -\mathrm{BCEWithLogits}(r, x)\ \text{(sum reduction)}.

Working with the logit :math:`r_d` keeps the log-probability finite for any raw output.
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import Bernoulli, constraints

from .. import representations
from .base import LikelihoodHead


class BernoulliHead(LikelihoodHead):
    """One logit per pixel; x must be exactly 0 or 1.

    Use :meth:`~.LikelihoodHead.prepare` to binarize levels.
    """

    name = "bernoulli"
    params_per_dim = 1
    support = constraints.boolean
    expects = "{0, 1}"
    discrete = True

    def representation(self, levels: Tensor) -> Tensor:
        return representations.binarize(levels)

    def distribution(self, logits: Tensor) -> Bernoulli:
        return Bernoulli(logits=logits, validate_args=False)
