"""`qca ingest --speakers`: every label per document, near-duplicates flagged (#15)."""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.errors import IngestError
from qca.ingest import IngestOptions, read_corpus
from qca.ingest.speaker_table import edit_distance, similar_labels, speaker_table
from qca.models import SPEAKER_TABLE_COLUMNS

INTERVIEW_A = (
    "Interviewer: How did it go?\n"
    "Participant: Well, mostly.\n"
    "Interviewer: And then?\n"
    "Particpant: Right.\n"
    "Participant: It went on.\n"
)
INTERVIEW_B = "Interviewer: Hello.\nparticipant: Hi there.\nSpeaker 1: One.\nSpeaker 2: Two.\n"
SPEAKERS_CSV = (
    "doc_id,speaker,turns,words,is_interviewer,similar_to\n"
    "a,Interviewer,2,6,True,\n"
    "a,Participant,2,5,False,Particpant; participant (in b)\n"
    "a,Particpant,1,1,False,Participant; participant (in b)\n"
    "b,Interviewer,1,1,True,\n"
    "b,participant,1,2,False,Participant (in a); Particpant (in a)\n"
    "b,Speaker 1,1,1,False,\n"
    "b,Speaker 2,1,1,False,\n"
    "c,,1,3,False,\n"
)


@pytest.fixture
def interviews(tmp_path: Path) -> Path:
    (tmp_path / "a.txt").write_text(INTERVIEW_A, encoding="utf-8")
    (tmp_path / "b.txt").write_text(INTERVIEW_B, encoding="utf-8")
    (tmp_path / "c.txt").write_text("No labels here.\n", encoding="utf-8")
    (tmp_path / "survey.csv").write_text("id,text\nParticipant1,Fine.\n", encoding="utf-8")
    return tmp_path


def test_speaker_table_speaker_table(interviews: Path) -> None:
    table = speaker_table(read_corpus([interviews]))
    assert tuple(table.columns) == SPEAKER_TABLE_COLUMNS
    assert table.to_csv(index=False, lineterminator="\n") == SPEAKERS_CSV
    assert list(table.dtypes.astype(str))[2:5] == ["int64", "int64", "bool"]


def test_speaker_table_speaker_table_needs_turns(interviews: Path) -> None:
    corpus = read_corpus([interviews / "a.txt"], IngestOptions(unit="sentence"))
    with pytest.raises(IngestError) as info:
        speaker_table(corpus)
    assert info.value.lines() == [
        "speaker_table counts speaker turns; read the corpus with IngestOptions(unit='turn')"
    ]


def test_speaker_table_cli_speakers_csv(runner: CliRunner, interviews: Path) -> None:
    result = runner.invoke(app, ["ingest", str(interviews), "--speakers", "--format", "csv"])
    assert result.exit_code == 0
    assert result.stdout == SPEAKERS_CSV
    assert result.stderr == (
        f"warning: {interviews / 'c.txt'}: no speaker labels found, so no segment has a "
        "speaker; if speakers are marked, pass a regex matching the label at a line start, "
        "e.g. --speaker-pattern '^(?P<speaker>[A-Z]\\w+) -'\n"
    )


