r"""Classical reference points for test log-likelihoods, and a conversion for binarized models.

The *independent-pixels* model gives each pixel :math:`d` its own distribution over the
:math:`K` values, estimated from training counts with a pseudo-count :math:`a` (add-:math:`a`
smoothing, so no test value gets probability 0):

.. math::

    \hat P_d(k) = \frac{n_{dk} + a}{N + K a},\qquad
    \log P(x) = \sum_{d=1}^{D} \log \hat P_d(x_d).

It is the best model that treats the :math:`D` pixels as independent (up to the smoothing), so a
VAE, whose latent variable is there to capture dependences, should beat it. With ``num_levels=2``
and binarized data it is the per-pixel Bernoulli baseline.

**Mixture of per-pixel categoricals** (a *discrete* latent variable :math:`c \in \{1..M\}`):

.. math::

    P(x) = \sum_{m=1}^M w_m \prod_{d=1}^D \pi_{m,d,x_d},\qquad x \in \{0..K-1\}^D,

fitted by expectation-maximisation (Dempster et al., 1977). E-step: responsibilities
:math:`\gamma_{nm} = w_m P_m(x_n) / \sum_j w_j P_j(x_n)`. M-step, with add-:math:`\alpha` smoothing
(the MAP estimate under a symmetric Dirichlet(:math:`1+\alpha`) prior, so no probability is 0):

.. math::

    \pi_{mdk} = \frac{\sum_n \gamma_{nm}[x_{nd}=k] + \alpha}{\sum_n \gamma_{nm} + K\alpha},
    \qquad w_m = \frac1N\sum_n \gamma_{nm}.

Each EM iteration never decreases the (penalised) training log-likelihood. With :math:`M = 1` it
is the independent-pixels model above. :math:`\log P(x)` is exact, so
its bits per dimension sit on the same scale as :func:`vae_tutorial.evaluation.test_bits_per_dim`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from .representations import NUM_LEVELS
from .representations import levels as check_levels


def _check(levels: Tensor, num_levels: int, where: str) -> None:
    """Refuse anything but ``[N, D]`` whole numbers in ``0..num_levels-1``, naming ``where``."""
    try:
        if levels.dim() != 2:
            raise ValueError(f"got shape {tuple(levels.shape)}")
        check_levels(levels, num_levels)
    except ValueError as err:
        raise ValueError(
            f"{where} must be [N, D] whole numbers in 0..{num_levels - 1} ({err})"
        ) from None


def _one_hot(levels: Tensor, num_levels: int, where: str = "levels") -> Tensor:
    """``[N, D]`` whole numbers -> ``[N, D, K]`` float64 one-hot (levels checked)."""
    _check(levels, num_levels, where)
    return torch.nn.functional.one_hot(levels.long(), num_levels).to(torch.float64)


def independent_pixels_log_prob(
    train: Tensor, test: Tensor, num_levels: int = 17, pseudo_count: float = 1.0
) -> Tensor:
    r""":math:`\log P(x)` in nats of each row of ``test`` under the independent-pixels model.

    ``train [N, D]`` and ``test [M, D]`` hold whole numbers in ``0..num_levels-1`` (levels, or
    binarized values with ``num_levels=2``); returns ``[M]``.
    """
    if pseudo_count <= 0:
        raise ValueError(
            f"independent_pixels_log_prob: pseudo_count must be > 0, got {pseudo_count}"
        )
    _check(test, num_levels, "independent_pixels_log_prob: test")
    counts = _one_hot(train, num_levels, "independent_pixels_log_prob: train").sum(0)
    counts = counts + pseudo_count  # [D, K]
    log_p = counts.log() - counts.sum(-1, keepdim=True).log()  # [D, K]
    picked = log_p.gather(1, test.long().T)  # [D, M]
    return picked.sum(0).to(test.dtype)


def independent_pixels_bits_per_dim(
    train: Tensor, test: Tensor, num_levels: int = 17, pseudo_count: float = 1.0
) -> float:
    """Mean negative :func:`independent_pixels_log_prob` of ``test`` in bits per dimension."""
    log_p = independent_pixels_log_prob(train, test, num_levels, pseudo_count)
    return float(-log_p.double().mean() / (test.shape[1] * math.log(2.0)))


@dataclass
class EMHistory:
    """Mean training log-likelihood (nats per image) before each EM iteration's M-step."""

    train_log_likelihood: list[float] = field(default_factory=list)


