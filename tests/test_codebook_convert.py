"""Dictionary conversion: every format to qca YAML and back, lossless where the format allows."""

from __future__ import annotations

from pathlib import Path

import pytest

from qca.codebook import read_dictionary, write_dictionary
from qca.codebook.categories import Category, codebook_to_categories
from qca.codebook.dictionaries import load_dictionary
from qca.errors import CodebookError

REFI = Path(__file__).resolve().parent.parent.parent / "shared" / "refi-qda" / "Codebook.xsd"

Tree = list[tuple[str, tuple[str, ...], "Tree"]]


def tree(categories: list[Category]) -> list[tuple[str, tuple[str, ...], object]]:
    """Categories and entries (entries as a sorted tuple: order within a category is free)."""
    return [(c.name, tuple(sorted(c.entries)), tree(c.children)) for c in categories]


CORPUS_DICTIONARIES = [
    ("newsmap-yaml/english.yml", "quanteda"),
    ("newsmap-yaml/french.yml", "quanteda"),
    ("newsmap-yaml/german.yml", "quanteda"),
    ("newsmap-yaml/spanish.yml", "quanteda"),
    ("newsmap-yaml/japanese.yml", "quanteda"),
    ("quanteda-test-formats/mary.yml", "quanteda"),
    ("quanteda-test-formats/mary.dic", "liwc"),
    ("quanteda-test-formats/issue-459.cat", "wordstat"),
    ("quanteda.dictionaries/Laver_and_Garry_2000.cat", "wordstat"),
    ("quanteda.dictionaries/RID.CAT", "wordstat"),
    ("quanteda.dictionaries/moral_foundations_dictionary.dic", "liwc"),
    ("quanteda.dictionaries/mfd2.0.dic", "liwc"),
]


@pytest.mark.corpus
@pytest.mark.parametrize(("relative", "fmt"), CORPUS_DICTIONARIES)
def test_codebook_convert_corpus_round_trip(
    corpora: Path, tmp_path: Path, relative: str, fmt: str
) -> None:
    source = corpora / "dictionaries" / relative
    original, _ = load_dictionary(source)
    as_qca = tmp_path / "converted.yaml"
    write_dictionary(original, as_qca)
    from_qca = read_dictionary(as_qca)
    back = tmp_path / f"back{source.suffix}"
    write_dictionary(from_qca, back, fmt)
    again = read_dictionary(back)
    assert tree(codebook_to_categories(again)) == tree(codebook_to_categories(original))
    assert len(original.codes()) > 0


@pytest.mark.corpus
def test_codebook_convert_corpus_details(corpora: Path) -> None:
    folder = corpora / "dictionaries"
    mfd2 = read_dictionary(folder / "quanteda.dictionaries" / "mfd2.0.dic")
    assert [theme.id for theme in mfd2.themes][:2] == ["care.virtue", "care.vice"]
    assert "civil rights" in mfd2.code("fairness.virtue").terms["en"]
    newsmap = read_dictionary(folder / "newsmap-yaml" / "english.yml")
    europe = {code.id for code in newsmap.code("EUROPE.NORTH").theme and newsmap.codes()}
    assert "EUROPE.NORTH.NO" in europe  # the quoted 'NO' key stays Norway
    assert newsmap.code("AFRICA.EAST.RE").terms["en"][1] == "Réunion"
    laver = read_dictionary(folder / "quanteda.dictionaries" / "Laver_and_Garry_2000.cat")
    assert laver.code("CULTURE").terms["en"] == ("PEOPLE", "WAR_IN_IRAQ", "CIVIL_WAR")
    assert laver.code("CULTURE-HIGH").parent is None
    issue = read_dictionary(folder / "quanteda-test-formats" / "issue-459.cat")
    assert [code.id for code in issue.codes()] == ["BW", "LS", "NA", "ZA", "SZ"]


LIWC_NESTED = "%\r1\tfunct\r\t2\tpronoun\r3\tsocial\r%\rI\t1\t2\rfriend*\t3\rthey\t1 2\r"


def test_codebook_convert_liwc_nesting_and_cr_line_ends(tmp_path: Path) -> None:
    source = tmp_path / "nested.dic"
    source.write_bytes(LIWC_NESTED.encode("ascii"))
    codebook = read_dictionary(source)
    assert [(c.id, c.parent, c.terms.get("en")) for c in codebook.codes()] == [
        ("funct", None, ("I", "they")),
        ("pronoun", None, ("I", "they")),
        ("social", None, ("friend*",)),
    ]
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "nested.dic"  # same stem: the name is carried
    assert write_dictionary(codebook, out) == []
    assert out.read_text() == (
        "%\n1\tfunct\n\t2\tpronoun\n3\tsocial\n%\nI\t1\t2\nthey\t1\t2\nfriend*\t3\n"
    )


