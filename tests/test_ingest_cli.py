"""`qca ingest` through CliRunner: output, bad input (one line each), exit codes."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.ingest import readers

GOOD = "Interviewer: How was it?\nCoach: Fine, thanks.\nInterviewer: Good.\n"
GOOD_TABLE = (
    "┏━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━┳━━━━━━━┳━━━━━━━┳━━━━━━━━━━┓\n"
    "┃ document ┃ format ┃ speakers ┃ turns ┃ words ┃ warnings ┃\n"
    "┡━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━╇━━━━━━━╇━━━━━━━╇━━━━━━━━━━┩\n"
    "│ good     │ txt    │        2 │     3 │     9 │        0 │\n"
    "└──────────┴────────┴──────────┴───────┴───────┴──────────┘\n"
)


def _good(folder: Path) -> Path:
    path = folder / "good.txt"
    path.write_text(GOOD, encoding="utf-8")
    return path


def test_ingest_cli_writes_segments_csv(runner: CliRunner, tmp_path: Path) -> None:
    good = _good(tmp_path)
    result = runner.invoke(app, ["ingest", str(good), "--format", "csv"])
    assert result.exit_code == 0
    assert result.stderr == GOOD_TABLE
    assert result.stdout == (
        "doc_id,segment_id,unit,speaker,is_interviewer,start,end,words,text\n"
        "good,good:t0001,turn,Interviewer,True,13,24,3,How was it?\n"
        'good,good:t0002,turn,Coach,False,32,45,2,"Fine, thanks."\n'
        "good,good:t0003,turn,Interviewer,True,59,64,1,Good.\n"
    )


def test_ingest_cli_jsonl_to_file_with_participants(runner: CliRunner, tmp_path: Path) -> None:
    _good(tmp_path)
    people = tmp_path / "people.csv"
    people.write_text("doc_id,speaker,role\ngood,Coach,coach\n", encoding="utf-8")
    out = tmp_path / "segments.jsonl"
    args = ["ingest", str(tmp_path), "--participants", str(people), "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    assert result.stdout == ""
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [(r["speaker"], r["role"]) for r in rows] == [
        ("Interviewer", None),
        ("Coach", "coach"),
        ("Interviewer", None),
    ]


def test_ingest_cli_sentence_unit_and_interviewer_label(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "p1.txt"
    path.write_text("Dan: Hi. How are you?\nParticipant: Good.\nDan: Great.\n", encoding="utf-8")
    args = ["ingest", str(path), "--unit", "sentence", "--interviewer-label", "Dan", "-f", "json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [(r["segment_id"], r["text"], r["is_interviewer"]) for r in rows] == [
        ("p1:s0001", "Hi.", True),
        ("p1:s0002", "How are you?", True),
        ("p1:s0003", "Good.", False),
        ("p1:s0004", "Great.", True),
    ]


def _zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


BAD_INPUTS: list[tuple[str, bytes, str]] = [
    ("empty.txt", b"", "file is empty; add the transcript text or remove the file"),
    ("blank.md", b"  \n\n", "file is empty; add the transcript text or remove the file"),
    (
        "binary.txt",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        "is a binary file, not text; remove it or convert it to UTF-8 text",
    ),
    (
        "garbled.txt",
        b"abc " + bytes(range(0xA0, 0x100)) * 3,
        "cannot decode byte 4 as UTF-8 and no other encoding fits; "
        "save the file as UTF-8 or pass its encoding, e.g. --encoding cp1251",
    ),
    (
        "~$interview.docx",
        b"\x07Owner",
        "is a Word/Excel lock file, not a transcript; close the document or delete the file",
    ),
    (
        ".hidden.txt",
        b"Dan: hi",
        "is a hidden file; rename it without the leading dot to read it",
    ),
    (
        "notes.pages",
        b"PK\x03\x04",
        "unsupported file type '.pages', not read; convert it to one of "
        ".txt, .md, .docx, .odt, .rtf, .pdf, .vtt, .srt, .csv, .xlsx, .jsonl",
    ),
    (
        "old.doc",
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "is a Word 97-2003 .doc file, not read; open it in Word or LibreOffice and save it as .docx",
    ),
    ("notes.pdf", b"%PDF-1.4", "is not a valid PDF (damaged); re-save it or export its text"),
    (
        "broken.odt",
        b"not a zip",
        "is not a valid .odt file (not a zip archive); re-save it from LibreOffice Writer",
    ),
    (
        "damaged.odt",
        _zip_bytes({"content.xml": b"<not-odf"}),
        "is not a valid .odt document (damaged); re-save it from Writer",
    ),
    (
        "plain.rtf",
        b"just text, not RTF",
        "is not an RTF file (no {\\rtf header); re-save it as RTF or .docx",
    ),
    (
        "broken.docx",
        b"this is not a zip",
        "is not a valid .docx file (not a zip archive); re-save it from Word",
    ),
    (
        "damaged.docx",
        _zip_bytes({"hello.txt": b"not a word document"}),
        "is not a valid Word document (damaged or not .docx); re-save it",
    ),
    (
        "broken.xlsx",
        b"PK\x03\x04 truncated",
        "is not a valid .xlsx file (not a zip archive); re-save it from Excel",
    ),
    (
        "nocues.vtt",
        b"WEBVTT\n\nNOTE nothing here\n",
        "has no caption cues (lines like '00:00:01.000 --> 00:00:04.000' followed by text); "
        "check that it is a WebVTT/SRT file",
    ),
    (
        "survey.csv",
        b"id,age\n1,30\n",
        "no --text-column given and no column named text/response/comment; "
        "the columns are: id, age; pass --text-column NAME",
    ),
    ("empty.jsonl", b"\n", "file is empty; add one JSON object per line"),
    (
        "front.md",
        b"---\nrole: [coach\n---\nDan: hi\n",
        "front matter: expected ',' or ']', but got '<stream end>'; "
        "fix the YAML between the --- lines",
    ),
]


LOCATED = {"front.md": ":3:1", "survey.csv": ":1"}


@pytest.mark.parametrize(("name", "data", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_ingest_cli_bad_input_one_line(
    runner: CliRunner, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    result = runner.invoke(app, ["ingest", str(path), "-f", "csv"])
    assert result.exit_code == 1
    location = str(path)
    if name in LOCATED:
        location += LOCATED[name]
    assert result.stderr == f"{location}: {message}\n"
    assert result.stdout == "doc_id,segment_id,unit,speaker,is_interviewer,start,end,words,text\n"


def test_ingest_cli_csv_without_named_text_column(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_text("id,comment\n1,Fine\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(path), "--text-column", "answer"])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}:1: no column 'answer' (--text-column); the columns are: id, comment; "
        "pass one of them with --text-column\n"
    )


def test_ingest_cli_zip_bomb(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(readers, "MAX_UNCOMPRESSED_BYTES", 1000)
    path = tmp_path / "bomb.docx"
    path.write_bytes(_zip_bytes({"word/document.xml": b"\x00" * 5000}))
    result = runner.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}: would unpack to 5,000 bytes, more than the 1,000 allowed (a zip bomb?); "
        "re-save it from Word\n"
    )


def test_ingest_cli_bad_file_does_not_stop_batch(runner: CliRunner, tmp_path: Path) -> None:
    good = _good(tmp_path)
    missing = tmp_path / "missing.txt"
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["ingest", str(missing), str(empty), str(good), "-f", "csv"])
    assert result.exit_code == 1
    assert result.stderr == GOOD_TABLE + (
        f"{missing}: no such file or folder; check the path\n"
        f"{empty}: file is empty; add the transcript text or remove the file\n"
    )
    assert result.stdout.count("\ngood,") == 3


def test_ingest_cli_strict_stops_at_first_problem(runner: CliRunner, tmp_path: Path) -> None:
    empty = tmp_path / "a-empty.txt"
    empty.write_bytes(b"")
    (tmp_path / "b-binary.txt").write_bytes(b"\x00\x01")
    _good(tmp_path)
    result = runner.invoke(app, ["ingest", str(tmp_path), "--strict", "-f", "csv"])
    assert result.exit_code == 1
    assert result.stderr == f"{empty}: file is empty; add the transcript text or remove the file\n"
    assert result.stdout == ""


def test_ingest_cli_no_path_exists(runner: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = runner.invoke(app, ["ingest", str(missing)])
    assert result.exit_code == 1
    assert result.stderr == f"{missing}: no such file or folder; check the path\n"


def test_ingest_cli_folder_skips_hidden_lock_and_unknown(runner: CliRunner, tmp_path: Path) -> None:
    _good(tmp_path)
    (tmp_path / "~$good.docx").write_bytes(b"\x07Owner")
    (tmp_path / ".notes.txt").write_text("secret", encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("x", encoding="utf-8")
    (tmp_path / "qca.yaml").write_text("unit: turn\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(tmp_path)])
    assert result.exit_code == 0
    assert result.stderr == GOOD_TABLE
    assert result.stdout == ""


def test_ingest_cli_participants_without_key(runner: CliRunner, tmp_path: Path) -> None:
    good = _good(tmp_path)
    people = tmp_path / "people.csv"
    people.write_text("name,role\nCoach,coach\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(good), "--participants", str(people)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{people}:1: --participants: has neither a doc_id nor a speaker column; "
        "add one as a header, e.g. doc_id,speaker,role\n"
    )


def test_ingest_cli_participants_missing(runner: CliRunner, tmp_path: Path) -> None:
    good = _good(tmp_path)
    people = tmp_path / "people.csv"
    result = runner.invoke(app, ["ingest", str(good), "--participants", str(people)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{people}: --participants: no such file; check the --participants path\n"
    )


def test_ingest_cli_participants_duplicate(runner: CliRunner, tmp_path: Path) -> None:
    good = _good(tmp_path)
    people = tmp_path / "people.csv"
    people.write_text("speaker,role\nCoach,coach\nCoach,faculty\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(good), "--participants", str(people)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{people}:3: --participants: duplicate row for speaker=Coach; keep one row per key\n"
    )


def test_ingest_cli_bad_speaker_pattern(runner: CliRunner, tmp_path: Path) -> None:
    good = _good(tmp_path)
    result = runner.invoke(app, ["ingest", str(good), "--speaker-pattern", "^(Dan"])
    assert result.exit_code == 1
    assert result.stderr == (
        "--speaker-pattern: invalid regular expression (missing ), unterminated subpattern "
        "at position 1); fix the pattern, e.g. --speaker-pattern '^(?P<speaker>[A-Z]\\w+):'\n"
    )


def test_ingest_cli_cp1252_warning(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Interviewer: Café?\r\nCoach: Très bien.\r\n".encode("cp1252"))
    result = runner.invoke(app, ["ingest", str(path), "-f", "jsonl"])
    assert result.exit_code == 0
    assert result.stderr.endswith(
        f"warning: {path}: not UTF-8; decoded as cp1252 (confidence 1.00); "
        "check the text or pass --encoding\n"
    )
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == [
        "Café?",
        "Très bien.",
    ]
