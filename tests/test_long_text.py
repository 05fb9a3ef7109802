"""A one-line transcript of many MB is held as few times as it can be (#19).

Memory is measured in ``docs/reliability.md`` ("Very long segments"), not here: these
tests check the mechanisms, with the thresholds made small.
"""

from __future__ import annotations

import gc
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

import qca.ingest.longtext
import qca.run.memory
import qca.run.parts
from benchmarks.gen import Vocabulary, Writer
from qca.coding import CodeOptions, code
from qca.engine.conditions import count_words
from qca.engine.pieces import segment_texts
from qca.engine.texts import LongText
from qca.ingest.base import IngestOptions
from qca.ingest.corpus import find_sources
from qca.ingest.groups import read_group
from qca.models import HITS_CSV, SEGMENTS_FILE, TEXT
from qca.run.batches import Chunk
from tests.test_matching import make_segments


def _buffer(values: pd.Series) -> int:
    """Return the address of the Arrow data buffer behind a text column."""
    chunks = pa.chunked_array(values.array._pa_array).chunks
    assert len(chunks) == 1
    return int(chunks[0].buffers()[2].address)


def _read(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    options = IngestOptions()
    group = read_group([path], options, find_sources([path], options))
    return group.documents, group.segments


@pytest.mark.parametrize(
    "text",
    ["We were not motivated at all. " * 20, "  Café, naïve: “motivé”… 😀 " * 20 + "\n\n"],
)
def test_longtext_lone_document_shares_its_buffer_with_its_segment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    path = tmp_path / "one.txt"
    path.write_text(text, encoding="utf-8")
    before = _read(path)
    monkeypatch.setattr(qca.ingest.longtext, "SHARED_CHARS", 100)
    documents, segments = _read(path)
    assert _buffer(documents[TEXT]) == _buffer(segments[TEXT])
    pd.testing.assert_frame_equal(documents, before[0])
    pd.testing.assert_frame_equal(segments, before[1])
    assert segments[TEXT].tolist() == [text.strip()]


def test_longtext_short_or_several_segments_are_not_shared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(qca.ingest.longtext, "SHARED_CHARS", 100)
    short = tmp_path / "short.txt"
    short.write_text("We were not motivated.\n", encoding="utf-8")
    turns = tmp_path / "turns.txt"
    turns.write_text(
        "Anna: " + "We were not motivated. " * 10 + "\n\nBen: Nor we.\n", encoding="utf-8"
    )
    for path in (short, turns):
        documents, segments = _read(path)
        assert _buffer(documents[TEXT]) != _buffer(segments[TEXT])


def test_batches_segments_filling_a_batch_are_kept_as_their_frame() -> None:
    segments = make_segments("We were not motivated at all.", "Nor were we, really.")
    whole = Chunk(20)
    assert whole.add(segments)
    assert whole.whole is not None  # no lists: the text is not copied
    taken = whole.take()
    assert taken is not None and whole.take() is None
    lists = Chunk(10_000)
    assert not lists.add(segments)
    assert lists.whole is None
    pd.testing.assert_frame_equal(taken, lists.take())
    after = Chunk(20)
    assert not after.add(segments.iloc[:0]) and not after.add(make_segments("Short."))
    assert after.add(segments)
    assert after.whole is None  # a batch already started gathers lists


def test_parts_long_text_has_no_statistics_and_the_same_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A one-line file coded in pieces: the same hits, and a segments file read back the same."""
    vocabulary = Vocabulary(9)
    (tmp_path / "big.txt").write_text(Writer(vocabulary).text(30_000) + "\n", encoding="utf-8")
    (tmp_path / "codebook.yaml").write_text(vocabulary.yaml, encoding="utf-8")
    options = CodeOptions(cache=False)
    plain = tmp_path / "plain"
    code([tmp_path / "big.txt"], tmp_path / "codebook.yaml", outdir=plain, options=options)
    monkeypatch.setattr(qca.ingest.longtext, "SHARED_CHARS", 1_000)
    monkeypatch.setattr(qca.run.parts, "LONG_TEXT", 1_000)
    monkeypatch.setattr("qca.engine.pieces.PIECE_CHARS", 50_000)
    small = tmp_path / "small"
    code(
        [tmp_path / "big.txt"],
        tmp_path / "codebook.yaml",
        outdir=small,
        options=options,
        batch_chars=10_000,
    )
    assert (small / HITS_CSV).read_bytes() == (plain / HITS_CSV).read_bytes()
    assert len((plain / HITS_CSV).read_text().splitlines()) > 500
    assert pq.read_table(small / SEGMENTS_FILE).equals(pq.read_table(plain / SEGMENTS_FILE))

    def text_statistics(folder: Path) -> object:
        metadata = pq.ParquetFile(folder / SEGMENTS_FILE).metadata
        column = metadata.schema.names.index(TEXT)
        return metadata.row_group(0).column(column).statistics

    assert text_statistics(plain) is not None
    assert text_statistics(small) is None

    def text_encodings(folder: Path) -> tuple[str, ...]:
        metadata = pq.ParquetFile(folder / SEGMENTS_FILE).metadata
        column = metadata.schema.names.index(TEXT)
        return tuple(metadata.row_group(0).column(column).encodings)

    assert any("DICTIONARY" in e for e in text_encodings(plain))
    assert not any("DICTIONARY" in e for e in text_encodings(small))


def test_coding_engine_is_freed_before_segments_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's word caches (hundreds of MB on a long text) are gone when parquet is written."""
    from qca.engine.lexicon import Lexicon

    def lexicons() -> set[int]:
        return {id(o) for o in gc.get_objects() if isinstance(o, Lexicon)}

    before = lexicons()
    alive: list[set[int]] = []
    write = qca.run.parts.SegmentParts.write

    def counting_write(self: qca.run.parts.SegmentParts, path: Path) -> None:
        alive.append(lexicons() - before)
        write(self, path)

    monkeypatch.setattr(qca.run.parts.SegmentParts, "write", counting_write)
    monkeypatch.setattr(qca.run.memory, "COLLECT_WORDS", 1_000)  # 2,000 words count as many
    vocabulary = Vocabulary(9)
    (tmp_path / "a.txt").write_text(Writer(vocabulary).text(2_000) + "\n", encoding="utf-8")
    (tmp_path / "codebook.yaml").write_text(vocabulary.yaml, encoding="utf-8")
    result = code(
        [tmp_path / "a.txt"],
        tmp_path / "codebook.yaml",
        outdir=tmp_path / "out",
        options=CodeOptions(cache=False),
    )
    assert alive == [set()]
    assert len(result.hits) > 0


def test_coding_small_run_skips_the_full_collection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under COLLECT_WORDS words the run does not pay for gc.collect() (0.1-0.3 s)."""
    collections: list[object] = []
    monkeypatch.setattr(gc, "collect", lambda *args: collections.append(args) or 0)
    vocabulary = Vocabulary(9)
    (tmp_path / "a.txt").write_text(Writer(vocabulary).text(2_000) + "\n", encoding="utf-8")
    (tmp_path / "codebook.yaml").write_text(vocabulary.yaml, encoding="utf-8")
    options = CodeOptions(cache=False)
    code([tmp_path / "a.txt"], tmp_path / "codebook.yaml", outdir=tmp_path / "out", options=options)
    assert collections == []
    monkeypatch.setattr(qca.run.memory, "COLLECT_WORDS", 1_000)
    code([tmp_path / "a.txt"], tmp_path / "codebook.yaml", outdir=tmp_path / "out", options=options)
    assert collections == [()]


@given(
    st.text(alphabet=st.sampled_from("ab .\n\u00e9\u2019\U0001f600"), max_size=300),
    st.integers(min_value=1, max_value=40),
    st.lists(st.tuples(st.integers(0, 320), st.integers(0, 320)), max_size=8),
)
def test_texts_long_text_slices_as_its_string(text: str, window: int, spans: list) -> None:
    """A LongText (bytes left in a buffer) slices as the str; its block index is made small."""
    import qca.engine.texts

    old = qca.engine.texts.BLOCK_BYTES
    qca.engine.texts.BLOCK_BYTES = 7
    try:
        long = LongText(text.encode("utf-8"), len(text), window=window)
        assert len(long) == len(text)
        for start, stop in spans:
            assert long[start:stop] == text[start:stop]
        assert long[:] == text
        assert long.spans([a for a, _ in spans], [b for _, b in spans]) == [
            text[a:b] for a, b in spans
        ]
        assert "".join(long.windows()) == text
        assert count_words(long) == count_words(text)
    finally:
        qca.engine.texts.BLOCK_BYTES = old


def test_pieces_long_text_stays_in_the_table_buffer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A segment over PIECE_CHARS is read from its Arrow buffer, never made one str."""
    monkeypatch.setattr("qca.engine.pieces.PIECE_CHARS", 50)
    segments = make_segments("Short.", "Café “motivé” at all. " * 10, "Not long, but ü" * 3)
    texts = segment_texts(segments[TEXT])
    assert [type(t) for t in texts] == [str, LongText, str]
    assert [t[:] for t in texts] == segments[TEXT].tolist()
    long = texts[1]
    assert isinstance(long, LongText)
    data = pa.chunked_array(segments[TEXT].array._pa_array).chunks[0].buffers()[2]
    view = np.frombuffer(long.data, dtype=np.uint8)
    assert data.address <= view.ctypes.data < data.address + data.size  # not a copy
    objects = make_segments("Short.", "Long enough to be cut. " * 10).astype({TEXT: object})
    assert segment_texts(objects[TEXT]) == objects[TEXT].tolist()  # no buffer: as it is
