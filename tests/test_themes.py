"""qca themes and qca.themes: errors, formats, xlsx, the terminal table, the library API."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

import qca
from qca.cli import app
from qca.errors import OutputError, suggest
from qca.exemplars import quotes
from qca.outputs import read_output
from qca.presence import presence_matrix
from qca.themes import theme_table
from tests.test_outputs import BASIC_INPUT, write_output


@pytest.fixture
def coded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_output(BASIC_INPUT, tmp_path / "qca-out")


BASIC_CSV = (BASIC_INPUT.parent / "expected.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--by", "rol"], "by: unknown attribute 'rol'; use one of: role, doc_id, speaker"),
        (
            ["-m", "mention"],
            "measure: unknown measure 'mention'; use one of: mentions, segments, documents, "
            "pct_segments, per_1000_words, speakers",
        ),
        (["--presence", "--by", "role"], "--presence and --by do not combine; drop one of them"),
        (["-f", "xlsx"], "xlsx is a binary format; write it to a file with -o FILE.xlsx"),
    ],
)
def test_themes_cli_errors(coded: Path, runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["themes", *args])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == message + "\n"


@pytest.mark.parametrize("outdir", [[], ["-d", "elsewhere"]])
def test_themes_cli_no_coded_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner, outdir: list[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["themes", *outdir])
    name = outdir[1] if outdir else "qca-out"
    assert result.exit_code == 1
    assert result.stderr == (
        f"no coded output in {name}/; run: qca code TRANSCRIPTS -c CODEBOOK -d {name}\n"
    )


def test_themes_cli_default_folder_from_project_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.chdir(tmp_path)
    write_output(BASIC_INPUT, tmp_path / "results")
    (tmp_path / "qca.yaml").write_text("output: results\n", encoding="utf-8")
    result = runner.invoke(app, ["themes", "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout == BASIC_CSV


@pytest.mark.parametrize("fmt", ["csv"])
def test_themes_cli_output_file_is_deterministic(
    coded: Path, runner: CliRunner, tmp_path: Path, fmt: str
) -> None:
    outputs = []
    for name in ("a", "b"):
        target = tmp_path / f"{name}.{fmt}"
        result = runner.invoke(app, ["themes", "-o", str(target)])
        assert result.exit_code == 0
        assert result.stdout == ""
        outputs.append(target.read_bytes())
    assert outputs[0] == outputs[1] == BASIC_CSV.encode("utf-8")


@pytest.mark.parametrize("by", [None, "role"])
def test_themes_cli_xlsx_same_numbers_as_csv(
    coded: Path, runner: CliRunner, tmp_path: Path, by: str | None
) -> None:
    extra = ["--by", by] if by else []
    target = tmp_path / "themes.xlsx"
    result = runner.invoke(app, ["themes", *extra, "--quotes", "1", "-o", str(target)])
    assert result.exit_code == 0
    csv_result = runner.invoke(app, ["themes", *extra, "--format", "csv"])
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["themes", "quotes", "run"]
    rows = list(book["themes"].iter_rows(values_only=True))
    expected = pd.read_csv(io.StringIO(csv_result.stdout), keep_default_na=False)
    assert list(rows[0]) == list(expected.columns)
    got = [[("" if v is None else v) for v in row] for row in rows[1:]]
    assert got == expected.values.tolist()
    run = dict(book["run"].iter_rows(min_row=2, values_only=True))
    assert run["format"] == "1"
    assert run["codebook.path"] == "codebook.yaml"
    quote_rows = list(book["quotes"].iter_rows(values_only=True))
    assert [r[4] for r in quote_rows[1:]] == ["int1:t0001", "fg1:t0002", "fg1:t0003"]


def test_themes_cli_terminal_table(coded: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["themes", "-f", "table", "-m", "mentions,pct_segments"])
    assert result.exit_code == 0
    # The bar is 8 blocks for the largest mentions (6): 4 -> 5, 3 -> 4, 2 -> 3.
    assert result.stdout == (
        "                         themes                         \n"
        "┏━━━━━━━━━━━━━━━━┳━━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━┓\n"
        "┃ theme / code   ┃ mentions ┃ % of segments ┃          ┃\n"
        "┡━━━━━━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━┩\n"
        "│ will           │        6 │         57.14 │ ████████ │\n"
        "│   motivation   │        4 │         42.86 │ █████    │\n"
        "│   commitment   │        2 │         28.57 │ ███      │\n"
        "│ ideas          │        3 │         28.57 │ ████     │\n"
        "│   idea_sharing │        3 │         28.57 │ ████     │\n"
        "│ sustain        │        0 │          0.00 │          │\n"
        "│   routines     │        0 │          0.00 │          │\n"
        "└────────────────┴──────────┴───────────────┴──────────┘\n"
    )


def test_themes_cli_terminal_crosstab(coded: Path, runner: CliRunner) -> None:
    # Same numbers as tests/cases/themes-by-role/expected.csv, one column per group.
    result = runner.invoke(app, ["themes", "-f", "table", "--by", "role", "-m", "mentions"])
    assert result.exit_code == 0
    assert result.stdout == (
        "           themes: mentions by role           \n"
        "┏━━━━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━━━┳━━━━━━━━━┓\n"
        "┃ theme / code   ┃ coach ┃ faculty ┃ (total) ┃\n"
        "┡━━━━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━━━╇━━━━━━━━━┩\n"
        "│ will           │     6 │       0 │       6 │\n"
        "│   motivation   │     4 │       0 │       4 │\n"
        "│   commitment   │     2 │       0 │       2 │\n"
        "│ ideas          │     1 │       2 │       3 │\n"
        "│   idea_sharing │     1 │       2 │       3 │\n"
        "│ sustain        │     0 │       0 │       0 │\n"
        "│   routines     │     0 │       0 │       0 │\n"
        "└────────────────┴───────┴─────────┴─────────┘\n"
    )


def test_themes_cli_terminal_quotes(coded: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["themes", "-f", "table", "-m", "mentions", "--quotes", "1"])
    assert result.exit_code == 0
    quotes_text = result.stdout.split("└", 1)[1].split("\n", 1)[1]
    lines = [line.rstrip() for line in quotes_text.splitlines()]
    assert lines == [
        "quotes",
        "will / motivation #1  int1:t0001  Anna (role=coach)  [2: motivated; want to]",
        "    I was motivated because I really want to improve and feel committed.",
        "will / commitment #1  fg1:t0002  Dan (role=coach)  [1: commitment]",
        "    I would not say commitment was there for me personally.",
        "ideas / idea_sharing #1  fg1:t0003  Cara (role=coach)  [1: share]",
        "    We share what works with other wards now.",
    ]


def test_themes_presence_document(coded: Path) -> None:
    out = read_output(coded)
    matrix = presence_matrix(out.hits, out.codings, out.segments, out.codes, exclude_negated=True)
    assert matrix.columns.tolist() == [
        "doc_id",
        "will",
        "ideas",
        "sustain",
        "motivation",
        "commitment",
        "idea_sharing",
        "routines",
    ]
    # fg1: motivation (enthusiasm) and idea_sharing; commitment there is negated.
    assert matrix.values.tolist() == [
        ["fg1", 1, 1, 0, 1, 0, 1, 0],
        ["int1", 1, 0, 0, 1, 1, 0, 0],
        ["int2", 0, 1, 0, 0, 0, 1, 0],
    ]


def test_themes_presence_unknown_case(coded: Path) -> None:
    out = read_output(coded)
    with pytest.raises(OutputError) as info:
        presence_matrix(out.hits, out.codings, out.segments, out.codes, case="speakers")
    assert info.value.lines() == ["case: unknown case 'speakers'; use one of: speaker, document"]


def test_themes_library_is_exported_and_pipeable(coded: Path) -> None:
    out = qca.read_output(coded)
    table = out.hits.pipe(
        qca.theme_table, out.codings, out.segments, out.codes, measures=["mentions"]
    )
    assert table.to_dict("list") == {
        "theme": ["will", "will", "will", "ideas", "ideas", "sustain", "sustain"],
        "code": ["", "motivation", "commitment", "", "idea_sharing", "", "routines"],
        "mentions": [6, 4, 2, 3, 3, 0, 0],
    }
    assert qca.presence_matrix is presence_matrix
    assert qca.quotes is quotes


def test_themes_library_does_not_mutate_inputs(coded: Path) -> None:
    out = read_output(coded)
    before = [frame.copy() for frame in (out.hits, out.segments)]
    theme_table(out.hits, None, out.segments, out.codes, by="speaker", exclude_negated=True)
    quotes(out.hits, None, out.segments, out.codes, n=2)
    assert before[0].equals(out.hits)
    assert before[1].equals(out.segments)


def test_themes_suggest_closest_first() -> None:
    assert suggest("motivaton", ["commitment", "motivation", "routines"]) == (
        "motivation, routines, commitment"
    )
    assert suggest("x", [f"c{i:02d}" for i in range(14)], limit=2).endswith(", ... (12 more)")
