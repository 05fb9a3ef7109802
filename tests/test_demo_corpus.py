"""The demo corpus and the shipped codebooks: complete, consistent, and codable."""

from __future__ import annotations

import csv
import importlib.util
import re
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import yaml

from qca.codebook.read import check_codebook, read_codebook
from qca.models import CODE, DOC_ID, END, MATCH, NEGATED, SEGMENT_ID, SPEAKER, START, TEXT, THEME
from tests.conftest import ROOT

TRANSCRIPTS = ROOT / "transcripts"
CODEBOOKS = ("esther", "relational_coordination", "practice_coaching")
ROLES = {"moderator", "coach", "faculty", "senior citizen"}


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_demo_docx", ROOT / "tools" / "make_demo_docx.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _speakers_and_words(doc_id: str) -> tuple[set[str], int]:
    """Read one transcript's speakers and spoken words directly, without qca's readers."""
    if doc_id == "fg-coaches":
        text = (TRANSCRIPTS / "fg-coaches.vtt").read_text(encoding="utf-8")
        voices = re.findall(r"^<v ([^>]+)>(.*)</v>$", text, re.M)
        return {name for name, _ in voices}, sum(len(t.split()) for _, t in voices)
    if doc_id == "fg-faculty":
        import docx

        paragraphs = docx.Document(str(TRANSCRIPTS / "fg-faculty.docx")).paragraphs
        names = {p.runs[0].text.rstrip(":") for p in paragraphs if p.runs and p.runs[0].bold}
        words = sum(len(r.text.split()) for p in paragraphs for r in p.runs[1:] if p.runs[0].bold)
        words += sum(len(p.text.split()) for p in paragraphs if p.runs and not p.runs[0].bold)
        return names, words - len(paragraphs[0].text.split())  # not the title
    body = (TRANSCRIPTS / "fg-seniors.txt").read_text(encoding="utf-8").split("---", 2)[2]
    turns = re.findall(r"^(\w+): (.*)$", body, re.M)
    return {name for name, _ in turns}, sum(len(t.split()) for _, t in turns)


