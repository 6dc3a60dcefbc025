"""The shoot-out: bookkeeping, the decision guide, and the reproduction of its stored results."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch
from torch.distributions import Laplace, Normal, StudentT

from vae_tutorial import best, load_digits
from vae_tutorial.objectives import bits_per_dim, iwae_bound
from vae_tutorial.priors import VampPrior
from vae_tutorial.shootout import (
    BEST_LABEL,
    GAUSSIAN_FLOOR,
    HEADS,
    INDEPENDENT_LABEL,
    MIXTURE_LABEL,
    Protocol,
    compare,
    convergence_report,
    decision_guide,
    draw_decision_flowchart,
    format_guide_markdown,
    format_table,
    generic_kernels,
    key_of,
    like_for_like_floor,
    load_results,
    protocol_of,
    run_one,
    run_shootout,
    stored_row,
    summarize,
    tied_with_best,
    train_one,
    uniform_bits_per_dim,
)

RESULTS = Path(__file__).resolve().parent.parent / "book" / "evaluation" / "shootout_results.json"
NEEDS_RESULTS = pytest.mark.skipif(
    not RESULTS.exists(), reason="no results file: run python -m vae_tutorial.shootout"
)
#: The run the reproduction test repeats: one of the cheapest heads to train and score.
REPRO_LABEL, REPRO_SEED = "discretized_logistic", 0
TINY = Protocol(max_epochs=2, patience=1, k=4, k_check=8, seeds=(0,), hidden=(16,))


def _runs(values: dict[str, list[float]]) -> list[dict]:
    return [
        {"label": label, "seed": i, "test_bits_per_dim": v}
        for label, vs in values.items()
        for i, v in enumerate(vs)
    ]


def test_summarize_mean_and_sample_sd() -> None:
    s = summarize(_runs({"beta": [2.0, 2.2], "poisson": [3.0]}))
    assert list(s) == ["beta", "poisson"] and s["beta"].n == 2 and s["poisson"].n == 1
    assert math.isclose(s["beta"].mean, 2.1) and math.isclose(s["beta"].sd, math.sqrt(0.02))
    assert s["poisson"].sd == 0.0 and s["beta"].group == "continuous"
    assert s["poisson"].family == "counts"
    table = format_table(s)
    assert table.index("beta ") < table.index("poisson ")  # best first


def uniform_categorical_vae(num_levels: int):
    """A VAE whose decoder outputs all-zero logits (P(k) = 1/K for every pixel, whatever z) and
    whose encoder outputs q(z|x) = N(0, I) = p(z): every importance weight is exactly K^-64."""
    from vae_tutorial import LIKELIHOODS
    from vae_tutorial.model import VAE

    model = VAE(LIKELIHOODS["categorical"](num_levels=num_levels), latent_dim=2, hidden=())
    with torch.no_grad():
        model.decoder.net[0].weight.zero_()
        model.decoder.net[0].bias.zero_()
        enc = model.encoder.net[0]
        enc.weight.zero_()
        enc.bias.zero_()
        one = torch.tensor(1.0 - model.encoder.min_std)
        enc.bias[2:] = one + torch.log(-torch.expm1(-one))  # softplus^-1: std exactly 1
    return model


@pytest.mark.parametrize("num_levels", [2, 17, 256])
def test_uniform_is_log2_levels(num_levels) -> None:
    """The yardstick's bits/dim of a model that is uniform by construction is log2 K (2 levels:
    1 bit, 256 levels: 8 bits): test_bits_per_dim and uniform_bits_per_dim against it."""
    from vae_tutorial import evaluation

    expected = {2: 1.0, 17: math.log2(17), 256: 8.0}[num_levels]
    assert uniform_bits_per_dim(num_levels) == pytest.approx(expected, abs=1e-12)
    model = uniform_categorical_vae(num_levels)
    levels = torch.randint(0, num_levels, (5, 64)).float()
    assert evaluation.test_bits_per_dim(model, levels, k=3) == pytest.approx(expected, abs=1e-5)


def test_like_for_like_floors_cap_the_density_at_the_gaussians_peak() -> None:
    peak = Normal(0.0, GAUSSIAN_FLOOR).log_prob(torch.tensor(0.0))
    laplace = Laplace(0.0, like_for_like_floor("laplace")).log_prob(torch.tensor(0.0))
    student = StudentT(3.0, 0.0, like_for_like_floor("student_t")).log_prob(torch.tensor(0.0))
    assert torch.allclose(laplace, peak, atol=1e-6) and torch.allclose(student, peak, atol=1e-6)
    assert like_for_like_floor("gaussian") == GAUSSIAN_FLOOR
    with pytest.raises(ValueError, match="family must be"):
        like_for_like_floor("beta")


def test_comparison_counts_only_differences_beyond_twice_the_spread() -> None:
    s = summarize(_runs({"a": [2.00, 2.02, 2.04], "b": [2.05, 2.07, 2.09], "c": [2.5, 2.5, 2.5]}))
    ab = compare(s, "a", "b")  # difference 0.05, sd 0.02 each: margin 2 sqrt(0.0008) = 0.057
    assert ab.verdict == "tied" and math.isclose(ab.margin, 2 * math.sqrt(2 * 0.02**2))
    assert compare(s, "a", "c").verdict == "better" and compare(s, "c", "a").verdict == "worse"
    assert compare(s, "c", "c").verdict == "tied"  # sd 0: the minimal margin applies
    assert tied_with_best(s, ["c", "b", "a"]) == ["a", "b"]


def _fake_results(**means: float) -> dict:
    """Three seeds per head with sd 0.01 around ``means`` (bits/dim), plus the baselines."""
    values = {label: [m - 0.01, m, m + 0.01] for label, m in means.items()}
    runs = _runs(values)
    runs.append({"label": INDEPENDENT_LABEL, "seed": 0, "test_bits_per_dim": 2.40})
    runs += _runs({MIXTURE_LABEL: [2.25, 2.25, 2.25]})
    return {"runs": runs}


BASE = {
    "continuous_bernoulli": 3.0,
    "gaussian_fixed (sigma=1)": 5.9,
    "gaussian_diagonal": 2.4,
    "laplace": 2.38,
    "beta": 2.44,
    "categorical": 2.25,
    "discretized_logistic": 2.05,
    "discretized_gaussian": 2.06,
    "binomial": 2.5,
    "poisson": 4.1,
    "negative_binomial": 2.8,
    "bernoulli": 3.5,
}


def test_decision_guide_follows_the_numbers() -> None:
    rows = {r.data: r for r in decision_guide(_fake_results(**BASE))}
    levels = rows["ordered levels with a known maximum"]
    assert levels.measured and levels.use == ["discretized_logistic", "discretized_gaussian"]
    assert "gaussian_fixed (sigma=1)" in levels.avoid and "poisson" in levels.avoid
    assert "gaussian_diagonal" not in levels.avoid  # tied with independent pixels, not worse
    assert "gaussian_fixed (sigma=1)" in levels.evidence  # worse than the uniform model
    assert rows["continuous in (0, 1)"].use == ["beta"]
    assert rows["counts without a maximum"].use == ["negative_binomial"]
    assert rows["real-valued"].use == ["laplace", "gaussian_diagonal"]  # 0.02 apart: a tie
    assert rows["real-valued"].avoid == ["gaussian_fixed (sigma=1)"]
    assert all(not set(r.use) & set(r.avoid) for r in rows.values())  # never both
    assert not rows["binary, 0/1"].measured and rows["binary, 0/1"].use == ["bernoulli"]
    assert "U-shaped" in rows["continuous in (0, 1)"].evidence
    assert "`discretized_logistic`" in format_guide_markdown(list(rows.values()))


def test_decision_guide_changes_its_verdicts_when_the_numbers_change() -> None:
    swapped = {
        **BASE,
        "continuous_bernoulli": 2.2,
        "beta": 3.0,
        "categorical": 1.9,
        "poisson": 2.6,
        "negative_binomial": 2.9,
        "gaussian_diagonal": 2.0,
    }
    rows = {r.data: r for r in decision_guide(_fake_results(**swapped))}
    assert rows["ordered levels with a known maximum"].use == ["categorical"]
    assert rows["continuous in (0, 1)"].use == ["continuous_bernoulli"]
    assert rows["counts without a maximum"].use == ["poisson"]
    assert rows["real-valued"].use == ["gaussian_diagonal"]


def test_flowchart_leaves_come_from_the_guide() -> None:
    import matplotlib

    matplotlib.use("Agg")
    rows = decision_guide(_fake_results(**BASE))
    ax = draw_decision_flowchart(rows)
    texts = [t.get_text() for t in ax.texts]
    assert "discretized_logistic\ndiscretized_gaussian" in texts and "beta" in texts
    assert "negative_binomial" in texts and "laplace\ngaussian_diagonal" in texts
    matplotlib.pyplot.close("all")


def test_key_of_makes_glue_names() -> None:
    assert key_of("student_t (df=3)") == "student_t_df_3"
    assert key_of("discretized_logistic (3 components)") == "discretized_logistic_3_components"


def test_convergence_report_separates_early_stops_from_capped_runs() -> None:
    runs = [
        {
            "label": "beta",
            "seed": 0,
            "epochs_run": 6,
            "best_epoch": 6,
            "hit_epoch_cap": True,
            "val_curve": [1.0, 2.0, 3.0, 3.5, 3.8, 4.0],
        },
        {
            "label": "poisson",
            "seed": 0,
            "epochs_run": 5,
            "best_epoch": 3,
            "hit_epoch_cap": False,
            "val_curve": [1.0, 2.0, 3.0, 2.9, 2.8],
        },
        {
            "label": BEST_LABEL,
            "seed": 0,
            "epochs_run": 6,
            "best_epoch": 6,
            "hit_epoch_cap": True,
            "val_curve": [1.0] * 6,
        },
    ]
    report = convergence_report({"protocol": {"patience": 2}, "runs": runs})
    assert [r["label"] for r in report] == ["beta", "poisson"]  # the best model has its own recipe
    assert report[0]["late_gain"] == pytest.approx(4.0 - 3.5) and report[1]["late_gain"] == 0


def test_every_head_of_the_zoo_is_in_the_shootout() -> None:
    from vae_tutorial import LIKELIHOODS

    assert set(LIKELIHOODS) <= {spec.likelihood for spec in HEADS}
    assert len({spec.label for spec in HEADS}) == len(HEADS)


def test_run_one_row_agrees_with_an_independent_recomputation() -> None:
    """A row is what its model scores: the IWAE bound of the same trained model, same seed."""
    row = run_one("binomial", 0, TINY)
    model, history, max_epochs = train_one("binomial", 0, TINY)
    levels = load_digits("test")
    torch.manual_seed(0)
    expected = float(bits_per_dim(iwae_bound(model, levels, k=TINY.k).mean(), 64))
    assert row["test_bits_per_dim"] == pytest.approx(expected, abs=1e-6)
    assert 0 < row["test_bits_per_dim"]  # a probability of discrete data: at most 1
    assert row["best_val_objective"] == history.best_val == max(history.val_objective)
    assert row["best_epoch"] == history.best_epoch + 1 <= row["epochs_run"] <= max_epochs
    assert row["hit_epoch_cap"] == (row["epochs_run"] == TINY.max_epochs)
    assert row["val_curve"] == [round(v, 3) for v in history.val_objective]
    again = run_one("binomial", 0, TINY)
    for key in ("test_bits_per_dim", "best_epoch", "epochs_run", "best_val_objective"):
        assert again[key] == row[key]  # deterministic: the same seed gives the same row


def test_results_do_not_depend_on_scheduling() -> None:
    """Two worker processes give the same rows as one process, in the same order."""
    kwargs = dict(protocol=TINY, best=False, baselines=False, log=lambda _: None)
    serial = run_shootout(["binomial", "bernoulli"], workers=1, **kwargs)
    parallel = run_shootout(["binomial", "bernoulli"], workers=2, **kwargs)
    strip = [
        [{k: v for k, v in r.items() if not k.endswith("cpu_seconds")} for r in res["runs"]]
        for res in (serial, parallel)
    ]
    assert strip[0] == strip[1]
    assert [r["label"] for r in serial["runs"]] == ["binomial", "bernoulli"]
    assert 0 < serial["runs"][1]["binary_bits_per_dim"] < serial["runs"][1]["test_bits_per_dim"]


def test_best_model_is_built_as_configured() -> None:
    model = best.build_best_model()
    cfg = best.BEST_CONFIG
    assert model.head.name == cfg.likelihood and model.latent_dim == cfg.latent_dim
    assert isinstance(model.prior, VampPrior) and model.prior.num_pseudo == cfg.num_pseudo_inputs
    assert model.prior.encoder is model.encoder
    z = model.prior().sample((3,))
    assert z.shape == (3, cfg.latent_dim) and torch.isfinite(model.prior().log_prob(z)).all()
    assert "discretized_logistic" in best.describe()


@NEEDS_RESULTS
def test_stored_results_are_complete() -> None:
    results = load_results(RESULTS)
    protocol = protocol_of(results)
    labels = [r["label"] for r in results["runs"]]
    for spec in HEADS:
        assert labels.count(spec.label) == len(protocol.seeds) >= 3
    assert labels.count(BEST_LABEL) == len(protocol.seeds)
    assert {INDEPENDENT_LABEL, MIXTURE_LABEL} <= set(labels)
    # On a quiet machine the wall time is about the CPU time shared by the workers (a loaded
    # machine stretches the wall time, not the CPU time).
    assert results["cpu_seconds"] / results["workers"] < 20 * 60
    assert results["k_check"]["gap"] > -0.01
    for key in ("command", "git_commit", "versions", "machine", "cpu_seconds"):
        assert results[key]


@NEEDS_RESULTS
def test_one_stored_run_reproduces() -> None:
    """Re-run one head and one seed of the stored shoot-out and compare with its stored row.

    On the CPU kernels that wrote the file the row is reproduced to the last digit: training and
    scoring are seeded and use one thread and deterministic algorithms. When the environment forces
    generic kernels (``ATEN_CPU_CAPABILITY=default`` or ``MKL_CBWR`` set), or the processor offers
    other vector kernels than the one that wrote the file, float round-off differs and a trained
    result moves; then the test bits/dim is compared within three times the stored seed-to-seed
    standard deviation of that head, the spread another seed would cause anyway.
    """
    results = load_results(RESULTS)
    stored = stored_row(results, REPRO_LABEL, REPRO_SEED)
    row = run_one(REPRO_LABEL, REPRO_SEED, protocol_of(results))
    same_kernels = not generic_kernels() and (
        results["machine"]["torch_cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    )
    if same_kernels:
        for key in ("test_bits_per_dim", "best_epoch", "epochs_run", "best_val_objective"):
            assert row[key] == stored[key], key
        assert row["val_curve"] == stored["val_curve"]
    else:
        sd = results["summary"][REPRO_LABEL]["sd"]
        assert abs(row["test_bits_per_dim"] - stored["test_bits_per_dim"]) <= 3 * sd


def test_part_iv_guide_row_follows_the_numbers() -> None:
    """The dependent-pixels row recommends the autoregressive decoders tied with the best of them
    only when that best is clearly better than the best factorized head of the shoot-out."""
    from vae_tutorial.shootout import PART_IV_BEST_LABEL, PART_IV_GROUP

    part_iv = _runs(
        {
            "PixelCNN-style 5x5 (3 logistics)": [1.89, 1.90, 1.91],
            "PixelCNN-style 15x15 (3 logistics)": [1.90, 1.905, 1.91],
            "MADE (3 logistics)": [1.945, 1.95, 1.955],
            PART_IV_BEST_LABEL: [1.85, 1.855, 1.86],
        }
    )
    assert summarize(part_iv)["MADE (3 logistics)"].group == PART_IV_GROUP
    rows = decision_guide(_fake_results(**BASE), part_iv=part_iv)
    assert len(rows) == len(decision_guide(_fake_results(**BASE))) + 1
    row = rows[-1]
    assert row.measured and row.source.startswith("Part IV")
    assert row.use == ["PixelCNN-style 5x5 (3 logistics)", "PixelCNN-style 15x15 (3 logistics)"]
    assert row.avoid == ["MADE (3 logistics)"]  # the best model is a recipe, not a decoder
    assert "Part IV results files" in format_guide_markdown(rows)
    # a factorized head as good as the decoders: nothing is recommended
    level = {**BASE, "discretized_logistic": 1.90}
    assert decision_guide(_fake_results(**level), part_iv=part_iv)[-1].use == []


@pytest.mark.skipif(
    not (RESULTS.parents[1] / "nonfactorized" / "receptive_field.json").exists(),
    reason="no Part IV results files (e.g. in mutmut's copy of the tests)",
)
def test_part_iv_rows_come_from_the_part_iv_files() -> None:
    from vae_tutorial.shootout import PART_IV_FAMILIES, part_iv_rows

    rows = part_iv_rows(RESULTS.parents[1] / "nonfactorized")
    labels = [r["label"] for r in rows]
    assert set(labels) == set(PART_IV_FAMILIES)
    assert all(labels.count(lbl) == 3 for lbl in PART_IV_FAMILIES)
    assert all(r["protocol"] and 1.5 < r["test_bits_per_dim"] < 2.5 for r in rows)


@pytest.mark.parametrize("label", ["pixelcnn 5x5 (3 logistics)", "gaussian_lowrank (r=4)"])
def test_part_iv_heads_run_under_the_protocol(label) -> None:
    """A Part IV head trains and scores under a tiny protocol (the correlated Gaussians by
    dequantization, the autoregressive heads exactly)."""
    from vae_tutorial.shootout import PART_IV_HEADS

    assert label in {s.label for s in PART_IV_HEADS}
    row = run_one(label, 0, TINY)
    assert row["label"] == label and 1.0 < row["test_bits_per_dim"] < 10.0
    assert summarize([row])[label].group == "nonfactorized"


def test_merge_results_replaces_the_labels_it_brings() -> None:
    from vae_tutorial.shootout import merge_results

    # a protocol read back from JSON has lists where a fresh one has tuples: still the same
    old = {
        **_fake_results(**BASE),
        "protocol": {"k": 1000, "seeds": [0, 1, 2]},
        "heads": {"beta": {}},
    }
    new_runs = _runs({"beta": [2.0, 2.1, 2.2], "made (3 logistics)": [1.9, 1.95, 2.0]})
    new = {
        "runs": new_runs,
        "protocol": {"k": 1000, "seeds": (0, 1, 2)},
        "heads": {"made (3 logistics)": {}},
        "command": "python -m vae_tutorial.shootout --merge",
        "wall_seconds": 1.0,
        "cpu_seconds": 2.0,
    }
    merged = merge_results(old, new)
    beta = [r["test_bits_per_dim"] for r in merged["runs"] if r["label"] == "beta"]
    assert beta == [2.0, 2.1, 2.2]
    assert merged["summary"]["made (3 logistics)"]["mean"] == pytest.approx(1.95)
    assert set(merged["heads"]) == {"beta", "made (3 logistics)"}
    assert merged["added"][0]["labels"] == ["beta", "made (3 logistics)"]
    assert len(merged["runs"]) == len(old["runs"]) + 3
    with pytest.raises(ValueError, match="different protocols"):
        merge_results(old, {**new, "protocol": {"k": 5000}})


def test_guide_prefers_decoders_run_under_the_shootout_protocol() -> None:
    fake = _fake_results(**BASE, **{"pixelcnn 5x5 (3 logistics)": 1.87, "made (3 logistics)": 1.96})
    part_iv = _runs({"PixelCNN-style 5x5 (3 logistics)": [1.89, 1.90, 1.91]})
    for extra in (None, part_iv):
        row = decision_guide(fake, part_iv=extra)[-1]
        assert row.source == "shoot-out"
        assert row.use == ["pixelcnn 5x5 (3 logistics)"] and row.avoid == ["made (3 logistics)"]
    assert "own protocol" in decision_guide(fake, part_iv=part_iv)[-1].evidence


def test_correlated_gaussians_get_a_guide_row_of_their_own() -> None:
    """The correlated Gaussians are scored by dequantization (a lower bound): the guide compares
    them with the diagonal Gaussian scored the same way, never with the exactly scored heads."""
    from vae_tutorial.shootout import PART_IV_HEADS

    dequantized = {s.label for s in PART_IV_HEADS if s.scoring == "dequantize"}
    assert dequantized == {
        "gaussian_diagonal (dequantized)",
        "gaussian_lowrank (r=4)",
        "gaussian_full",
    }
    assert all(s.family == "correlated Gaussian" for s in PART_IV_HEADS if s.label in dequantized)
    fake = _fake_results(
        **BASE,
        **{
            "gaussian_diagonal (dequantized)": 2.35,
            "gaussian_lowrank (r=4)": 2.50,
            "gaussian_full": 2.36,
        },
    )
    rows = {r.data: r for r in decision_guide(fake)}
    row = rows["real-valued, noise correlated across dimensions"]
    assert row.use == ["gaussian_diagonal (dequantized)", "gaussian_full"]  # 0.01 apart: a tie
    assert row.avoid == ["gaussian_lowrank (r=4)"] and "dequantization" in row.evidence
    # never candidates of the rows scored exactly
    assert not any(
        lbl in dequantized for r in rows.values() if r is not row for lbl in r.use + r.avoid
    )
    assert "`gaussian_full`" in format_guide_markdown([row])


@NEEDS_RESULTS
def test_dequantized_diagonal_rows_are_the_diagonal_gaussian_runs() -> None:
    """The yardstick row of the correlated Gaussians re-trains the shoot-out's diagonal Gaussian:
    the same seeds give the same best epochs and validation objectives; only the scoring differs,
    and the dequantized bound is the looser one."""
    runs = load_results(RESULTS)["runs"]

    def by_seed(label: str) -> dict[int, dict]:
        return {r["seed"]: r for r in runs if r["label"] == label}

    exact, deq = by_seed("gaussian_diagonal"), by_seed("gaussian_diagonal (dequantized)")
    assert set(exact) == set(deq) == {0, 1, 2}
    for seed in exact:
        assert deq[seed]["best_epoch"] == exact[seed]["best_epoch"]
        assert deq[seed]["best_val_objective"] == exact[seed]["best_val_objective"]
        assert deq[seed]["test_bits_per_dim"] > exact[seed]["test_bits_per_dim"]
