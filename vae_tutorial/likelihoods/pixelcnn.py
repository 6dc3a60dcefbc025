r"""Autoregressive head with a local causal convolution (PixelCNN-style; van den Oord et al., 2016).

The image is read as an :math:`h\times w` grid (8x8 for the digits). A :math:`k\times k`
convolution whose kernel is masked to the pixels *before* the centre in raster order (the rows
above, and the left part of the centre row; "mask A") gives each pixel features of its causal
neighbourhood; the decoder's z-features, mapped per pixel to the same width, are added to them;
per-pixel layers (:math:`1\times 1` convolutions) then give the conditional head's parameters:

.. math::

    h_d = \mathrm{ELU}\bigl((M_A\odot W) * \tilde x\,\big|_d + U c_d(z)\bigr),\qquad
    \eta_d = \mathrm{MLP}(h_d),

with :math:`c_d(z) \in \mathbb R^C` the z-features of pixel :math:`d`. Pixel :math:`d` sees only
the :math:`(k^2 - 1)/2` pixels of its causal neighbourhood (the *receptive field*) and
:math:`z`; everything farther away it can only learn about through :math:`z`. Growing
:math:`k` grows the receptive field (:math:`k = 2h - 1` covers the whole past of the image).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import representations
from .autoregressive import AutoregressiveHead


def causal_mask(kernel_size: int) -> Tensor:
    """``[k, k]`` mask "A": 1 above the centre row and left of the centre; 0 at and after it."""
    mask = torch.zeros(kernel_size, kernel_size)
    c = kernel_size // 2
    mask[:c, :] = 1.0
    mask[c, :c] = 1.0
    return mask


class MaskedConv2d(nn.Conv2d):
    """``nn.Conv2d`` (odd kernel, same padding) with a fixed causal mask "A" on its kernel."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
        self.register_buffer("mask", causal_mask(kernel_size)[None, None])

    def forward(self, x: Tensor) -> Tensor:
        return F.conv2d(x, self.weight * self.mask, self.bias, padding=self.padding)


class PixelCNNHead(AutoregressiveHead):
    """One masked ``kernel_size`` x ``kernel_size`` convolution + z-features + per-pixel MLP."""

    name = "pixelcnn"

    def __init__(
        self,
        image_shape: tuple[int, int] = (8, 8),
        kernel_size: int = 5,
        context_channels: int = 8,
        hidden_channels: int = 32,
        num_hidden_layers: int = 1,
        conditional: str = "categorical",
        num_levels: int = representations.NUM_LEVELS,
        num_components: int = 1,
        validate_args: bool = True,
    ) -> None:
        height, width = image_shape
        super().__init__(
            height * width, context_channels, conditional, num_levels, num_components, validate_args
        )
        if kernel_size < 3 or kernel_size % 2 == 0:
            raise ValueError(f"{self.name}: kernel_size must be odd and >= 3, got {kernel_size}")
        if num_hidden_layers < 0:
            raise ValueError(
                f"{self.name}: num_hidden_layers must be >= 0, got {num_hidden_layers}"
            )
        self.image_shape, self.kernel_size = (int(height), int(width)), int(kernel_size)
        self.conv = MaskedConv2d(1, hidden_channels, self.kernel_size)
        self.context_in = nn.Linear(self.params_per_dim, hidden_channels, bias=False)
        layers: list[nn.Module] = []
        for _ in range(num_hidden_layers):
            layers += [nn.Linear(hidden_channels, hidden_channels), nn.ELU()]
        layers.append(nn.Linear(hidden_channels, self.out_channels))
        self.per_pixel = nn.Sequential(*layers)

    @property
    def receptive_field(self) -> int:
        """The number of earlier pixels an interior pixel sees, :math:`(k^2 - 1) / 2`."""
        return (self.kernel_size**2 - 1) // 2

    def x_features(self, x: Tensor) -> Tensor:
        """``[..., D]`` -> masked-convolution features ``[..., D, H]`` (pixel-major)."""
        batch = x.shape[:-1]
        image = x.reshape(-1, 1, *self.image_shape)
        features = self.conv(image).flatten(2).transpose(1, 2)  # [n, D, H]
        return features.reshape(*batch, self.data_dim, -1)

    def combine(self, features: Tensor, context: Tensor) -> Tensor:
        c = context.unflatten(-1, (self.params_per_dim, self.data_dim)).transpose(-1, -2)
        h = F.elu(features + self.context_in(c))  # [..., D, H]
        eta = self.per_pixel(h)  # [..., D, P]
        return eta.transpose(-1, -2).flatten(-2)  # block-major [..., P * D]

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, image_shape={self.image_shape}, "
            f"kernel_size={self.kernel_size}"
        )
