r"""Monte Carlo estimators of :math:`\nabla\,\mathbb E_{q}[f(z)]` for a Gaussian q, and the KL.

For :math:`q = \mathcal N(\mu, s^2)` (one dimension) and :math:`g(\mu, s) = \mathbb E_{q}[f(z)]`
there are two standard unbiased estimators from samples :math:`z_i\sim q` (Williams, 1992;
Mohamed et al., 2020):

* **score function** (REINFORCE, likelihood ratio):
  :math:`\nabla g = \mathbb E_q[f(z)\,\nabla\log q(z)]`, so one sample gives
  :math:`f(z)\frac{z-\mu}{s^2}` for :math:`\partial/\partial\mu` and
  :math:`f(z)\bigl(\frac{(z-\mu)^2}{s^3}-\frac1s\bigr)` for :math:`\partial/\partial s`.
  It needs only values of :math:`f`.
* **pathwise** (reparameterisation): write :math:`z = \mu + s\varepsilon`,
  :math:`\varepsilon\sim\mathcal N(0,1)`, then
  :math:`\nabla g = \mathbb E_\varepsilon[\nabla f(\mu+s\varepsilon)]`: one sample gives
  :math:`f'(z)` for :math:`\partial/\partial\mu` and :math:`f'(z)\,\varepsilon` for
  :math:`\partial/\partial s`. It needs :math:`f` to be differentiable and is computed by autograd.

Both functions return *per-sample* estimates, so their mean is the Monte Carlo gradient and their
variance the quantity that decides how many samples one needs.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def _noise(n: int, generator: torch.Generator | None) -> Tensor:
    return torch.randn(n, dtype=torch.float64, generator=generator)


def score_function_gradient(
    f: Callable[[Tensor], Tensor],
    mean: float,
    std: float,
    n: int,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""``n`` score-function estimates of the gradient of :math:`\mathbb E_{\mathcal N(\mu,s^2)}f`.

    The gradient is with respect to :math:`(\mu, s)`.

    Returns shape ``[n, 2]``: column 0 is :math:`f(z)(z-\mu)/s^2`, column 1 is
    :math:`f(z)((z-\mu)^2/s^3 - 1/s)`. ``f`` maps a float64 tensor ``[n]`` to ``[n]`` elementwise.
    """
    eps = _noise(n, generator)
    z = mean + std * eps
    with torch.no_grad():
        fz = f(z)
    return torch.stack([fz * eps / std, fz * (eps**2 - 1) / std], dim=-1)


def pathwise_gradient(
    f: Callable[[Tensor], Tensor],
    mean: float,
    std: float,
    n: int,
    generator: torch.Generator | None = None,
) -> Tensor:
    r"""``n`` pathwise (reparameterisation) estimates of the same gradient, shape ``[n, 2]``.

    Each sample gets its own copy of :math:`(\mu, s)` as a leaf tensor;
    :math:`z = \mu + s\varepsilon` and autograd of :math:`\sum_i f(z_i)` then yields every
    per-sample gradient
    :math:`(f'(z_i),\ f'(z_i)\varepsilon_i)` in one backward pass.
    """
    eps = _noise(n, generator)
    mu = torch.full((n,), float(mean), dtype=torch.float64, requires_grad=True)
    s = torch.full((n,), float(std), dtype=torch.float64, requires_grad=True)
    z = mu + s * eps
    f(z).sum().backward()
    return torch.stack([mu.grad, s.grad], dim=-1)


def kl_normal_to_standard_normal(mean: Tensor, std: Tensor) -> Tensor:
    r"""Closed form :math:`\mathrm{KL}(\mathcal N(\mu,\operatorname{diag}s^2)\|\mathcal N(0,I))`.

    .. math::

        \mathrm{KL} = \tfrac12\sum_{j=1}^L\bigl(\mu_j^2 + s_j^2 - 1 - \log s_j^2\bigr).

    ``mean`` and ``std`` have shape ``[..., L]``; the result ``[...]``. This is the closed form
    that :func:`torch.distributions.kl_divergence` uses inside
    :func:`~vae_tutorial.objectives.elbo`.
    """
    return 0.5 * (mean**2 + std**2 - 1.0 - 2.0 * torch.log(std)).sum(-1)
