"""File types (#15): .odt, .rtf and .pdf are read; a folder scan names every file it leaves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.ingest import IngestOptions, read_corpus
from qca.ingest.documents import pdf_text
from tests.conftest import ROOT
from tests.documents import make_odt, make_pdf, make_rtf

SUFFIX_LIST = ".txt, .md, .docx, .odt, .rtf, .pdf, .vtt, .srt, .csv, .xlsx, .jsonl"
DOC_MESSAGE = (
    "is a Word 97-2003 .doc file, not read; open it in Word or LibreOffice and save it as .docx"
)


def _mixed_folder(folder: Path) -> Path:
    """A folder with one transcript per readable type, a .doc, and qca's own files."""
    folder.mkdir()
    (folder / "a-text.txt").write_text("Interviewer: How was it?\nAnna: Fine.\n", encoding="utf-8")
    (folder / "b-writer.odt").write_bytes(
        make_odt(["Interviewer: How was the course?", "Renée: Très bien, merci."])
    )
    (folder / "c-rich.rtf").write_bytes(
        make_rtf(["Interviewer: Jak było?", "Żaneta: Źle, ale dobrze."], codepage=1250)
    )
    (folder / "d-print.pdf").write_bytes(
        make_pdf(
            [
                ["Study X - interview 4", "Interviewer: First question?", "Bo: An answer", "1/2"],
                ["Study X - interview 4", "Interviewer: Second?", "Bo: Yes, café.", "2/2"],
            ]
        )
    )
    (folder / "e-old.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    (folder / "qca.yaml").write_text("codebook: codebook.yaml\n", encoding="utf-8")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    (folder / "Thumbs.db").write_bytes(b"\xd0\xcf\x11\xe0")
    output = folder / "qca-out"
    output.mkdir()
    (output / "run.json").write_text("{}", encoding="utf-8")
    (output / "hits.csv").write_text("segment_id,code\n", encoding="utf-8")
    return folder


SUMMARY = """\
┏━━━━━━━━━━┳━━━━━━━━┳━━━━━━━━━━┳━━━━━━━┳━━━━━━━┳━━━━━━━━━━┓
┃ document ┃ format ┃ speakers ┃ turns ┃ words ┃ warnings ┃
┡━━━━━━━━━━╇━━━━━━━━╇━━━━━━━━━━╇━━━━━━━╇━━━━━━━╇━━━━━━━━━━┩
│ a-text   │ txt    │        2 │     2 │     6 │        0 │
│ b-writer │ odt    │        2 │     2 │     9 │        0 │
│ c-rich   │ rtf    │        2 │     2 │     7 │        0 │
│ d-print  │ pdf    │        2 │     4 │    11 │        0 │
└──────────┴────────┴──────────┴───────┴───────┴──────────┘
"""


def test_ingest_documents_mixed_folder_cli(runner: CliRunner, tmp_path: Path) -> None:
    folder = _mixed_folder(tmp_path / "interviews")
    result = runner.invoke(app, ["ingest", str(folder), "-f", "jsonl"])
    assert result.exit_code == 0
    assert result.stderr == SUMMARY + f"warning: {folder / 'e-old.doc'}: {DOC_MESSAGE}\n"
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(row["doc_id"], row["speaker"], row["text"]) for row in rows] == [
        ("a-text", "Interviewer", "How was it?"),
        ("a-text", "Anna", "Fine."),
        ("b-writer", "Interviewer", "How was the course?"),
        ("b-writer", "Renée", "Très bien, merci."),
        ("c-rich", "Interviewer", "Jak było?"),
        ("c-rich", "Żaneta", "Źle, ale dobrze."),
        ("d-print", "Interviewer", "First question?"),
        ("d-print", "Bo", "An answer"),
        ("d-print", "Interviewer", "Second?"),
        ("d-print", "Bo", "Yes, café."),
    ]


def test_ingest_documents_mixed_folder_strict(runner: CliRunner, tmp_path: Path) -> None:
    folder = _mixed_folder(tmp_path / "interviews")
    result = runner.invoke(app, ["ingest", str(folder), "--strict"])
    assert result.exit_code == 1
    assert result.stderr == f"{folder / 'e-old.doc'}: {DOC_MESSAGE}\n"


