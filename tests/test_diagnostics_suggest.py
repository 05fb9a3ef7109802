"""`qca suggest`: keyness (G2, log ratio) of a code's units, and the gold-label reader (#22)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.diagnostics.keyness import g2, log_ratio
from tests.test_diagnostics_stats import DATA, code_ward


@pytest.fixture
def coded(tmp_path: Path) -> Path:
    return code_ward(tmp_path / "out")


def _g2_by_hand(a: int, b: int, n1: int, n2: int) -> float:
    """Dunning's G2 written out cell by cell (Rayson & Garside 2000, eq. 2, on units)."""
    n = n1 + n2
    cells = [(a, n1 * (a + b) / n), (n1 - a, n1 * (n - a - b) / n)]
    cells += [(b, n2 * (a + b) / n), (n2 - b, n2 * (n - a - b) / n)]
    return 2 * sum(o * math.log(o / e) for o, e in cells if o)


@pytest.mark.parametrize(
    ("a", "b", "n1", "n2", "expected"),
    [
        # worked by hand: the ward example's "cold" (2 of 4 gold food units, 0 of 2 others)
        (2, 0, 4, 2, 2.0929926),  # 2 * (4 ln 1.5 + 2 ln 0.75)
        (10, 10, 100, 1000, 22.9078035),
        (1, 10, 10, 100, 0.0),
    ],
)
def test_keyness_g2_known_values(a: int, b: int, n1: int, n2: int, expected: float) -> None:
    assert g2(a, b, n1, n2) == pytest.approx(expected, abs=1e-6)
    assert g2(a, b, n1, n2) == pytest.approx(_g2_by_hand(a, b, n1, n2), abs=1e-9)


@settings(max_examples=200, deadline=None)
@given(n1=st.integers(1, 400), n2=st.integers(1, 4000), data=st.data())
def test_keyness_g2_equals_scipy(n1: int, n2: int, data: st.DataObject) -> None:
    """G2 equals scipy's log-likelihood test of independence on the same 2x2 table."""
    stats = pytest.importorskip("scipy.stats")
    a = data.draw(st.integers(0, n1))
    b = data.draw(st.integers(0, n2))
    if a + b in (0, n1 + n2):
        assert g2(a, b, n1, n2) == 0.0  # a term in no unit, or in all: no evidence
        return
    table = [[a, b], [n1 - a, n2 - b]]
    reference = stats.chi2_contingency(table, correction=False, lambda_="log-likelihood")[0]
    assert g2(a, b, n1, n2) == pytest.approx(reference, rel=1e-9, abs=1e-9)


def test_keyness_log_ratio_doubling() -> None:
    assert log_ratio(20, 10, 100, 100) == 1.0
    assert log_ratio(10, 0, 100, 100) == math.log2(10 / 0.5)


GOLD_SUGGEST = """\
term,target,rest,precision,g2,log_ratio,examples
cold,2,0,1.0,2.093,1.0,The meal and the food were [cold]. | Lunch was late and lunch was [cold].
ask,1,0,1.0,0.9081,0.0,"I had to [ask] for a drink three times, no food either…"
drink,1,0,1.0,0.9081,0.0,"I had to ask for a [drink] three times, no food either."
good,1,0,1.0,0.9081,0.0,The food was [good] and the nurse was kind.
late,1,0,1.0,0.9081,0.0,Lunch was [late] and lunch was cold.
lunch,1,0,1.0,0.9081,0.0,[Lunch] was late and lunch was cold.
times,1,0,1.0,0.9081,0.0,"I had to ask for a drink three [times], no food either."
"""

GOLD_YAML = """\
# qca suggest food: 1 term over-represented in 4 units
terms:
  - "cold"  # 2 in / 0 out, G2 2.1
"""


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--min-count", "1", "--min-g2", "0", "-f", "csv"], GOLD_SUGGEST),
        (["--min-count", "2", "--min-g2", "0", "-f", "yaml"], GOLD_YAML),
        (["-f", "yaml"], "# qca suggest food: 0 terms over-represented in 4 units\nterms: []\n"),
    ],
)
def test_suggest_gold_known_answers(
    runner: CliRunner,
    coded: Path,
    args: list[str],
    expected: str,
) -> None:
    """food's gold units are t0001-3 and t0005; its terms food, meal (and "no food") are left out."""
    gold = ["--gold", str(DATA / "gold.csv")]
    result = runner.invoke(app, ["suggest", "food", "-d", str(coded), *gold, *args])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == expected


