r"""Learned priors :math:`p_\lambda(z)` for the VAE (Tomczak & Welling, 2018).

The ELBO's KL term pulls every :math:`q_\phi(z\mid x)` towards the prior; averaged over the data,
the best prior for a fixed encoder is the *aggregate posterior*
:math:`q(z) = \frac1N\sum_n q_\phi(z\mid x_n)`. A standard normal is usually far from it, and the
gap costs nats in :math:`\log p_\theta(x)`. Both priors here are mixtures that can move towards it:

**Mixture of Gaussians** with :math:`C` learned components:

.. math::

    p_\lambda(z) = \sum_{c=1}^C \pi_c\,\mathcal N\bigl(z;\ m_c,\ \operatorname{diag} s_c^2\bigr),
    \qquad \pi = \mathrm{softmax}(w).

**VampPrior** ("variational mixture of posteriors"): the aggregate posterior of :math:`C` learned
*pseudo-inputs* :math:`u_c \in [0, 1]^D` pushed through the model's own encoder,

.. math::

    p_\lambda(z) = \frac1C\sum_{c=1}^C q_\phi(z\mid u_c),\qquad u_c = \sigma(v_c).

Calling either module returns a ``torch.distributions.MixtureSameFamily`` with ``batch_shape``
``[]`` and ``event_shape`` ``[L]``: ``log_prob(z [..., L]) -> [...]``, ``sample((n,)) -> [n, L]``.
torch has no closed-form KL between a Gaussian and a mixture, so
:func:`vae_tutorial.objectives.elbo` uses its Monte Carlo estimate
:math:`\log q_\phi(z\mid x) - \log p_\lambda(z)`, :math:`z\sim q_\phi(z\mid x)`; the
importance-weighted bound needs only :math:`\log p_\lambda(z)`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.distributions import Categorical, Independent, MixtureSameFamily, Normal

from .model import VAE, GaussianEncoder


class MixtureOfGaussiansPrior(nn.Module):
    r""":math:`\sum_c \pi_c \mathcal N(m_c, \operatorname{diag}s_c^2)`, all parameters learned.

    Means start at :math:`\mathcal N(0, \text{init\_spread}^2)` draws, scales at 1, weights equal.
    """

    def __init__(self, latent_dim: int, num_components: int = 10, init_spread: float = 1.0) -> None:
        super().__init__()
        if isinstance(latent_dim, bool) or not isinstance(latent_dim, int) or latent_dim < 1:
            raise ValueError(
                f"MixtureOfGaussiansPrior: latent_dim must be an integer >= 1, got {latent_dim!r}"
            )
        if num_components < 1:
            raise ValueError(
                f"MixtureOfGaussiansPrior: num_components must be >= 1, got {num_components}"
            )
        self.latent_dim, self.num_components = latent_dim, num_components
        self.logits = nn.Parameter(torch.zeros(num_components))
        self.means = nn.Parameter(init_spread * torch.randn(num_components, latent_dim))
        self.raw_scales = nn.Parameter(
            torch.full((num_components, latent_dim), 0.5413)
        )  # softplus -> 1

    def forward(self) -> MixtureSameFamily:
        scales = F.softplus(self.raw_scales) + 1e-4
        return MixtureSameFamily(
            Categorical(logits=self.logits), Independent(Normal(self.means, scales), 1)
        )


class VampPrior(nn.Module):
    r""":math:`\frac1C\sum_c q_\phi(z\mid u_c)`: the encoder at ``num_pseudo`` learned inputs.

    ``encoder`` is the VAE's own :class:`~vae_tutorial.model.GaussianEncoder` (shared, not copied);
    pseudo-inputs live in the encoder's input scale [0, 1] as :math:`u = \sigma(v)`. ``init``
    (``[C, D]`` in [0, 1], e.g. random training images) sets their starting values; otherwise they
    start near 1/2 with a little noise.
    """

    def __init__(
        self,
        encoder: GaussianEncoder,
        data_dim: int,
        num_pseudo: int = 50,
        init: Tensor | None = None,
    ) -> None:
        super().__init__()
        if isinstance(num_pseudo, bool) or not isinstance(num_pseudo, int) or num_pseudo < 1:
            raise ValueError(f"VampPrior: num_pseudo must be an integer >= 1, got {num_pseudo!r}")
        self.encoder = encoder
        self.num_pseudo = num_pseudo
        if init is None:
            raw = 0.1 * torch.randn(num_pseudo, data_dim)
        else:
            if init.shape != (num_pseudo, data_dim):
                raise ValueError(
                    f"VampPrior: init must have shape {(num_pseudo, data_dim)}, "
                    f"got {tuple(init.shape)}"
                )
            p = init.clamp(0.05, 0.95)
            raw = torch.log(p) - torch.log1p(-p)
        self.raw_pseudo = nn.Parameter(raw.clone())

    @property
    def pseudo_inputs(self) -> Tensor:
        """The pseudo-inputs :math:`u_c = \\sigma(v_c)`, shape ``[C, D]``."""
        return torch.sigmoid(self.raw_pseudo)

    def forward(self) -> MixtureSameFamily:
        q = self.encoder(self.pseudo_inputs)  # Independent(Normal [C, L]), 1)
        return MixtureSameFamily(
            Categorical(logits=torch.zeros(self.num_pseudo, device=q.mean.device)), q
        )


def with_vamp_prior(model: VAE, num_pseudo: int = 50, init: Tensor | None = None) -> VAE:
    """Replace ``model.prior`` by a :class:`VampPrior` on ``model.encoder``; returns ``model``."""
    model.prior = VampPrior(model.encoder, model.data_dim, num_pseudo, init)
    return model


def with_mixture_prior(model: VAE, num_components: int = 10) -> VAE:
    """Replace ``model.prior`` by a :class:`MixtureOfGaussiansPrior`; returns ``model``."""
    model.prior = MixtureOfGaussiansPrior(model.latent_dim, num_components)
    return model