def test_codebook_convert_dicx_round_trip(tmp_path: Path) -> None:
    source = tmp_path / "d.dicx"
    source.write_text("DicTerm,posemo,negemo\ngood,X,\nbad*,,X\nso-so,X,X\n", encoding="utf-8")
    codebook = read_dictionary(source)
    assert codebook.code("posemo").terms == {"en": ("good", "so-so")}
    out = tmp_path / "e.dicx"
    write_dictionary(codebook, out)
    assert out.read_text() == "DicTerm,posemo,negemo\ngood,X,\nso-so,X,X\nbad*,,X\n"


def test_codebook_convert_quanteda_mixed_entries_and_keys(tmp_path: Path) -> None:
    source = tmp_path / "q.yml"
    source.write_text(
        "CULTURE:\n  - PEOPLE\n  - HIGH: [ART, OPERA*]\nECONOMY:\n  STATE: [CARE]\n"
        "  MARKET:\n    PRIVATE: [PROFIT*]\nNO: [Norway]\n",
        encoding="utf-8",
    )
    codebook = read_dictionary(source)
    assert [code.id for code in codebook.codes()] == [
        "CULTURE",
        "HIGH",
        "STATE",
        "MARKET",
        "MARKET.PRIVATE",
        "NO",
    ]
    out = tmp_path / "out.yml"
    write_dictionary(codebook, out, "quanteda")
    assert out.read_text(encoding="utf-8") == (
        "CULTURE:\n  - PEOPLE\n  - HIGH: [ART, OPERA*]\nECONOMY:\n  STATE: [CARE]\n"
        "  MARKET:\n    PRIVATE: [PROFIT*]\n'NO': [Norway]\n"
    )


def test_codebook_convert_wordstat_weights_are_reported(tmp_path: Path) -> None:
    source = tmp_path / "w.cat"
    source.write_bytes(b"TOP\r\n\tSUB\r\n\t\tWORD (1)\r\n\t\tHEAVY (2)\r\n\tDIRECT (1)\r\n")
    codebook, problems = load_dictionary(source)
    assert [str(p) for p in problems] == [
        f"{source}:4: weight (2) of entry `HEAVY` is not carried (qca terms have no weights)"
    ]
    out = tmp_path / "back.cat"
    write_dictionary(codebook, out)
    assert out.read_bytes() == b"TOP\r\n\tSUB\r\n\t\tWORD (1)\r\n\t\tHEAVY (1)\r\n\tDIRECT (1)\r\n"


QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1.0" origin="NVivo">
  <Codes>
    <Code guid="11111111-2222-3333-4444-555555555555" name="Creating will" isCodable="true"
          color="#ff0000">
      <Description>Motivation &amp; commitment.</Description>
      <Code guid="11111111-2222-3333-4444-555555555556" name="Motivation" isCodable="true"/>
    </Code>
    <Code guid="11111111-2222-3333-4444-555555555557" name="Ideas" isCodable="true">
      <Description>Ideas from elsewhere.</Description>
    </Code>
  </Codes>
</CodeBook>
"""


def test_codebook_convert_qdc_round_trip_valid_against_schema(tmp_path: Path) -> None:
    xmlschema = pytest.importorskip("xmlschema")
    source = tmp_path / "in.qdc"
    source.write_text(QDC, encoding="utf-8")
    codebook = read_dictionary(source)
    assert codebook.themes[0].definition == "Motivation & commitment."
    assert codebook.code("Ideas").definition == "Ideas from elsewhere."
    out = tmp_path / "out.qdc"
    assert [str(p) for p in write_dictionary(codebook, out)] == [
        f"{out}: codebook: name (in) is not carried by REFI-QDA .qdc"
    ]
    if REFI.is_file():
        xmlschema.XMLSchema(str(REFI)).validate(str(out))
    again = read_dictionary(out)
    assert tree(codebook_to_categories(again)) == tree(codebook_to_categories(codebook))
    assert [(c.id, c.definition, c.color) for c in again.codes()] == [
        ("Motivation", "", None),
        ("Ideas", "Ideas from elsewhere.", None),
    ]
    assert again.themes[0].color == "#ff0000"
    first = out.read_bytes()
    write_dictionary(again, out)
    assert out.read_bytes() == first


def test_codebook_convert_qdc_reports_rules_not_carried(tmp_path: Path) -> None:
    source = tmp_path / "c.yml"
    source.write_text("will: [motivation, drive]\n", encoding="utf-8")
    codebook = read_dictionary(source)
    problems = write_dictionary(codebook, tmp_path / "c.qdc")
    assert [str(p) for p in problems] == [
        f"{tmp_path / 'c.qdc'}: code will: terms (2) is not carried by REFI-QDA .qdc"
    ]


@pytest.mark.parametrize("content", [b"", b"- a\n- b\n", b"a: [b\n"])
def test_codebook_convert_bad_quanteda_yaml(tmp_path: Path, content: bytes) -> None:
    source = tmp_path / "bad.yml"
    source.write_bytes(content)
    with pytest.raises(CodebookError) as caught:
        read_dictionary(source)
    assert len(caught.value.lines()) == 1
    assert caught.value.lines()[0].startswith(f"{source}:")
