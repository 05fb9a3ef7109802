"""`qca sample` and `qca agree --estimate`: blind stratified samples, corpus-wide estimates (#22)."""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

import qca.diagnostics.estimate
import qca.diagnostics.sampling
from qca.cli import app
from qca.diagnostics.estimate import estimate_proportions
from qca.diagnostics.sampling import allocate, assign_strata, draw_indices
from tests.test_diagnostics_stats import code_ward


@pytest.fixture
def coded(tmp_path: Path) -> Path:
    return code_ward(tmp_path / "out")


@pytest.mark.parametrize("module", [qca.diagnostics.sampling, qca.diagnostics.estimate])
def test_diagnostics_sampling_doctests(module: object) -> None:
    failed, tried = doctest.testmod(module)  # type: ignore[arg-type]
    assert tried > 0
    assert failed == 0


@pytest.mark.parametrize(
    ("sizes", "n", "expected"),
    [
        ({"a": 4, "b": 100, "c": 400}, 30, {"a": 3, "b": 9, "c": 18}),
        ({"a": 1, "b": 1, "c": 10_000}, 30, {"a": 1, "b": 1, "c": 28}),
        ({"a": 3, "b": 2}, 10, {"a": 3, "b": 2}),
        ({"a": 3, "b": 2, "c": 1}, 4, {"a": 2, "b": 1, "c": 1}),
        ({"a": 5, "b": 5, "c": 5}, 2, {"a": 1, "b": 1, "c": 0}),
    ],
)
def test_sample_allocate_square_root(
    sizes: dict[str, int], n: int, expected: dict[str, int]
) -> None:
    assert allocate(sizes, n) == expected


# Ward folder: food codes t0001-3, staff t0001, t0003, t0004, t0006; food is rarer (3 < 4),
# so the strata are food {t0001, t0002, t0003}, staff {t0004, t0006}, (uncoded) {t0005};
# square-root allocation of 4 gives food 2, staff 1, (uncoded) 1.
SAMPLE = """\
unit_id,text,food,staff
ward:t0006,Kind people.,,
ward:t0005,Lunch was late and lunch was cold.,,
ward:t0002,The meal and the food were cold.,,
ward:t0001,The food was good and the nurse was kind.,,
"""


