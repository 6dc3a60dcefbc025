r"""Autoregressive likelihood heads: :math:`p_\theta(x\mid z) = \prod_d p(x_d\mid x_{<d}, z)`.

The pixels are taken in raster order (row by row, left to right). Each conditional
:math:`p(x_d\mid x_{<d}, z)` is a distribution over the :math:`K` levels from a *factorized*
head, the **conditional head** (categorical, or a (mixture of) discretized logistic(s)), whose
raw parameters for pixel :math:`d` come from a network that sees the *z-features* of the decoder
and the pixels before :math:`d` only:

.. math::

    \eta_d = g_\theta\bigl(c(z),\ x_{<d}\bigr),\qquad
    \log p_\theta(x\mid z) = \sum_{d=1}^D \log p\bigl(x_d \mid \eta_d\bigr).

*Teacher forcing.* Because :math:`\eta_d` depends on :math:`x_{<d}` only, a single pass of a
*masked* network over the whole observed image gives every :math:`\eta_d` at once:
``log_prob(x)`` costs one forward pass, like a factorized head. The part of the network that sees
only :math:`x` is evaluated once per image and broadcast over the samples of :math:`z`.

*Sampling* is sequential: draw :math:`x_1`, feed it back, draw :math:`x_2`, ..., :math:`D` passes
of the network (:meth:`AutoregressiveDistribution.sample`).

The contract towards the package (:mod:`~vae_tutorial.likelihoods.joint`): the decoder outputs
``raw = c(z)`` with ``params_per_dim`` z-feature channels per pixel (``[..., D * C]``, block
:math:`j` is channel :math:`j` of every pixel); ``head(raw)`` returns an
:class:`AutoregressiveDistribution`. Subclasses implement :meth:`AutoregressiveHead.x_features`
(the causal part that sees only :math:`x`) and :meth:`AutoregressiveHead.combine` (z-features +
x-features -> the conditional head's raw parameters).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.distributions import Distribution

from .. import representations
from .base import HeadDistribution, LikelihoodHead
from .categorical import CategoricalHead
from .discretized_logistic import DiscretizedLogisticHead
from .joint import check_event

_NO_SAMPLE_SHAPE = torch.Size()

CONDITIONALS = ("categorical", "discretized_logistic")


def make_conditional(
    conditional: str, num_levels: int = representations.NUM_LEVELS, num_components: int = 1
) -> LikelihoodHead:
    """The factorized head of one conditional: ``"categorical"`` or ``"discretized_logistic"``."""
    if conditional == "categorical":
        return CategoricalHead(num_levels)
    if conditional == "discretized_logistic":
        return DiscretizedLogisticHead(num_levels, num_components)
    raise ValueError(f"conditional must be one of {CONDITIONALS}, got {conditional!r}")


class AutoregressiveHead(LikelihoodHead):
    """Base class: z-features ``raw [..., D * C]`` -> :class:`AutoregressiveDistribution`.

    ``params_per_dim`` is :math:`C`, the number of z-feature channels per pixel. The support, the
    representation (the integer levels) and the encoder's input scaling are those of the
    conditional head.
    """

    discrete = True

    def __init__(
        self,
        data_dim: int,
        context_channels: int,
        conditional: str = "categorical",
        num_levels: int = representations.NUM_LEVELS,
        num_components: int = 1,
        validate_args: bool = True,
    ) -> None:
        super().__init__(validate_args)
        if data_dim < 2:
            raise ValueError(f"{self.name}: data_dim must be >= 2, got {data_dim}")
        if context_channels < 1:
            raise ValueError(f"{self.name}: context_channels must be >= 1, got {context_channels}")
        self.conditional = make_conditional(conditional, num_levels, num_components)
        self.data_dim, self.num_levels = int(data_dim), int(num_levels)
        self.params_per_dim = int(context_channels)
        self.support = self.conditional.support
        self.expects = self.conditional.expects
        #: raw parameters per pixel of the conditional head
        self.out_channels = self.conditional.params_per_dim

    def representation(self, levels: Tensor) -> Tensor:
        return self.conditional.representation(levels)

    def encoder_input(self, x: Tensor) -> Tensor:
        return self.conditional.encoder_input(x)

    def network_input(self, x: Tensor) -> Tensor:
        """Levels ``0..K-1`` -> ``[-1, 1]``, what the masked network sees."""
        return 2.0 * x / (self.num_levels - 1) - 1.0

    # -- to be implemented by each architecture -------------------------------------------
    def x_features(self, x: Tensor) -> Tensor:
        """The causal features of ``x [..., D]`` that do not involve z (computed once per x)."""
        raise NotImplementedError

    def combine(self, features: Tensor, context: Tensor) -> Tensor:
        """x-features and z-features ``[..., D * C]`` (broadcast) -> conditional raw ``[..., D*P]``.

        ``P`` is the conditional head's ``params_per_dim``; the layout is that head's (block
        :math:`j` holds parameter :math:`j` of every pixel), and output :math:`d` depends on
        ``x[..., :d]`` only.
        """
        raise NotImplementedError

    # -- the contract ----------------------------------------------------------------------
    def conditional_raw(self, x: Tensor, context: Tensor) -> Tensor:
        """Raw parameters of every :math:`p(x_d\\mid x_{<d}, z)`, teacher-forced from ``x``."""
        return self.combine(self.x_features(self.network_input(x)), context)

    def check_raw(self, raw: Tensor) -> None:
        super().check_raw(raw)
        if raw.shape[-1] != self.data_dim * self.params_per_dim:
            raise ValueError(
                f"{self.name}: expected z-features with trailing size D * C = "
                f"{self.data_dim} * {self.params_per_dim}, got shape {tuple(raw.shape)}"
            )

    def forward(self, raw: Tensor) -> AutoregressiveDistribution:  # type: ignore[override]
        self.check_raw(raw)
        return AutoregressiveDistribution(raw, head=self)

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, data_dim={self.data_dim}, "
            f"conditional={self.conditional.name!r}, out_channels={self.out_channels}"
        )


class AutoregressiveDistribution(Distribution):
    r""":math:`p_\theta(x\mid z) = \prod_d p(x_d\mid x_{<d}, z)` for z-features ``context``.

    ``context`` has shape ``batch_shape + (D * C,)``; ``event_shape`` is ``(D,)``.
    ``log_prob(x)`` broadcasts ``x [..., D]`` against ``batch_shape``; the network part that sees
    only ``x`` runs at ``x``'s own batch shape (once per image, not once per sample of z).
    """

    arg_constraints: dict = {}
    has_rsample = False

    def __init__(self, context: Tensor, head: AutoregressiveHead) -> None:
        self.context, self.head = context, head
        super().__init__(context.shape[:-1], torch.Size([head.data_dim]), validate_args=False)

    @property
    def support(self):  # type: ignore[override]
        return self.head.support

    def conditionals(self, value: Tensor) -> HeadDistribution:
        """Every :math:`p(x_d\\mid x_{<d}, z)` given ``value`` (teacher forcing).

        Batch shape ``[..., D]``. Entry :math:`d` depends on ``value[..., :d]`` only, so
        ``value[..., d:]`` may hold anything.
        """
        return self.head.conditional(self.head.conditional_raw(value, self.context))

    def log_prob_per_dim(self, value: Tensor) -> Tensor:
        """The chain-rule terms :math:`\\log p(x_d\\mid x_{<d}, z)`, shape ``[..., D]``."""
        check_event(self.head, value, self.head.data_dim)
        return self.conditionals(value).base_dist.log_prob(value)

    def log_prob(self, value: Tensor) -> Tensor:
        """:math:`\\log p_\\theta(x\\mid z) = \\sum_d \\log p(x_d\\mid x_{<d}, z)`, one pass."""
        return self.log_prob_per_dim(value).sum(-1)

    @torch.no_grad()
    def sample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        """Pixel by pixel: :math:`D` passes, pass :math:`d` fixes pixel :math:`d`."""
        shape = torch.Size(sample_shape) + self.batch_shape + self.event_shape
        x = torch.zeros(shape, dtype=self.context.dtype, device=self.context.device)
        for d in range(self.head.data_dim):
            x[..., d] = self.conditionals(x).base_dist.sample()[..., d]
        return x

    @property
    def mean(self) -> Tensor:
        raise NotImplementedError(
            f"{self.head.name}: the mean of an autoregressive p(x|z) has no closed form "
            "(it sums over every earlier pixel's values); average samples instead"
        )

    def expand(self, batch_shape, _instance=None):
        batch_shape = torch.Size(batch_shape)
        return AutoregressiveDistribution(
            self.context.expand(batch_shape + self.context.shape[-1:]), self.head
        )
