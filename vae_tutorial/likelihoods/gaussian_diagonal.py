r"""Gaussian likelihood with a per-dimension standard deviation output by the decoder.

.. math::

    \mu_d = r^{(1)}_d,\qquad
    \sigma_d = \begin{cases}
        \mathrm{softplus}(r^{(2)}_d) + \sigma_{\min} & \text{``sigma_transform="softplus"``}\\
        \exp\bigl(r^{(2)}_d / 2\bigr) + \sigma_{\min} & \text{``sigma_transform="exp"``}
    \end{cases}

    \log p(x \mid z) = \sum_{d=1}^D\Bigl[-\frac{(x_d-\mu_d)^2}{2\sigma_d^2} - \log\sigma_d
    - \tfrac12\log(2\pi)\Bigr].

``"exp"`` reads the second raw block as a *log-variance*: with ``min_sigma=0`` it is
:math:`p(x\mid z) = \mathcal N\bigl(f_1(z), e^{f_2(z)}\bigr)`, the parameterisation of many
tutorials (and of Wikipedia's article on VAEs). Both maps are positive; they differ for large raw
values (softplus grows linearly, the exponential exponentially) and in how fast a step on the raw
value moves :math:`\log\sigma` when :math:`\sigma` is small (softplus: about one for one;
``exp``: one half).

Without a floor (``min_sigma=0``) the likelihood is unbounded: a decoder that puts
:math:`\mu_d = x_d` for one training point and lets :math:`\sigma_d \to 0` drives
:math:`\log p \to +\infty` (Mattei & Frellsen, 2018). The floor :math:`\sigma_{\min}` bounds it.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import Tensor
from torch.distributions import Normal, constraints

from .. import representations
from .base import LikelihoodHead, positive

SIGMA_TRANSFORMS = ("softplus", "exp")


class GaussianDiagonalHead(LikelihoodHead):
    """Mean and standard deviation per dimension.

    ``min_sigma`` is the floor of the standard deviation; ``sigma_transform`` is the map from the
    second raw block to :math:`\\sigma` (``"softplus"``: :math:`\\sigma=\\mathrm{softplus}(r)`;
    ``"exp"``: :math:`r` is the log-variance, :math:`\\sigma = e^{r/2}`), floor added in both.
    """

    name = "gaussian_diagonal"
    params_per_dim = 2
    support = constraints.real
    expects = "real numbers"

    def __init__(
        self,
        min_sigma: float = 1e-3,
        sigma_transform: Literal["softplus", "exp"] = "softplus",
        validate_args: bool = True,
    ) -> None:
        super().__init__(validate_args)
        if min_sigma < 0:
            raise ValueError(f"{self.name}: min_sigma must be >= 0, got {min_sigma}")
        if sigma_transform not in SIGMA_TRANSFORMS:
            raise ValueError(
                f"{self.name}: sigma_transform must be one of {SIGMA_TRANSFORMS}, "
                f"got {sigma_transform!r}"
            )
        self.min_sigma = float(min_sigma)
        self.sigma_transform = sigma_transform

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def sigma(self, raw_sigma: Tensor) -> Tensor:
        """The standard deviation :math:`\\sigma_d` from the second raw block, shape unchanged."""
        if self.sigma_transform == "exp":
            return torch.exp(0.5 * raw_sigma) + self.min_sigma
        return positive(raw_sigma, self.min_sigma)

    def distribution(self, mean: Tensor, raw_sigma: Tensor) -> Normal:
        return Normal(mean, self.sigma(raw_sigma), validate_args=False)

    def extra_repr(self) -> str:
        extra = f"{super().extra_repr()}, min_sigma={self.min_sigma}"
        if self.sigma_transform != "softplus":
            extra += f", sigma_transform={self.sigma_transform!r}"
        return extra
