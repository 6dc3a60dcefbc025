r"""Autoregressive head with a masked MLP over the whole image (MADE; Germain et al., 2015).

Each unit gets a *degree*: input pixel :math:`d` has degree :math:`d`, hidden unit :math:`k`
has :math:`m_k = 1 + (k \bmod (D-1))`, output unit of pixel :math:`d` has degree :math:`d`.
A weight from a unit of degree :math:`a` to a hidden unit of degree :math:`b` is kept when
:math:`b \ge a`, to an output when :math:`d > a` (strictly). Any path from input :math:`j` to
output :math:`d` then needs :math:`j < d`: output :math:`d` sees :math:`x_{<d}` and may see
*all* of them: the receptive field is the whole past of the image.

Conditioning on :math:`z`: the decoder's z-features :math:`c(z) \in \mathbb R^{D\cdot C}` are
added to the first hidden layer (whose width is :math:`H = D\,C`) and mapped to the outputs by an
unmasked linear layer (they do not depend on :math:`x`, so no mask is needed):

.. math::

    h_1 = \tanh\bigl((M_1\odot W_1)\,\tilde x + c(z)\bigr),\quad
    h_{l+1} = \tanh\bigl((M_{l+1}\odot W_{l+1})\,h_l\bigr),\quad
    \eta = (M_o\odot W_o)\,h + (M_d\odot W_d)\,\tilde x + V c(z),

with :math:`\tilde x \in [-1, 1]^D` the rescaled levels and :math:`M_d` the strictly causal
direct connection from inputs to outputs. :math:`\eta` is the conditional head's raw layout.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import representations
from .autoregressive import AutoregressiveHead


class MaskedLinear(nn.Linear):
    """``nn.Linear`` whose weight is multiplied by a fixed 0/1 ``mask [out, in]``."""

    def __init__(self, mask: Tensor, bias: bool = True) -> None:
        super().__init__(mask.shape[1], mask.shape[0], bias=bias)
        self.register_buffer("mask", mask.to(self.weight.dtype))

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight * self.mask, self.bias)


def made_degrees(data_dim: int, hidden: int) -> Tensor:
    """Degrees :math:`1 + (k \\bmod (D-1))` of ``hidden`` units, shape ``[hidden]``."""
    return 1 + torch.arange(hidden) % (data_dim - 1)


class MADEHead(AutoregressiveHead):
    """MADE conditioned on z; ``context_channels * data_dim`` hidden units per layer."""

    name = "made"

    def __init__(
        self,
        data_dim: int = 64,
        context_channels: int = 4,
        num_hidden_layers: int = 1,
        conditional: str = "categorical",
        num_levels: int = representations.NUM_LEVELS,
        num_components: int = 1,
        validate_args: bool = True,
    ) -> None:
        super().__init__(
            data_dim, context_channels, conditional, num_levels, num_components, validate_args
        )
        if num_hidden_layers < 1:
            raise ValueError(
                f"{self.name}: num_hidden_layers must be >= 1, got {num_hidden_layers}"
            )
        d, hidden, p = self.data_dim, self.data_dim * self.params_per_dim, self.out_channels
        inputs = torch.arange(1, d + 1)
        m = made_degrees(d, hidden)
        outputs = inputs.repeat(p)  # block-major: unit j * D + (d - 1) belongs to pixel d
        self.first = MaskedLinear(m[:, None] >= inputs[None, :], bias=True)
        self.hidden = nn.ModuleList(
            MaskedLinear(m[:, None] >= m[None, :]) for _ in range(num_hidden_layers - 1)
        )
        self.out = MaskedLinear(outputs[:, None] > m[None, :])
        self.direct = MaskedLinear(outputs[:, None] > inputs[None, :], bias=False)
        self.context_out = nn.Linear(hidden, d * p, bias=False)

    def x_features(self, x: Tensor) -> Tensor:
        """``[..., D]`` -> the first layer's and the direct connection's x parts, concatenated."""
        return torch.cat([self.first(x), self.direct(x)], dim=-1)

    def combine(self, features: Tensor, context: Tensor) -> Tensor:
        a1, direct = features.split([self.first.out_features, self.direct.out_features], dim=-1)
        h = torch.tanh(a1 + context)
        for layer in self.hidden:
            h = torch.tanh(layer(h))
        return self.out(h) + direct + self.context_out(context)
