"""Library tests for qca.ingest: speaker conventions, formats, units, attributes."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import openpyxl
import pandas as pd
import pytest

import qca
from qca.errors import IngestError
from qca.ingest import IngestOptions, read_corpus, read_transcripts
from qca.ingest.speakers import detect_turns
from qca.models import END_SECONDS, SEGMENT_COLUMNS, START_SECONDS


def _values(column: pd.Series) -> list[object]:
    return [None if pd.isna(value) else value for value in column]


def _speakers(text: str, **kwargs: object) -> list[str | None]:
    return [t.speaker for t in detect_turns(text, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        ("Name: a\nOther: b\n", ["Name", "Other"]),
        ("JOHN SMITH: a\nMARY: b\n", ["JOHN SMITH", "MARY"]),
        ("[Anna] a\n[Bo] b\n", ["Anna", "Bo"]),
        ("@Anna: a\n@Bo: b\n", ["Anna", "Bo"]),
        ("#Anna: a\n#Bo: b\n", ["Anna", "Bo"]),
        ("Anna (00:01:02): a\nBo (00:01:09): b\n", ["Anna", "Bo"]),
        ("[00:01:02] Anna: a\n00:02:03 Bo: b\n", ["Anna", "Bo"]),
        ("#00:01:02-3# Anna: a\n#00:01:09-1# b\n", ["Anna", "Anna"]),
        ("Interviewer 1: a\nInterviewer1 : b\n", ["Interviewer 1", "Interviewer1"]),
        ("interviewee: a\n", ["interviewee"]),
        ("I: a\nR: b\nP3: c\n", ["I", "R", "P3"]),
        ("2    Dan: a\n     more\n\n3    Participant: b\n", ["Dan", "Participant"]),
        ("Speaker 1  0:03\nhello\n", ["Speaker 1"]),
    ],
)
def test_ingest_speaker_conventions(text: str, speakers: list[str]) -> None:
    assert _speakers(text) == speakers


@pytest.mark.parametrize(
    "text",
    [
        "The answer was simple: we asked.\nThen we left.\n",
        "Note: this is one line.\n",
        "so yes: it worked\n",
        "10:30 we met again.\n",
    ],
)
def test_ingest_speaker_ordinary_colon_is_not_a_label(text: str) -> None:
    assert _speakers(text) == [None]


def test_ingest_speaker_multi_paragraph_turn_and_pre_text() -> None:
    text = "Focus group 3\n\nMod: Welcome.\n\nSecond paragraph.\nAnna: Hi.\nMod: Ok.\n"
    turns = detect_turns(text)
    assert [t.speaker for t in turns] == [None, "Mod", "Anna", "Mod"]
    assert text[turns[1].start : turns[1].end].strip() == "Welcome.\n\nSecond paragraph."


def test_ingest_speaker_pattern_option(tmp_path: Path) -> None:
    path = tmp_path / "x.txt"
    path.write_text("-- anna -- hello\n-- bo -- hi\n", encoding="utf-8")
    segments = read_transcripts([path], speaker_pattern=r"^-- (?P<speaker>\w+) --")
    assert _values(segments["speaker"]) == ["anna", "bo"]
    assert segments["text"].tolist() == ["hello", "hi"]


def test_ingest_front_matter_attributes_and_doc_id(tmp_path: Path) -> None:
    path = tmp_path / "raw-name.md"
    path.write_text(
        "---\ndoc_id: fg-coaches\nlanguage: sv\nsite: Jönköping\nyear: 2019\n---\n"
        "Moderator: Hej.\nAnna: Hej hej.\n",
        encoding="utf-8",
    )
    corpus = read_corpus([path])
    assert corpus.documents.columns.tolist()[7:] == ["language", "site", "year"]
    assert corpus.documents["text"].iloc[0] == "Moderator: Hej.\nAnna: Hej hej.\n"
    segments = corpus.segments
    assert segments.columns.tolist() == [*SEGMENT_COLUMNS, "language", "site", "year"]
    assert segments["segment_id"].tolist() == ["fg-coaches:t0001", "fg-coaches:t0002"]
    assert segments["is_interviewer"].tolist() == [True, False]
    assert segments["language"].tolist() == ["sv", "sv"]
    assert segments["year"].tolist() == ["2019", "2019"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("\ufeffI: Båt\r\nR: Ja\r".encode(), ["Båt", "Ja"]),
        ("I: Båt\rR: Ja".encode("utf-16"), ["Båt", "Ja"]),
        ("I: Cafe\u0301\nR: Ja".encode(), ["Café", "Ja"]),
    ],
)
def test_ingest_encodings_and_line_ends(tmp_path: Path, data: bytes, expected: list[str]) -> None:
    path = tmp_path / "t.txt"
    path.write_bytes(data)
    corpus = read_corpus([path])
    assert corpus.problems == ()
    assert corpus.segments["text"].tolist() == expected
    assert "\r" not in corpus.documents["text"].iloc[0]


@pytest.mark.parametrize(
    ("unit", "expected"),
    [
        ("turn", ["Hi. How are you?\n\nFine.", "Good! Dr. Who came."]),
        ("paragraph", ["Hi. How are you?", "Fine.", "Good! Dr. Who came."]),
        ("sentence", ["Hi.", "How are you?", "Fine.", "Good!", "Dr. Who came."]),
        ("document", ["Good! Dr. Who came."]),  # the interviewer's turn is left out (#15)
    ],
)
def test_ingest_units_offsets(tmp_path: Path, unit: str, expected: list[str]) -> None:
    path = tmp_path / "u.txt"
    path.write_text("I: Hi. How are you?\n\nFine.\nR: Good! Dr. Who came.\n", encoding="utf-8")
    corpus = read_corpus([path], IngestOptions(unit=unit))
    text = corpus.documents["text"].iloc[0]
    segments = corpus.segments
    assert segments["text"].tolist() == expected
    for start, end, piece in zip(segments["start"], segments["end"], segments["text"], strict=True):
        assert text[start:end] == piece
    letter = unit[0]
    assert segments["segment_id"].iloc[0] == f"u:{letter}0001"


def test_ingest_unknown_unit() -> None:
    with pytest.raises(IngestError) as info:
        read_corpus(["x.txt"], IngestOptions(unit="line"))
    assert info.value.lines() == [
        "--unit: unknown unit 'line'; use one of: turn, sentence, paragraph, document"
    ]


def test_ingest_docx_bold_speakers_and_table(tmp_path: Path) -> None:
    document = docx.Document()
    paragraph = document.add_paragraph()
    paragraph.add_run("Interviewer").bold = True
    paragraph.add_run(": What helped?")
    paragraph = document.add_paragraph()
    paragraph.add_run("Coach:").bold = True
    paragraph.add_run(" The network.")
    document.add_paragraph("It really did.")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Interviewer"
    table.cell(0, 1).text = "Anything else?"
    table.cell(1, 0).text = "Coach"
    table.cell(1, 1).text = "No."
    metadata = document.add_table(rows=2, cols=2)
    metadata.cell(0, 0).text = "Date"
    metadata.cell(0, 1).text = "12 March"
    metadata.cell(1, 0).text = "Site"
    metadata.cell(1, 1).text = "Eksjö"
    path = tmp_path / "fg.docx"
    document.save(str(path))
    segments = read_transcripts([path])
    assert _values(segments["speaker"]) == ["Interviewer", "Coach", "Interviewer", "Coach"]
    assert segments["text"].tolist() == [
        "What helped?",
        "The network.\n\nIt really did.",
        "Anything else?",
        "No.\n\nDate | 12 March\n\nSite | Eksjö",
    ]


VTT = """WEBVTT

