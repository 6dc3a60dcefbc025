r"""The contract for heads whose pixels are *not* independent given :math:`z`.

Every head of :data:`~vae_tutorial.likelihoods.LIKELIHOODS` factorizes,
:math:`p_\theta(x\mid z) = \prod_d p(x_d\mid\eta_d(z))`, and returns an
``Independent`` distribution. The heads of
:data:`~vae_tutorial.likelihoods.NONFACTORIZED` drop that assumption but keep the *same* contract
towards the rest of the package, so :class:`~vae_tutorial.model.VAE`,
:func:`~vae_tutorial.objectives.elbo`, :func:`~vae_tutorial.objectives.iwae_bound`,
:func:`~vae_tutorial.training.train` and :func:`~vae_tutorial.evaluation.discrete_log_likelihood`
work unchanged:

* the decoder network still outputs ``raw = f_theta(z)`` of shape ``[..., D * params_per_dim]``
  and calls ``head(raw)``;
* the head returns a ``torch.distributions.Distribution`` with ``batch_shape == raw.shape[:-1]``
  and ``event_shape == (D,)`` whose ``log_prob(x)`` is :math:`\log p_\theta(x\mid z)` (one number
  per image) and which broadcasts ``x [..., D]`` against its batch shape like every torch
  distribution;
* ``sample()`` draws whole images.

What changes is what ``raw`` means and who holds parameters:

* **Correlated Gaussians** (:mod:`~vae_tutorial.likelihoods.gaussian_lowrank`,
  :mod:`~vae_tutorial.likelihoods.gaussian_full`): ``raw`` holds the mean and a factor of the
  covariance; the head has no parameters of its own.
* **Autoregressive heads** (:mod:`~vae_tutorial.likelihoods.autoregressive`,
  :mod:`~vae_tutorial.likelihoods.made`, :mod:`~vae_tutorial.likelihoods.pixelcnn`):
  :math:`p_\theta(x\mid z) = \prod_d p(x_d\mid x_{<d}, z)` needs :math:`x` as well as :math:`z`.
  ``raw`` holds *z-features* (``params_per_dim`` numbers per pixel); the head holds a masked
  network of :math:`x`, and the distribution it returns runs that network on the value it is
  asked about (``log_prob(x)``: teacher forcing, one pass) or on its own draws, pixel after pixel
  (``sample()``: :math:`D` passes). Such a head is an ``nn.Module`` with parameters; it sits
  inside the decoder, so the optimiser of :func:`~vae_tutorial.training.train` trains it.

The distributions check their values with the head's own error messages, like
:class:`~vae_tutorial.likelihoods.base.HeadDistribution`. They have no ``log_prob_per_dim`` in the
factorized sense; the autoregressive ones return the chain-rule terms
:math:`\log p(x_d\mid x_{<d}, z)` under that name.
"""

from __future__ import annotations

from torch import Tensor

from .base import LikelihoodHead


def check_event(head: LikelihoodHead, value: Tensor, data_dim: int) -> None:
    """Raise a ValueError naming ``head`` unless ``value`` is in its support with ``D`` columns."""
    if not head.validate_args:
        return
    head.check_value(value)
    if value.dim() < 1 or value.shape[-1] != data_dim:
        raise ValueError(
            f"{head.name}: x has trailing size {value.shape[-1] if value.dim() else 'none'}, "
            f"the distribution has D = {data_dim} dimensions"
        )


class HeadChecked:
    """Mixin for a torch distribution over whole images that a head returns.

    ``log_prob`` checks values with the head's own messages (:func:`check_event`), and ``expand``
    keeps the head on the expanded copy. Put it first among the bases, e.g.
    ``class CheckedLowRankNormal(HeadChecked, LowRankMultivariateNormal)``; the constructor sets
    ``self.head``.
    """

    head: LikelihoodHead

    def log_prob(self, value: Tensor) -> Tensor:
        check_event(self.head, value, self.event_shape[0])
        return super().log_prob(value)

    def expand(self, batch_shape, _instance=None):  # keep the head on expanded copies
        new = super().expand(batch_shape, self._get_checked_instance(type(self), _instance))
        new.head = self.head
        return new
