"""Encodings: BOMs, UTF-8/16/32 with and without BOM, legacy code pages, --encoding (#15)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cli import app
from qca.errors import IngestError
from qca.ingest import IngestOptions, read_corpus
from qca.ingest.encodings import check_encoding, decode, detect_encoding, utf16_or_32
from qca.ingest.text import SkipFile, normalise
from tests.conftest import ROOT


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_encoding_cases", ROOT / "tools" / "make_encoding_cases.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _load_tool()
NAMES: list[str] = list(TOOL.ENCODINGS)


@pytest.mark.parametrize("name", NAMES)
def test_ingest_encodings_case_decodes_to_its_text(name: str) -> None:
    """Each golden case's file is the tool's text in its encoding, and reads back as that text."""
    path = ROOT / "tests" / "cases" / f"ingest-encoding-{name}" / "interview.txt"
    assert path.read_bytes() == TOOL.encoded(name)
    corpus = read_corpus([path])
    text = TOOL.ENCODINGS[name][0]
    assert corpus.documents["text"].tolist() == [text]
    assert not any(p.is_error for p in corpus.problems)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("cp1250", "cp1250"),
        ("cp1251", "cp1251"),
        ("cp1252", "cp1252"),
        ("latin1", "cp1252"),  # the same text: cp1252 is a superset of latin-1's letters
        ("latin2", "iso-8859-2"),
        ("mac-roman", "mac-roman"),
    ],
)
def test_ingest_encodings_legacy_warning_names_the_code_page(name: str, shown: str) -> None:
    text, problems = decode(TOOL.encoded(name), "x.txt")
    assert normalise(text) == TOOL.ENCODINGS[name][0]
    assert [str(p) for p in problems] == [
        f"x.txt: not UTF-8; decoded as {shown} (confidence 1.00); check the text or pass --encoding"
    ]
    assert [p.severity for p in problems] == ["warning"]


@pytest.mark.parametrize("codec", ["utf-8", "utf-8-sig", "utf-16", "utf-32"])
@given(text=st.text(min_size=1).filter(lambda t: t.strip() != ""))
def test_ingest_encodings_bom_round_trip(codec: str, text: str) -> None:
    """Any text encoded as UTF-8/16/32 with a BOM, or UTF-8 without NULs, decodes to itself."""
    if codec == "utf-8" and "\x00" in text:
        text = text.replace("\x00", "")  # NULs without a BOM mean binary (or UTF-16/32)
    # FF FE then a NUL character (00 00) is the UTF-32 LE byte-order mark.
    assume(not (codec == "utf-16" and text.startswith("\x00")))
    data = text.encode(codec)
    if not data.strip():
        return  # e.g. "\x1c": bytes.strip() calls it whitespace; an empty file is refused
    if codec == "utf-8" and text.startswith("\ufeff"):
        text = text[1:]  # a leading U+FEFF is the UTF-8 BOM
    assert decode(data, "x.txt") == (text, [])


@given(text=st.text(alphabet=st.characters(codec="latin-1", exclude_categories=["Cc"])))
def test_ingest_encodings_bomless_utf16_ascii_heavy(text: str) -> None:
    """Latin text with a space per line, in UTF-16 without a BOM, is told by its NULs."""
    text = "Anna: " + text + "\n"
    for codec in ("utf-16-le", "utf-16-be"):
        assert decode(text.encode(codec), "x.txt") == (text, [])


def test_ingest_encodings_utf8_does_not_load_charset_normalizer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Plain UTF-8 takes the fast path: detection is never imported."""
    monkeypatch.setitem(sys.modules, "charset_normalizer", None)  # importing it now fails
    assert decode("Anna: 🙂 på svenska\n".encode(), "x.txt") == ("Anna: 🙂 på svenska\n", [])
    assert decode("Anna: ja\n".encode("utf-16-le"), "x.txt") == ("Anna: ja\n", [])
    with pytest.raises(ImportError):
        decode("Anna: på".encode("cp1252"), "x.txt")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Interviewer: hello\n".encode("utf-16-le"), "utf-16-le"),
        ("Interviewer: hello\n".encode("utf-16-be"), "utf-16-be"),
        ("Интервьюер: да, конечно\n".encode("utf-16-le"), "utf-16-le"),
        ("Interviewer: hello\n".encode("utf-32-le"), "utf-32-le"),
        ("Interviewer: 🙂\n".encode("utf-32-be"), "utf-32-be"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None),
        (b"abc", None),
    ],
)
def test_ingest_encodings_nul_pattern(data: bytes, expected: str | None) -> None:
    assert utf16_or_32(data) == expected


def test_ingest_encodings_binary_with_utf16_like_nuls_is_binary() -> None:
    """NULs in every other byte, but the bytes decode to control characters: binary."""
    data = bytes([0x01, 0x00, 0x02, 0x00, 0x03, 0x00] * 20)
    with pytest.raises(SkipFile) as caught:
        detect_encoding(data, "x.txt")
    assert str(caught.value.problem) == (
        "x.txt: is a binary file, not text; remove it or convert it to UTF-8 text"
    )


def test_ingest_encodings_encoding_option_overrides_detection() -> None:
    data = "Żaneta: Źle się czułam.\n".encode("iso-8859-2")
    assert decode(data, "x.txt", "iso-8859-2") == ("Żaneta: Źle się czułam.\n", [])
    assert decode(data, "x.txt", "cp1251")[0] == "Їaneta: ¬le siк czuіam.\n"


@pytest.mark.parametrize("encoding", ["klingon", "hex", "rot13"])
def test_ingest_encodings_unknown_encoding(encoding: str) -> None:
    with pytest.raises(IngestError) as caught:
        check_encoding(encoding)
    assert caught.value.lines() == [
        f"--encoding: unknown encoding {encoding!r}; use a codec name such as "
        "utf-8, cp1252, cp1251 or iso-8859-2"
    ]


@pytest.mark.parametrize("command", ["ingest", "code"])
def test_ingest_encodings_cli_unknown_encoding(
    runner: CliRunner, tmp_path: Path, command: str
) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Anna: hej\n", encoding="utf-8")
    args = [command, str(path), "--encoding", "klingon"]
    if command == "code":
        args += ["-c", str(ROOT / "codebooks" / "esther.yaml"), "-d", str(tmp_path / "out")]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr == (
        "--encoding: unknown encoding 'klingon'; use a codec name such as "
        "utf-8, cp1252, cp1251 or iso-8859-2\n"
    )


def test_ingest_encodings_csv_cp1251(tmp_path: Path) -> None:
    """Survey CSVs use the same detection (on their first 64 KB)."""
    path = tmp_path / "survey.csv"
    path.write_bytes(
        "id,text\nr1,Больше бумаг и меньше рук.\nr2,Всё хорошо; спасибо.\n".encode("cp1251")
    )
    corpus = read_corpus([path], IngestOptions())
    assert corpus.segments["text"].tolist() == [
        "Больше бумаг и меньше рук.",
        "Всё хорошо; спасибо.",
    ]
    assert [str(p) for p in corpus.problems] == [
        f"{path}: not UTF-8; decoded as cp1251 (confidence 1.00); check the text or pass --encoding"
    ]


def test_ingest_encodings_csv_utf16_without_bom(tmp_path: Path) -> None:
    path = tmp_path / "survey.csv"
    path.write_bytes("id,text\nr1,Très bien.\n".encode("utf-16-le"))
    corpus = read_corpus([path], IngestOptions())
    assert corpus.segments["text"].tolist() == ["Très bien."]
    assert corpus.problems == ()