def test_ingest_documents_mixed_folder_code(runner: CliRunner, tmp_path: Path) -> None:
    folder = _mixed_folder(tmp_path / "interviews")
    out = tmp_path / "out"
    codebook = str(ROOT / "codebooks" / "esther.yaml")
    result = runner.invoke(app, ["code", str(folder), "-c", codebook, "-d", str(out)])
    assert result.exit_code == 0
    lines = result.stderr.splitlines()
    assert lines[0] == f"warning: {folder / 'e-old.doc'}: {DOC_MESSAGE}"
    assert (
        lines[1]
        == f"coded 4 documents, 10 segments, 23 words: 0 hits in 0 segments -> {out.as_posix()}"
    )
    assert lines[-1] == "skipped 1 file(s) (see above)"
    manifest = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["skipped_files"] == 1
    assert manifest["counts"]["documents"] == 4
    strict = runner.invoke(app, ["code", str(folder), "-c", codebook, "-d", str(out), "--strict"])
    assert strict.exit_code == 1
    assert strict.stderr == f"{folder / 'e-old.doc'}: {DOC_MESSAGE}\n"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "photo.png",
            f"unsupported file type '.png', not read; convert it to one of {SUFFIX_LIST}",
        ),
        (
            "notes.pages",
            f"unsupported file type '.pages', not read; convert it to one of {SUFFIX_LIST}",
        ),
        ("README", f"unsupported file type '(none)', not read; convert it to one of {SUFFIX_LIST}"),
        ("old.DOC", DOC_MESSAGE),
    ],
)
def test_ingest_documents_folder_names_unread_files(
    tmp_path: Path, name: str, message: str
) -> None:
    (tmp_path / "p1.txt").write_text("Dan: hi\nParticipant: hello\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / name).write_bytes(b"\x89PNG")
    corpus = read_corpus([tmp_path])
    assert [str(p) for p in corpus.problems] == [f"{tmp_path / 'sub' / name}: {message}"]
    assert [p.severity for p in corpus.problems] == ["warning"]


def test_ingest_documents_participants_and_yaml_are_silent(tmp_path: Path) -> None:
    (tmp_path / "p1.txt").write_text("Dan: hi\nParticipant: hello\n", encoding="utf-8")
    (tmp_path / "people.csv").write_text("doc_id,site\np1,north\n", encoding="utf-8")
    for name in ("overrides.yaml", "codebook.yml", "desktop.ini", "~$p1.docx"):
        (tmp_path / name).write_text("x", encoding="utf-8")
    hidden = tmp_path / ".qca-cache"
    hidden.mkdir()
    (hidden / "entry.bin").write_bytes(b"\x00")
    corpus = read_corpus([tmp_path], IngestOptions(participants=tmp_path / "people.csv"))
    assert corpus.problems == ()
    assert corpus.documents["doc_id"].tolist() == ["p1"]


def test_ingest_documents_odt_speaker_table() -> None:
    data = make_odt(
        ["Focus group 2", "Moderator: Welcome."],
        [["Anna", "I think so."], ["Bo", "Me too."], ["Anna", "Good."]],
    )
    from qca.ingest.documents import read_odt

    document, problems = read_odt(Path("fg.odt"), data, IngestOptions())
    assert document.text == (
        "Focus group 2\n\nModerator: Welcome.\n\nAnna: I think so.\n\nBo: Me too.\n\nAnna: Good."
    )
    assert document.known_speakers == ("Anna", "Bo")
    assert problems == []


def test_ingest_documents_odt_bold_labels() -> None:
    """A bold span at the start of a paragraph is a speaker label, as in .docx."""
    from qca.ingest.documents import read_odt

    data = make_odt(
        ["Notes from the visit"],
        bold=[("Moderator", "Welcome."), ("Anna:", "I think so."), ("Bo", "")],
    )
    document, _ = read_odt(Path("fg.odt"), data, IngestOptions())
    assert (
        document.text
        == (
            "Notes from the visit\n\nModerator: Welcome.\n\nAnna: I think so.\n\nBo  "  # not a label: no text
        )
    )
    assert document.known_speakers == ("Anna", "Moderator")


@pytest.mark.parametrize(
    ("codepage", "text"),
    [(1250, "Żaneta: Źle się czułam."), (1251, "Анна: Всё хорошо."), (1252, "Renée: Ça va.")],
)
def test_ingest_documents_rtf_code_pages(tmp_path: Path, codepage: int, text: str) -> None:
    path = tmp_path / "x.rtf"
    path.write_bytes(make_rtf([text, "Interviewer: {Braces} and \\ backslash."], codepage))
    corpus = read_corpus([path])
    assert corpus.documents["text"].tolist() == [
        text + "\nInterviewer: {Braces} and \\ backslash.\n"
    ]


@given(body=st.text(alphabet="{}\\'abcu0123456789 ;-\né\u0444", max_size=60))
def test_ingest_documents_rtf_never_raises(body: str) -> None:
    """Any RTF body gives a document or a one-line problem, never an exception."""
    from qca.ingest.documents import read_rtf
    from qca.ingest.text import SkipFile

    data = ("{\\rtf1\\ansi\\ansicpg1252 " + body).encode("utf-8")
    try:
        document, problems = read_rtf(Path("x.rtf"), data, IngestOptions())
    except SkipFile as skip:
        assert "\n" not in str(skip.problem)
    else:
        assert document.text.strip() and problems == []


def test_ingest_documents_rtf_damaged() -> None:
    from qca.ingest.documents import read_rtf
    from qca.ingest.text import SkipFile

    with pytest.raises(SkipFile) as caught:
        read_rtf(Path("x.rtf"), b"{\\rtf1\\ansi 3u3\\uc", IngestOptions())
    assert str(caught.value.problem) == (
        "x.rtf: is not a valid RTF file (damaged); re-save it as RTF or .docx"
    )


def test_ingest_documents_pdf_without_text_layer(runner: CliRunner, tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf([[], []]))
    result = runner.invoke(app, ["ingest", str(path)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"{path}: has no text layer (a scanned image?); run OCR on it (e.g. ocrmypdf) "
        "or export the text from the program that made it\n"
    )


def test_ingest_documents_pdf_fixture_is_small() -> None:
    assert len(make_pdf([["Dan: hi"] * 40] * 5)) < 20_000


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        # page numbers in all their forms, at the top or the bottom of a page
        ([["Page 1 of 2", "Dan: A"], ["Dan: B", "Page 2 of 2"]], "Dan: A\nDan: B"),
        ([["Dan: A", "- 1 -"], ["Dan: B", "- 2 -"]], "Dan: A\nDan: B"),
        ([["Seite 1 von 2", "Dan: A"], ["Seite 2 von 2", "Dan: B"]], "Dan: A\nDan: B"),
        # a running header with the page's number in it
        ([["Study X, p1", "Dan: A"], ["Study X, p2", "Dan: B"]], "Dan: A\nDan: B"),
        # a label alone on the first line of every page is kept
        ([["Dan:", "A"], ["Dan:", "B"]], "Dan:\nA\nDan:\nB"),
        # a number in the middle of a page is text; one page has no running header
        (
            [["Dan: How many?", "Anna:", "12", "Dan: Twelve?", "Anna: Yes.", "Dan: OK."]],
            "Dan: How many?\nAnna:\n12\nDan: Twelve?\nAnna: Yes.\nDan: OK.",
        ),
        # a page number under a running header
        (
            [["Report", "- 1 -", "Dan: A", "Anna: B"], ["Report", "- 2 -", "Dan: C", "Anna: D"]],
            "Dan: A\nAnna: B\nDan: C\nAnna: D",
        ),
        # a column of paragraph numbers extracted as a block
        ([["Dan: A", "Anna: B", "1", "2", "3", "4"]], "Dan: A\nAnna: B"),
        # tabs and runs of spaces
        ([["Dan:\t\tso\tthen  we"]], "Dan: so then we"),
    ],
)
def test_ingest_documents_pdf_text(pages: list[list[str]], expected: str) -> None:
    assert pdf_text(["\n".join(lines) for lines in pages]) == expected


