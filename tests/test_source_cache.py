"""The source cache gives back what ``read_source`` read, and re-reads what it cannot trust."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

import qca.ingest
from qca.ingest import IngestOptions, SourceBatch, find_sources, read_source
from qca.ingest.store import SourceCache, _cut_texts, _paste_texts
from qca.models import DOC_ID, END, START, TEXT, UNITS
from tests.test_ingest_fast_paths import _write_inputs

_FIELDS = (
    "source",
    "problems",
    "problem_keys",
    "document_keys",
    "wheres",
    "attribute_names",
    "duplicates",
    "joined",
)


def _assert_same(left: list[SourceBatch], right: list[SourceBatch]) -> None:
    assert len(left) == len(right)
    for a, b in zip(left, right, strict=True):
        assert type(a) is type(b)
        for name in _FIELDS:
            assert getattr(a, name) == getattr(b, name), name
        assert list(a.turn_counts.items()) == list(b.turn_counts.items())
        for frame_a, frame_b in ((a.documents, b.documents), (a.segments, b.segments)):
            assert list(frame_a.dtypes) == list(frame_b.dtypes)
            assert_frame_equal(frame_a, frame_b, check_exact=True)


def _read_all(paths: list[Path], options: IngestOptions, cache: SourceCache) -> list[SourceBatch]:
    sources = find_sources(paths, options)
    return [b for path in sources.files for b in cache.batches(path, options, sources)]


def _forbid_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("read_source was called")

    monkeypatch.setattr(qca.ingest, "read_source", refuse)


@pytest.mark.parametrize("unit", UNITS)
def test_source_cache_gives_back_what_was_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unit: str
) -> None:
    monkeypatch.setattr("qca.ingest.surveys.CHUNK_ROWS", 3)  # several batches per survey
    folder = tmp_path / "in"
    folder.mkdir()
    paths = _write_inputs(folder)
    (folder / "broken.docx").write_bytes(b"not a zip")
    paths.append(folder / "broken.docx")
    options = IngestOptions(unit=unit, text_column="comment", participants=folder / "people.csv")
    plain = _read_all(paths, options, SourceCache(None))
    cache = SourceCache(tmp_path / "cache")
    assert [b.source.name for b in plain].count("s1.csv") == 4
    _assert_same(_read_all(paths, options, cache), plain)
    assert (cache.hits, cache.misses) == (0, 6)
    _forbid_reading(monkeypatch)
    again = SourceCache(tmp_path / "cache")
    _assert_same(_read_all(paths, options, again), plain)
    assert (again.hits, again.misses) == (6, 0)


def test_source_cache_keys_on_content_options_and_participants(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    paths = _write_inputs(folder)
    options = IngestOptions(text_column="comment", participants=folder / "people.csv")
    cache = SourceCache(tmp_path / "cache")
    _read_all(paths, options, cache)
    paths[0].write_text("I: Changed.\nR: Quite.\n", encoding="utf-8")
    (folder / "people.csv").write_text("doc_id,role\nr1,other\n", encoding="utf-8")
    fresh = _read_all(paths, options, SourceCache(None))
    cache = SourceCache(tmp_path / "cache")
    _assert_same(_read_all(paths, options, cache), fresh)
    assert cache.hits == 0
    sentences = IngestOptions(text_column="comment", unit="sentence")
    cache = SourceCache(tmp_path / "cache")
    _assert_same(_read_all(paths, sentences, cache), _read_all(paths, sentences, SourceCache(None)))
    assert cache.hits == 0


@pytest.mark.parametrize("damage", ["truncate", "garbage", "remove", "foreign"])
def test_source_cache_reads_again_past_a_damaged_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    monkeypatch.setattr("qca.ingest.surveys.CHUNK_ROWS", 3)
    folder = tmp_path / "in"
    folder.mkdir()
    paths = _write_inputs(folder)
    options = IngestOptions(text_column="comment")
    plain = _read_all(paths, options, SourceCache(None))
    _read_all(paths, options, SourceCache(tmp_path / "cache"))
    parts = sorted((tmp_path / "cache").glob("sources/*/*.2"))
    assert len(parts) == 1  # s1.csv, the third of its four batches
    if damage == "truncate":
        parts[0].write_bytes(parts[0].read_bytes()[:-9])
    elif damage == "garbage":
        parts[0].write_bytes(parts[0].read_bytes()[:8] + b"\xff" * 40)  # the magic, then noise
    elif damage == "remove":
        parts[0].unlink()
    else:
        other = sorted((tmp_path / "cache").glob("sources/*/*.0"))
        parts[0].write_bytes(next(p for p in other if p.stem != parts[0].stem).read_bytes())
    _assert_same(_read_all(paths, options, SourceCache(tmp_path / "cache")), plain)
    _forbid_reading(monkeypatch)  # the entry was written again
    _assert_same(_read_all(paths, options, SourceCache(tmp_path / "cache")), plain)


@pytest.mark.parametrize("values", [[1, "one"], [1, 2]], ids=["mixed", "ints-as-objects"])
def test_source_cache_keeps_no_batch_that_would_not_come_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, values: list[object]
) -> None:
    path = tmp_path / "a.txt"
    path.write_text("I: Hello.\nR: Hi there.\n", encoding="utf-8")
    options = IngestOptions()
    sources = find_sources([path], options)
    (batch,) = read_source(path, options, sources)
    mixed = batch.segments.assign(extra=pd.Series(values, dtype=object))
    odd = SourceBatch(batch.source, batch.documents, mixed, batch.problems, batch.turn_counts)
    monkeypatch.setattr(qca.ingest, "read_source", lambda *args: iter([odd]))
    cache = SourceCache(tmp_path / "cache")
    (got,) = cache.batches(path, options, sources)
    assert got is odd
    assert not list((tmp_path / "cache").glob("sources/*/*.done"))


def test_source_cache_unwritable_folder_still_reads(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("I: Hello.\nR: Hi there.\n", encoding="utf-8")
    (tmp_path / "cache").write_text("a file, not a folder")
    options = IngestOptions()
    sources = find_sources([path], options)
    cache = SourceCache(tmp_path / "cache")
    _assert_same(
        list(cache.batches(path, options, sources)), list(read_source(path, options, sources))
    )


@given(
    docs=st.lists(
        st.lists(st.tuples(st.text(max_size=4), st.text(max_size=6)), max_size=4), max_size=4
    ),
    tails=st.lists(st.text(max_size=3), min_size=4, max_size=4),
)
def test_source_cache_cut_texts_come_back_whole(
    docs: list[list[tuple[str, str]]], tails: list[str]
) -> None:
    texts, rows = [], []
    for n, pieces in enumerate(docs):
        text = ""
        for between, segment in pieces:
            text += between
            rows.append((f"d{n}", len(text), len(text) + len(segment), segment))
            text += segment
        texts.append(text + tails[n])
    documents = pd.DataFrame({DOC_ID: [f"d{n}" for n in range(len(docs))], TEXT: texts})
    segments = pd.DataFrame(rows, columns=[DOC_ID, START, END, TEXT])
    cut, done = _cut_texts(documents, segments)
    assert done == bool(docs)
    if done:
        assert sum(map(len, cut[TEXT])) == sum(map(len, texts)) - sum(len(r[3]) for r in rows)
    assert_frame_equal(_paste_texts(cut.copy(), segments) if done else cut, documents)


@pytest.mark.parametrize(
    "segments",
    [
        [("a", 0, 2, "xx")],  # not the document's text there
        [("a", 2, 4, "cd"), ("a", 0, 2, "ab")],  # out of order
        [("b", 0, 2, "ab")],  # another document's
    ],
)
def test_source_cache_keeps_texts_it_cannot_cut(segments: list[tuple[str, int, int, str]]) -> None:
    documents = pd.DataFrame({DOC_ID: ["a"], TEXT: ["abcd"]})
    frame = pd.DataFrame(segments, columns=[DOC_ID, START, END, TEXT])
    cut, done = _cut_texts(documents, frame)
    assert not done and cut is documents


def test_source_cache_stores_a_transcript_text_once(tmp_path: Path) -> None:
    text = "Interviewer: What helps?\n\nP1: " + " ".join(f"word{n}" for n in range(3000)) + "\n"
    source = tmp_path / "t.txt"
    source.write_text(text, encoding="utf-8")
    options = IngestOptions()
    cache = SourceCache(tmp_path / "cache")
    first = _read_all([source], options, cache)
    (entry,) = (tmp_path / "cache").rglob("*.0")
    assert entry.stat().st_size < len(text.encode()) / 2  # once, compressed
    again = SourceCache(tmp_path / "cache")
    _assert_same(first, _read_all([source], options, again))
    assert (again.hits, again.misses) == (1, 0)
