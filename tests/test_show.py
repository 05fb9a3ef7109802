"""qca show and qca.excerpts.show_segments / kwic."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.excerpts import locate, show_segments
from qca.outputs import read_output
from tests.test_outputs import BASIC_INPUT, write_output


@pytest.fixture
def coded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return write_output(BASIC_INPUT, tmp_path / "qca-out")


def _lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


@pytest.mark.parametrize("target", ["will"])
def test_show_theme_csv(coded: Path, runner: CliRunner, target: str) -> None:
    result = runner.invoke(app, ["show", target, "--format", "csv"])
    assert result.exit_code == 0
    assert result.stderr == ""
    assert result.stdout == (
        "doc_id,segment_id,speaker,codes,matches,text\n"
        "fg1,fg1:t0001,Cara,motivation,enthusiasm,There was so much enthusiasm in the room "
        "when we saw the first results on the board early last spring.\n"
        "fg1,fg1:t0002,Dan,commitment,commitment,I would not say commitment was there for me "
        "personally.\n"
        'int1,int1:t0001,Anna,"commitment, motivation",committed; motivated; want to,I was '
        "motivated because I really want to improve and feel committed.\n"
        "int1,int1:t0003,Anna,motivation,motivation,Honestly there was no motivation at all in "
        "the beginning.\n"
    )


def test_show_by_limit_context_terminal(coded: Path, runner: CliRunner) -> None:
    result = runner.invoke(
        app, ["show", "idea_sharing", "--by", "role", "-n", "1", "--context", "1", "-f", "table"]
    )
    assert result.exit_code == 0
    assert _lines(result.stdout) == [
        "role = coach",
        "fg1:t0002  Dan",
        "    I would not say commitment was there for me personally.",
        "fg1:t0003  Cara  [idea_sharing: share]",
        "    We share what works with other wards now.",
        "role = faculty",
        "int2:t0000  Interviewer",
        "    Tell me about the ideas you tried.",
        "int2:t0001  Ben  [idea_sharing: ideas]",
        "    We collected ideas from patients and the best ideas came from the night staff nurses.",
        "int2:t0002  Ben",
        "    We kept a weekly huddle.",
    ]


def test_show_kwic(coded: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "motivation", "--kwic", "--context", "2", "-f", "csv"])
    assert result.exit_code == 0
    assert result.stdout == (
        "doc_id,segment_id,speaker,code,left,match,right\n"
        "fg1,fg1:t0001,Cara,motivation,so much,enthusiasm,in the\n"
        "int1,int1:t0001,Anna,motivation,I was,motivated,because I\n"
        "int1,int1:t0001,Anna,motivation,I really,want to,improve and\n"
        "int1,int1:t0003,Anna,motivation,was no,motivation,at all\n"
    )
    table = runner.invoke(app, ["show", "motivation", "--kwic", "-n", "1", "-f", "table"])
    assert _lines(table.stdout) == [
        "segment_id  code                     left  match       right",
        "fg1:t0001   motivation  There was so much  enthusiasm  in the room when we",
    ]


def test_show_exclude_negated(coded: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["show", "will", "--exclude-negated", "-f", "csv"])
    assert result.exit_code == 0
    assert [line.split(",")[1] for line in result.stdout.splitlines()[1:]] == [
        "fg1:t0001",
        "int1:t0001",
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["motivaton"],
            "unknown code or theme 'motivaton'; use one of: motivation, routines, commitment, "
            "sustain, ideas, idea_sharing, will",
        ),
        (
            ["will", "--by", "site"],
            "by: unknown attribute 'site'; use one of: speaker, role, doc_id",
        ),
        (["will", "--kwic", "--by", "role"], "--kwic and --by do not combine; drop one of them"),
    ],
)
def test_show_errors(coded: Path, runner: CliRunner, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["show", *args])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == message + "\n"


def test_show_highlight_spans(coded: Path) -> None:
    out = read_output(coded)
    excerpts = show_segments(out.hits, out.codings, out.segments, out.codes, "motivation")
    assert excerpts.spans["int1:t0001"] == [(6, 15), (33, 40)]
    from qca.render import highlight

    text = highlight("I was motivated", [(6, 15)])
    assert [(s.start, s.end, str(s.style)) for s in text.spans] == [(6, 15, "bold reverse")]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [(16, 25, (6, 15)), (6, 15, (6, 15)), (90, 99, (6, 15))],
    ids=["document-offsets", "segment-offsets", "by-words"],
)
def test_show_locate(start: int, end: int, expected: tuple[int, int]) -> None:
    assert locate("I was motivated today", 10, start, end, "Motivated") == expected
