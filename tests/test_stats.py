"""Group statistics (`qca themes --by ATTR --stats`, qca.stats): published worked examples and
the same numbers from scipy/statsmodels on the counts the command prints (#20, item 2)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.stats.contingency import association
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint
from typer.testing import CliRunner

from qca.cli import app
from qca.models import (
    CI_HIGH,
    CI_LOW,
    CODE,
    CRAMERS_V,
    DOF,
    N_BASE,
    P_HOLM,
    P_VALUE,
    PROPORTION,
    SEGMENTS,
    STATISTIC,
    TEST,
    THEME,
    TOTAL_GROUP,
)
from qca.stats import (
    CHI_SQUARE,
    FISHER_EXACT,
    FISHER_MONTE_CARLO,
    MONTE_CARLO_SEED,
    MONTE_CARLO_TABLES,
    holm,
    independence_test,
    wilson_interval,
)
from tests.test_outputs import CASES, write_output


@pytest.mark.parametrize(
    ("count", "n", "low", "high"),
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (Wilson score).
    [
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_stats_wilson_newcombe_examples(count: int, n: int, low: float, high: float) -> None:
    found = wilson_interval(np.array([count]), np.array([n]))
    assert round(float(found[0][0]), 4) == low
    assert round(float(found[1][0]), 4) == high


def test_stats_chi_square_agresti_example() -> None:
    # Agresti (2007), An Introduction to Categorical Data Analysis, 2nd ed., Table 2.5:
    # party identification by gender, X^2 = 30.07 on 2 df.
    table = np.array([[762, 327, 468], [484, 239, 477]]).T  # groups x 2 as qca builds them
    found = independence_test(table)
    assert found[TEST] == CHI_SQUARE
    assert round(found[STATISTIC], 2) == 30.07
    assert found[DOF] == 2.0
    assert found[P_VALUE] < 1e-6
    assert found[CRAMERS_V] == pytest.approx(np.sqrt(found[STATISTIC] / table.sum()), abs=1e-12)


def test_stats_fisher_tea_tasting() -> None:
    # Fisher (1935), The Design of Experiments: the lady tasting tea, 3 of 4 right: p = 0.4857.
    found = independence_test(np.array([[3, 1], [1, 3]]))
    assert found[TEST] == FISHER_EXACT
    assert round(found[P_VALUE], 4) == 0.4857


def test_stats_fisher_monte_carlo_is_seeded() -> None:
    table = np.array([[3, 1], [1, 3], [0, 4]])
    found = independence_test(table)
    method = stats.MonteCarloMethod(
        n_resamples=MONTE_CARLO_TABLES, rng=np.random.default_rng(MONTE_CARLO_SEED)
    )
    assert found[TEST] == FISHER_MONTE_CARLO
    assert found[P_VALUE] == stats.fisher_exact(table, method=method).pvalue
    assert independence_test(table) == found


@pytest.mark.parametrize(
    "table", [np.array([[0, 5], [0, 7]]), np.array([[3, 5]]), np.array([[2, 0], [3, 0]])]
)
def test_stats_no_test_without_contrast(table: np.ndarray) -> None:
    found = independence_test(table)
    assert found[TEST] == ""
    assert np.isnan(found[P_VALUE]) and np.isnan(found[CRAMERS_V])


def test_stats_holm_worked_example() -> None:
    # Sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04 -> monotone 0.06.
    found = holm([0.01, 0.04, 0.03, 0.005, np.nan])
    np.testing.assert_allclose(found[:4], [0.03, 0.06, 0.06, 0.02], rtol=0, atol=1e-12)
    assert np.isnan(found[4])


def _check_against_libraries(table: pd.DataFrame, by: str) -> int:
    """Recompute every statistic of a `--stats` csv from its own counts; return tests seen."""
    tested = 0
    low, high = proportion_confint(table[SEGMENTS], table[N_BASE], alpha=0.05, method="wilson")
    np.testing.assert_allclose(table[CI_LOW], low, rtol=0, atol=1e-9)
    np.testing.assert_allclose(table[CI_HIGH], high, rtol=0, atol=1e-9)
    np.testing.assert_allclose(table[PROPORTION], table[SEGMENTS] / table[N_BASE], atol=1e-12)
    totals = table[table[by] == TOTAL_GROUP]
    for family in (totals[totals[CODE].notna()], totals[totals[CODE].isna()]):
        p = []
        for _, row in family.iterrows():
            cells = table[
                (table[THEME] == row[THEME])
                & (table[CODE].fillna("") == ("" if pd.isna(row[CODE]) else row[CODE]))
                & (table[by] != TOTAL_GROUP)
            ]
            counts = np.column_stack([cells[SEGMENTS], cells[N_BASE] - cells[SEGMENTS]])
            counts = counts[counts.sum(axis=1) > 0]
            if pd.isna(row[TEST]):
                assert np.isnan(row[P_VALUE])
                continue
            tested += 1
            chi2 = stats.chi2_contingency(counts, correction=False)
            assert abs(row[STATISTIC] - chi2.statistic) <= 1e-9
            assert row[DOF] == chi2.dof
            v = association(counts, method="cramer", correction=False)
            assert abs(row[CRAMERS_V] - v) <= 1e-9
            if row[TEST] == CHI_SQUARE:
                assert (chi2.expected_freq >= 5).all()
                expected = chi2.pvalue
            elif row[TEST] == FISHER_EXACT:
                expected = stats.fisher_exact(counts).pvalue
            else:
                method = stats.MonteCarloMethod(
                    n_resamples=MONTE_CARLO_TABLES, rng=np.random.default_rng(MONTE_CARLO_SEED)
                )
                expected = stats.fisher_exact(counts, method=method).pvalue
            assert abs(row[P_VALUE] - expected) <= 1e-9
            p.append(row[P_VALUE])
        known = family[family[TEST].notna()]
        if p:
            adjusted = multipletests(p, method="holm")[1]
            np.testing.assert_allclose(known[P_HOLM], adjusted, rtol=0, atol=1e-9)
    return tested


def test_stats_cli_equals_libraries(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_output(CASES / "themes-by-role" / "input", tmp_path / "qca-out")
    result = runner.invoke(app, ["themes", str(folder), "--by", "role", "--stats", "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout))
    assert list(table.columns[-10:]) == [
        N_BASE,
        PROPORTION,
        CI_LOW,
        CI_HIGH,
        TEST,
        STATISTIC,
        DOF,
        P_VALUE,
        P_HOLM,
        CRAMERS_V,
    ]
    # coach: 5 codable segments, faculty: 2; motivation in 3 coach ones (one negated).
    row = table[(table[CODE] == "motivation") & (table["role"] == "coach")].iloc[0]
    assert (row[SEGMENTS], row[N_BASE]) == (3, 5)
    assert _check_against_libraries(table, "role") >= 3


def test_stats_cli_needs_by(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_output(CASES / "themes-by-role" / "input", tmp_path / "qca-out")
    result = runner.invoke(app, ["themes", str(folder), "--stats", "-f", "csv"])
    assert result.exit_code == 1
    assert result.stderr == "--stats compares groups; add --by ATTR (e.g. --by role)\n"


@pytest.mark.corpus
def test_stats_nhs_fft_by_trust_equals_libraries(
    corpora: Path, tmp_path: Path, runner: CliRunner
) -> None:
    dev = corpora / "nhs-fft" / "fft_framework_dev.csv"
    out = tmp_path / "out"
    coded = runner.invoke(
        app,
        ["code", str(dev), "--text-column", "FFT answer", "--id-column", "Comment ID"]
        + ["-c", str(Path(__file__).parent.parent / "codebooks" / "nhs_fft.yaml"), "-o", str(out)],
    )
    assert coded.exit_code == 0, coded.stderr
    result = runner.invoke(app, ["themes", str(out), "--by", "Trust", "--stats", "-f", "csv"])
    assert result.exit_code == 0, result.stderr
    table = pd.read_csv(io.StringIO(result.stdout))
    assert set(table["Trust"]) == {"NEAS", "NHFT", TOTAL_GROUP}
    assert _check_against_libraries(table, "Trust") >= 30


def test_stats_cli_table_on_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_output(CASES / "themes-by-role" / "input", tmp_path / "qca-out")
    args = ["themes", str(folder), "--by", "role", "--stats", "-m", "segments", "-f", "table"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "statistics: % of segments coded (95% Wilson interval) by role" in result.stdout
    (motivation,) = [line for line in lines if "motivation" in line and "(" in line]
    # 3 of 5 coach segments: 60.0% (Wilson 23.1-88.2); 0 of 2 faculty ones.
    assert "60.0 (23.1-88.2)" in motivation
    assert "0.0 (0.0-65.8)" in motivation
