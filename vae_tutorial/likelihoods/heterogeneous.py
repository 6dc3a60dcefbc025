r"""One likelihood per column: a head for tables whose columns have different types.

A table row :math:`x = (x_1, \dots, x_D)` mixes ratings, counts, categories and amounts. Given
:math:`z` the columns are independent, so each can have its own family (Nazábal et al., 2020):

.. math::

    \log p_\theta(x\mid z) = \sum_{c=1}^{D} \log p_c\bigl(x_c \mid \eta_c(\text{raw})\bigr),

where :math:`p_c` is column :math:`c`'s head. Each term is a log-probability for a discrete
column and a log-density for a continuous one (per unit of that column), so the sum is a density
with respect to the product of the columns' dominating measures.

**Raw layout.** Column heads need different numbers of raw outputs :math:`P_c`. The head keeps
the contract of every other head (:math:`P` consecutive blocks of :math:`D` numbers) with
:math:`P = \max_c P_c`: the :math:`j`-th raw parameter of column :math:`c` is
``raw[..., j * D + c]``; a column with :math:`P_c < P` ignores its last :math:`P - P_c` entries
(they get no gradient). So ``VAE(head, data_dim=D)`` works unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch
from torch import Tensor, nn
from torch.distributions import Distribution, constraints

from . import masking
from .base import LikelihoodHead

_NO_SAMPLE_SHAPE = torch.Size()


class HeterogeneousDistribution(Distribution):
    """The product of one distribution per column; ``event_shape == (D,)``.

    ``columns`` maps each column's name to its distribution (batch shape ``batch_shape + (1,)``).
    """

    arg_constraints: dict[str, constraints.Constraint] = {}
    has_rsample = False

    def __init__(
        self, columns: dict[str, Distribution], head: HeterogeneousHead, dtype: torch.dtype
    ) -> None:
        self.columns, self.head, self.dtype = columns, head, dtype
        first = next(iter(columns.values()))
        super().__init__(first.batch_shape[:-1], torch.Size((len(columns),)), validate_args=False)

    @property
    def support(self) -> constraints.Constraint:
        return self.head.support

    def log_prob_per_dim(self, value: Tensor, mask: Tensor | None = None) -> Tensor:
        """:math:`\\log p_c(x_c\\mid z)` for every column, shape ``batch_shape + (D,)``.

        With a bool ``mask`` (True = observed) the missing entries contribute exactly 0, whatever
        they hold (even NaN).
        """
        if not isinstance(value, Tensor) or not value.is_floating_point():
            raise ValueError(f"{self.head.name}: x must be a float tensor, one value per column")
        if value.shape[-1:] != self.event_shape:
            raise ValueError(
                f"{self.head.name}: x has trailing size {value.shape[-1]}, the head has "
                f"{self.event_shape[0]} columns {list(self.columns)}"
            )
        if mask is not None:
            mask = masking.check_mask(mask, value, self.head.name)
            value = torch.where(mask, value, self.head.fill_values.to(value.dtype))
        if self.head.validate_args:
            ok = self.head.support.check(value) & torch.isfinite(value)  # +-inf is no number
            if not bool(ok.all()):
                self.head.check_value(value)  # one pass when valid; this names the failing column
        out = []
        for c, dist in enumerate(self.columns.values()):
            m = None if mask is None else mask[..., c : c + 1]
            lp = dist.log_prob(value[..., c : c + 1])
            out.append(lp if m is None else masking.keep_observed(lp, m))
        return torch.cat(torch.broadcast_tensors(*out), dim=-1)

    def log_prob(self, value: Tensor, mask: Tensor | None = None) -> Tensor:
        """:math:`\\sum_c \\log p_c(x_c\\mid z)` (over the observed columns if ``mask`` given)."""
        return self.log_prob_per_dim(value, mask).sum(-1)

    def log_prob_per_column(self, value: Tensor, mask: Tensor | None = None) -> dict[str, Tensor]:
        """The per-column terms as a dict ``name -> [batch_shape]``."""
        lp = self.log_prob_per_dim(value, mask)
        return {name: lp[..., c] for c, name in enumerate(self.columns)}

    def sample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        draws = [d.sample(sample_shape).to(self.dtype) for d in self.columns.values()]
        return torch.cat(draws, dim=-1)

    @property
    def mean(self) -> Tensor:
        return torch.cat([d.mean.to(self.dtype) for d in self.columns.values()], dim=-1)


class HeterogeneousHead(LikelihoodHead):
    """Combine one head per column behind the common contract.

    ``columns`` is a mapping (or sequence of pairs) ``name -> head``, in column order; each
    column head models ONE value. ``encoder_loc`` and ``encoder_scale`` (shape ``[D]``, e.g. the
    training means and standard deviations) standardise what the encoder sees; by default the
    encoder sees ``x`` as it is. Errors name the column: ``heterogeneous: column 'age': ...``.
    """

    name = "heterogeneous"
    discrete = False

    def __init__(
        self,
        columns: Mapping[str, LikelihoodHead] | Sequence[tuple[str, LikelihoodHead]],
        encoder_loc: Tensor | None = None,
        encoder_scale: Tensor | None = None,
        validate_args: bool = True,
    ) -> None:
        super().__init__(validate_args)
        pairs = list(columns.items()) if isinstance(columns, Mapping) else list(columns)
        if not pairs:
            raise ValueError(f"{self.name}: needs at least one column")
        names = [n for n, _ in pairs]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: column names must be unique, got {names}")
        for n, h in pairs:
            if not isinstance(h, LikelihoodHead) or isinstance(h, HeterogeneousHead):
                raise ValueError(f"{self.name}: column {n!r} needs a single-column likelihood head")
        self.heads = nn.ModuleList([h for _, h in pairs])  # a list: names like "children" or
        self.column_names = tuple(names)  # "train" would clash with nn.Module's attributes
        self.params_per_dim = max(h.params_per_dim for _, h in pairs)
        self.discrete = all(h.discrete for _, h in pairs)
        self.support = constraints.cat(
            [h.support for _, h in pairs], dim=-1, lengths=[1] * len(pairs)
        )
        self.expects = "one value per column: " + ", ".join(f"{n} ({h.expects})" for n, h in pairs)
        d = len(pairs)
        loc = torch.zeros(d) if encoder_loc is None else torch.as_tensor(encoder_loc).float()
        scale = torch.ones(d) if encoder_scale is None else torch.as_tensor(encoder_scale).float()
        if loc.shape != (d,) or scale.shape != (d,) or not bool((scale > 0).all()):
            raise ValueError(
                f"{self.name}: encoder_loc and encoder_scale must have shape ({d},), scale > 0"
            )
        fill = [masking.support_point(h.support) for _, h in pairs]
        self.register_buffer("fill_values", torch.tensor(fill), persistent=False)
        self.register_buffer("encoder_loc", loc)
        self.register_buffer("encoder_scale", scale)

    @property
    def column_heads(self) -> dict[str, LikelihoodHead]:
        """Column name -> its head, in column order."""
        return dict(zip(self.column_names, self.heads, strict=True))

    @property
    def num_columns(self) -> int:
        return len(self.column_names)

    def representation(self, levels: Tensor) -> Tensor:
        """A table is modelled as it is (one value per column); no digit representation."""
        return levels

    def bin_edges(self, levels: Tensor) -> tuple[Tensor, Tensor]:
        raise ValueError(f"{self.name}: columns have their own scales; no common bins")

    def encoder_input(self, x: Tensor) -> Tensor:
        return (x - self.encoder_loc.to(x.dtype)) / self.encoder_scale.to(x.dtype)

    def check_raw(self, raw: Tensor) -> None:
        super().check_raw(raw)
        if raw.shape[-1] != self.params_per_dim * self.num_columns:
            raise ValueError(
                f"{self.name}: expected raw decoder output with trailing size D * P = "
                f"{self.num_columns} * {self.params_per_dim}, got shape {tuple(raw.shape)}"
            )

    def check_column(self, name: str, value: Tensor) -> None:
        """The column head's check, with the column's name in the message."""
        try:
            self.column_heads[name].check_value(value)
        except ValueError as err:
            raise ValueError(f"{self.name}: column {name!r}: {err}") from None

    def check_value(self, x: Tensor) -> None:
        if not isinstance(x, Tensor) or not x.is_floating_point():
            raise ValueError(f"{self.name}: x must be a float tensor, one value per column")
        if x.shape[-1] != self.num_columns:
            raise ValueError(
                f"{self.name}: x has trailing size {x.shape[-1]}, the head has "
                f"{self.num_columns} columns {list(self.column_names)}"
            )
        for c, name in enumerate(self.column_names):
            self.check_column(name, x[..., c : c + 1])

    def column_raw(self, raw: Tensor) -> dict[str, tuple[Tensor, ...]]:
        """Each column's raw parameters, ``name -> P_c`` tensors of shape ``[..., 1]``."""
        blocks = raw.unflatten(-1, (self.params_per_dim, self.num_columns))  # [..., P, D]
        return {
            name: tuple(blocks[..., j, c : c + 1] for j in range(head.params_per_dim))
            for c, (name, head) in enumerate(self.column_heads.items())
        }

    def forward(self, raw: Tensor) -> HeterogeneousDistribution:
        self.check_raw(raw)
        dists = {
            name: self.column_heads[name].distribution(*params)
            for name, params in self.column_raw(raw).items()
        }
        return HeterogeneousDistribution(dists, head=self, dtype=raw.dtype)

    def extra_repr(self) -> str:
        return f"name={self.name!r}, columns={list(self.column_names)}, P={self.params_per_dim}"
