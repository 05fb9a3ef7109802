"""`qca agree` through CliRunner: exact output, errors, golden cases in tests/cases/agree-*/."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.models import (
    CODING_COLUMNS,
    HIT_COLUMNS,
    RUN_FILE,
    RUN_FORMAT,
    SEGMENT_COLUMNS,
)
from tests.conftest import ROOT

CASES = sorted((ROOT / "tests" / "cases").glob("agree-*"))


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def coders(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    _write(tmp_path / "a.csv", "unit_id,code\nu1,will\nu2,ideas\nu3,\nu4,will\nu4,ideas\n")
    _write(
        tmp_path / "b.csv",
        "unit_id,will,ideas,note\nu1,1,0,x\nu2,1,,y\nu3,0,0,z\nu4,1,1,w\n",
    )
    return tmp_path


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.name)
def test_agree_cli_golden_case(
    runner: CliRunner, case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)
    args = shlex.split((case / "args").read_text(encoding="utf-8"))
    result = runner.invoke(app, ["agree", *args, "--format", "csv"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (case / "expected.csv").read_text(encoding="utf-8")
    expected_stderr = case / "expected.stderr"
    stderr = expected_stderr.read_text(encoding="utf-8") if expected_stderr.exists() else ""
    assert result.stderr == stderr


@pytest.mark.parametrize("fmt", ["csv"])
def test_agree_cli_two_inputs(runner: CliRunner, coders: Path, fmt: str) -> None:
    result = runner.invoke(
        app, ["agree", "A=a.csv", "B=b.csv", "--code-columns", "will..ideas", "-f", fmt]
    )
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == (
        "code,units,percent_agreement,cohen_kappa,fleiss_kappa,krippendorff_alpha,gwet_ac1,verdict\n"
        "ideas,4,0.75,0.5,0.4667,0.5333,0.5294,unreliable\n"
        "will,4,0.75,0.5,0.4667,0.5333,0.5294,unreliable\n"
        "(micro),4,0.75,0.5,0.5,0.5312,0.5,unreliable\n"
        "(macro),4,0.75,0.5,0.4667,0.5333,0.5294,unreliable\n"
    )


def test_agree_cli_gold_markdown(runner: CliRunner, coders: Path) -> None:
    result = runner.invoke(
        app,
        ["agree", "human=a.csv", "auto=b.csv", "--code-columns", "will..ideas"]
        + ["--gold", "human", "--format", "markdown"],
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines()[2:4] == [
        "| auto | ideas | 4 | 2 | 1 | 1 | 1.0 | 0.5 | 0.6667 | 0.75 | 0.5 | 0.5333 | 0.5294 | unreliable |",
        "| auto | will | 4 | 2 | 3 | 2 | 0.6667 | 1.0 | 0.8 | 0.75 | 0.5 | 0.5333 | 0.5294 | unreliable |",
    ]


def test_agree_cli_table_format(runner: CliRunner, coders: Path) -> None:
    result = runner.invoke(
        app, ["agree", "A=a.csv", "B=b.csv", "--code-columns", "will..ideas", "-f", "table"]
    )
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].strip() == "Agreement"
    assert lines[2] == "┃ code    ┃ units ┃ agree ┃ kappa ┃ fleiss ┃ alpha ┃   ac1 ┃ verdict    ┃"
    assert lines[4] == "│ ideas   │     4 │ 0.750 │ 0.500 │  0.467 │ 0.533 │ 0.529 │ unreliable │"


def test_agree_cli_disagreements(runner: CliRunner, coders: Path) -> None:
    result = runner.invoke(
        app,
        ["agree", "A=a.csv", "B=b.csv", "--code-columns", "will..ideas"]
        + ["--text-column", "note", "--disagreements", "will", "-f", "csv"],
    )
    assert result.exit_code == 0
    assert result.stdout == "unit_id,A,B,text\nu2,0,1,y\n"


def test_agree_cli_warns_code_in_one_input(runner: CliRunner, coders: Path) -> None:
    result = runner.invoke(app, ["agree", "a.csv", "b.csv", "--code-columns", "will", "-f", "csv"])
    assert result.exit_code == 0
    assert result.stderr == (
        "warning: a.csv: code 'ideas' is in this input only; the others count it as not coded "
        "(check the code names, or pass --mapping)\n"
    )


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (
            ["a.csv"],
            "agreement needs two or more codings, got 1 (a.csv); pass a second coder's coding, "
            "or --matrix FILE with two or more coder columns\n",
        ),
        (
            ["a.csv", "b.csv"],
            "b.csv:2: column 'note': cell 'x' is not 0 or 1; one-hot cells hold 1 (coded), 0 or "
            "blank; choose the code columns with --code-columns or --mapping\n"
            "b.csv:3: column 'note': cell 'y' is not 0 or 1; one-hot cells hold 1 (coded), 0 or "
            "blank; choose the code columns with --code-columns or --mapping\n"
            "b.csv:4: column 'note': cell 'z' is not 0 or 1; one-hot cells hold 1 (coded), 0 or "
            "blank; choose the code columns with --code-columns or --mapping\n"
            "b.csv:5: column 'note': cell 'w' is not 0 or 1; one-hot cells hold 1 (coded), 0 or "
            "blank; choose the code columns with --code-columns or --mapping\n",
        ),
        (
            ["a.csv", "b.csv", "--code-columns", "will..ideas", "--disagreements", "wil"],
            "unknown code 'wil' for --disagreements; the codes are: ideas, will\n",
        ),
        (
            ["a.csv", "b.csv", "--code-columns", "will..ideas", "--gold", "human"],
            "unknown --gold 'human'; the inputs are named: a.csv, b.csv (name an input with "
            "NAME=PATH)\n",
        ),
        (
            ["a.csv", "c.csv"],
            "c.csv: no such file or folder; check the path\n",
        ),
        (
            ["a.csv", "b.csv", "--code-columns", "Will"],
            "b.csv: no column 'Will' for --code-columns; check the spelling against the header\n",
        ),
    ],
)
def test_agree_cli_errors(runner: CliRunner, coders: Path, args: list[str], stderr: str) -> None:
    result = runner.invoke(app, ["agree", *args, "-f", "csv"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == stderr


def test_agree_cli_no_common_units(runner: CliRunner, coders: Path) -> None:
    _write(coders / "c.csv", "unit_id,code\nx1,will\n")
    result = runner.invoke(app, ["agree", "a.csv", "c.csv", "-f", "csv"])
    assert result.exit_code == 1
    assert result.stderr == (
        "a.csv: shares no units with the other inputs; check that all inputs use the same unit "
        "ids (segment ids, or the same --id-column) and --unit\n"
        "c.csv: shares no units with the other inputs; check that all inputs use the same unit "
        "ids (segment ids, or the same --id-column) and --unit\n"
    )


def _output_folder(folder: Path) -> Path:
    """A tiny qca output folder: 3 codable segments, 1 interviewer turn, one override."""
    folder.mkdir()
    segments = pd.DataFrame(
        [
            ["d1", "d1:t0000", "turn", "Interviewer", True, 0, 5, 1, "Why?"],
            ["d1", "d1:t0001", "turn", "Ann", False, 6, 20, 3, "We wanted change."],
            ["d1", "d1:t0002", "turn", "Ann", False, 21, 30, 2, "New ideas."],
            ["d2", "d2:t0001", "turn", "Bo", False, 0, 10, 2, "Nothing here."],
        ],
        columns=list(SEGMENT_COLUMNS),
    )
    hits = pd.DataFrame(
        [
            [
                "d1",
                "d1:t0001",
                "Ann",
                "will",
                "motivation",
                "term",
                "want",
                "wanted",
                3,
                9,
                False,
                "",
            ],
            ["d1", "d1:t0002", "Ann", "ideas", "ideas", "term", "idea", "ideas", 25, 30, False, ""],
        ],
        columns=list(HIT_COLUMNS),
    )
    codings = pd.DataFrame(
        [
            ["d1:t0001", "will", "motivation", "auto", 1],
            ["d2:t0001", "ideas", "ideas", "manual", 0],
        ],
        columns=list(CODING_COLUMNS),
    )
    segments.to_parquet(folder / "segments.parquet")
    hits.to_parquet(folder / "hits.parquet")
    codings.to_parquet(folder / "codings.parquet")
    manifest = {
        "format": RUN_FORMAT,
        "codes": [
            {"theme": "will", "code": "motivation", "label": "Motivation", "parent": None},
            {"theme": "ideas", "code": "ideas", "label": "New ideas", "parent": None},
        ],
        "options": {"include_interviewer": False},
    }
    (folder / RUN_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_agree_cli_output_folder_auto_vs_reviewed(runner: CliRunner, coders: Path) -> None:
    _output_folder(coders / "out")
    _write(
        coders / "human.csv",
        "Comment ID,Motivation,New ideas\nd1:t0001,1,0\nd1:t0002,0,1\nd2:t0001,0,0\n",
    )
    result = runner.invoke(
        app,
        ["agree", "auto=out@auto", "reviewed=out", "human=human.csv", "--id-column", "Comment ID"]
        + ["--gold", "human", "-f", "csv"],
    )
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    rows = [line.split(",")[:9] for line in result.stdout.splitlines()]
    assert rows[0] == [
        "coder",
        "code",
        "units",
        "support",
        "predicted",
        "true_positives",
        "precision",
        "recall",
        "f1",
    ]
    assert rows[1:3] == [
        ["auto", "motivation", "3", "1", "1", "1", "1.0", "1.0", "1.0"],
        ["auto", "ideas", "3", "1", "1", "1", "1.0", "1.0", "1.0"],
    ]
    assert rows[5:7] == [
        ["reviewed", "motivation", "3", "1", "1", "1", "1.0", "1.0", "1.0"],
        ["reviewed", "ideas", "3", "1", "1", "0", "0.0", "0.0", "0.0"],
    ]


def test_agree_cli_output_folder_disagreement_text(runner: CliRunner, coders: Path) -> None:
    _output_folder(coders / "out")
    result = runner.invoke(
        app, ["agree", "auto=out@auto", "reviewed=out", "--disagreements", "ideas", "-f", "csv"]
    )
    assert result.exit_code == 0
    assert result.stdout == (
        "unit_id,auto,reviewed,text\nd1:t0002,1,0,New ideas.\nd2:t0001,0,1,Nothing here.\n"
    )
