"""A very long segment is coded in pieces (#19): the same hits as coding it whole."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import qca.engine.pieces
from benchmarks.gen import Vocabulary, Writer
from qca.codebook import read_codebook
from qca.engine.hits import code_segments
from qca.engine.pieces import piece_starts, slice_bounds
from qca.ingest.text import count_words
from tests.test_matching import make_segments


def _hits(segments: pd.DataFrame, codebook_path: Path) -> list[tuple[object, ...]]:
    hits = code_segments(segments, read_codebook(codebook_path))
    return list(map(tuple, hits.astype(str).to_numpy().tolist()))


def test_engine_pieces_long_line_gives_the_hits_of_the_whole_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-line text of about 0.6 MB in a realistic vocabulary, cut into about 15 pieces."""
    vocabulary = Vocabulary(9)
    text = Writer(vocabulary).text(80_000)
    assert len(text) > 480_000 and "\n" not in text
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(vocabulary.yaml, encoding="utf-8")
    segments = make_segments("Short turn: we were not motivated at all.", text, "Also short.")
    monkeypatch.setattr(qca.engine.pieces, "PIECE_CHARS", 10_000_000)
    whole = _hits(segments, codebook)
    monkeypatch.setattr(qca.engine.pieces, "PIECE_CHARS", 40_000)
    cuts = piece_starts(text, 40_000, lambda chunk: chunk[-1] in ".!?")
    assert 12 <= len(cuts) <= 20
    pieces = _hits(segments, codebook)
    assert len(whole) > 1_200
    assert pieces == whole


def test_engine_pieces_cut_only_after_a_sentence_end() -> None:
    text = "Dr. Smith came. We were not sure. Mr. Jones left! The end"
    ends = qca.engine.pieces.ends_sentence

    def rule(chunk: str) -> bool:  # spaCy keeps "Dr." and "Mr." whole
        return chunk not in ("Dr.", "Mr.") and ends(chunk[-1])

    starts = piece_starts(text, 20, rule)
    assert starts == [0, 15, 33, 49]
    assert [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)], strict=True)] == [
        "Dr. Smith came.",
        " We were not sure.",
        " Mr. Jones left!",
        " The end",
    ]


def test_engine_pieces_without_a_sentence_end_cut_at_whitespace_or_not_at_all() -> None:
    assert piece_starts("aaa bbb ccc ddd", 8, lambda chunk: False) == [0, 7]
    assert piece_starts("a" * 30, 8, lambda chunk: True) == [0]
    assert piece_starts("a" * 10 + " b", 8, lambda chunk: True) == [0, 10]


@given(
    st.text(alphabet="ab .!?\n\u00a0", max_size=200),
    st.integers(min_value=1, max_value=40),
)
def test_engine_pieces_cover_the_text_at_whitespace(text: str, size: int) -> None:
    starts = piece_starts(text, size, lambda chunk: chunk[-1:] in ".!?")
    assert starts[0] == 0
    assert starts == sorted(set(starts))
    ends = [*starts[1:], len(text)]
    assert "".join(text[a:b] for a, b in zip(starts, ends, strict=True)) == text
    for cut in starts[1:]:
        assert text[cut].isspace() and not text[cut - 1].isspace()
    for a, b in zip(starts, ends, strict=True):
        if b - a > size:  # only when no whitespace after a non-space fits in the piece
            window = range(a + 1, min(a + size, len(text) - 1) + 1)
            assert not any(text[p].isspace() and not text[p - 1].isspace() for p in window)


@given(
    st.text(alphabet=st.sampled_from("ab \n\t\u00a0\u2003\x1c\u3000é"), max_size=300),
    st.integers(min_value=1, max_value=50),
)
def test_ingest_count_words_in_slices_equals_split(text: str, step: int) -> None:
    assert count_words(text, step) == len(text.split())


def test_engine_pieces_fallback_and_max_words_see_the_whole_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A segment cut into pieces gets one fallback hit, and max_words counts all its words."""
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(
        "name: Pieces\nlanguage: en\nthemes:\n  t:\n    codes:\n"
        "      other:\n        fallback: true\n"
        "      short:\n        terms: [zebra]\n        max_words: 50\n",
        encoding="utf-8",
    )
    long = " ".join(["We talked about the weather today."] * 40)  # 240 words, no term
    with_term = long + " A zebra came."
    segments = make_segments(long, with_term)
    monkeypatch.setattr(qca.engine.pieces, "PIECE_CHARS", 200)
    hits = code_segments(segments, read_codebook(codebook))
    assert hits["code"].tolist() == ["other", "other"]
    assert (hits["end"] - hits["start"]).tolist() == [len(long), len(with_term)]


def test_engine_slices_give_the_hits_of_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch matched in slices of a few segments gives the same hits table, dtypes too."""
    vocabulary = Vocabulary(9)
    writer = Writer(vocabulary)
    texts = [writer.text(60 + n % 50) for n in range(120)]
    texts[7] = writer.text(3_000)  # a segment cut into pieces inside its slice
    codebook = tmp_path / "codebook.yaml"
    codebook.write_text(vocabulary.yaml, encoding="utf-8")
    segments = make_segments(*texts)
    monkeypatch.setattr(qca.engine.pieces, "PIECE_CHARS", 5_000)
    whole = code_segments(segments, read_codebook(codebook))
    monkeypatch.setattr(qca.engine.pieces, "SLICE_CHARS", 2_000)
    assert len(slice_bounds([len(t) for t in texts], 2_000)) > 20
    sliced = code_segments(segments, read_codebook(codebook))
    assert len(whole) > 100
    pd.testing.assert_frame_equal(sliced, whole)


@given(st.lists(st.integers(min_value=0, max_value=20), max_size=30), st.integers(1, 40))
def test_engine_slice_bounds_cover_the_texts_in_order(lengths: list[int], limit: int) -> None:
    bounds = slice_bounds(lengths, limit)
    assert [n for first, last in bounds for n in range(first, last)] == list(range(len(lengths)))
    for first, last in bounds[:-1]:
        assert sum(lengths[first:last]) >= limit > sum(lengths[first : last - 1])
