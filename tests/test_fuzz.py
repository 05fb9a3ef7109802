"""Fuzzing every parser (#19): any input gives a result or a QcaError, never another exception.

Profiles: ``ci`` (default, a few dozen inputs per parser, the whole file in well under
60 s) and ``long`` (``QCA_FUZZ=long``: 10,000 inputs per parser, for a local run).
Each crash found has a regression case under tests/cases/fuzz-*/ (test_fuzz_cases).
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qca.errors import QcaError

settings.register_profile(
    "ci", max_examples=40, deadline=None, suppress_health_check=list(HealthCheck)
)
settings.register_profile(
    "long", max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck)
)
PROFILE = os.environ.get("QCA_FUZZ", "ci")
if PROFILE.isdigit():  # QCA_FUZZ=1000: that many inputs per parser
    settings.register_profile(
        PROFILE, max_examples=int(PROFILE), deadline=None, suppress_health_check=list(HealthCheck)
    )

CASES = Path(__file__).parent / "cases"

#: Pieces that parsers care about, mixed with any text.
YAML_PIECES = [
    "name: X\n",
    "themes:\n",
    "  will:\n",
    "    codes:\n",
    "      c:\n",
    "        terms: [a, b]\n",
    "        regex: ['(a+)+$']\n",
    "        patterns: [[{LOWER: x}]]\n",
    "- ",
    ": ",
    "&a ",
    "*a",
    "!!binary ",
    "!!python/object ",
    "? ",
    "[",
    "]",
    "{",
    "}",
    ",",
    "=",
    "~",
    "\t",
    "\n",
    "  ",
    "'",
    '"',
    "#",
    "|",
    ">",
    "---\n",
    "...\n",
    "!!set ",
    "<<: *a\n",
    "%YAML 1.1\n",
    "\x00",
    "é",
    "decisions:\n",
    "- segment: a:t1\n  code: c\n  action: add\n",
    "codebook: cb.yaml\n",
    "output: out\n",
    "2024-01-01",
    "1e9",
    ".nan",
    "null",
    "yes",
]
CSV_PIECES = [
    "unit_id",
    "code",
    "coder",
    "segment_id",
    ",",
    ";",
    "\t",
    "\n",
    "\r\n",
    '"',
    "1",
    "0",
    "",
    "x" * 300,
    "motivation",
    "idea",
    "é",
    "\x00",
    "  ",
    "a:t1",
    "NaN",
    "-1",
    "2.5",
    "true",
]
XML_PIECES = [
    '<?xml version="1.0" encoding="usf-8"?>',
    '<?xml version="1.0" encoding="utf-8"?>',
    '<Project xmlns="urn:QDA-XML:project:1.0" name="p">',
    "</Project>",
    "<CodeBook><Codes>",
    "</Codes></CodeBook>",
    '<Code guid="00000000-0000-0000-0000-0000000000C1" name="c" isCodable="true"/>',
    "<Sources>",
    "</Sources>",
    '<TextSource guid="g" name="t" plainTextPath="internal://g.txt">',
    "</TextSource>",
    '<PlainTextSelection guid="s" startPosition="0" endPosition="5">',
    "</PlainTextSelection>",
    '<!DOCTYPE x [<!ENTITY e "&#38;e;">]>',
    "&e;",
    "<Users>",
    "</Users>",
    '<User guid="u" name="a"/>',
    "<",
    ">",
    "/",
    '"',
    "\n",
    "é",
    "&amp;",
    "<![CDATA[",
    "]]>",
]
TEXT_PIECES = [
    "Anna: ",
    "Interviewer: ",
    "I: ",
    "[00:01:02] ",
    "WEBVTT\n\n",
    "00:00:01.000 --> 00:00:02.000\n",
    "1\n",
    "---\n",
    "title: x\n",
    "&a [x]\n",
    "*a\n",
    "\n",
    "\n\n",
    "\r\n",
    "\t",
    "word ",
    "é",
    "\x00",
    "\ufeff",
    "\ud7ff",
    "{\\rtf1 ",
    "}",
    "\\par ",
    "%PDF-1.4\n",
]


def pieces(options: list[str]) -> st.SearchStrategy[bytes]:
    mixed = st.one_of(st.sampled_from(options), st.text(max_size=8))
    return st.lists(mixed, max_size=40).map(lambda parts: "".join(parts).encode("utf-8", "replace"))


def binary(options: list[str]) -> st.SearchStrategy[bytes]:
    return st.one_of(pieces(options), st.binary(max_size=200))


def _survives(name: str, data: bytes, parse: Callable[[Path], Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            parse(path)
        except QcaError:
            pass
        finally:
            os.chdir(cwd)


def _qdpx(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", data)
        archive.writestr("Sources/g.txt", "hello there, a text")
    return buffer.getvalue()


def _codebook(path: Path) -> Any:
    from qca.codebook.read import read_codebook

    return read_codebook(path)


def _dictionary(path: Path) -> Any:
    from qca.codebook.dictionaries import read_dictionary

    return read_dictionary(path)


def _overrides(path: Path) -> Any:
    from qca.overrides import read_overrides

    return read_overrides(path)


def _project(path: Path) -> Any:
    from qca.project import read_project

    return read_project(path)


def _coding(path: Path) -> Any:
    from qca.agreement.readers import read_coding

    return read_coding(path)


def _matrix(path: Path) -> Any:
    from qca.agreement.matrix import read_matrix

    return read_matrix(path)


def _refi(path: Path) -> Any:
    from qca.refi import read_qdpx

    return read_qdpx(path)


def _corpus(path: Path) -> Any:
    from qca.ingest import read_corpus

    return read_corpus([path])


def _run_json(path: Path) -> Any:
    from qca.outputs import read_output

    folder = path.parent / "out"
    folder.mkdir()
    (folder / "hits.parquet").write_bytes(b"PAR1")
    path.replace(folder / "run.json")
    return read_output(folder, check_project=False)


#: (file name, strategy, parser) for every parser of user input.
PARSERS: dict[str, tuple[str, st.SearchStrategy[bytes], Callable[[Path], Any]]] = {
    "codebook": ("cb.yaml", binary(YAML_PIECES), _codebook),
    "dictionary-yaml": ("d.yml", binary(YAML_PIECES), _dictionary),
    "dictionary-liwc": (
        "d.dic",
        binary(["%\n", "1\tc\n", "word\t1\n", "*", "\t", "\n", "%"]),
        _dictionary,
    ),
    "dictionary-wordstat": (
        "d.cat",
        binary(["C\n", "\tword (1)\n", "\t", "\n", "(", ")"]),
        _dictionary,
    ),
    "dictionary-qdc": ("d.qdc", binary(XML_PIECES), _dictionary),
    "overrides": ("overrides.yaml", binary(YAML_PIECES), _overrides),
    "project": ("qca.yaml", binary(YAML_PIECES), _project),
    "agreement-csv": ("c.csv", binary(CSV_PIECES), _coding),
    "agreement-matrix": ("m.csv", binary(CSV_PIECES), _matrix),
    "refi-qde": ("p.qde", binary(XML_PIECES), _refi),
    "refi-qdpx": ("p.qdpx", binary(XML_PIECES).map(_qdpx), _refi),
    "transcript-txt": ("t.txt", binary(TEXT_PIECES), _corpus),
    "transcript-vtt": ("t.vtt", binary(TEXT_PIECES), _corpus),
    "transcript-rtf": ("t.rtf", binary(TEXT_PIECES), _corpus),
    "survey-csv": ("s.csv", binary(CSV_PIECES), _corpus),
    "run-json": (
        "run.json",
        binary(['{"format": 1', ', "codes": ', "[", "]", "{", "}", '"x"', "5", "null", ", "]),
        _run_json,
    ),
}


@pytest.mark.parametrize("parser", sorted(PARSERS))
def test_fuzz_parser_raises_only_qca_errors(parser: str) -> None:
    name, inputs, parse = PARSERS[parser]

    @settings(settings.get_profile(PROFILE))
    @given(inputs)
    def check(data: bytes) -> None:
        _survives(name, data, parse)

    check()


FUZZ_CASES = sorted(p for p in CASES.glob("fuzz-*") if p.is_dir())


@pytest.mark.parametrize("case", FUZZ_CASES, ids=lambda p: p.name)
def test_fuzz_cases(case: Path) -> None:
    """Each input that once crashed a parser: now a QcaError or a result."""
    parser = (case / "parser.txt").read_text(encoding="utf-8").strip()
    name, _, parse = PARSERS[parser]
    data = next(p for p in case.iterdir() if p.name.startswith("input")).read_bytes()
    _survives(name, data, parse)