WORDS = st.text(alphabet="abcdefghij ", min_size=1, max_size=12).filter(lambda w: w.strip() != "")


@given(
    pages=st.lists(st.lists(WORDS, min_size=1, max_size=8), min_size=2, max_size=6),
    header=st.sampled_from(["Interview P3 - confidential", "Study X 2024"]),
)
def test_ingest_documents_pdf_text_keeps_the_body(pages: list[list[str]], header: str) -> None:
    """Running headers and "Page i of n" footers go; every body line stays, in order."""
    count = len(pages)
    bodies = [
        [f"{'xyz'[i % 3]}{'abcdefgh'[i % 8]} {line}" for line in lines]
        for i, lines in enumerate(pages)
    ]
    # make every body line unique to its page, so none repeats on every page
    bodies = [[f"{line} {chr(0x3B1 + i)}" for line in lines] for i, lines in enumerate(bodies)]
    texts = [
        "\n".join([header, *lines, f"Page {i + 1} of {count}"]) for i, lines in enumerate(bodies)
    ]
    expected = "\n".join(" ".join(line.split()) for lines in bodies for line in lines)
    assert pdf_text(texts) == expected


# --- real files (skip when ../shared/corpora is absent) ----------------------------------


@pytest.mark.corpus
def test_ingest_documents_qualcoder_odt(corpora: Path) -> None:
    corpus = read_corpus([corpora / "qualcoder-examples" / "ID2.odt"])
    text = corpus.documents["text"].iloc[0]
    assert text.startswith("I have not studied much before, but my father Joe Bloggs")
    assert text.endswith("The course cost €200.00 and I do not want to waste my money.")
    assert text.count("\n\n") == 2  # three paragraphs
    assert [p.severity for p in corpus.problems] == ["warning"]  # no speaker labels