def test_speaker_table_cli_speakers_table_and_json(runner: CliRunner, interviews: Path) -> None:
    a = str(interviews / "a.txt")
    result = runner.invoke(app, ["ingest", a, "--speakers", "-f", "table"])
    assert result.exit_code == 0
    assert result.stdout == (
        "┏━━━━━━━━┳━━━━━━━━━━━━━┳━━━━━━━┳━━━━━━━┳━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━┓\n"
        "┃ doc_id ┃ speaker     ┃ turns ┃ words ┃ is_interviewer ┃ similar_to  ┃\n"
        "┡━━━━━━━━╇━━━━━━━━━━━━━╇━━━━━━━╇━━━━━━━╇━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━┩\n"
        "│ a      │ Interviewer │     2 │     6 │ True           │             │\n"
        "│ a      │ Participant │     2 │     5 │ False          │ Particpant  │\n"
        "│ a      │ Particpant  │     1 │     1 │ False          │ Participant │\n"
        "└────────┴─────────────┴───────┴───────┴────────────────┴─────────────┘\n"
    )
    out = interviews / "speakers.json"
    result = runner.invoke(app, ["ingest", a, "--speakers", "-o", str(out)])
    assert result.exit_code == 0
    assert (result.stdout, result.stderr) == ("", "")
    rows = json.loads(out.read_text(encoding="utf-8"))
    assert rows[2] == {
        "doc_id": "a",
        "speaker": "Particpant",
        "turns": 1,
        "words": 1,
        "is_interviewer": False,
        "similar_to": "Participant",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--speakers", "--unit", "sentence"],
            "--speakers counts speaker turns; leave out --unit\n",
        ),
        (
            ["--format", "table"],
            "--format table is for --speakers; write segments as csv, json or jsonl\n",
        ),
    ],
)
def test_speaker_table_cli_bad_options(
    runner: CliRunner, interviews: Path, args: list[str], message: str
) -> None:
    result = runner.invoke(app, ["ingest", str(interviews / "a.txt"), *args])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == message


@pytest.mark.parametrize(
    ("a", "b", "similar"),
    [
        ("Particpant", "Participant", True),
        ("Intervewer", "Interviewer", True),
        ("Interviewer", "INTERVIEWER", True),
        ("Anna  Berg", "Anna Berg", True),
        ("Modrator", "Moderator", True),
        ("Participant", "Particpiant", True),
        ("Participnat", "Participant", True),  # a transposition: distance 2
        ("Anna", "Anne", True),
        ("Participant", "Participant", False),
        ("Speaker 1", "Speaker 2", False),
        ("P1", "P2", False),
        ("I", "R", False),
        ("Dan", "Don", False),
        ("Anna", "Hans", False),
        ("Erik", "Eric", True),
        ("Participant", "Patient", False),
    ],
)
def test_speaker_table_similar_labels(a: str, b: str, similar: bool) -> None:
    assert similar_labels(a, b) is similar
    assert similar_labels(b, a) is similar


@cache
def _reference_distance(a: str, b: str) -> int:
    if not a or not b:
        return len(a) + len(b)
    return min(
        _reference_distance(a[1:], b) + 1,
        _reference_distance(a, b[1:]) + 1,
        _reference_distance(a[1:], b[1:]) + (a[0] != b[0]),
    )


WORDS = st.text(alphabet="aábcP ", max_size=7)


@given(a=WORDS, b=WORDS, c=WORDS)
def test_speaker_table_edit_distance_properties(a: str, b: str, c: str) -> None:
    distance = edit_distance(a, b)
    assert distance == _reference_distance(a, b)
    assert distance == edit_distance(b, a)
    assert (distance == 0) == (a == b)
    assert abs(len(a) - len(b)) <= distance <= max(len(a), len(b))
    assert edit_distance(a, c) <= distance + edit_distance(b, c)


@pytest.mark.corpus
def test_ingest_pdpilot_p5_particpant_typo_is_reported(runner: CliRunner, corpora: Path) -> None:
    folder = corpora / "maxqda-coded-interviews-pdpilot" / "pdftotext"
    paths = [str(p) for p in sorted(folder.glob("P*.txt"))]
    assert len(paths) == 7
    args = ["ingest", *paths, "--speakers", "--interviewer-label", "Dan", "-f", "csv"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    table = pd.read_csv(io.StringIO(result.stdout), keep_default_na=False)
    p5 = table[table["doc_id"] == "P5"]
    assert p5.values.tolist() == [
        ["P5", "", 1, 2, False, ""],  # the title before the first label
        ["P5", "Dan", 68, 1355, True, ""],
        ["P5", "Participant", 67, 2622, False, "Particpant"],
        ["P5", "Particpant", 1, 1, False, "Participant"],
    ]
    others = table[(table["doc_id"] != "P5") & (table["speaker"] == "Participant")]
    assert others["similar_to"].tolist() == ["Particpant (in P5)"] * 6
    assert set(table["speaker"]) == {"", "Dan", "Participant", "Particpant"}
