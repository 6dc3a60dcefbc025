r"""Exact probability of an interval, :math:`\log P(\ell < X \le u) = \log(F(u) - F(\ell))`.

A continuous per-pixel density :math:`p(x)` with CDF :math:`F` gives level :math:`k` of a
discretised pixel the probability of its bin :math:`B_k = (\ell_k, u_k]`,

.. math::

    P(k) = F(u_k) - F(\ell_k),\qquad \ell_0 = -\infty,\quad u_{K-1} = +\infty,

and with the edge bins open (:func:`~vae_tutorial.representations.real_line_bins`) the :math:`K`
probabilities telescope to :math:`F(+\infty) - F(-\infty) = 1`: a proper distribution over the
levels. Written naively, :math:`F(u) - F(\ell)` cancels catastrophically far in a tail (both terms
round to 0 or to 1), so every function here works with the log-CDF :math:`\log F` and the
log-survival function :math:`\log S = \log(1 - F)` and uses

.. math::

    \log\bigl(F(u) - F(\ell)\bigr) = \log F(u)
      + \operatorname{log1mexp}\bigl(\log F(u) - \log F(\ell)\bigr)
    \quad\text{(bin below the centre of the distribution)},

    \log\bigl(S(\ell) - S(u)\bigr) = \log S(\ell)
      + \operatorname{log1mexp}\bigl(\log S(\ell) - \log S(u)\bigr)
    \quad\text{(bin above it)},

with :math:`\operatorname{log1mexp}(a) = \log(1 - e^{-a})` (:func:`log1mexp`). The form is chosen
per bin by the side of the bin's midpoint, so the two log-CDF values that are subtracted are never
both close to 0 (where :math:`\log F` loses its relative precision). Every family here is
symmetric about its location, :math:`S(t) = F(-t)`, so the survival form is the CDF form on the
reflected bin :math:`(-u, -\ell]` (:func:`symmetric_interval_log_prob`). An open edge bin reduces
to :math:`\log F(u_0)` (or :math:`\log S(\ell_{K-1})`); the code takes that branch with finite
placeholders elsewhere, so that values and gradients stay finite.

The per-family log-CDFs, in the standardised variable :math:`t = (x - \mu)/s`:

* Gaussian: :math:`\log F(t) = \log\Phi(t)` (``torch.special.log_ndtr``, accurate far into both
  tails), :math:`\log S(t) = \log\Phi(-t)`.
* Laplace: :math:`\log F(t) = \log\tfrac12 + t` for :math:`t < 0` and
  :math:`\log\bigl(1 - \tfrac12 e^{-t}\bigr)` (``log1p``) for :math:`t \ge 0`;
  :math:`\log S(t) = \log F(-t)` by symmetry.
* Logistic: :math:`\log F(t) = \log\sigma(t)`, :math:`\log S(t) = \log\sigma(-t)`.
* Student-t with :math:`\nu` degrees of freedom: :math:`F(t) = \tfrac12 I_{\nu/(\nu+t^2)}(\nu/2,
  1/2)` for :math:`t < 0` (a regularised incomplete beta function) and :math:`S(t) = F(-t)`. torch
  has no incomplete beta function, so :func:`student_t_interval_log_prob` evaluates it with
  ``scipy.special.stdtr`` in float64, **without gradients** (it is used for evaluation only).
  For :math:`\nu = 3` (the Student-t head's default) the CDF has a closed form,
  :func:`student_t3_log_cdf`, computed in torch with gradients.

Gaussian, Laplace and logistic are computed in float64 internally (and returned in the input
dtype), with gradients; they are finite for every finite location and positive scale.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from scipy import special
from torch import Tensor
from torch.distributions import Distribution, Laplace, Normal, StudentT, constraints

LogCdf = Callable[[Tensor], Tensor]

_LOG_HALF = math.log(0.5)
_NO_SAMPLE_SHAPE = torch.Size()


def log1mexp(a: Tensor) -> Tensor:
    r""":math:`\log(1 - e^{-a})` for :math:`a \ge 0`, accurate for small and large a.

    Switches between ``log(-expm1(-a))`` and ``log1p(-exp(-a))`` at :math:`a = \log 2`.

    :math:`a = +\infty` gives 0, :math:`a = 0` gives :math:`-\infty`.
    """
    small = a < math.log(2.0)
    a_small = torch.where(small, a, torch.ones_like(a))  # keep the unused branch finite
    a_big = torch.where(small, torch.ones_like(a), a)
    return torch.where(small, torch.log(-torch.expm1(-a_small)), torch.log1p(-torch.exp(-a_big)))


def symmetric_interval_log_prob(log_cdf: LogCdf, lower: Tensor, upper: Tensor) -> Tensor:
    r""":math:`\log(F(u) - F(\ell))` for standardised edges ``lower < upper``, F symmetric about 0.

    Either edge may be infinite (:math:`\ell = -\infty` or :math:`u = +\infty`). ``log_cdf`` maps
    standardised values to :math:`\log F`. A bin whose midpoint is above 0 is reflected to
    :math:`(-u, -\ell]` (the survival form of the module docstring, :math:`S(t) = F(-t)`), so
    only two log-CDF values are needed per bin. Shapes broadcast; returns their shape.
    """
    lower, upper = torch.broadcast_tensors(lower, upper)
    lo_open, hi_open = torch.isinf(lower), torch.isinf(upper)
    # the side of the median: an open edge bin lies on the side of its infinite edge
    above = torch.where(lo_open | hi_open, hi_open, lower + upper > 0)
    a = torch.where(above, -upper, lower)  # after reflection an open edge is always a = -inf
    b = torch.where(above, -lower, upper)
    a_open = lo_open | hi_open
    # Finite placeholders where a value is not used, so that neither it nor its gradient is inf
    # or NaN there (torch.where passes zero gradients, and 0 * inf = NaN); log1mexp(0) has an
    # infinite slope, so its argument gets a placeholder on open bins too.
    log_fb = log_cdf(b)
    log_fa = log_cdf(torch.where(a_open, b - 1, a))
    gap = torch.where(a_open, torch.ones_like(log_fb), (log_fb - log_fa).clamp(min=0.0))
    return log_fb + torch.where(a_open, torch.zeros_like(log_fb), log1mexp(gap))


def _standardise(loc: Tensor, scale: Tensor, lower: Tensor, upper: Tensor):
    """``(t_lower, t_upper, out_dtype)`` in float64; infinite edges stay infinite.

    An infinite edge is standardised from a finite stand-in and put back afterwards, so that its
    gradient with respect to ``loc`` and ``scale`` is 0, not ``0 * inf = NaN``.
    """
    out_dtype = torch.promote_types(torch.promote_types(loc.dtype, scale.dtype), lower.dtype)
    loc, scale = loc.double(), scale.double()

    def t(edge: Tensor) -> Tensor:
        edge = edge.double()
        infinite = torch.isinf(edge)
        finite = torch.where(infinite, torch.zeros_like(edge), edge)
        return torch.where(infinite, edge, (finite - loc) / scale)

    return t(lower), t(upper), out_dtype


def normal_log_cdf(t: Tensor) -> Tensor:
    r""":math:`\log\Phi(t)`, the standard normal log-CDF (``torch.special.log_ndtr``)."""
    return torch.special.log_ndtr(t)


def normal_interval_log_prob(loc: Tensor, scale: Tensor, lower: Tensor, upper: Tensor) -> Tensor:
    r""":math:`\log P(\ell < X \le u)` for :math:`X \sim \mathcal N(\mu, \sigma^2)`.

    ``loc``, ``scale``, ``lower``, ``upper`` broadcast; the result has their shape.
    """
    tl, tu, dtype = _standardise(torch.as_tensor(loc), torch.as_tensor(scale), lower, upper)
    out = symmetric_interval_log_prob(normal_log_cdf, tl, tu)
    return out.to(dtype)


def laplace_log_cdf(t: Tensor) -> Tensor:
    r"""Standard Laplace log-CDF: :math:`\log\frac12 + t` (t < 0), :math:`\log(1-\frac12e^{-t})`."""
    neg = t.clamp(max=0.0)  # each branch sees only its own range: no inf in unused gradients
    pos = t.clamp(min=0.0)
    return torch.where(t < 0, _LOG_HALF + neg, torch.log1p(-0.5 * torch.exp(-pos)))


def laplace_interval_log_prob(loc: Tensor, scale: Tensor, lower: Tensor, upper: Tensor) -> Tensor:
    r""":math:`\log P(\ell < X \le u)` for :math:`X \sim \mathrm{Laplace}(\mu, b)`.

    ``loc``, ``scale``, ``lower``, ``upper`` broadcast; the result has their shape.
    """
    tl, tu, dtype = _standardise(torch.as_tensor(loc), torch.as_tensor(scale), lower, upper)
    out = symmetric_interval_log_prob(laplace_log_cdf, tl, tu)
    return out.to(dtype)


def logistic_interval_log_prob(loc: Tensor, scale: Tensor, lower: Tensor, upper: Tensor) -> Tensor:
    r""":math:`\log P(\ell < X \le u)` for a logistic with location :math:`\mu`, scale :math:`s`."""
    tl, tu, dtype = _standardise(torch.as_tensor(loc), torch.as_tensor(scale), lower, upper)
    out = symmetric_interval_log_prob(F.logsigmoid, tl, tu)
    return out.to(dtype)


def student_t3_log_cdf(t: Tensor) -> Tensor:
    r"""Log-CDF of the standard Student-t with :math:`\nu = 3`, in closed form (with gradients).

    For :math:`t < 0`, with :math:`x = 2\arctan(\sqrt3/|t|) \in (0, \pi)`,
    :math:`F(t) = (x - \sin x)/(2\pi)`; the difference :math:`x - \sin x` is taken from its
    series :math:`\tfrac{x^3}{6}(1 - \tfrac{x^2}{20} + \tfrac{x^4}{840} - \tfrac{x^6}{60480} +
    \tfrac{x^8}{6652800})` below :math:`x = 0.3` (far tail, where it would cancel). For
    :math:`t \ge 0`, :math:`\log F(t) = \log(1 - F(-t))` (``log1p``).
    """
    x = 2 * torch.atan2(torch.full_like(t, math.sqrt(3.0)), t.abs())
    small = x < 0.3
    xs = torch.where(small, x, torch.full_like(x, 0.3))
    x2 = xs * xs
    series = xs * x2 / 6 * (1 - x2 / 20 * (1 - x2 / 42 * (1 - x2 / 72 * (1 - x2 / 110))))
    xl = torch.where(small, torch.ones_like(x), x)
    lower_tail = torch.where(small, series, xl - torch.sin(xl)) / (2 * math.pi)  # F(-|t|)
    return torch.where(t < 0, torch.log(lower_tail), torch.log1p(-lower_tail))


def student_t3_interval_log_prob(
    loc: Tensor, scale: Tensor, lower: Tensor, upper: Tensor
) -> Tensor:
    r""":math:`\log P(\ell < X \le u)` for a Student-t, :math:`\nu = 3` (closed form, gradients).

    ``loc``, ``scale``, ``lower``, ``upper`` broadcast; the result has their shape.
    """
    tl, tu, dtype = _standardise(torch.as_tensor(loc), torch.as_tensor(scale), lower, upper)
    return symmetric_interval_log_prob(student_t3_log_cdf, tl, tu).to(dtype)


def _np_log1mexp(a: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(a < math.log(2.0), np.log(-np.expm1(-a)), np.log1p(-np.exp(-a)))


def _student_t_log_cdf_asymptote(df: np.ndarray, t: np.ndarray) -> np.ndarray:
    r"""Lower-tail asymptote :math:`\log F_\nu(t) \approx \log f_\nu(t) + \log(|t|/\nu)`, t < 0."""
    log_pdf = (
        special.gammaln((df + 1) / 2)
        - special.gammaln(df / 2)
        - 0.5 * np.log(df * np.pi)
        - (df + 1) / 2 * np.log1p(t * t / df)
    )
    return log_pdf + np.log(np.abs(t) / df)


@torch.no_grad()
def student_t_interval_log_prob(
    df: Tensor | float, loc: Tensor, scale: Tensor, lower: Tensor, upper: Tensor
) -> Tensor:
    r""":math:`\log P(\ell < X \le u)` for a Student-t; float64 scipy, **no gradient** (evaluation).

    A bin above the median is reflected to :math:`(-u, -\ell]` (same probability by symmetry), so
    every bin has its midpoint at or below 0 and :math:`P = F(u) - F(\ell)` comes from two
    lower-tail values of ``scipy.special.stdtr``: :math:`F(u) - F(\ell)` for :math:`u \le 0`,
    :math:`1 - (F(-u) + F(\ell))` (``log1p``) for :math:`u > 0`. Where ``stdtr``
    underflows (far beyond any realistic pixel) the tail asymptote
    :math:`\log F_\nu(t) \approx \log f_\nu(t) + \log(|t|/\nu)` takes over. Shapes broadcast;
    the result has the broadcast shape and the floating dtype of ``loc`` and ``lower``.
    """
    dtype = torch.promote_types(torch.as_tensor(loc).dtype, lower.dtype)
    tensors = torch.broadcast_tensors(
        torch.as_tensor(df, dtype=torch.float64),
        torch.as_tensor(loc).double(),
        torch.as_tensor(scale).double(),
        lower.double(),
        upper.double(),
    )
    nu, mu, s, lo, hi = (a.detach().cpu().numpy() for a in tensors)
    tl, tu = (lo - mu) / s, (hi - mu) / s
    lo_open, hi_open = np.isinf(tl), np.isinf(tu)
    above = np.where(lo_open | hi_open, hi_open & ~lo_open, tl + tu > 0)
    a, b = np.where(above, -tu, tl), np.where(above, -tl, tu)  # a < b, (a + b) / 2 <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # F(b) from its lower tail: F(b) = 1 - F(-b) for b > 0, so P = 1 - (F(-b) + F(a)) keeps
        # its relative precision when it is close to 1
        f_a, f_neg_abs_b = special.stdtr(nu, a), special.stdtr(nu, -np.abs(b))
        direct = np.where(
            b > 0, np.log1p(-(f_neg_abs_b + f_a)), np.log(np.maximum(f_neg_abs_b - f_a, 0.0))
        )
        b_neg = np.minimum(b, -1.0)  # where the asymptote is used, b is far below 0
        log_fb = _student_t_log_cdf_asymptote(nu, b_neg)
        log_fa = np.where(
            np.isinf(a), -np.inf, _student_t_log_cdf_asymptote(nu, np.minimum(a, b_neg))
        )
        tail = log_fb + _np_log1mexp(np.maximum(log_fb - log_fa, 0.0))
    out = np.where(np.isfinite(direct), direct, tail)
    return torch.from_numpy(out).to(dtype=dtype, device=lower.device)


def distribution_interval_log_prob(
    dist: Distribution, lower: Tensor, upper: Tensor
) -> Tensor | None:
    r""":math:`\log P(\ell < X \le u)` under a per-pixel ``dist``, or ``None`` without a usable CDF.

    Knows ``Normal``, ``Laplace``, ``StudentT`` with :math:`\nu = 3` (with gradients) and
    ``StudentT`` with any other :math:`\nu` (scipy, no gradient, about ten times slower); every
    other family returns ``None`` and is evaluated by dequantization instead.
    """
    if type(dist) is Normal:
        return normal_interval_log_prob(dist.loc, dist.scale, lower, upper)
    if type(dist) is Laplace:
        return laplace_interval_log_prob(dist.loc, dist.scale, lower, upper)
    if type(dist) is StudentT:
        if bool((dist.df == 3).all()):  # the Student-t head's default: closed form, fast
            return student_t3_interval_log_prob(dist.loc, dist.scale, lower, upper)
        return student_t_interval_log_prob(dist.df, dist.loc, dist.scale, lower, upper)
    return None


class DiscretizedDistribution(Distribution):
    r"""A real-line density discretised onto levels :math:`0..K-1` with open edge bins.

    Level :math:`k` stands for :math:`x = k/(K-1)` on the unit-interval scale and owns the bin
    :math:`((k-\tfrac12)/(K-1), (k+\tfrac12)/(K-1)]`, the first bin extended to :math:`-\infty`
    and the last to :math:`+\infty`, so :math:`P(k) = F(u_k) - F(\ell_k)` sums to one over the
    levels. ``interval_log_prob(loc, scale, lower, upper)`` is the family's function from this
    module; ``loc`` and ``scale`` (batch shape ``[..., D]``) are on the unit-interval scale.
    Values are float whole numbers.
    """

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    has_rsample = False

    def __init__(
        self,
        loc: Tensor,
        scale: Tensor,
        num_levels: int,
        interval_log_prob: Callable[[Tensor, Tensor, Tensor, Tensor], Tensor],
        continuous: Callable[[Tensor, Tensor], Distribution],
        validate_args: bool | None = None,
    ) -> None:
        self.loc, self.scale = torch.broadcast_tensors(loc, scale)
        self.num_levels = int(num_levels)
        self._interval_log_prob = interval_log_prob
        self._continuous = continuous
        super().__init__(self.loc.shape, validate_args=validate_args)

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> constraints.Constraint:
        return constraints.integer_interval(0, self.num_levels - 1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args:
            self._validate_sample(value)
        half = 0.5 / (self.num_levels - 1)
        centre = value / (self.num_levels - 1)
        inf = torch.full_like(centre, float("inf"))
        lower = torch.where(value < 0.5, -inf, centre - half)
        upper = torch.where(value > self.num_levels - 1.5, inf, centre + half)
        return self._interval_log_prob(self.loc, self.scale, lower, upper)

    def level_log_probs(self) -> Tensor:
        """log P(k) for every level k, shape ``batch_shape + (K,)``."""
        levels = torch.arange(self.num_levels, dtype=self.loc.dtype, device=self.loc.device)
        grid = levels.view((-1,) + (1,) * len(self.batch_shape))
        return self.log_prob(grid.expand((self.num_levels,) + self.batch_shape)).movedim(0, -1)

    @property
    def mean(self) -> Tensor:
        levels = torch.arange(self.num_levels, dtype=self.loc.dtype, device=self.loc.device)
        return self.level_log_probs().exp() @ levels

    @property
    def variance(self) -> Tensor:
        levels = torch.arange(self.num_levels, dtype=self.loc.dtype, device=self.loc.device)
        probs = self.level_log_probs().exp()
        return probs @ levels.pow(2) - (probs @ levels).pow(2)

    @torch.no_grad()
    def sample(self, sample_shape: torch.Size = _NO_SAMPLE_SHAPE) -> Tensor:
        """Draw x from the continuous density and round it to its level (exact discretisation)."""
        x = self._continuous(self.loc, self.scale).sample(sample_shape)
        return torch.round(x * (self.num_levels - 1)).clamp(0, self.num_levels - 1)
