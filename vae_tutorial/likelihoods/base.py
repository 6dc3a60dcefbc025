r"""The common shape of every likelihood head.

A *head* turns the raw output of a decoder network into a probability distribution over one
data vector :math:`x \in \mathcal{X}^D`:

.. math::

    \text{raw} = f_\theta(z) \in \mathbb{R}^{D \cdot P}
    \;\xrightarrow{\text{head}}\;
    p_\theta(x \mid z) = \prod_{d=1}^{D} p\bigl(x_d \mid \eta_d(\text{raw})\bigr),

where :math:`P` is ``params_per_dim``. The raw vector is split into :math:`P` consecutive blocks
of :math:`D` numbers: block :math:`j` holds the :math:`j`-th raw parameter of every dimension.
The dimensions are conditionally independent given :math:`z`, so
:math:`\log p_\theta(x\mid z) = \sum_d \log p(x_d\mid\eta_d)`: the returned distribution has
``event_shape == (D,)`` and its ``log_prob`` sums over the :math:`D` dimensions.

Every head validates what it is given (on by default) and raises a :class:`ValueError` that names
the family and what it expected, instead of returning a silent NaN.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.distributions import Distribution, Independent, constraints

from .. import representations
from . import intervals, masking


class LikelihoodHead(nn.Module):
    """Base class: decoder outputs ``raw[..., D * params_per_dim]`` -> a ``Distribution``.

    Subclasses set ``name``, ``params_per_dim``, ``support`` (a ``torch.distributions``
    constraint for ONE data value), ``expects`` (the values in words, for error messages) and
    ``representation`` (the function of :mod:`vae_tutorial.representations` that turns the digits'
    levels into such values), and implement :meth:`distribution`.
    """

    #: The family's name, the key of :data:`~vae_tutorial.likelihoods.LIKELIHOODS`.
    name: str = "likelihood"
    #: :math:`P`, the number of raw decoder outputs per data dimension.
    params_per_dim: int = 1
    #: A ``torch.distributions`` constraint for ONE data value (checked by :meth:`check_value`).
    support: constraints.Constraint = constraints.real
    #: The support in words, for error messages.
    expects: str = "real numbers"
    #: True when x takes discrete values, so ``log_prob`` is a log-probability (not a density).
    discrete: bool = False

    def __init__(self, validate_args: bool = True) -> None:
        super().__init__()
        self.validate_args = validate_args

    # -- data representation -------------------------------------------------------------
    def representation(self, levels: Tensor) -> Tensor:
        """Turn the digits' integer levels (0..16) into the values this head models."""
        return representations.unit_interval(levels)

    def prepare(self, levels: Tensor) -> Tensor:
        """Alias of :meth:`representation`, checked against :attr:`support`."""
        x = self.representation(levels)
        self.check_value(x)
        return x

    def bin_edges(self, levels: Tensor) -> tuple[Tensor, Tensor]:
        r"""For a continuous head: the interval of x-values that each level stands for.

        The bins partition the support, so integrating the density over them gives a probability
        for every level, and the probabilities of the levels sum to one (see
        :func:`vae_tutorial.evaluation.discrete_log_likelihood`). By default a head on the real
        line gets :func:`~vae_tutorial.representations.real_line_bins` (edge bins open to
        :math:`\pm\infty`) and a head on [0, 1]
        :func:`~vae_tutorial.representations.unit_interval_bins`.
        """
        if self.discrete:
            raise ValueError(f"{self.name}: a discrete head models the levels directly; no bins")
        if self.support is constraints.real:
            return representations.real_line_bins(levels)
        return representations.unit_interval_bins(levels)

    def tail_scale(self) -> float:
        """Width scale of the proposal that dequantizes an open edge bin: one bin width."""
        return 1.0 / (representations.NUM_LEVELS - 1)

    def level_log_prob(self, dist: Distribution, levels: Tensor) -> Tensor | None:
        r"""Exact :math:`\log P(\text{level}_d \mid z)` per pixel, or ``None`` if not available.

        ``dist`` is the per-pixel distribution (``head(raw).base_dist``, batch shape ``[..., D]``),
        ``levels`` the digits' integer levels (broadcast against it). A discrete head returns
        ``dist.log_prob`` of its representation of the levels. A continuous head whose family has
        a CDF (Gaussian, Laplace, Student-t; see :mod:`~vae_tutorial.likelihoods.intervals`)
        returns :math:`\log(F(u) - F(\ell))` over the level's :meth:`bin_edges`; any other head
        returns ``None`` and is evaluated by dequantization.
        """
        if self.discrete:
            return dist.log_prob(self.representation(levels))
        lower, upper = self.bin_edges(levels)
        return intervals.distribution_interval_log_prob(dist, lower, upper)

    def encoder_input(self, x: Tensor) -> Tensor:
        """What the encoder sees: ``x`` rescaled to roughly [0, 1] (identity by default)."""
        return x

    # -- the distribution ----------------------------------------------------------------
    def split(self, raw: Tensor) -> tuple[Tensor, ...]:
        """Check ``raw`` and split it into ``params_per_dim`` blocks of shape ``[..., D]``."""
        self.check_raw(raw)
        return raw.chunk(self.params_per_dim, dim=-1) if self.params_per_dim > 1 else (raw,)

    def check_raw(self, raw: Tensor) -> None:
        """Raise a ValueError naming the family unless ``raw`` is a finite ``[..., D * P]`` tensor.

        The finiteness check (one pass over ``raw``) runs only with ``validate_args``.
        """
        if not isinstance(raw, Tensor) or not raw.is_floating_point():
            raise ValueError(f"{self.name}: raw decoder output must be a float tensor")
        if raw.dim() < 1 or raw.shape[-1] == 0 or raw.shape[-1] % self.params_per_dim != 0:
            raise ValueError(
                f"{self.name}: expected raw decoder output with trailing size D * "
                f"{self.params_per_dim} (params_per_dim), got shape {tuple(raw.shape)}"
            )
        if self.validate_args and not bool(torch.isfinite(raw).all()):
            what = "NaN" if bool(torch.isnan(raw).any()) else "inf"
            raise ValueError(
                f"{self.name}: raw decoder output contains {what}; expected finite numbers"
            )

    def distribution(self, *params: Tensor) -> Distribution:
        """The per-dimension distribution (batch shape ``[..., D]``) from the raw blocks."""
        raise NotImplementedError

    def forward(self, raw: Tensor) -> HeadDistribution:
        base = self.distribution(*self.split(raw))
        return HeadDistribution(base, head=self)

    # -- validation ----------------------------------------------------------------------
    def check_value(self, x: Tensor) -> None:
        """Raise a ValueError naming the family unless every entry of ``x`` is in the support.

        One pass over ``x`` when it is valid: NaN fails every support check (comparisons with
        NaN are false), so the NaN message is only worked out once something failed.
        """
        if not isinstance(x, Tensor) or not x.is_floating_point():
            raise ValueError(f"{self.name}: x must be a float tensor of {self.expects}")
        ok = self.support.check(x)
        if not bool(ok.all()):
            if bool(torch.isnan(x).any()):
                raise ValueError(f"{self.name}: x contains NaN; expected {self.expects}")
            bad = x[~ok]
            raise ValueError(
                f"{self.name} expects x in {self.expects}, got {bad.numel()} value(s) outside "
                f"(min {x.min().item():.4g}, max {x.max().item():.4g}, "
                f"first offending {bad.flatten()[0].item():.4g})"
            )

    def extra_repr(self) -> str:
        return f"name={self.name!r}, params_per_dim={self.params_per_dim}"