def test_sample_cli_blind_and_stratified(runner: CliRunner, coded: Path, tmp_path: Path) -> None:
    out = tmp_path / "sample.csv"
    args = [
        "sample",
        "-d",
        str(coded),
        "-n",
        "4",
        "--stratify",
        "code",
        "--seed",
        "1",
        "-o",
        str(out),
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert out.read_text(encoding="utf-8") == SAMPLE
    assert result.stderr == f"wrote {out} (4 of 6 segments; stratify code, seed 1)\n"
    again = runner.invoke(app, [*args[:-2], "-f", "csv"])
    assert again.stdout == SAMPLE  # same seed, same sample


# The sample above, hand-coded: t0005 (uncoded by qca) is food, a miss.
CODED = """\
unit_id,text,food,staff
ward:t0006,Kind people.,,1
ward:t0005,Lunch was late and lunch was cold.,1,
ward:t0002,The meal and the food were cold.,1,
ward:t0001,The food was good and the nurse was kind.,1,1
"""
# By hand (N_h / n_h: food 3/2, staff 2/1, uncoded 1/1): food prevalence
# 3/6*1 + 2/6*0 + 1/6*1 = 0.6667, precision 3/3 = 1, recall 3/(3 + 1) = 0.75;
# staff prevalence 3/6*0.5 + 2/6*1 = 0.5833, precision and recall 3.5/3.5 = 1.
ESTIMATES = """\
code,population,sampled,auto_coded,prevalence,prevalence_low,prevalence_high,precision,precision_low,precision_high,recall,recall_low,recall_high
food,6,4,3,0.6667,0.411,0.8515,1.0,0.3424,1.0,0.75,0.6487,0.8297
staff,6,4,4,0.5833,0.3165,0.8089,1.0,0.3424,1.0,1.0,0.3424,1.0
"""


@pytest.mark.parametrize("order", ["folder-first", "gold-first"])
def test_agree_estimate_known_answers(
    runner: CliRunner, coded: Path, tmp_path: Path, order: str
) -> None:
    sample = tmp_path / "coded.csv"
    sample.write_text(CODED, encoding="utf-8")
    inputs = [f"auto={coded}", f"human={sample}"]
    if order == "gold-first":
        inputs = [inputs[1], inputs[0], "--gold", "human"]
    result = runner.invoke(app, ["agree", "--estimate", *inputs, "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == ESTIMATES
    assert result.stderr == ""


def test_agree_estimate_warns_about_empty_strata(
    runner: CliRunner, coded: Path, tmp_path: Path
) -> None:
    sample = tmp_path / "coded.csv"
    sample.write_text(
        "unit_id,food,staff\nward:t0001,1,1\nward:t0006,,1\nR9,1,\n", encoding="utf-8"
    )
    result = runner.invoke(app, ["agree", "--estimate", str(coded), str(sample), "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    shown = sample.as_posix()
    assert result.stderr == (
        f"warning: {shown}: 1 unit not in {coded.as_posix()}; left out\n"
        f"warning: {shown}: no sampled unit in stratum '(uncoded)' (1 unit); they are left out "
        "of the estimates; draw a larger sample (qca sample -n 3 or more gives each stratum a unit)\n"
    )
    assert result.stdout.splitlines()[1].startswith("food,5,2,3,")


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        (
            ["{out}"],
            "--estimate takes two codings, the output folder and the hand-coded sample; got 1\n",
        ),
        (
            ["{out}", "{sample}", "--gold", "nobody"],
            "--gold 'nobody' names no coding; the codings are: {out}, {sample}\n",
        ),
    ],
)
def test_agree_estimate_usage_errors(
    runner: CliRunner, coded: Path, tmp_path: Path, inputs: list[str], message: str
) -> None:
    sample = tmp_path / "coded.csv"
    sample.write_text(CODED, encoding="utf-8")
    names = {"out": coded.as_posix(), "sample": sample.as_posix()}
    args = [a.format(**names) for a in inputs]
    result = runner.invoke(app, ["agree", "--estimate", *args])
    assert result.exit_code == 1
    assert result.stderr == message.format(**names)


def _simulate(seed: int, *, n_units: int = 4000, n: int = 200) -> dict[tuple[str, str], bool]:
    """One corpus: two codes (auto 15% / 4%), a stratified sample; is each truth covered?"""
    rng = np.random.default_rng(seed)
    x_a, x_b = rng.random(n_units) < 0.15, rng.random(n_units) < 0.04
    # precision 70% / 50%; 5% / 2% of the other units are misses
    y_a = np.where(x_a, rng.random(n_units) < 0.7, rng.random(n_units) < 0.05)
    y_b = np.where(x_b, rng.random(n_units) < 0.5, rng.random(n_units) < 0.02)
    units = [str(i) for i in range(n_units)]
    pairs = [(str(i), "a") for i in np.flatnonzero(x_a)]
    pairs += [(str(i), "b") for i in np.flatnonzero(x_b)]
    strata = assign_strata(units, pairs, ["a", "b"])
    chosen = draw_indices(strata, n, seed=seed)
    names = {s: k for k, s in enumerate(sorted(set(strata)))}
    stratum = np.asarray([names[s] for s in strata])
    sizes = np.bincount(stratum).astype(np.float64)
    covered = {}
    for code, x, y in (("a", x_a, y_a), ("b", x_b, y_b)):
        truth = {
            "prevalence": y.mean(),
            "precision": (x & y).sum() / x.sum(),
            "recall": (x & y).sum() / y.sum(),
        }
        found = estimate_proportions(
            stratum[chosen], sizes, x[chosen].astype(np.float64), y[chosen].astype(np.float64)
        )
        for measure, estimate in found.items():
            covered[(code, measure)] = bool(estimate.low <= truth[measure] <= estimate.high)
    return covered


def test_agree_estimate_intervals_cover_at_nominal_rate() -> None:
    """Over 200 simulated corpora, each 95% interval holds the true value 92-98% of the time."""
    runs = [_simulate(seed) for seed in range(200)]
    for key in runs[0]:
        rate = sum(run[key] for run in runs) / len(runs)
        assert 0.92 <= rate <= 0.98, (key, rate)
