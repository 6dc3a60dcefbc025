r"""Binary cross-entropy on grey values: the popular error, kept for demonstrations only.

Many VAE tutorials put grey values :math:`x_d \in [0, 1]` into a Bernoulli log-probability,
i.e. they minimise the binary cross-entropy

.. math::

    \mathrm{BCE}(\lambda_d, x_d) = -\bigl[x_d \log\lambda_d + (1-x_d)\log(1-\lambda_d)\bigr]
    = \mathrm{softplus}(\eta_d) - x_d\,\eta_d,\qquad \lambda_d = \sigma(\eta_d),

and report :math:`-\sum_d \mathrm{BCE}` as :math:`\log p(x\mid z)`. For grey values this is
**not** a log-density: :math:`x \mapsto e^{-\mathrm{BCE}(\lambda, x)}` integrates over
:math:`[0, 1]` to

.. math::

    \int_0^1 \lambda^x (1-\lambda)^{1-x}\,dx = \frac{1}{C(\lambda)}
    = \frac{\tanh(\eta/2)}{\eta} \;\le\; \frac12,

where :math:`C(\lambda)` is the normaliser of the continuous Bernoulli
(:mod:`vae_tutorial.likelihoods.continuous_bernoulli`; Loaiza-Ganem & Cunningham, 2019). Adding
:math:`\log C(\lambda_d)` to every pixel turns the BCE into that proper likelihood.

:class:`GreyBCEHead` reproduces the error so that a chapter can train such a model and compare it
with the continuous Bernoulli. It is deliberately **not** in
:data:`~vae_tutorial.likelihoods.LIKELIHOODS`, and it refuses to be evaluated as a likelihood
(:meth:`GreyBCEHead.bin_edges` raises), because the numbers it would produce bound nothing.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.distributions import Bernoulli, constraints

from . import representations
from .likelihoods.base import LikelihoodHead
from .likelihoods.continuous_bernoulli import log_normalizer


class GreyBCEHead(LikelihoodHead):
    r"""One logit per pixel, scored with BCE on grey values :math:`x \in [0, 1]`. NOT normalised.

    ``head(raw)`` returns a distribution whose ``log_prob(x)`` is
    :math:`-\sum_d \mathrm{BCE}(\sigma(r_d), x_d)` for ``x [..., D]`` in [0, 1] (shape ``[...]``)
    and whose ``mean`` is :math:`\lambda = \sigma(r)`: exactly what a tutorial using
    ``binary_cross_entropy`` on grey images computes. Use it only to show what goes wrong; use
    :class:`~.ContinuousBernoulliHead` for a likelihood on [0, 1].
    """

    name = "grey_bce"
    params_per_dim = 1
    support = constraints.unit_interval
    expects = "[0, 1]"
    discrete = False

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def bin_edges(self, levels: Tensor) -> tuple[Tensor, Tensor]:
        """Always raises ``ValueError``: an unnormalised score has no bins to integrate over."""
        raise ValueError(
            "grey_bce is not a normalised likelihood (exp(-BCE) integrates to 1/C(lambda) < 1), "
            "so it has no log-likelihood to evaluate; use continuous_bernoulli"
        )

    def distribution(self, logits: Tensor) -> Bernoulli:
        # validate_args=False is what lets grey values through: torch then computes -BCE.
        return Bernoulli(logits=logits, validate_args=False)


def bce_total_mass(logits: Tensor) -> Tensor:
    r"""The mass of the BCE "density", elementwise: :math:`1/C(\lambda) = \tanh(\eta/2)/\eta`.

    That is :math:`\int_0^1 e^{-\mathrm{BCE}(\sigma(\eta), x)}\,dx`.

    ``logits`` of any shape; returns the same shape. Equals 1/2 at :math:`\eta = 0` and falls
    towards 0 like :math:`1/|\eta|` for confident logits, so the BCE "density" always misses at
    least half of the probability mass.
    """
    return torch.exp(-log_normalizer(logits))


def bce_log_normaliser_gap(logits: Tensor) -> Tensor:
    r"""The nats missing from :math:`-\mathrm{BCE}` per image: :math:`\sum_d \log C(\lambda_d)`.

    ``logits [..., D]`` -> ``[...]``. Continuous Bernoulli log-density
    = :math:`-\mathrm{BCE}` + this gap; it is at least :math:`D \log 2` and depends on
    :math:`\lambda`, so it is not a constant that could be dropped from the objective.
    """
    return log_normalizer(logits).sum(-1)
