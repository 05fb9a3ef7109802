"""Property: segments cover a document's text in order, without overlap, at exact offsets."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from qca.ingest import IngestOptions, read_corpus
from qca.ingest.speakers import label_spans
from qca.models import UNITS

PIECES = st.sampled_from(
    [
        "Dan: ",
        "Participant: ",
        "I: ",
        "[Anna] ",
        "@Bo: ",
        "#00:01:02-3# ",
        "[00:01:02] ",
        "Mod (00:02): ",
        "2    ",
        "The answer was simple: ",
        "Dr. Who. ",
        "Yes! ",
        "word ",
        "é",
        "e\u0301",
        "\n",
        "\n\n",
        "\r\n",
        "\t",
        " ",
        ".",
        ":",
        "?",
        "---\n",
    ]
)
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=5)), max_size=40).map("".join)


@pytest.mark.parametrize("unit", [unit for unit in UNITS if unit != "document"])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS)
def test_ingest_property_segments_cover_text(tmp_path: Path, unit: str, text: str) -> None:
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8", newline="")
    corpus = read_corpus([path], IngestOptions(unit=unit))
    if corpus.documents.empty:
        assert len(corpus.problems) == 1  # empty, or front matter only / invalid
        return
    document = corpus.documents["text"].iloc[0]
    starts = corpus.segments["start"].tolist()
    ends = corpus.segments["end"].tolist()
    for start, end, piece in zip(starts, ends, corpus.segments["text"], strict=True):
        assert document[start:end] == piece
        assert piece == piece.strip() and piece
    for previous_end, start in zip(ends, starts[1:], strict=False):
        assert previous_end <= start
    labels = label_spans(document)
    covered = set()
    for start, end in zip(starts, ends, strict=True):
        covered.update(range(start, end))
    for index, char in enumerate(document):
        if char.isspace() or any(a <= index < b for a, b in labels):
            continue
        assert index in covered


@pytest.mark.parametrize("include_interviewer", [False, True])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS)
def test_ingest_property_document_unit_codes_what_turns_code(
    tmp_path: Path, text: str, include_interviewer: bool
) -> None:
    """The document unit's text is the coded turns' text, at the same offsets (#15)."""
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8", newline="")
    options = IngestOptions(exclude_speakers=("Dan",), include_interviewer=include_interviewer)
    turns = read_corpus([path], options).segments
    if not include_interviewer:
        excluded = turns["is_interviewer"] | (turns["speaker"] == "Dan")
        turns = turns[~excluded]
    document = read_corpus([path], replace(options, unit="document"))
    if document.documents.empty:
        return
    text = document.documents["text"].iloc[0]
    expected = set()
    for start, end in zip(turns["start"], turns["end"], strict=True):
        expected.update(i for i in range(start, end) if not text[i].isspace())
    found = set()
    assert len(document.segments) <= 1
    for start, end, piece, words in document.segments[["start", "end", "text", "words"]].itertuples(
        index=False
    ):
        assert len(piece) == end - start and piece == piece.strip() and piece
        for offset, char in enumerate(piece):
            if not char.isspace():
                assert char == text[start + offset]
                found.add(start + offset)
            elif char != " ":
                assert char == text[start + offset]  # line ends are kept
        assert words == turns["words"].sum()
    assert found == expected


@pytest.mark.parametrize("unit", ["sentence", "paragraph"])
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS)
def test_ingest_property_units_stay_inside_one_turn(tmp_path: Path, unit: str, text: str) -> None:
    """Sentences and paragraphs keep their turn's speaker and interviewer flag (#15)."""
    path = tmp_path / "doc.txt"
    path.write_text(text, encoding="utf-8", newline="")
    turns = read_corpus([path]).segments.fillna({"speaker": ""})
    units = read_corpus([path], IngestOptions(unit=unit)).segments.fillna({"speaker": ""})
    columns = ["start", "end", "speaker", "is_interviewer"]
    for start, end, speaker, flag in units[columns].itertuples(index=False):
        inside = turns[(turns["start"] <= start) & (turns["end"] >= end)]
        assert len(inside) == 1
        assert inside[["speaker", "is_interviewer"]].values.tolist() == [[speaker, flag]]
