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

``--nonfactorized`` times instead the heads of Part IV against the factorized ones, all through
the package (``-elbo(model, x).elbo.mean()``, the same VAE, one thread, batches of 100): the
diagonal Gaussian and the factorized discretized logistic, the low-rank (r = 4) and full
covariance Gaussians, MADE and the PixelCNN-style head (5x5 causal convolution), the last two
with a mixture of 3 discretized logistics per pixel as in the chapters. ``--write`` stores that
table with its provenance in ``book/nonfactorized/head_costs.json``. These epochs are timed in CPU
seconds of the process (one thread), which other load on a shared machine disturbs less than
wall time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import platform
import statistics
import subprocess
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.distributions import kl_divergence

from vae_tutorial import load_digits
from vae_tutorial.likelihoods import LIKELIHOODS, NONFACTORIZED
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


def one_epoch(model, opt, x, batch_size, loss_fn, generator, clock=time.perf_counter) -> float:
    start = clock()
    for idx in torch.randperm(len(x), generator=generator).split(batch_size):
        loss = -loss_fn(model, x[idx]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return clock() - start


def check_same_objective(model: VAE, x: torch.Tensor, name: str) -> None:
    torch.manual_seed(0)
    a = elbo(model, x).elbo
    torch.manual_seed(0)
    b = hand_elbo(model, x, name)
    torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-3)


ROOT = Path(__file__).resolve().parents[1]
COSTS = ROOT / "book" / "nonfactorized" / "head_costs.json"

#: The heads timed by ``--nonfactorized``: label -> (registry, name, keyword arguments).
NONFACTORIZED_HEADS: dict[str, tuple[str, str, dict]] = {
    "diagonal Gaussian": ("factorized", "gaussian_diagonal", {}),
    "discretized logistic (factorized)": ("factorized", "discretized_logistic", {}),
    "low-rank Gaussian, r = 4": ("nonfactorized", "gaussian_lowrank", {"rank": 4}),
    "full-covariance Gaussian": ("nonfactorized", "gaussian_full", {}),
    "MADE, 3 logistics": (
        "nonfactorized",
        "made",
        {"conditional": "discretized_logistic", "num_components": 3},
    ),
    "PixelCNN-style 5x5, 3 logistics": (
        "nonfactorized",
        "pixelcnn",
        {"kernel_size": 5, "conditional": "discretized_logistic", "num_components": 3},
    ),
}


def make_head(label: str):
    registry, name, kwargs = NONFACTORIZED_HEADS[label]
    return (LIKELIHOODS if registry == "factorized" else NONFACTORIZED)[name](**kwargs)


def nonfactorized_costs(repeats: int, warmup: int) -> list[dict]:
    """Median CPU seconds per training epoch of every head of :data:`NONFACTORIZED_HEADS`."""
    levels = load_digits("train")
    rows = []
    for label in NONFACTORIZED_HEADS:
        torch.manual_seed(0)
        model = VAE(make_head(label))
        x = model.head.prepare(levels)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        gen = torch.Generator().manual_seed(0)
        times = []
        for rep in range(warmup + repeats):
            # CPU seconds of this process (one thread): robust to other load on a shared machine
            t = one_epoch(
                model, opt, x, 100, lambda m, xb: elbo(m, xb).elbo, gen, time.process_time
            )
            if rep >= warmup:
                times.append(t)
        rows.append(
            {
                "head": label,
                "registry_name": NONFACTORIZED_HEADS[label][1],
                "decoder_outputs": model.decoder.net[-1].out_features,
                "parameters": sum(p.numel() for p in model.parameters()),
                "seconds_per_epoch": round(statistics.median(times), 4),
                "seconds_min": round(min(times), 4),
                "seconds_max": round(max(times), 4),
            }
        )
        print(f"{label}: {rows[-1]['seconds_per_epoch']:.4f} s/epoch", flush=True)
    return rows


def main_nonfactorized(repeats: int, warmup: int, write: bool) -> None:
    start = time.process_time()
    rows = nonfactorized_costs(repeats, warmup)
    base = next(r for r in rows if r["head"] == "diagonal Gaussian")["seconds_per_epoch"]
    print(
        f"\ntorch {torch.__version__}, 1 thread, {repeats} repeats (median), 1000 images, "
        "batch 100\n"
    )
    print("| head | decoder outputs | parameters | CPU s/epoch | x diagonal |")
    print("|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['head']} | {r['decoder_outputs']} | {r['parameters']} | "
            f"{r['seconds_per_epoch']:.4f} | {r['seconds_per_epoch'] / base:.1f} |"
        )
    if not write:
        return
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    result = {
        "provenance": {
            "command": f"python scripts/benchmark_heads.py --nonfactorized --write "
            f"--repeats {repeats} --warmup {warmup}",
            "git_commit": commit,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "threads": torch.get_num_threads(),
            "date_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "cpu_seconds": round(time.process_time() - start, 1),
            "note": "CPU seconds of the process (one torch thread), not wall time: robust to other "
            "load on a shared machine; compare the rows more than the absolute times",
        },
        "settings": {"images": 1000, "batch_size": 100, "latent_dim": 8, "hidden": [256, 256]},
        "rows": rows,
    }
    COSTS.write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {COSTS.relative_to(ROOT)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--nonfactorized", action="store_true")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(1)
    if args.nonfactorized:
        main_nonfactorized(args.repeats, args.warmup, args.write)
        return
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