class HeadDistribution(Independent):
    """``Independent(base, 1)`` that checks values with the head's own error messages.

    ``log_prob(x)`` returns :math:`\\sum_{d=1}^D \\log p(x_d \\mid \\eta_d)`, of shape
    ``batch_shape``.
    """

    def __init__(self, base: Distribution, head: LikelihoodHead) -> None:
        super().__init__(base, 1, validate_args=False)
        self.head = head

    def log_prob(self, value: Tensor, mask: Tensor | None = None) -> Tensor:
        """:math:`\\sum_d \\log p(x_d\\mid z)`; with a bool ``mask`` (True = observed), the sum over
        the observed entries only (missing ones may hold anything, even NaN; see
        :mod:`~vae_tutorial.likelihoods.masking`)."""
        if mask is not None:
            return self.log_prob_per_dim(value, mask).sum(-1)
        if self.head.validate_args:
            self.head.check_value(value)
            if value.shape[-1:] != self.event_shape:
                raise ValueError(
                    f"{self.head.name}: x has trailing size {value.shape[-1]}, the distribution "
                    f"has D = {self.event_shape[0]} dimensions"
                )
        return super().log_prob(value)

    def log_prob_per_dim(self, value: Tensor, mask: Tensor | None = None) -> Tensor:
        """``log p(x_d | z)`` for each dimension, shape ``batch_shape + (D,)``; 0 where ``mask``
        is False."""
        if mask is not None:
            mask = masking.check_mask(mask, value, self.head.name)
            value = masking.fill_missing(value, mask, masking.support_point(self.head.support))
        if self.head.validate_args:
            self.head.check_value(value)
            if mask is not None and value.shape[-1:] != self.event_shape:
                raise ValueError(
                    f"{self.head.name}: x has trailing size {value.shape[-1]}, the distribution "
                    f"has D = {self.event_shape[0]} dimensions"
                )
        lp = self.base_dist.log_prob(value)
        return lp if mask is None else masking.keep_observed(lp, mask)


class OpenInterval(constraints.Constraint):
    """The open interval ``(lower, upper)``: torch's constraints only have closed/half-open ones."""

    def __init__(self, lower: float, upper: float) -> None:
        self.lower_bound, self.upper_bound = lower, upper
        super().__init__()

    def check(self, value: Tensor) -> Tensor:
        return (self.lower_bound < value) & (value < self.upper_bound)

    def __repr__(self) -> str:
        return f"OpenInterval(lower_bound={self.lower_bound}, upper_bound={self.upper_bound})"


def positive(raw: Tensor, floor: float) -> Tensor:
    r"""Stable map to a positive parameter: :math:`\mathrm{softplus}(r) + \text{floor}`."""
    return nn.functional.softplus(raw) + floor


TransformFn = Callable[[Tensor], Tensor]
