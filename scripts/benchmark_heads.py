"""What does the likelihood-head abstraction cost? Time one training epoch, head + elbo vs by hand.

For three families, one epoch on the digits (1000 images, batches of 100, the default VAE:
latent 8, hidden (256, 256), Adam, one thread) is timed twice:

(a) the package: ``loss = -elbo(model, x).elbo.mean()`` (the head builds a validated
    ``torch.distributions`` object and ``log_prob`` checks x every call);
(b) the same networks with the loss written by hand: ``F.binary_cross_entropy_with_logits``
    (Bernoulli, binarized digits), an ``F.mse_loss``-based Gaussian log-density (gaussian_fixed)
    and ``F.cross_entropy`` (categorical, 17 levels); the same analytic KL.

The epochs of (a) and (b) are interleaved and repeated; the table reports the median seconds per
epoch and the overhead of (a) in %. Run: ``.venv/bin/python scripts/benchmark_heads.py``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import torch
import torch.nn.functional as F
from torch.distributions import kl_divergence

from vae_tutorial import load_digits
from vae_tutorial.likelihoods import LIKELIHOODS
from vae_tutorial.model import VAE
from vae_tutorial.objectives import elbo


def hand_reconstruction(name: str, raw: torch.Tensor, x: torch.Tensor, head) -> torch.Tensor:
    """log p(x|z) summed over pixels, written directly with torch.nn.functional."""
    if name == "bernoulli":
        return -F.binary_cross_entropy_with_logits(raw, x, reduction="none").sum(-1)
    if name == "gaussian_fixed":
        d, sigma = x.shape[-1], head.sigma
        sq = F.mse_loss(raw, x, reduction="none").sum(-1)
        return -sq / (2 * sigma**2) - d * math.log(sigma) - 0.5 * d * math.log(2 * math.pi)
    if name == "categorical":
        k = head.num_levels
        logits = raw.unflatten(-1, (k, -1))  # [N, K, D]: block k holds level k's logits
        return -F.cross_entropy(logits, x.long(), reduction="none").sum(-1)
    raise ValueError(name)


def hand_elbo(model: VAE, x: torch.Tensor, name: str) -> torch.Tensor:
    q = model.encode(x)
    z = q.rsample()  # the same draws as elbo's q.rsample((1,))
    raw = model.decoder.net(z)
    rec = hand_reconstruction(name, raw, x, model.head)
    return rec - kl_divergence(q, model.prior())


def one_epoch(model, opt, x, batch_size, loss_fn, generator) -> float:
    start = time.perf_counter()
    for idx in torch.randperm(len(x), generator=generator).split(batch_size):
        loss = -loss_fn(model, x[idx]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return time.perf_counter() - start


def check_same_objective(model: VAE, x: torch.Tensor, name: str) -> None:
    torch.manual_seed(0)
    a = elbo(model, x).elbo
    torch.manual_seed(0)
    b = hand_elbo(model, x, name)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(1)
    levels = load_digits("train")
    rows = []
    for name in ("bernoulli", "gaussian_fixed", "categorical"):
        head = LIKELIHOODS[name]()
        x = head.prepare(levels)
        times: dict[str, list[float]] = {"head": [], "hand": []}
        setups = {}
        for kind in times:
            torch.manual_seed(0)
            model = VAE(LIKELIHOODS[name]())
            opt = torch.optim.Adam(model.parameters(), lr=1e-3)
            fn = (
                (lambda m, xb: elbo(m, xb).elbo)
                if kind == "head"
                else (lambda m, xb, n=name: hand_elbo(m, xb, n))
            )
            setups[kind] = (model, opt, fn, torch.Generator().manual_seed(0))
        check_same_objective(setups["head"][0], x[:100], name)
        for rep in range(args.warmup + args.repeats):
            for kind in ("head", "hand") if rep % 2 == 0 else ("hand", "head"):
                model, opt, fn, gen = setups[kind]
                t = one_epoch(model, opt, x, 100, fn, gen)
                if rep >= args.warmup:
                    times[kind].append(t)
        med = {k: statistics.median(v) for k, v in times.items()}
        rows.append((name, med["head"], med["hand"], 100 * (med["head"] / med["hand"] - 1)))
    print(
        f"torch {torch.__version__}, 1 thread, {args.repeats} repeats (median), "
        "1000 images, batch 100\n"
    )
    print("| head | head + elbo (s/epoch) | by hand (s/epoch) | overhead |")
    print("|---|---:|---:|---:|")
    for name, a, b, o in rows:
        print(f"| {name} | {a:.4f} | {b:.4f} | {o:+.1f}% |")


if __name__ == "__main__":
    main()