def _turn_words(segments: object) -> list[tuple[str, str]]:
    """(speaker, words) per turn, without page numbers and paragraph numbers ("3/7", "24")."""
    import pandas as pd

    assert isinstance(segments, pd.DataFrame)
    spoken = segments[segments["speaker"].notna()]
    return [
        (speaker, " ".join(w for w in text.split() if not re.fullmatch(r"\d+(?:/\d+)?", w)))
        for speaker, text in zip(spoken["speaker"], spoken["text"], strict=True)
    ]


@pytest.mark.corpus
@pytest.mark.parametrize("name", ["P1", "P4", "P7"])
def test_ingest_documents_pdpilot_pdf_matches_pdftotext(corpora: Path, name: str) -> None:
    """The PDFs' turns equal pdftotext's (which keeps page and paragraph numbers in turns)."""
    folder = corpora / "maxqda-coded-interviews-pdpilot"
    options = IngestOptions(interviewer_labels=("dan",))
    pdf = read_corpus([folder / "transcripts_pdf" / f"{name}.pdf"], options)
    txt = read_corpus([folder / "pdftotext" / f"{name}.txt"], options)
    assert not any(p.is_error for p in pdf.problems)
    assert _turn_words(pdf.segments) == _turn_words(txt.segments)
    assert len(_turn_words(pdf.segments)) > 40
    # pypdf's text has no page numbers ("2/5") and no paragraph-number column left
    text = pdf.documents["text"].iloc[0]
    assert not re.search(r"^\d+/\d+$", text, re.M)
    assert not re.search(r"^\d+$", text, re.M)


@pytest.mark.parametrize(
    ("password", "expected"),
    [
        ("", "Dan: Hello there.\nAnna: Hi."),
        (
            "secret",
            "is encrypted (password-protected); save an unprotected copy or export its text",
        ),
    ],
)
def test_ingest_documents_pdf_encrypted(password: str, expected: str) -> None:
    """An owner password alone still reads; a user password is one line."""
    import io

    from pypdf import PdfReader, PdfWriter

    from qca.ingest.documents import read_pdf
    from qca.ingest.text import SkipFile

    writer = PdfWriter(
        clone_from=PdfReader(io.BytesIO(make_pdf([["Dan: Hello there.", "Anna: Hi."]])))
    )
    writer.encrypt(user_password=password, owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    try:
        document, _ = read_pdf(Path("e.pdf"), buffer.getvalue(), IngestOptions())
        found = document.text
    except SkipFile as skip:
        found = skip.problem.message
    assert found == expected
