"""Shared test set-up: a fast hypothesis profile and every likelihood head variant.

Any test that takes a ``variant`` argument runs once per entry of :data:`VARIANTS` (every family,
plus the 1-parameter Laplace, the 3-parameter Student-t, categorical with 256 levels and the
discretized logistic mixture). ``variant`` is a :class:`Variant`; ``variant.make()`` builds a
fresh head.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import pytest
import torch
from hypothesis import HealthCheck, settings

from vae_tutorial.likelihoods import LIKELIHOODS, LikelihoodHead

settings.register_profile(
    "fast",
    deadline=None,
    max_examples=15,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("thorough", deadline=None, max_examples=300)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "fast"))

torch.set_num_threads(1)


@dataclass(frozen=True)
class Variant:
    """One head configuration: ``LIKELIHOODS[name](**kwargs)``."""

    id: str
    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def make(self, dtype: torch.dtype = torch.float32, **overrides: Any) -> LikelihoodHead:
        head = LIKELIHOODS[self.name](**{**self.kwargs, **overrides})
        return head.to(dtype)


VARIANTS: list[Variant] = [
    Variant("bernoulli", "bernoulli"),
    Variant("continuous_bernoulli", "continuous_bernoulli"),
    Variant("gaussian_fixed", "gaussian_fixed"),
    Variant("gaussian_fixed-sigma0.1", "gaussian_fixed", {"sigma": 0.1}),
    Variant("gaussian_shared", "gaussian_shared"),
    Variant("gaussian_diagonal", "gaussian_diagonal"),
    Variant(
        "gaussian_diagonal-exp", "gaussian_diagonal", {"sigma_transform": "exp", "min_sigma": 0.0}
    ),
    Variant("laplace-2param", "laplace"),
    Variant("laplace-1param", "laplace", {"scale": 0.2}),
    Variant("student_t-2param", "student_t"),
    Variant("student_t-3param", "student_t", {"df": None}),
    Variant("beta", "beta"),
    Variant("categorical-17", "categorical"),
    Variant("categorical-256", "categorical", {"num_levels": 256}),
    Variant("discretized_logistic-1", "discretized_logistic"),
    Variant("discretized_logistic-mix3", "discretized_logistic", {"num_components": 3}),
    Variant("discretized_logistic-256", "discretized_logistic", {"num_levels": 256}),
    Variant("discretized_gaussian", "discretized_gaussian"),
    Variant("discretized_laplace", "discretized_laplace"),
    Variant("binomial", "binomial"),
    Variant("poisson", "poisson"),
    Variant("negative_binomial", "negative_binomial"),
]
DISCRETE = [v for v in VARIANTS if LIKELIHOODS[v.name].discrete]
CONTINUOUS = [v for v in VARIANTS if not LIKELIHOODS[v.name].discrete]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    for argname, variants in (
        ("variant", VARIANTS),
        ("discrete_variant", DISCRETE),
        ("continuous_variant", CONTINUOUS),
    ):
        if argname in metafunc.fixturenames:
            metafunc.parametrize(argname, variants, ids=[v.id for v in variants])
