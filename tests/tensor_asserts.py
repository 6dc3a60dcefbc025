"""Tensor comparison shared by the unit tests of the likelihoods.

``torch.testing.assert_close`` pulls in slow lazy imports on its first call in a process (about
1.6 s here), a large share of a small test file's budget; this check needs only ``torch.allclose``.
"""

from __future__ import annotations

import torch


def assert_tensors_close(
    actual: torch.Tensor,
    expected: torch.Tensor,
    rtol: float = 1e-12,
    atol: float = 0.0,
    equal_nan: bool = False,
) -> None:
    """Same shape and dtype, and ``|actual - expected| <= atol + rtol |expected|`` everywhere."""
    assert actual.shape == expected.shape, (actual.shape, expected.shape)
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    assert torch.allclose(
        actual.detach(), expected.detach(), rtol=rtol, atol=atol, equal_nan=equal_nan
    ), (actual, expected)
