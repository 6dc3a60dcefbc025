r"""Checkers for the book's exercises: right, close or wrong, with a hint, never the answer.

A student calls ``check(label, answer)`` with the exercise's label as printed in the book (for
example ``check("decoder-dist-ex-2", 784)``). Three kinds of checker exist:

* **numeric**: the answer is a number or a tuple of numbers; "right" within a tolerance that
  states how exact the answer should be (exact arithmetic, or the Monte Carlo error of the
  experiment the exercise asks for), "close" within a wider one, "wrong" otherwise. Known typical
  mistakes (a missing factor, a sign, a mean instead of a sum) get their own hint.
* **code**: the answer is a function; the checker calls it on test inputs and compares its
  outputs with a reference implementation in this module. Outputs that differ from the reference
  by a sign, a constant or a factor are reported as such.
* **range**: the answer is the result of a training run with the seed and budget the exercise
  states; "right" when it lies in the range measured over several seeds.

The message never contains the reference value: it says how the answer relates to it (too
large, too small, off by a constant) and gives a hint. ``CHECKERS`` maps each label to its
checker; :func:`labels` lists them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor
from torch.distributions import Independent, Laplace, LogNormal, Normal

__all__ = ["CHECKERS", "Verdict", "check", "expected_range", "labels"]


@dataclass(frozen=True)
class Verdict:
    """The outcome of a check: ``status`` is ``"right"``, ``"close"`` or ``"wrong"``."""

    label: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        """True when the answer is right."""
        return self.status == "right"

    def __str__(self) -> str:
        return f"[{self.label}] {self.status.upper()}: {self.message}"

    __repr__ = __str__


# --------------------------------------------------------------------------- numeric answers
@dataclass(frozen=True)
class Numeric:
    """Reference numbers with a relative tolerance for "right" and a wider one for "close".

    ``mistakes`` pairs a typical wrong answer with the hint it deserves; ``names`` names the
    components of a tuple answer in messages ("the mean", "the variance").
    """

    reference: tuple[float, ...]
    rtol: float
    close_rtol: float
    hint: str
    names: tuple[str, ...] = ()
    mistakes: tuple[tuple[tuple[float, ...], str], ...] = ()
    atol: float = 0.0

    def __call__(self, label: str, answer: object) -> Verdict:
        values = _as_floats(answer, len(self.reference))
        if values is None:
            n = len(self.reference)
            what = "one number" if n == 1 else f"{n} numbers ({', '.join(self.names)})"
            return Verdict(label, "wrong", f"expected {what}, got {type(answer).__name__}.")
        for wrong, hint in self.mistakes:
            if all(_within(v, w, 1e-3, 1e-9) for v, w in zip(values, wrong, strict=True)):
                return Verdict(label, "wrong", hint)
        errs = [_rel_err(v, r, self.atol) for v, r in zip(values, self.reference, strict=True)]
        if all(e <= self.rtol for e in errs):
            return Verdict(label, "right", "well done.")
        names = self.names or ("your answer",)
        off = [
            f"{names[i]} is too {'large' if values[i] > self.reference[i] else 'small'}"
            for i, e in enumerate(errs)
            if e > self.rtol
        ]
        if all(e <= self.close_rtol for e in errs):
            return Verdict(label, "close", "; ".join(off) + " (but close). " + self.hint)
        return Verdict(label, "wrong", "; ".join(off) + ". " + self.hint)


def _as_floats(answer: object, n: int) -> list[float] | None:
    if isinstance(answer, Tensor):
        answer = answer.detach().flatten().tolist()
    if isinstance(answer, (int, float)) and not isinstance(answer, bool):
        answer = [answer]
    if not isinstance(answer, Sequence) or len(answer) != n:
        return None
    try:
        out = [float(a) for a in answer]
    except (TypeError, ValueError):
        return None
    return out if all(math.isfinite(v) for v in out) else None


def _rel_err(value: float, ref: float, atol: float = 0.0) -> float:
    return max(abs(value - ref) - atol, 0.0) / max(abs(ref), 1e-12)


def _within(value: float, ref: float, rtol: float, atol: float) -> bool:
    return abs(value - ref) <= atol + rtol * abs(ref)


# --------------------------------------------------------------------------- range answers
@dataclass(frozen=True)
class Range:
    """A training result expected in ``[low, high]`` (measured over seeds), "close" within
    ``slack`` outside it."""

    low: float
    high: float
    slack: float
    hint: str
    names: tuple[str, ...] = ()
    bounds: tuple[tuple[float, float], ...] = ()

    def intervals(self) -> tuple[tuple[float, float], ...]:
        return self.bounds or ((self.low, self.high),)

    def __call__(self, label: str, answer: object) -> Verdict:
        ivs = self.intervals()
        values = _as_floats(answer, len(ivs))
        if values is None:
            return Verdict(label, "wrong", f"expected {len(ivs)} number(s), got {answer!r:.40}.")
        names = self.names or ("your result",)
        off, far = [], False
        for i, (v, (lo, hi)) in enumerate(zip(values, ivs, strict=True)):
            if lo <= v <= hi:
                continue
            off.append(f"{names[i]} is {'above' if v > hi else 'below'} the expected range")
            far = far or v < lo - self.slack or v > hi + self.slack
        if not off:
            return Verdict(label, "right", "in the range of our runs over several seeds.")
        status = "wrong" if far else "close"
        return Verdict(label, status, "; ".join(off) + ". " + self.hint)


# --------------------------------------------------------------------------- code answers
@dataclass(frozen=True)
class Code:
    """Call the student's function on ``cases()`` and compare with ``reference`` elementwise.

    ``cases`` returns a list of argument tuples; both functions must return a tensor (or a tuple
    of tensors) of the same shape. Differences that are a sign flip, a constant offset or a
    constant factor are named in the message.
    """

    reference: Callable[..., object]
    cases: Callable[[], list[tuple]]
    signature: str
    hint: str
    rtol: float = 1e-5
    atol: float = 1e-8
    close_rtol: float = 0.02
    extra: Callable[[Callable[..., object]], str | None] | None = field(default=None)

    def __call__(self, label: str, answer: object) -> Verdict:
        if not callable(answer):
            return Verdict(label, "wrong", f"pass your function itself: {self.signature}.")
        mine_all, ref_all = [], []
        for args in self.cases():
            try:
                with torch.no_grad():
                    mine = answer(*args)
            except Exception as err:  # the student's code: report, do not crash
                return Verdict(
                    label, "wrong", f"your function raised {type(err).__name__}: {err}. "
                    f"Expected {self.signature}."
                )
            with torch.no_grad():
                ref = self.reference(*args)
            mine_t, ref_t = _flat(mine), _flat(ref)
            if mine_t is None or mine_t.shape != ref_t.shape:
                shape = None if mine_t is None else tuple(mine_t.shape)
                return Verdict(
                    label, "wrong", f"wrong output shape or type (flattened {shape}); "
                    f"expected {self.signature}."
                )
            mine_all.append(mine_t)
            ref_all.append(ref_t)
        mine_c, ref_c = torch.cat(mine_all), torch.cat(ref_all)
        if not torch.isfinite(mine_c).all():
            return Verdict(label, "wrong", "your function returned inf or nan. " + self.hint)
        if torch.allclose(mine_c, ref_c, rtol=self.rtol, atol=self.atol):
            if self.extra is not None and (msg := self.extra(answer)) is not None:
                return Verdict(label, "close", msg)
            return Verdict(label, "right", "matches the reference on all test inputs.")
        return Verdict(label, *_diagnose(mine_c, ref_c, self.close_rtol, self.hint))


def _flat(out: object) -> Tensor | None:
    if isinstance(out, (tuple, list)):
        parts = [_flat(o) for o in out]
        if any(p is None for p in parts):
            return None
        return torch.cat(parts)  # type: ignore[arg-type]
    if isinstance(out, (int, float)) and not isinstance(out, bool):
        return torch.tensor([float(out)], dtype=torch.float64)
    if isinstance(out, Tensor):
        return out.detach().to(torch.float64).flatten()
    return None


def _diagnose(mine: Tensor, ref: Tensor, close_rtol: float, hint: str) -> tuple[str, str]:
    scale = ref.abs().max().clamp(min=1e-12)
    if torch.allclose(mine, -ref, rtol=1e-5, atol=1e-8 * float(scale)):
        return "wrong", "right up to the sign: check which quantity is negated. " + hint
    diff = mine - ref
    if diff.std() <= 1e-6 * scale and diff.abs().mean() > 1e-6 * scale:
        return "wrong", "off by the same constant on every input: a normalising term? " + hint
    ratio = mine / torch.where(ref.abs() > 1e-12, ref, torch.ones_like(ref))
    mask = ref.abs() > 1e-9 * scale
    if mask.any() and ratio[mask].std() <= 1e-6 * ratio[mask].abs().mean() \
            and (ratio[mask].mean() - 1).abs() > 1e-4:
        return "wrong", "off by a constant factor on every input: a mean instead of a sum, " \
            "a missing 1/2, or a variance for a standard deviation? " + hint
    rel = (diff.abs() / ref.abs().clamp(min=1e-12)).max()
    if rel <= close_rtol:
        return "close", "within a few percent of the reference but not equal. " + hint
    return "wrong", "does not match the reference on the test inputs. " + hint


# --------------------------------------------------------------------------- references
def _exact_posterior(x: Tensor, w: Tensor, sigma: Tensor) -> tuple[Tensor, Tensor]:
    m = w**2 + sigma**2
    return w * x / m, sigma**2 / m


def _exact_posterior_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(1)
    x = torch.randn(20, generator=g, dtype=torch.float64) * 2
    w = torch.rand(20, generator=g, dtype=torch.float64) * 3 + 0.1
    sigma = torch.rand(20, generator=g, dtype=torch.float64) + 0.1
    return [(x, w, sigma), (torch.tensor(1.5, dtype=torch.float64), torch.tensor(0.5,
            dtype=torch.float64), torch.tensor(2.0, dtype=torch.float64))]


def _ppca_sigma2(x: Tensor, latent_dim: int) -> Tensor:
    from .exact import fit_ppca

    return torch.as_tensor(fit_ppca(x, latent_dim).sigma2)


def _ppca_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(2)
    a = torch.randn(10, 10, generator=g, dtype=torch.float64)
    x = torch.randn(300, 10, generator=g, dtype=torch.float64) @ a
    return [(x, 1), (x, 3), (x, 7)]


_TANH_GRID = (-6.0, 6.0, 4801)


def _tanh_posterior_mean() -> float:
    from .exact import integrate_on_grid, posterior_on_grid

    z = torch.linspace(*_TANH_GRID, dtype=torch.float64)  # type: ignore[arg-type]
    log_lik = Normal(3 * torch.tanh(z), 0.3).log_prob(torch.tensor(2.9, dtype=torch.float64))
    _, log_post = posterior_on_grid(log_lik, z)
    return float(integrate_on_grid(log_post.exp() * z, z))


def _kl_point_mass(z0: Tensor, eps: Tensor) -> Tensor:
    """KL(N(z0, eps^2 I) || N(0, I)) for z0 [..., L] and a scalar or [...] eps."""
    eps = torch.as_tensor(eps, dtype=z0.dtype)
    L = z0.shape[-1]
    return 0.5 * ((z0**2).sum(-1) + L * eps**2 - L - L * torch.log(eps**2))


def _kl_point_mass_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(3)
    z0 = torch.randn(8, generator=g, dtype=torch.float64)
    return [(z0, torch.tensor(e, dtype=torch.float64)) for e in (1e-3, 0.1, 0.5, 1.0, 2.0)]


def _mean_field_gap(W: Tensor, sigma2: Tensor) -> Tensor:
    """KL(q || p(z|x)) for the best diagonal Gaussian q of a linear-Gaussian model.

    The posterior precision is P = (W^T W + sigma2 I) / sigma2; the best diagonal q has variances
    1 / diag(P) and the posterior mean, so KL = (sum log diag P - log det P) / 2.
    """
    L = W.shape[-1]
    P = (W.T @ W + sigma2 * torch.eye(L, dtype=W.dtype)) / sigma2
    return 0.5 * (torch.diagonal(P).log().sum() - torch.logdet(P))


def _mean_field_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(4)
    out = []
    for D, L in ((6, 2), (10, 4), (64, 8)):
        W = torch.randn(D, L, generator=g, dtype=torch.float64)
        out.append((W, torch.tensor(0.3, dtype=torch.float64)))
    q, _ = torch.linalg.qr(torch.randn(5, 3, generator=g, dtype=torch.float64))
    out.append((q * torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64),
                torch.tensor(0.5, dtype=torch.float64)))  # orthogonal columns: gap 0
    return out


def _lognormal_log_prob(x: Tensor, mu: Tensor, s: Tensor) -> Tensor:
    return LogNormal(mu, s).log_prob(x).sum(-1)


def _positive_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(5)
    x = torch.rand(4, 64, generator=g, dtype=torch.float64) * 5 + 0.01
    mu = torch.randn(4, 64, generator=g, dtype=torch.float64)
    s = torch.rand(4, 64, generator=g, dtype=torch.float64) + 0.2
    return [(x, mu, s)]


def _laplace_nll(x: Tensor, mu: Tensor, b: Tensor) -> Tensor:
    return -Laplace(mu, b).log_prob(x).sum(-1)


def _laplace_cases() -> list[tuple]:
    g = torch.Generator().manual_seed(6)
    x = torch.rand(4, 64, generator=g, dtype=torch.float64)
    mu = torch.rand(4, 64, generator=g, dtype=torch.float64)
    return [(x, mu, torch.tensor(b, dtype=torch.float64)) for b in (0.1, 0.5, 2.0)]


def _mean_and_samples(dist: torch.distributions.Distribution) -> Tensor:
    return torch.cat([dist.mean, dist.sample((8,)).squeeze(1)])


def _sample_dist() -> Independent:
    g = torch.Generator().manual_seed(7)
    loc = torch.rand(1, 64, generator=g, dtype=torch.float64)
    return Independent(Normal(loc, torch.full_like(loc, 0.1)), 1)


@dataclass(frozen=True)
class MeanAndSamples:
    """``fn(dist) -> [9, D]``: the mean first, then 8 samples of ``dist`` (batch [1, D])."""

    def __call__(self, label: str, answer: object) -> Verdict:
        if not callable(answer):
            return Verdict(label, "wrong", "pass your function: fn(dist) -> tensor [9, 64].")
        dist = _sample_dist()
        torch.manual_seed(0)
        try:
            out = _flat(answer(dist))
        except Exception as err:
            return Verdict(label, "wrong", f"your function raised {type(err).__name__}: {err}.")
        if out is None or out.numel() != 9 * 64:
            return Verdict(label, "wrong", "expected 9 images of 64 pixels: the mean, then 8 "
                           "samples (squeeze the batch dimension of size 1).")
        out = out.reshape(9, 64)
        mean, std = dist.mean.reshape(64), dist.base_dist.scale.reshape(64)
        if not torch.allclose(out[0], mean):
            return Verdict(label, "wrong", "the first row should be the decoder's mean, dist.mean.")
        zs = (out[1:] - mean) / std
        if torch.allclose(out[1:], mean.expand(8, 64)) or zs.std() < 0.5:
            return Verdict(label, "wrong", "rows 2-9 do not vary like samples: use dist.sample(), "
                           "not the mean or a mode.")
        if (out[1:] - out[1]).abs().max() < 1e-12:
            return Verdict(label, "wrong", "the 8 samples are identical: draw them with "
                           "dist.sample((8,)) rather than repeating one sample.")
        if zs.mean().abs() > 0.3 or not 0.7 < float(zs.std()) < 1.3:
            return Verdict(label, "close", "rows 2-9 vary, but not like samples of this "
                           "distribution: did you add your own noise instead of dist.sample()?")
        return Verdict(label, "right", "the mean and 8 samples of p(x|z).")


# --------------------------------------------------------------------------- the registry
# Expected ranges of the "train and compare" exercises: test bits/dim (k=100 importance samples,
# torch.manual_seed(0) before the estimate), 60 epochs, seeds 0, 1, 2 of fit_digits; the range
# is the min and max over those seeds widened by 0.03 bits/dim (seed-to-seed spread and CPU).
_RANGES = {
    "what-is-pxz-ex-4": Range(
        2.47, 2.55, 0.15,
        "Train exactly as stated (fit_digits(LIKELIHOODS['binomial'](), epochs=60, seed=0)) "
        "and score with test_bits_per_dim(model, load_digits('test'), k=100).",
        names=("the binomial VAE's test bits/dim",),
    ),
}

CHECKERS: dict[str, Callable[[str, object], Verdict]] = {
    # ------------------------------------------------------------------ what_is_p_x_given_z
    "what-is-pxz-ex-4-moments": Numeric(
        (8.0, 4.0), 1e-9, 0.05,
        "For Binomial(n, p): mean n p, variance n p (1 - p), in counts (0..16), not fractions.",
        names=("the mean", "the variance"),
        mistakes=(
            ((8.0, 8.0), "the variance of a binomial is n p (1 - p), not n p."),
            ((0.5, 0.25), "give the moments of the count out of 16, not of the fraction."),
            ((8.0, 2.0), "the variance is n p (1 - p), not its square root times something."),
        ),
    ),
    "what-is-pxz-ex-4": _RANGES["what-is-pxz-ex-4"],
    "what-is-pxz-ex-5": Range(
        0.0, 0.0, 0.1,
        "Use fit_digits(LIKELIHOODS['categorical'](), latent_dim=L, epochs=60, seed=0) and "
        "test_bits_per_dim(model, load_digits('test'), k=100) after torch.manual_seed(0).",
        names=("test bits/dim with L = 2", "test bits/dim with L = 16"),
        bounds=((2.16, 2.23), (2.08, 2.17)),
    ),
    # ------------------------------------------------------------------ exact_model
    "exact-ex-1": Code(
        _exact_posterior, _exact_posterior_cases,
        "posterior(x, w, sigma) -> (mean, variance), elementwise on tensors",
        "Complete the square in z: log p(x|z) + log p(z) with x = w z + sigma * noise.",
    ),
    "exact-ex-2": Code(
        _ppca_sigma2, _ppca_cases,
        "ppca_sigma2(x [N, D], L) -> the maximum-likelihood noise variance (a scalar tensor)",
        "Theorem exact-thm-ml: sigma^2 is the MEAN of the D - L smallest eigenvalues of the "
        "maximum-likelihood covariance (divide by N, not N - 1).",
        rtol=1e-6, close_rtol=0.02,
    ),
    "exact-ex-3": Numeric(
        (float("nan"),), 2e-3, 0.05,
        "Give the posterior mean E[z | x = 2.9] from posterior_on_grid on the chapter's z_grid; "
        "Normal(loc, scale) takes a standard deviation, and the noise s = 0.3 is one.",
        names=("your posterior mean",),
    ),
    # ------------------------------------------------------------------ elbo
    "elbo-ex-1": Code(
        _kl_point_mass, _kl_point_mass_cases,
        "kl(z0 [L], eps) -> KL(N(z0, eps^2 I) || N(0, I)), a scalar tensor",
        "Sum the univariate closed form (mu^2 + s^2 - 1 - log s^2) / 2 over the L dimensions.",
    ),
    "elbo-ex-2": Code(
        _mean_field_gap, _mean_field_cases,
        "gap(W [D, L], sigma2) -> KL(q || p(z|x)) of the best diagonal Gaussian q (scalar)",
        "The best diagonal q matches the DIAGONAL OF THE PRECISION of the posterior "
        "(variances 1 / diag(P)), not the diagonal of the covariance; then the Gaussian KL.",
        rtol=1e-6, atol=1e-9,
    ),
    # ------------------------------------------------------------------ encoder_reparameterization
    "encoder-ex-1": Numeric(
        (34.5,), 0.06, 0.2,
        "Use z = mu + s * eps with mu = 2, s = 0.5, n = 20,000, c = mu^2 + s^2, and the "
        "variance of (f(z) - c) (z - mu) / s^2 over the samples.",
        names=("your variance",),
        mistakes=(((124.0,), "that is the variance without the baseline: subtract c from f."),),
    ),
    "encoder-ex-2": Numeric(
        (1.0, 18.0, 386.5), 0.08, 0.25,
        "Exact: d/ds E[z^2] with E[z^2] = mu^2 + s^2. Variances: the second column of "
        "pathwise_gradient and of score_function_gradient, mu = 2, s = 0.5, n = 20,000.",
        names=("the exact gradient", "the pathwise variance", "the score-function variance"),
        mistakes=(((4.0, 18.0, 386.5), "4 is the gradient with respect to mu; this one is "
                   "with respect to s."),),
    ),
    # ------------------------------------------------------------------ decoder_is_a_distribution
    "decoder-dist-ex-1": Code(
        _lognormal_log_prob, _positive_cases,
        "log_normal_log_prob(x [N, D], mu [N, D], s [N, D]) -> log p(x|z) summed over D, [N]",
        "log x ~ N(mu, s^2): the density of x needs the Jacobian of x -> log x.",
    ),
    "decoder-dist-ex-2": Numeric(
        (784.0,), 1e-9, 0.05,
        "Multiply the mean-reduced loss by the number of terms the BCE was averaged over.",
        names=("your beta",),
        mistakes=(
            ((64.0,), "64 pixels is the digits; the colleague's images are 28 x 28."),
            ((1 / 784,), "the KL is weighted up relative to the summed BCE, not down."),
            ((16.0,), "the latent dimension does not enter: the KL is summed over it in both."),
        ),
    ),
    "decoder-dist-ex-3": Numeric(
        (64.0,), 1e-9, 0.05,
        "Match (1/D) sum |x - mu| + KL with (1/b) sum |x - mu| + KL for the 8 x 8 digits.",
        names=("your b",),
        mistakes=(((1 / 64,), "the mean divides the L1 term by D, so 1/b = 1/D."),
                  ((32.0,), "compare with the Gaussian case: there a 1/2 appears, here not.")),
    ),
    "decoder-dist-ex-3-nll": Code(
        _laplace_nll, _laplace_cases,
        "laplace_nll(x [N, D], mu [N, D], b scalar) -> the negative log-likelihood summed, [N]",
        "The Laplace density is exp(-|x - mu| / b) / (2 b); keep its normaliser.",
    ),
    "decoder-dist-ex-4": MeanAndSamples(),
}


def _resolve() -> None:
    """Fill in references that need a computation (done once, on first use)."""
    key = "exact-ex-3"
    chk = CHECKERS[key]
    if isinstance(chk, Numeric) and math.isnan(chk.reference[0]):
        wrong = _tanh_posterior_mean_with_variance()
        CHECKERS[key] = Numeric(
            (_tanh_posterior_mean(),), chk.rtol, chk.close_rtol, chk.hint, chk.names,
            mistakes=(((wrong,), "Normal's second argument is the standard deviation: "
                       "you used 0.3 as a variance."),),
        )


def _tanh_posterior_mean_with_variance() -> float:
    from .exact import integrate_on_grid, posterior_on_grid

    z = torch.linspace(*_TANH_GRID, dtype=torch.float64)  # type: ignore[arg-type]
    log_lik = Normal(3 * torch.tanh(z), 0.3**0.5).log_prob(torch.tensor(2.9, dtype=torch.float64))
    _, log_post = posterior_on_grid(log_lik, z)
    return float(integrate_on_grid(log_post.exp() * z, z))


def labels() -> list[str]:
    """The exercise labels that have a checker."""
    return sorted(CHECKERS)


def expected_range(label: str) -> tuple[tuple[float, float], ...]:
    """The expected range(s) of a "train and compare" exercise, as stated in the book."""
    chk = CHECKERS.get(label)
    if not isinstance(chk, Range):
        raise ValueError(f"expected_range: {label!r} is not a train-and-compare exercise")
    return chk.intervals()


def check(label: str, answer: object, quiet: bool = False) -> Verdict:
    """Check ``answer`` to the exercise ``label``; print and return the :class:`Verdict`.

    ``answer`` is a number, a tuple of numbers, or a function, as the exercise's checking line
    says. The verdict says right, close or wrong with a hint; it never contains the reference
    answer. ``quiet=True`` returns without printing.
    """
    if label not in CHECKERS:
        raise ValueError(
            f"check: no checker for {label!r}; exercises with a checker: {', '.join(labels())}"
        )
    _resolve()
    verdict = CHECKERS[label](label, answer)
    if not quiet:
        print(verdict)
    return verdict
