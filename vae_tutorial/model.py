r"""The VAE's pieces: prior p(z), encoder q_phi(z|x), decoder p_theta(x|z) = head(f_theta(z)).

==============  ======================================================  ==========================
piece           what it is                                              chosen / learned
==============  ======================================================  ==========================
prior           :math:`p(z) = \mathcal N(0, I)`                         chosen
decoder + head  :math:`p_\theta(x\mid z)`, a distribution whose         family chosen,
                parameters a network computes                           network learned
encoder         :math:`q_\phi(z\mid x) = \mathcal N(\mu_\phi(x),        family chosen,
                \operatorname{diag}\sigma^2_\phi(x))`                   network learned
==============  ======================================================  ==========================
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.distributions import Distribution, Independent, Normal

from .likelihoods.base import HeadDistribution, LikelihoodHead


def mlp(sizes: Sequence[int], activation: type[nn.Module] = nn.Tanh) -> nn.Sequential:
    """Linear layers of the given sizes with ``activation`` between them (none at the end)."""
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(sizes) - 2:
            layers.append(activation())
    return nn.Sequential(*layers)


class StandardNormalPrior(nn.Module):
    r"""The prior :math:`p(z) = \mathcal N(0, I_L)`; calling it returns the distribution."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.register_buffer("zeros", torch.zeros(latent_dim))

    def forward(self) -> Distribution:
        return Independent(Normal(self.zeros, torch.ones_like(self.zeros)), 1)


class GaussianEncoder(nn.Module):
    r"""Amortised Gaussian encoder.

    :math:`q_\phi(z\mid x) = \mathcal N(\mu_\phi(x), \operatorname{diag}\sigma_\phi^2(x))`.

    An MLP maps ``x [..., D]`` to ``2L`` numbers: the mean and
    :math:`\sigma = \mathrm{softplus}(\cdot) + 10^{-4}`. Sampling through ``rsample`` is the
    reparameterisation :math:`z = \mu + \sigma\odot\varepsilon`,
    :math:`\varepsilon\sim\mathcal N(0, I)`.
    """

    def __init__(
        self,
        data_dim: int,
        latent_dim: int,
        hidden: Sequence[int] = (256, 256),
        activation: type[nn.Module] = nn.Tanh,
        min_std: float = 1e-4,
    ) -> None:
        super().__init__()
        self.net = mlp([data_dim, *hidden, 2 * latent_dim], activation)
        self.min_std = min_std

    def forward(self, x: Tensor) -> Independent:
        mean, raw_std = self.net(x).chunk(2, dim=-1)
        return Independent(Normal(mean, F.softplus(raw_std) + self.min_std), 1)


class Decoder(nn.Module):
    r"""The decoder :math:`p_\theta(x\mid z)`.

    An MLP computes :math:`f_\theta(z) \in \mathbb R^{D\cdot P}`;
    a head turns it into a distribution.
    """

    def __init__(
        self,
        latent_dim: int,
        data_dim: int,
        head: LikelihoodHead,
        hidden: Sequence[int] = (256, 256),
        activation: type[nn.Module] = nn.Tanh,
    ) -> None:
        super().__init__()
        self.head = head
        self.net = mlp([latent_dim, *hidden, data_dim * head.params_per_dim], activation)

    def forward(self, z: Tensor) -> HeadDistribution:
        return self.head(self.net(z))


class VAE(nn.Module):
    """A variational autoencoder with any likelihood head.

    ``VAE(head, data_dim=64, latent_dim=8)`` builds an MLP encoder, an MLP decoder with
    ``data_dim * head.params_per_dim`` outputs, and a standard normal prior (or ``prior``).
    """

    def __init__(
        self,
        head: LikelihoodHead,
        data_dim: int = 64,
        latent_dim: int = 8,
        hidden: Sequence[int] = (256, 256),
        activation: type[nn.Module] = nn.Tanh,
        prior: nn.Module | None = None,
    ) -> None:
        super().__init__()
        if not isinstance(head, LikelihoodHead):
            raise ValueError(
                f"VAE: head must be a LikelihoodHead (e.g. LIKELIHOODS['bernoulli']()), "
                f"got {type(head).__name__}"
            )
        for arg, value in (("data_dim", data_dim), ("latent_dim", latent_dim)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
                raise ValueError(f"VAE: {arg} must be a positive integer, got {value!r}")
        hidden = tuple(hidden)
        if any(isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1 for h in hidden):
            raise ValueError(f"VAE: hidden must be positive layer sizes, got {hidden!r}")
        self.head = head
        self.data_dim, self.latent_dim = data_dim, latent_dim
        self.encoder = GaussianEncoder(data_dim, latent_dim, hidden, activation)
        self.decoder = Decoder(latent_dim, data_dim, head, tuple(reversed(hidden)), activation)
        self.prior = prior if prior is not None else StandardNormalPrior(latent_dim)

    def check_data(self, x: Tensor, where: str, arg: str = "x", rows: bool = True) -> None:
        """Raise a ValueError unless ``x`` is data for this model, of the model's dtype.

        ``rows=True``: a ``[N, data_dim]`` matrix; ``rows=False``: any ``[..., data_dim]``.
        ``where`` and ``arg`` name the function and its argument in the message. Image-shaped
        data (``[N, 1, 8, 8]``) get a hint to flatten them. Only shapes and dtypes are looked at
        (no pass over the values: the head's ``check_value`` does that).
        """
        d = self.data_dim
        expected = f"[N, {d}]" if rows else f"[..., {d}]"
        if not isinstance(x, Tensor) or not x.is_floating_point():
            raise ValueError(f"{where}: {arg} must be a float tensor of shape {expected}")
        if (rows and x.dim() != 2) or x.dim() < 1 or x.shape[-1] != d:
            hint = ""
            if x.dim() > 2 and math.prod(x.shape[1:]) == d:
                hint = f"; flatten images first, e.g. {arg}.flatten(1)"
            raise ValueError(
                f"{where}: expected {arg} of shape {expected} (the model has data_dim = {d}), "
                f"got {tuple(x.shape)}{hint}"
            )
        dtype = next(self.parameters()).dtype
        if x.dtype != dtype:
            raise ValueError(
                f"{where}: {arg} has dtype {x.dtype} but the model's parameters are {dtype}; "
                f"convert the data ({arg}.to({dtype})) or the model (model.to({x.dtype}))"
            )

    def encode(self, x: Tensor) -> Independent:
        r""":math:`q_\phi(z\mid x)` for data ``x [..., data_dim]`` in the head's representation.

        Every objective (``elbo``, ``iwae_bound``, ``train``, ``test_bits_per_dim``) passes its
        data through here, so a wrong size or dtype is reported here with a ValueError.
        """
        self.check_data(x, "VAE.encode (the data given to the model)", rows=False)
        return self.encoder(self.head.encoder_input(x))

    def decode(self, z: Tensor) -> HeadDistribution:
        r""":math:`p_\theta(x\mid z)`."""
        return self.decoder(z)

    @torch.no_grad()
    def sample(self, n: int) -> tuple[Tensor, HeadDistribution]:
        """Draw ``z ~ p(z)``; return ``z`` and the distribution ``p(x|z)`` (call ``.sample()``)."""
        z = self.prior().sample((n,))
        return z, self.decode(z)

    @torch.no_grad()
    def reconstruct(self, x: Tensor) -> HeadDistribution:
        """``p(x|z)`` at the encoder's mean ``z = mu(x)``."""
        return self.decode(self.encode(x).mean)
