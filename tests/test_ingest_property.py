"""Property: segments cover a document's text in order, without overlap, at exact offsets."""

from __future__ import annotations

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


@pytest.mark.parametrize("unit", UNITS)
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
