"""`qca codebook stats`: per-rule hits, unique share and gold true/false positives (#22)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from tests.conftest import ROOT

DATA = ROOT / "tests" / "diagnostics_data"


def code_ward(out: Path) -> Path:
    """Code the six-turn ward transcript with the two-code test codebook into *out*."""
    result = CliRunner().invoke(
        app, ["code", str(DATA / "ward.txt"), "-c", str(DATA / "codebook.yaml"), "-d", str(out)]
    )
    assert result.exit_code == 0, result.stderr
    return out


@pytest.fixture
def coded(tmp_path: Path) -> Path:
    return code_ward(tmp_path / "out")


# Hand-checked: staff is coded in t0001 (kind, nurse), t0003 (ask), t0004 (nurse), t0006
# (kind): each rule alone explains one of its four segments. food is coded in t0001 (food),
# t0002 (food, meal) and t0003 ("no food": negated hits code, as in the codings).
STATS = """\
theme,code,rule_kind,rule,hits,segments,unique,unique_share,flag
care,food,term,food,3,3,2,0.6667,
care,food,term,meal,1,1,0,0.0,
care,food,term,banana,0,0,0,,never fires
care,staff,term,kind,2,2,1,0.25,
care,staff,term,nurse,2,2,1,0.25,
care,staff,term,ask,1,1,1,0.25,
"""

GOLD_STATS = """\
theme,code,rule_kind,rule,hits,segments,unique,unique_share,true_positives,false_positives,precision,flag
care,food,term,food,3,3,2,0.6667,3,0,1.0,
care,food,term,meal,1,1,0,0.0,1,0,1.0,
care,food,term,banana,0,0,0,,0,0,,never fires
care,staff,term,kind,2,2,1,0.25,2,0,1.0,
care,staff,term,nurse,2,2,1,0.25,1,1,0.5,
care,staff,term,ask,1,1,1,0.25,0,1,0.0,mostly false positives
"""


@pytest.mark.parametrize(("gold", "expected"), [(None, STATS), ("gold.csv", GOLD_STATS)])
def test_codebook_stats_known_answers(
    runner: CliRunner, coded: Path, gold: str | None, expected: str
) -> None:
    args = ["codebook", "stats", "-d", str(coded), "-f", "csv"]
    if gold:
        args += ["--gold", str(DATA / gold)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected
    assert result.stderr == ""


def test_codebook_stats_without_codebook_warns(
    runner: CliRunner, coded: Path, tmp_path: Path
) -> None:
    missing = tmp_path / "gone.yaml"
    result = runner.invoke(
        app, ["codebook", "stats", "-d", str(coded), "-c", str(missing), "-f", "csv"]
    )
    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: {missing.as_posix()}: cannot read the codebook; rules that never fire are "
        "not listed; pass the codebook with -c FILE\n"
    )
    assert "banana" not in result.stdout
    assert result.stdout.splitlines()[1] == "care,food,term,food,3,3,2,0.6667,"


def test_codebook_stats_gold_ids_unknown(runner: CliRunner, coded: Path, tmp_path: Path) -> None:
    gold = tmp_path / "gold.csv"
    gold.write_text("unit_id,code\nR1,food\n", encoding="utf-8")
    result = runner.invoke(app, ["codebook", "stats", "-d", str(coded), "--gold", str(gold)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{gold.as_posix()}: no unit id (e.g. 'R1') is a segment or document id of "
        f"{coded.as_posix()}; choose the id column with --id-column\n"
    )


def test_codebook_stats_no_output(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(app, ["codebook", "stats", "-d", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"no coded output in {(tmp_path / 'none').as_posix()}/")