def _codes(node: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for code_id, code in (node.get("codes") or {}).items():
        yield code_id, code
        yield from _codes(code)


def test_demo_corpus_folder_holds_only_the_transcripts() -> None:
    names = sorted(p.name for p in TRANSCRIPTS.rglob("*") if p.is_file())
    assert names == ["fg-coaches.vtt", "fg-faculty.docx", "fg-seniors.txt", "participants.csv"]


def test_demo_corpus_docx_is_current() -> None:
    assert _load_tool().main(["--check"]) == 0, "run: .venv/bin/python tools/make_demo_docx.py"


def test_demo_corpus_docx_build_is_deterministic() -> None:
    tool = _load_tool()
    blocks = tool.read_blocks(tool.DEFAULT_SOURCE)
    assert tool.to_bytes(tool.build_document(blocks)) == tool.to_bytes(tool.build_document(blocks))


@pytest.mark.parametrize("doc_id", ["fg-coaches", "fg-faculty", "fg-seniors"])
def test_demo_corpus_participants_match_speakers_and_size(doc_id: str) -> None:
    with (TRANSCRIPTS / "participants.csv").open(encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["doc_id"] == doc_id]
    speakers, words = _speakers_and_words(doc_id)
    assert {row["speaker"] for row in rows} == speakers
    assert len(rows) == len(speakers)
    assert {row["role"] for row in rows} <= ROLES
    assert [row["speaker"] for row in rows if row["role"] == "moderator"] == ["Moderator"]
    assert 5 <= len(speakers) - 1 <= 8
    assert 2000 <= words <= 4000


@pytest.mark.parametrize("name", CODEBOOKS)
def test_demo_corpus_codebook_checks_clean(name: str) -> None:
    assert check_codebook(ROOT / "codebooks" / f"{name}.yaml") == []


@pytest.mark.parametrize("name", CODEBOOKS)
def test_demo_corpus_codebook_codes_are_documented(name: str) -> None:
    data = yaml.safe_load((ROOT / "codebooks" / f"{name}.yaml").read_text(encoding="utf-8"))
    for theme in data["themes"].values():
        assert theme["label"] and theme["definition"]
        for code_id, code in _codes(theme):
            for key in ("label", "definition", "include", "exclude"):
                assert str(code.get(key, "")).strip(), f"{code_id}: no {key}"
            assert 1 <= len(code["examples"]) <= 2, code_id
            assert 5 <= len(code["terms"]) <= 15, code_id
            assert code.get("terms_sv"), code_id


def test_demo_corpus_esther_has_the_studys_themes_and_codes() -> None:
    codebook = read_codebook(ROOT / "codebooks" / "esther.yaml")
    assert [t.id for t in codebook.themes] == [
        "will",
        "ideas",
        "execution",
        "sustainability",
        "enablers",
    ]
    enablers = [c.id for c in codebook.themes[-1].codes]
    assert enablers == [
        "customer_focus",
        "shared_values",
        "solution_focus",
        "coach_network",
        "systems_understanding",
    ]
    assert all(2 <= len(theme.codes) <= 5 for theme in codebook.themes)
    assert sum(bool(c.patterns) for c in codebook.codes()) >= 2
    assert sum(bool(c.regex) for c in codebook.codes()) >= 3


def test_demo_corpus_esther_anchor_examples_are_quotes() -> None:
    """Every anchor example of esther.yaml occurs verbatim in the demo transcripts."""
    import docx

    faculty = "\n".join(
        p.text for p in docx.Document(str(TRANSCRIPTS / "fg-faculty.docx")).paragraphs
    )
    corpus = " ".join(
        (TRANSCRIPTS / "fg-coaches.vtt").read_text(encoding="utf-8").split()
        + faculty.split()
        + (TRANSCRIPTS / "fg-seniors.txt").read_text(encoding="utf-8").split()
    )
    corpus = re.sub(r"</v>\s*\S+/\d+-0 [\d:.]+ --> [\d:.]+ <v [^>]+>", " ", corpus)
    codebook = read_codebook(ROOT / "codebooks" / "esther.yaml")
    for code in codebook.codes():
        for example in code.examples:
            # A quoted fragment may capitalise its first word, as quotes in papers do.
            assert " ".join(example.split()).lower() in corpus.lower(), f"{code.id}: {example!r}"


@pytest.fixture(scope="module")
def demo_hits() -> Any:
    from qca.engine.hits import code_segments
    from qca.ingest import read_transcripts

    segments = read_transcripts([TRANSCRIPTS], participants=TRANSCRIPTS / "participants.csv")
    hits = code_segments(segments, read_codebook(ROOT / "codebooks" / "esther.yaml"))
    roles = segments.set_index(SEGMENT_ID)["role"]
    return hits.assign(role=hits[SEGMENT_ID].map(roles)), segments


def test_demo_corpus_esther_codes_every_theme_in_every_group(demo_hits: Any) -> None:
    hits, _ = demo_hits
    counts = hits.groupby([THEME, "role"]).size().unstack(fill_value=0)
    assert sorted(counts.columns) == ["coach", "faculty", "senior citizen"]
    assert (counts > 0).all().all(), counts
    # Realistic, not uniform: the groups differ in how much they say about each theme.
    assert counts.nunique(axis=1).gt(1).all(), counts


def test_demo_corpus_esther_traps_are_handled(demo_hits: Any) -> None:
    hits, segments = demo_hits
    for phrase, code in [
        ("network was down", "coach_network"),
        ("execution of the will", "implementation"),
        ("I coordinate the Esther network", "customer_focus"),
        ("I have no idea", "idea_generation"),
    ]:
        spans = [
            (start + text.index(phrase), start + text.index(phrase) + len(phrase))
            for start, text in zip(segments[START], segments[TEXT], strict=True)
            if phrase in text
        ]
        assert spans, phrase
        for first, last in spans:
            inside = hits[(hits[CODE] == code) & (hits[START] >= first) & (hits[END] <= last)]
            assert inside.empty, (phrase, inside[MATCH].tolist())
    negated = hits[hits[NEGATED]]
    assert ("fg-coaches", "motivation") in set(zip(negated[DOC_ID], negated[CODE], strict=True))
    peter = negated[(negated[SPEAKER] == "Peter Dahl") & (negated[CODE] == "coach_network")]
    assert peter[MATCH].tolist() == ["network"]
    assert not hits[MATCH].str.lower().eq("will").any()
