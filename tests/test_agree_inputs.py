"""Issue #17: agreement inputs that cannot be misread (id columns, undefined bootstrap draws)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.agreement import AgreementError, ReadOptions, measure_agreement, read_coding, read_matrix
from qca.agreement.bootstrap import bootstrap_warnings
from qca.cli import app
from qca.models import CODE, KRIPPENDORFF_ALPHA, NOMINAL_ROW
from tests.conftest import ROOT

KRIPPENDORFF = ROOT / "tests" / "cases" / "agree-krippendorff-2011" / "matrix.csv"


def _krippendorff_with(first: str, ids: list[str]) -> str:
    lines = KRIPPENDORFF.read_text(encoding="utf-8").splitlines()
    rows = [f"{first},{lines[0]}"] + [f"{u},{line}" for u, line in zip(ids, lines[1:], strict=True)]
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize("name", ["unit", "id", "unit_id", "segment_id", "item", "case", "Unit"])
def test_agreement_issue_17_matrix_id_column_by_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / "m.csv"
    path.write_text(_krippendorff_with(name, [f"u{n}" for n in range(1, 13)]), encoding="utf-8")
    codings = read_matrix(path)
    assert [c.name for c in codings] == ["Rater1", "Rater2", "Rater3", "Rater4"]
    table = measure_agreement(codings).set_index(CODE)
    assert round(table.loc[NOMINAL_ROW, KRIPPENDORFF_ALPHA], 4) == 0.7434


@pytest.mark.parametrize(
    ("text", "stderr"),
    [
        (
            _krippendorff_with("row", [f"r{n}" for n in range(1, 13)]),
            "m.csv: column 'row' looks like ids (all 12 values differ); use --id-column 'row' "
            "or --no-id-column\n",
        ),
        (
            # A ReCal file (no header) whose first column numbers the units.
            "\n".join(f"{n},{n % 2},{n % 3}" for n in range(1, 13)) + "\n",
            "m.csv: column 'coder1' looks like ids (all 12 values differ); use --id-column "
            "'coder1' or --no-id-column\n",
        ),
    ],
)
def test_agree_cli_issue_17_refuses_id_like_column(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, stderr: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.csv").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["agree", "--matrix", "m.csv", "-f", "csv"])
    assert result.exit_code == 1
    assert result.stderr == stderr
    assert result.stdout == ""


@pytest.mark.parametrize("option", [["--id-column", "row"], ["--no-id-column"]])
def test_agree_cli_issue_17_id_like_column_overridden(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, option: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    text = _krippendorff_with("row", [str(n) for n in range(1, 13)])
    (tmp_path / "m.csv").write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["agree", "--matrix", "m.csv", "-f", "csv", *option])
    assert result.exit_code == 0, result.stderr
    nominal = result.stdout.splitlines()[-1]
    # --id-column: the published 0.7434; --no-id-column: 'row' is one more (odd) coder.
    assert nominal.split(",")[5] == ("0.7434" if option[0] == "--id-column" else "0.4485")


@pytest.mark.parametrize("name", ["id", "case"])
def test_agreement_issue_17_onehot_id_column_by_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / "h.csv"
    path.write_text(f"{name},will,ideas\nu1,1,0\nu2,0,1\n", encoding="utf-8")
    coding = read_coding(path)
    assert coding.units == ("u1", "u2")
    assert coding.codes == ("will", "ideas")


def test_agreement_issue_17_onehot_id_like_code_column(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    rows = "".join(f"u{n},{n % 2},R{n}\n" for n in range(12))
    path.write_text("unit_id,will,respondent\n" + rows, encoding="utf-8")
    with pytest.raises(AgreementError) as caught:
        read_coding(path)
    assert caught.value.lines() == [
        f"{path.as_posix()}: column 'respondent' looks like ids or text (all 12 values differ), "
        "not 0/1 codes; use --id-column 'respondent' if it holds the unit ids, or choose the "
        "code columns with --code-columns"
    ]
    coding = read_coding(path, options=ReadOptions(code_columns=("will",)))
    assert coding.codes == ("will",)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["1", "2", "3", ""]), min_size=3, max_size=3),
        min_size=10,
        max_size=30,
    )
)
def test_agreement_issue_17_matrix_property(rows: list[list[str]]) -> None:
    # Coders with few categories are never taken for ids; a numbering column always is.
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "m.csv"
        body = "".join(",".join(r) + "\n" for r in rows)
        path.write_text("A,B,C\n" + body, encoding="utf-8")
        assert [c.name for c in read_matrix(path)] == ["A", "B", "C"]
        numbered = "".join(f"n{i}," + ",".join(r) + "\n" for i, r in enumerate(rows))
        path.write_text("row,A,B,C\n" + numbered, encoding="utf-8")
        with pytest.raises(AgreementError, match="column 'row' looks like ids"):
            read_matrix(path)


def _rare(tmp_path: Path) -> list[Path]:
    # 40 units; one code given to one unit by both coders, so a resample without that
    # unit leaves alpha undefined (about (39/40)^40 = 36% of resamples).
    paths = []
    for name in ("a", "b"):
        lines = ["unit_id,code"] + [f"u{n:02d},{'rare' if n == 0 else ''}" for n in range(40)]
        path = tmp_path / f"{name}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


@pytest.mark.parametrize("bootstrap", [200])
def test_agreement_issue_17_bootstrap_counts_undefined(tmp_path: Path, bootstrap: int) -> None:
    codings = [read_coding(p) for p in _rare(tmp_path)]
    table = measure_agreement(codings, bootstrap=bootstrap, seed=1).set_index(CODE)
    undefined = int(table.loc["rare", "krippendorff_alpha_undefined"])
    assert 40 < undefined < 120
    assert np.isnan(table.loc["rare", "krippendorff_alpha_low"])
    assert np.isnan(table.loc["rare", "krippendorff_alpha_high"])
    assert table.loc["rare", KRIPPENDORFF_ALPHA] == 1.0
    warnings = [str(w) for w in bootstrap_warnings(table.reset_index(), bootstrap)]
    # The one code is also the whole of the (micro) and (macro) rows.
    assert [w.split(":")[0] for w in warnings] == ["code rare", "code (micro)", "code (macro)"]
    assert warnings[0] == (
        f"code rare: krippendorff_alpha undefined in {undefined} of {bootstrap} bootstrap "
        "resamples; interval left blank (more than 5%); code more units or drop --bootstrap "
        "for this code"
    )


def test_agree_cli_issue_17_bootstrap_warning(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _rare(tmp_path)
    result = runner.invoke(
        app, ["agree", "a.csv", "b.csv", "--bootstrap", "100", "--seed", "2", "-f", "csv"]
    )
    assert result.exit_code == 0
    header, row = result.stdout.splitlines()[:2]
    assert header.split(",")[15:18] == [
        "krippendorff_alpha_low",
        "krippendorff_alpha_high",
        "krippendorff_alpha_undefined",
    ]
    cells = row.split(",")
    assert cells[14:17] == ["1.0", "", ""]
    assert result.stderr.splitlines()[0] == (
        f"warning: code rare: krippendorff_alpha undefined in {cells[17]} of 100 bootstrap "
        "resamples; interval left blank (more than 5%); code more units or drop --bootstrap "
        "for this code"
    )
