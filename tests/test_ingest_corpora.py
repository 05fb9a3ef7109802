"""Real transcripts from ../shared/corpora ingest with the right speakers (skip when absent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.ingest import IngestOptions, read_corpus

pytestmark = pytest.mark.corpus


def test_ingest_corpora_pdpilot_interviews(corpora: Path) -> None:
    folder = corpora / "maxqda-coded-interviews-pdpilot" / "pdftotext"
    paths = sorted(folder.glob("P*.txt"))
    assert len(paths) == 7
    corpus = read_corpus(paths, IngestOptions(interviewer_labels=("dan",)))
    segments = corpus.segments
    assert sorted(corpus.documents["doc_id"]) == [f"P{i}" for i in range(1, 8)]
    speakers = set(segments["speaker"].dropna())
    assert {"Dan", "Participant"} <= speakers
    assert speakers <= {"Dan", "Participant", "Particpant"}  # a typo in the source
    assert segments[segments["speaker"] == "Dan"]["is_interviewer"].all()
    assert not segments[segments["speaker"] == "Participant"]["is_interviewer"].any()
    first = segments[segments["doc_id"] == "P1"].iloc[1]
    assert first["speaker"] == "Dan"
    assert first["text"].startswith("Okay. So now you can stop sharing your screen")
    # each file starts with a line number and a title before the first label: reported
    assert len([p for p in corpus.problems if "before the first speaker" in p.message]) == 7
    assert not any(p.is_error for p in corpus.problems)


def test_ingest_corpora_qualcoder_bracket_transcript(corpora: Path) -> None:
    corpus = read_corpus([corpora / "qualcoder-examples" / "transcript.txt"])
    segments = corpus.segments
    assert segments["speaker"].tolist() == ["id1", "id2", "id3", "id1", "id3", "id1", "id2"]
    assert segments["text"].iloc[0].startswith("hello, I like the course.")
    assert corpus.problems == ()


def test_ingest_corpora_qualcoder_docx(corpora: Path) -> None:
    corpus = read_corpus([corpora / "qualcoder-examples" / "ID1.docx"])
    segments = corpus.segments
    assert len(segments) == 1
    assert segments["text"].iloc[0].startswith("I really like learning new things.")
    assert segments["text"].iloc[0].endswith("I'm happy to pay €200.")
    assert [p.severity for p in corpus.problems] == ["warning"]


def test_ingest_corpora_qualcoder_surveys(corpora: Path) -> None:
    folder = corpora / "qualcoder-examples"
    csv = read_corpus([folder / "survey456.csv"], IngestOptions(id_column="Case"))
    assert csv.segments["doc_id"].tolist() == ["ID4", "ID5", "ID6"]
    assert csv.segments["Gender"].tolist() == ["f", "m", "m"]
    assert csv.segments["text"].iloc[1].startswith("I needed to upskill")
    xlsx = read_corpus(
        [folder / "survey789.xlsx"],
        IngestOptions(text_column="Qual_pet_opinions", id_column="Case"),
    )
    assert xlsx.segments["doc_id"].tolist() == ["ID7", "ID8", "ID9"]
    assert xlsx.segments["text"].iloc[1] == "A fish"
    assert xlsx.segments["Age"].iloc[0] == "33"
    assert "Qual_hobby_opinions" in xlsx.segments.columns


def test_ingest_corpora_cli_folder(runner: CliRunner, corpora: Path) -> None:
    folder = corpora / "qualcoder-examples"
    result = runner.invoke(
        app, ["ingest", str(folder / "transcript.txt"), str(folder / "survey456.csv")]
    )
    assert result.exit_code == 0
    assert result.stderr == (
        "┏━━━━━━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━┳━━━━━━━┳━━━━━━━┳━━━━━━━━━━┓\n"
        "┃ document      ┃ format ┃ speakers ┃ turns ┃ words ┃ warnings ┃\n"
        "┡━━━━━━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━╇━━━━━━━╇━━━━━━━╇━━━━━━━━━━┩\n"
        "│ survey456.csv │ csv    │        3 │     3 │    66 │        0 │\n"
        "│ transcript    │ txt    │        3 │     7 │   170 │        0 │\n"
        "└───────────────┴────────┴──────────┴───────┴───────┴──────────┘\n"
    )
