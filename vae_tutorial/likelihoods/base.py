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

import math
from collections.abc import Callable

import torch
from torch import Tensor, nn
from torch.distributions import Distribution, Independent, constraints

from .. import representations
from . import intervals, masking

#: Positive floors a head may have (``softplus(r) + floor``): each must be a number > 0.
POSITIVE_SETTINGS = ("min_concentration", "min_rate", "min_mean", "min_dispersion", "min_scale")


class _CheckedHeadType(type):
    """Metaclass: after a head's ``__init__``, :meth:`LikelihoodHead.check_settings` runs."""

    def __call__(cls, *args, **kwargs):
        head = super().__call__(*args, **kwargs)
        head.check_settings()
        return head


class LikelihoodHead(nn.Module, metaclass=_CheckedHeadType):
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

    def check_settings(self) -> None:
        """Raise a ValueError naming the setting unless every floor in
        :data:`POSITIVE_SETTINGS` that the head has is a finite number > 0 (a floor of 0 or
        below lets a parameter reach 0, and the log-probability turns NaN)."""
        for setting in POSITIVE_SETTINGS:
            value = getattr(self, setting, None)
            if value is not None and not 0 < value < math.inf:
                raise ValueError(f"{self.name}: {setting} must be a positive number, got {value!r}")

    # -- data representation -------------------------------------------------------------
    def representation(self, levels: Tensor) -> Tensor:
        """Turn the digits' integer levels (0..16) into the values this head models."""
        return representations.unit_interval(levels)

    def prepare(self, levels: Tensor, allow_binary_levels: bool = False) -> Tensor:
        """Alias of :meth:`representation`, checked against :attr:`support`.

        ``levels`` are read as the digits' levels 0..16 (:math:`K = 17`). Data that hold only 0
        and 1 are refused when the representation would change them (Bernoulli: both become 0;
        Gaussian: 0 and 1/16): such data are almost surely already binary, and data already in
        the head's representation need no ``prepare``. Pass ``allow_binary_levels=True`` to
        read them as levels 0 and 1 of 17 all the same.
        """
        if not allow_binary_levels:
            self._refuse_binary_data(levels)
        x = self.representation(levels)
        self.check_value(x)
        return x

    def _refuse_binary_data(self, levels: Tensor) -> None:
        if not isinstance(levels, Tensor) or not levels.is_floating_point() or levels.numel() == 0:
            return
        if not bool(((levels == 0) | (levels == 1)).all()) or not bool((levels == 1).any()):
            return
        zero, one = self.representation(torch.tensor([0.0, 1.0], dtype=levels.dtype)).tolist()
        if (zero, one) == (0.0, 1.0):
            return
        raise ValueError(
            f"{self.name}.prepare: the data hold only 0s and 1s, but prepare() reads the digits' "
            f"levels 0..{representations.NUM_LEVELS - 1} and would map 0 and 1 to {zero:.4g} and "
            f"{one:.4g}. Data already in the head's representation ({self.expects}) need no "
            "prepare: pass them to the model as they are (or use allow_binary_levels=True)"
        )

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
        ok = self.support.check(x) & torch.isfinite(x)  # +-inf is no real number either
        if not bool(ok.all()):
            if bool(torch.isnan(x).any()):
                raise ValueError(f"{self.name}: x contains NaN; expected {self.expects}")
            bad = x[~ok]
            raise ValueError(
                f"{self.name} expects x in {self.expects}, got {bad.numel()} value(s) outside "
                f"(min {x.min().item():.4g}, max {x.max().item():.4g}, "
                f"first offending {bad.flatten()[0].item():.4g}){self._default_hint()}"
            )

    def _default_hint(self) -> str:
        """For heads whose support is set by a digits-specific default: how to change it."""
        if hasattr(self, "num_levels"):
            return (
                f" (num_levels={self.num_levels}; the default 17 is the digits' levels 0..16: "
                "build the head with num_levels=K for data with levels 0..K-1)"
            )
        if hasattr(self, "total_count"):
            return (
                f" (total_count={self.total_count}; the default 16 is the digits' 16 cells per "
                "block: build the head with total_count=N for counts out of N)"
            )
        return ""

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
            self._check_shape(value)
        # the sum over the D dimensions (torch's Independent reshapes, which fails on N = 0)
        return self.base_dist.log_prob(value).sum(-1)

    def _check_shape(self, value: Tensor) -> None:
        d = self.event_shape[0]
        full = self.batch_shape + self.event_shape
        hint = "; flatten images first, e.g. x.flatten(1)" if value.dim() > 2 else ""
        if value.shape[-1:] != self.event_shape:
            raise ValueError(
                f"{self.head.name}: x has trailing size {value.shape[-1]}, the distribution "
                f"has D = {d} dimensions{hint}"
            )
        for got, want in zip(reversed(value.shape), reversed(full), strict=False):
            if got != want and got != 1 and want != 1:
                raise ValueError(
                    f"{self.head.name}: x of shape {tuple(value.shape)} does not match the "
                    f"distribution's shape {tuple(full)} (batch_shape + (D,)){hint}"
                )

    def entropy(self) -> Tensor:
        """:math:`\\sum_d H(x_d\\mid z)`, shape ``batch_shape`` (where the family has one)."""
        return self.base_dist.entropy().sum(-1)

    @property
    def mode(self) -> Tensor:
        """The most probable x, which is the per-dimension modes (the dimensions are independent).

        Float like every value of a head (torch's categorical gives integer indices).
        """
        mode = self.base_dist.mode
        if not mode.is_floating_point():
            mode = mode.to(self.base_dist.logits.dtype)
        return mode

    def expand(self, batch_shape: torch.Size, _instance=None) -> HeadDistribution:
        """The same distribution broadcast to a larger ``batch_shape`` (torch's contract)."""
        new = self._get_checked_instance(HeadDistribution, _instance)
        batch_shape = torch.Size(batch_shape)
        new.base_dist = self.base_dist.expand(batch_shape + self.event_shape)
        new.reinterpreted_batch_ndims = self.reinterpreted_batch_ndims
        new.head = self.head
        Distribution.__init__(new, batch_shape, self.event_shape, validate_args=False)
        return new

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
