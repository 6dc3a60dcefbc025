r"""Student-t likelihood: a Gaussian with heavy tails, robust to outlying pixels.

.. math::

    \log p(x \mid z) = \sum_{d=1}^D\Bigl[\log\Gamma\bigl(\tfrac{\nu+1}{2}\bigr)
    - \log\Gamma\bigl(\tfrac{\nu}{2}\bigr) - \tfrac12\log(\nu\pi) - \log s_d
    - \tfrac{\nu+1}{2}\log\Bigl(1 + \frac{(x_d-\mu_d)^2}{\nu s_d^2}\Bigr)\Bigr],

with :math:`\mu_d = r^{(1)}_d`, :math:`s_d = \mathrm{softplus}(r^{(2)}_d) + s_{\min}` and the
degrees of freedom :math:`\nu` either fixed (``df=3.0``, default; two outputs per dimension) or
learned per dimension, :math:`\nu_d = \mathrm{softplus}(r^{(3)}_d) + \nu_{\min}` (``df=None``;
three outputs). As :math:`\nu\to\infty` it tends to the Gaussian.

The floor :math:`\nu_{\min}` (``min_df``, default 2) keeps the mean
:math:`\mathbb E[x_d] = \mu_d` defined: it exists only for :math:`\nu > 1` (and the variance
:math:`s_d^2\,\nu/(\nu-2)` only for :math:`\nu > 2`). With the earlier floor of 0.5, a raw output
below :math:`\log(e^{1/2}-1)\approx-0.43` gave :math:`\nu \le 1` and ``dist.mean`` returned NaN
(for a third of standard-normal raw outputs); a floor of exactly 1 is not enough either, since
in float32 :math:`1 + \mathrm{softplus}(r)` rounds to 1 for :math:`r < -17`.
"""

from __future__ import annotations

from torch import Tensor
from torch.distributions import StudentT, constraints

from .. import representations
from .base import LikelihoodHead, positive


class StudentTHead(LikelihoodHead):
    """Location and scale per dimension; degrees of freedom fixed or learned."""

    name = "student_t"
    support = constraints.real
    expects = "real numbers"

    def __init__(
        self,
        df: float | None = 3.0,
        min_scale: float = 1e-3,
        min_df: float = 2.0,
        validate_args: bool = True,
    ) -> None:
        super().__init__(validate_args)
        if df is not None and not df > 0:
            raise ValueError(f"{self.name}: df must be positive or None, got {df}")
        if not min_df > 0:
            raise ValueError(f"{self.name}: min_df must be positive, got {min_df}")
        self.df, self.min_scale, self.min_df = df, float(min_scale), float(min_df)
        self.params_per_dim = 2 if df is not None else 3

    def representation(self, levels: Tensor) -> Tensor:
        return representations.unit_interval(levels)

    def distribution(
        self, loc: Tensor, raw_scale: Tensor, raw_df: Tensor | None = None
    ) -> StudentT:
        df = self.df if raw_df is None else positive(raw_df, self.min_df)
        return StudentT(df, loc, positive(raw_scale, self.min_scale), validate_args=False)