class CategoricalMixture:
    r"""Mixture of ``num_components`` independent per-pixel categoricals, fitted by EM.

    After :meth:`fit`: ``log_weights [M]`` and ``log_probs [M, D, K]``; ``history`` holds the
    training log-likelihood per iteration.
    """

    def __init__(
        self,
        num_components: int,
        num_levels: int = NUM_LEVELS,
        alpha: float = 0.5,
        iterations: int = 100,
        tol: float = 1e-4,
        seed: int = 0,
    ) -> None:
        if num_components < 1:
            raise ValueError(
                f"CategoricalMixture: num_components must be >= 1, got {num_components}"
            )
        if alpha <= 0:
            raise ValueError(f"CategoricalMixture: alpha must be > 0, got {alpha}")
        self.num_components, self.num_levels = int(num_components), int(num_levels)
        self.alpha, self.iterations, self.tol, self.seed = float(alpha), iterations, tol, seed
        self.log_weights: Tensor | None = None
        self.log_probs: Tensor | None = None
        self.history = EMHistory()

    def _joint(self, onehot: Tensor) -> Tensor:
        r""":math:`\log w_m + \log P_m(x_n)`, shape ``[N, M]``."""
        assert self.log_probs is not None and self.log_weights is not None
        flat = onehot.reshape(len(onehot), -1)  # [N, D*K]
        return flat @ self.log_probs.reshape(self.num_components, -1).T + self.log_weights

    def _m_step(self, onehot: Tensor, resp: Tensor) -> None:
        counts = (resp.T @ onehot.reshape(len(onehot), -1)).reshape(
            -1, *onehot.shape[1:]
        )  # [M, D, K]
        totals = resp.sum(0)  # [M]
        probs = (counts + self.alpha) / (totals[:, None, None] + self.num_levels * self.alpha)
        self.log_probs = probs.log()
        self.log_weights = (totals / totals.sum()).clamp(min=1e-12).log()

    def fit(self, levels: Tensor) -> CategoricalMixture:
        """EM on ``levels [N, D]`` from random responsibilities, until a step gains < ``tol``."""
        onehot = _one_hot(levels, self.num_levels, "CategoricalMixture.fit: levels")
        gen = torch.Generator().manual_seed(self.seed)
        resp = torch.rand(len(levels), self.num_components, generator=gen, dtype=torch.float64)
        self._m_step(onehot, resp / resp.sum(1, keepdim=True))
        self.history = EMHistory()
        for _ in range(self.iterations):
            joint = self._joint(onehot)  # E-step
            log_px = torch.logsumexp(joint, dim=1)
            self.history.train_log_likelihood.append(float(log_px.mean()))
            self._m_step(onehot, (joint - log_px[:, None]).exp())  # M-step
            ll = self.history.train_log_likelihood
            if len(ll) > 1 and ll[-1] - ll[-2] < self.tol:
                break
        return self

    def log_prob(self, levels: Tensor) -> Tensor:
        r""":math:`\log P(x) = \operatorname{logsumexp}_m(\log w_m + \log P_m(x))`, ``[N]`` nats."""
        if self.log_probs is None:
            raise RuntimeError("CategoricalMixture: call fit() first")
        return torch.logsumexp(
            self._joint(_one_hot(levels, self.num_levels, "CategoricalMixture.log_prob: levels")),
            dim=1,
        )

    def bits_per_dim(self, levels: Tensor) -> float:
        r"""Mean :math:`-\log_2 P(x) / D` of ``levels [N, D]``."""
        return float(-self.log_prob(levels).mean() / (levels.shape[-1] * math.log(2.0)))

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0) -> Tensor:
        """``n`` images ``[n, D]`` (float whole numbers): a component, then every pixel from it."""
        if self.log_probs is None or self.log_weights is None:
            raise RuntimeError("CategoricalMixture: call fit() first")
        gen = torch.Generator().manual_seed(seed)
        comp = torch.multinomial(self.log_weights.exp(), n, replacement=True, generator=gen)
        probs = self.log_probs.exp()[comp]  # [n, D, K]
        flat = torch.multinomial(probs.reshape(-1, self.num_levels), 1, generator=gen)
        return flat.reshape(n, -1).to(torch.float32)


def select_mixture(
    train_levels: Tensor,
    val_levels: Tensor,
    components: Sequence[int] = (10, 20, 30, 50),
    alpha: float = 0.5,
    seed: int = 0,
) -> tuple[CategoricalMixture, dict[int, float]]:
    """Fit one mixture per number of components on ``train_levels``; keep the best on validation.

    Returns the chosen fitted mixture and ``{M: validation bits/dim}``; the test split is unseen.
    """
    scores: dict[int, float] = {}
    best: CategoricalMixture | None = None
    for m in components:
        mix = CategoricalMixture(m, alpha=alpha, seed=seed).fit(train_levels)
        scores[m] = mix.bits_per_dim(val_levels)
        if best is None or scores[m] < scores[best.num_components]:
            best = mix
    assert best is not None
    return best, scores


def spread_binary_log_prob(
    log_p_binary: Tensor, levels: Tensor, num_levels: int = NUM_LEVELS
) -> Tensor:
    r"""A model of *binarized* digits on the levels' scale: :math:`\log P(b) - \sum_d\log n_{b_d}`.

    A Bernoulli model gives :math:`P(b)` of :math:`b = [x \ge (K-1)/2]` only. Spreading each binary
    value uniformly over the :math:`n_b` levels it stands for (:math:`n_0 = 8` levels 0..7 and
    :math:`n_1 = 9` levels 8..16 when :math:`K = 17`) gives a pmf over the levels,
    :math:`P(x) = P(b(x))\prod_d 1/n_{b_d}`, which sums to one when :math:`P(b)` does.
    ``log_p_binary [N]`` (nats) and ``levels [N, D]``; returns ``[N]``.
    """
    _check(levels, num_levels, "spread_binary_log_prob: levels")
    threshold = (num_levels - 1) / 2
    n_zero = math.ceil(threshold)  # levels 0 .. n_zero - 1 binarize to 0
    counts = torch.where(levels >= threshold, float(num_levels - n_zero), float(n_zero))
    return log_p_binary - counts.log().sum(-1).to(log_p_binary.dtype)