1
00:00:01.000 --> 00:00:02.500
<v Anna Berg>Hello and</v>

2
00:00:02.500 --> 00:00:04.000
<v Anna Berg>welcome.</v>

00:00:04.000 --> 00:00:05.250
<v Bo>Thanks &amp; hi.</v>

00:00:06.000 --> 00:00:07.000
Anna Berg: Zoom style.
"""

SRT = """1
00:00:01,000 --> 00:00:02,000
Interviewer: First

2
00:00:02,000 --> 00:00:03,500
Interviewer: second.
"""


def test_ingest_vtt_voices_merge_and_times(tmp_path: Path) -> None:
    path = tmp_path / "call.vtt"
    path.write_text(VTT, encoding="utf-8")
    corpus = read_corpus([path])
    segments = corpus.segments
    assert _values(segments["speaker"]) == ["Anna Berg", "Bo", "Anna Berg"]
    assert segments["text"].tolist() == ["Hello and welcome.", "Thanks & hi.", "Zoom style."]
    assert segments[START_SECONDS].tolist() == [1.0, 4.0, 6.0]
    assert segments[END_SECONDS].tolist() == [4.0, 5.25, 7.0]
    assert segments.columns.tolist()[9:11] == [START_SECONDS, END_SECONDS]


def test_ingest_srt_prefix_speakers(tmp_path: Path) -> None:
    path = tmp_path / "call.srt"
    path.write_text(SRT, encoding="utf-8")
    segments = read_transcripts([path])
    assert segments["text"].tolist() == ["First second."]
    assert segments["is_interviewer"].tolist() == [True]
    assert segments[END_SECONDS].tolist() == [3.5]


def test_ingest_csv_survey_rows(tmp_path: Path) -> None:
    path = tmp_path / "fft.csv"
    path.write_text(
        "rid,ward,comment\nA1,5,Lovely staff.\nA2,6,\nA3,,Too slow.\n", encoding="utf-8"
    )
    corpus = read_corpus([path], IngestOptions(id_column="rid"))
    assert corpus.documents["doc_id"].tolist() == ["A1", "A3"]
    segments = corpus.segments
    assert segments["segment_id"].tolist() == ["A1:t0001", "A3:t0001"]
    assert _values(segments["speaker"]) == ["A1", "A3"]
    assert _values(segments["ward"]) == ["5", None]
    assert [str(p) for p in corpus.problems] == [
        f"{path}: 1 row(s) with an empty 'comment' were skipped"
    ]


def test_ingest_xlsx_survey_rows(tmp_path: Path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Case", "Age", "Opinion"])
    sheet.append(["ID7", 33, "I like surveys."])
    sheet.append(["ID8", None, "A fish"])
    path = tmp_path / "s.xlsx"
    workbook.save(path)
    segments = read_transcripts([path], text_column="Opinion")
    assert segments["doc_id"].tolist() == ["s-1", "s-2"]
    assert _values(segments["Age"]) == ["33", None]
    assert segments["Case"].tolist() == ["ID7", "ID8"]


def test_ingest_jsonl_documents(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl"
    lines = [
        {"doc_id": "fg1", "text": "Moderator: Hi.\nAnna: Hello.", "site": "A"},
        {"id": "c2", "text": "Just a comment.", "speaker": "R2"},
        "not an object",
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n{bad\n", encoding="utf-8")
    corpus = read_corpus([path])
    assert corpus.segments["segment_id"].tolist() == ["c2:t0001", "fg1:t0001", "fg1:t0002"]
    assert _values(corpus.segments["speaker"]) == ["R2", "Moderator", "Anna"]
    assert [str(p) for p in corpus.problems] == [
        f"{path}:3: no string field 'text'; give each line one, or pass --text-column",
        f"{path}:4: invalid JSON (Expecting property name enclosed in double quotes); "
        "fix or remove the line",
    ]


def test_ingest_participants_by_speaker_and_doc(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Interviewer: Q?\nAnna: A.\n", encoding="utf-8")
    (tmp_path / "b.txt").write_text(
        "---\nsite: north\n---\nInterviewer: Q?\nBo: B.\n", encoding="utf-8"
    )
    people = tmp_path / "participants.csv"
    people.write_text("doc_id,speaker,role,site\na,Anna,coach,south\nb,Bo,faculty,\n", "utf-8")
    corpus = read_corpus([tmp_path], IngestOptions(participants=people))
    segments = corpus.segments
    assert segments.columns.tolist()[9:] == ["role", "site"]
    assert _values(segments["role"]) == [None, "coach", None, "faculty"]
    assert _values(segments["site"]) == [None, "south", "north", "north"]
    assert corpus.documents["doc_id"].tolist() == ["a", "b"]


def test_ingest_duplicate_doc_id(tmp_path: Path) -> None:
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "p1.txt").write_text("I: a\n", encoding="utf-8")
    (tmp_path / "two" / "p1.txt").write_text("I: b\n", encoding="utf-8")
    corpus = read_corpus([tmp_path])
    assert corpus.segments["text"].tolist() == ["a"]
    assert [str(p) for p in corpus.problems] == [
        f"{tmp_path / 'two' / 'p1.txt'}: doc_id 'p1' is already used by "
        f"{tmp_path / 'one' / 'p1.txt'}; rename the file or set doc_id in its front matter"
    ]


def test_ingest_public_api_exports() -> None:
    assert qca.read_transcripts is read_transcripts
    assert qca.IngestOptions is IngestOptions


def test_ingest_deterministic_output(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text("I: one\nR: two\n", encoding="utf-8")
    (tmp_path / "a.txt").write_text("I: three\n", encoding="utf-8")
    first = read_transcripts([tmp_path / "b.txt", tmp_path / "a.txt"])
    second = read_transcripts([tmp_path])
    pd.testing.assert_frame_equal(first, second)
    assert first["doc_id"].tolist() == ["a", "b", "b"]