def test_suggest_yaml_pastes_into_codebook(
    runner: CliRunner,
    coded: Path,
) -> None:
    import yaml

    args = ["suggest", "food", "-d", str(coded), "--gold", str(DATA / "gold.csv")]
    result = runner.invoke(app, [*args, "--min-count", "1", "--min-g2", "0", "-f", "yaml"])
    assert yaml.safe_load(result.stdout) == {
        "terms": ["cold", "ask", "drink", "good", "late", "lunch", "times"]
    }


@pytest.mark.parametrize(
    ("code", "gold", "message"),
    [
        ("fod", False, "no code 'fod' in {out}; choose one of: food, staff\n"),
        (
            "food",
            False,
            None,
        ),
    ],
)
def test_suggest_unknown_code(
    runner: CliRunner,
    coded: Path,
    code: str,
    gold: bool,
    message: str | None,
) -> None:
    result = runner.invoke(app, ["suggest", code, "-d", str(coded), "-f", "csv"])
    if message is None:
        # without gold, food's units are its 3 coded segments; nothing reaches G2 10.83
        assert result.exit_code == 0, result.stderr
        assert result.stdout == "term,target,rest,precision,g2,log_ratio,examples\n"
        return
    assert result.exit_code == 1
    assert result.stderr == message.format(out=coded.as_posix())


def test_suggest_needs_units_out_of_the_code(
    runner: CliRunner,
    coded: Path,
    tmp_path: Path,
) -> None:
    gold = tmp_path / "all.csv"
    gold.write_text("unit_id,code\nward:t0001,food\nward:t0002,food\n", encoding="utf-8")
    result = runner.invoke(app, ["suggest", "food", "-d", str(coded), "--gold", str(gold)])
    assert result.exit_code == 1
    assert result.stderr == (
        "food: every unit is in this code in the gold labels; keyness needs units in and out of it\n"
    )


# --- the gold-label reader: any long file round-trips onto the folder's units ----------

SEGMENTS = [f"ward:t000{i}" for i in range(1, 7)]
CODES = ["food", "staff", "Food & drink", "Staff manner", "other"]
BY_LABEL = {"Food & drink": "food", "Staff manner": "staff"}


@settings(max_examples=30, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.sampled_from(SEGMENTS), st.sampled_from(CODES)), max_size=20),
    seen=st.lists(st.sampled_from(SEGMENTS), min_size=1, max_size=6),
    level=st.sampled_from(["segment", "document"]),
)
def test_gold_reader_round_trip(
    pairs: list[tuple[str, str]],
    seen: list[str],
    level: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Whatever a long gold file holds, read_gold gives its units and codes (labels -> ids)."""
    import csv

    from qca.diagnostics import read_gold, read_units

    units = read_units(_ward_output(tmp_path_factory))
    to_id = (lambda s: s) if level == "segment" else (lambda s: "ward")
    path = tmp_path_factory.mktemp("gold") / "gold.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["unit_id", "code"])
        writer.writerows((to_id(s), "") for s in seen)
        writer.writerows((to_id(s), c) for s, c in pairs)
    gold = read_gold(path, units)
    assert gold.level == level
    assert set(gold.units) == {to_id(s) for s in seen + [s for s, _ in pairs]}
    expected: dict[str, set[str]] = {}
    for s, c in pairs:
        expected.setdefault(BY_LABEL.get(c, c), set()).add(to_id(s))
    assert {k: set(v) for k, v in gold.positives.items()} == expected


def _ward_output(factory: pytest.TempPathFactory) -> Path:
    out = factory.getbasetemp() / "ward-out"
    return out if (out / "run.json").is_file() else code_ward(out)
