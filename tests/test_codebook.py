"""Library tests of qca.codebook: reading, checking and building the frozen model."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

import qca
from qca.codebook import check_codebook, read_codebook
from qca.codebook.model import DEFAULT_NEGATION_CUES
from qca.codebook.writers import codebook_to_yaml
from qca.errors import CodebookError
from qca.models import RULE_COLUMNS

CODEBOOK = """\
name: Esther
version: 1.2
language: en
unit: sentence
exclude_speakers: Interviewer
negation:
  window: 3
  cues:
    sv: [inte]
description: Improvement coaching.
themes:
  will:
    label: Creating will
    definition: Motivation to improve.
    color: "#1f77b4"
    codes:
      motivation:
        definition: Drive to change.
        examples: ["We wanted it."]
        terms: [motivation, "want to", Motivat*]
        terms_sv: [motivation, "vilja att"]
        patterns:
          - [{LEMMA: {IN: [feel, be]}}, {LOWER: {IN: [eager, keen]}}]
        regex: ['\\bfired up\\b']
        not: [motivated reasoning]
        codes:
          personal:
            definition: A personal reason.
            terms: [my mother]
  ideas:
    codes:
      "no":
        definition: Saying no.
        terms: "no way"
"""


@pytest.fixture
def codebook_file(tmp_path: Path) -> Path:
    path = tmp_path / "esther.yaml"
    path.write_text(CODEBOOK, encoding="utf-8")
    return path


def test_codebook_read_builds_the_frozen_model(codebook_file: Path) -> None:
    codebook = read_codebook(codebook_file)
    assert codebook.path == codebook_file
    assert codebook.sha256 == hashlib.sha256(codebook_file.read_bytes()).hexdigest()
    assert (codebook.name, codebook.version, codebook.unit) == ("Esther", "1.2", "sentence")
    assert codebook.exclude_speakers == ("Interviewer",)
    assert codebook.negation.window == 3
    assert codebook.negation.cues["sv"] == ("inte",)
    assert codebook.negation.cues["en"] == DEFAULT_NEGATION_CUES["en"]
    assert [code.id for code in codebook.codes()] == ["motivation", "motivation.personal", "no"]
    motivation = codebook.code("motivation")
    assert motivation.terms == {
        "en": ("motivation", "want to", "Motivat*"),
        "sv": ("motivation", "vilja att"),
    }
    assert motivation.patterns == (
        ({"LEMMA": {"IN": ["feel", "be"]}}, {"LOWER": {"IN": ["eager", "keen"]}}),
    )
    assert motivation.regex == ("\\bfired up\\b",)
    assert motivation.not_ == ("motivated reasoning",)
    assert codebook.code("motivation.personal").parent == "motivation"
    assert codebook.code("no").terms == {"en": ("no way",)}
    assert codebook.languages() == ("en", "sv")


def test_codebook_to_frame_has_one_row_per_rule(codebook_file: Path) -> None:
    frame = read_codebook(codebook_file).to_frame()
    assert tuple(frame.columns) == RULE_COLUMNS
    assert len(frame) == 9
    assert frame["rule_kind"].value_counts().to_dict() == {
        "term": 3,
        "phrase": 4,
        "pattern": 1,
        "regex": 1,
    }


def test_codebook_exported_from_qca(codebook_file: Path) -> None:
    assert qca.read_codebook(codebook_file) == read_codebook(codebook_file)
    assert qca.Codebook is type(read_codebook(codebook_file))
    assert qca.check_codebook is check_codebook


@pytest.mark.parametrize("text", [CODEBOOK])
def test_codebook_yaml_round_trip_is_lossless(tmp_path: Path, text: str) -> None:
    first = tmp_path / "a.yaml"
    first.write_text(text, encoding="utf-8")
    codebook = read_codebook(first)
    written = codebook_to_yaml(codebook)
    second = tmp_path / "b.yaml"
    second.write_text(written, encoding="utf-8")
    again = read_codebook(second)
    assert replace(again, path=None, sha256="") == replace(codebook, path=None, sha256="")
    assert codebook_to_yaml(again) == written
    assert check_codebook(second) == check_codebook(first)


def test_codebook_read_raises_every_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "name: x\nlable: y\nthemes:\n  a:\n    codes:\n      b:\n        regex: ['(']\n"
    )
    with pytest.raises(CodebookError) as caught:
        read_codebook(path)
    assert caught.value.lines() == [
        f"{path}:2:1: lable: unknown key `lable` (allowed here: name, version, language, unit, "
        "exclude_speakers, negation, description, themes)",
        f"{path}:7:17: themes.a.codes.b.regex[0]: regex does not compile: missing ), "
        "unterminated subpattern at position 0 (fix it; single-quote regexes in YAML so that "
        "backslashes stay)",
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe\x00", "x.yaml:1: cannot decode the file as UTF-8; save it as UTF-8"),
        (b"name: 'x\n", "x.yaml:2:1: not valid YAML: found unexpected end of stream"),
        (b"just text\n", "x.yaml:1:1: the codebook is a single value, not a mapping"),
    ],
)
def test_codebook_check_bad_files_give_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: bytes, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("x.yaml").write_bytes(raw)
    problems = check_codebook("x.yaml")
    assert len(problems) == 1
    assert str(problems[0]).startswith(message)


def test_codebook_check_reads_a_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + CODEBOOK.encode("utf-8"))
    assert read_codebook(path).name == "Esther"


def test_codebook_check_missing_file(tmp_path: Path) -> None:
    problems = check_codebook(tmp_path / "nope.yaml")
    assert [str(p) for p in problems] == [f"{tmp_path / 'nope.yaml'}: no such file; check the path"]


def test_codebook_check_unknown_language(tmp_path: Path) -> None:
    path = tmp_path / "lang.yaml"
    path.write_text(
        "name: x\nlanguage: english\nthemes:\n  a:\n    codes:\n      b:\n"
        "        definition: B.\n        terms_qq: [b]\n"
    )
    assert [str(p) for p in check_codebook(path) if p.is_error] == [
        f"{path}:2:11: language: unknown language `english`; use a language code spaCy knows, "
        "such as en, sv, de",
        f"{path}:8:9: themes.a.codes.b.terms_qq: unknown language `qq`; use a language code "
        "spaCy knows, such as en, sv, de",
    ]


def test_codebook_check_without_patterns_does_not_import_spacy(codebook_file: Path) -> None:
    text = CODEBOOK.replace(
        "        patterns:\n          - [{LEMMA: {IN: [feel, be]}}, {LOWER: {IN: [eager, keen]}}]\n",
        "",
    )
    codebook_file.write_text(text, encoding="utf-8")
    code = (
        "import sys\nfrom qca.codebook import check_codebook\n"
        f"problems = check_codebook({str(codebook_file)!r})\n"
        "print(len(problems), 'spacy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0 False"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\nthemes:\n  a:\n    codes:\n      b:\n        definition: B.\n"
            "        patterns: [[{LOWER: {REGEX: '('}}]]\n",
            "x.yaml:7:20: themes.a.codes.b.patterns[0]: invalid token pattern: missing ), "
            "unterminated subpattern at position 0 (see spaCy's Matcher docs)",
        ),
        (
            "---\n...\n",
            "x.yaml:1:1: the codebook is empty; start with `name:` and `themes:` "
            "(see docs/codebook.md)",
        ),
        (
            "name: x\nthemes:\n  a:\n    codes:\n      b: [drive]\n",
            "x.yaml:5:10: themes.a.codes.b: expected a mapping of `key: value` lines, got a list "
            "(indent the keys under this one)",
        ),
    ],
)
def test_codebook_check_odd_input_gives_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, expected: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("x.yaml").write_text(text, encoding="utf-8")
    assert [str(p) for p in check_codebook("x.yaml")] == [expected]


@pytest.mark.parametrize("suffix", [".dic", ".cat"])
def test_codebook_check_points_dictionaries_at_convert(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"d{suffix}"
    path.write_text("%\n1\ta\n%\nw\t1\n", encoding="utf-8")
    [problem] = check_codebook(path)
    assert str(problem).endswith(f"convert it first: qca codebook convert {path} -o d.yaml")
