"""What keeps a coding run's memory bounded by the batch, not the corpus (#16)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import qca.engine.hits
from qca.coding import CodeOptions, code
from qca.engine.pipeline import Pipeline
from qca.models import CODE, CODING_COLUMNS, HITS, SEGMENT_ID, SOURCE, THEME
from qca.run.codings import codings_from_hits

if TYPE_CHECKING:
    from qca.ingest.base import Batch

ROOT = Path(__file__).resolve().parent.parent


def _outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.name != "run.json"}


@pytest.mark.parametrize("jobs", [1, 2])
def test_coding_fresh_lexicons_give_the_same_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int
) -> None:
    """A lexicon dropped after every batch (tokens and lemmas learnt again) changes no byte."""
    paths = [ROOT / "transcripts"]
    book = ROOT / "codebooks" / "esther.yaml"
    options = CodeOptions(cache=False, jobs=jobs)
    code(paths, book, outdir=tmp_path / "kept", options=options, batch_chars=2_000)
    forgotten = []
    forget = Pipeline.forget_strings

    def spy(self: Pipeline) -> None:
        forgotten.append(len(self.lexicon.chunks))
        forget(self)

    monkeypatch.setattr(Pipeline, "forget_strings", spy)
    monkeypatch.setattr(qca.engine.hits, "LEXICON_CHUNKS", 1)
    code(paths, book, outdir=tmp_path / "fresh", options=options, batch_chars=2_000)
    assert _outputs(tmp_path / "fresh") == _outputs(tmp_path / "kept")
    if jobs == 1:  # between the batches, and once all is coded (workers do it in theirs)
        assert len(forgotten) >= 3


def test_coding_keeps_the_lexicon_while_recording_the_corpus(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the cache, the corpus token file numbers strings of one lexicon: never dropped."""
    monkeypatch.setattr(qca.engine.hits, "LEXICON_CHUNKS", 1)
    monkeypatch.setattr(Pipeline, "forget_strings", lambda self: pytest.fail("dropped"))
    options = CodeOptions(cache_dir=tmp_path / "cache")
    code(
        [ROOT / "transcripts"],
        ROOT / "codebooks" / "esther.yaml",
        outdir=tmp_path / "out",
        options=options,
        batch_chars=2_000,
    )
    assert list((tmp_path / "cache").rglob("corpus/*"))


def _grouped(hits: pd.DataFrame) -> pd.DataFrame:
    """The counts as a groupby gives them (what codings_from_hits did before #16)."""
    counts = hits.groupby([SEGMENT_ID, THEME, CODE], sort=True).size().reset_index(name=HITS)
    counts[SOURCE] = "auto"
    counts = counts.sort_values([SEGMENT_ID, CODE], kind="stable").reset_index(drop=True)
    return counts.astype({HITS: "int64"})[list(CODING_COLUMNS)]


SEGMENTS = st.text(alphabet="ab-:1Z\u00e9\u4e00", min_size=1, max_size=4)
CODES = st.sampled_from([("t1", "c1"), ("t1", "c10"), ("t2", "c2"), ("t0", "z"), ("t2", "C")])


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(SEGMENTS, CODES), min_size=1, max_size=40), st.booleans())
def test_codings_from_hits_counts_as_a_groupby_would(
    rows: list[tuple[str, tuple[str, str]]], arrow: bool
) -> None:
    dtype = "str" if arrow else object
    hits = pd.DataFrame(
        {
            SEGMENT_ID: pd.Series([r[0] for r in rows], dtype=dtype),
            THEME: pd.Series([r[1][0] for r in rows], dtype=dtype),
            CODE: pd.Series([r[1][1] for r in rows], dtype=dtype),
        }
    )
    found = codings_from_hits(hits)
    expected = _grouped(hits)
    pd.testing.assert_frame_equal(found, expected)
    assert found.to_csv(index=False) == expected.to_csv(index=False)


def test_coding_gives_freed_memory_back_after_each_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between batches the heap is trimmed, so it does not grow with the batches (#16)."""
    import qca.coding
    from qca.run.memory import give_back

    calls: list[int] = []

    def spy() -> None:
        calls.append(1)
        give_back()

    monkeypatch.setattr(qca.coding, "give_back", spy)
    result = code(
        [ROOT / "transcripts"],
        ROOT / "codebooks" / "esther.yaml",
        outdir=tmp_path / "out",
        options=CodeOptions(cache=False),
        batch_chars=2_000,
    )
    assert len(result.hits)
    assert len(calls) >= 3 + 3  # a batch each (three here), then the end of the run


def test_coding_frees_each_file_before_the_next_is_read(tmp_path: Path) -> None:
    """A file's frames are not held while the next file is read (#16: they were, 2 x 8 MB)."""
    import weakref

    from qca.codebook import read_codebook
    from qca.coding import code_batches
    from qca.ingest import IngestOptions, iter_corpus

    held: list[str] = []
    previous: list[weakref.ref[pd.DataFrame]] = []

    def batches() -> Iterator[Batch]:
        for batch in iter_corpus([ROOT / "transcripts"], IngestOptions()):
            held.extend(str(batch.source) for ref in previous[-1:] if ref() is not None)
            previous.append(weakref.ref(batch.segments))
            yield batch
            del batch

    codebook = read_codebook(ROOT / "codebooks" / "esther.yaml")
    result = code_batches(batches(), codebook, outdir=tmp_path / "out", batch_chars=2_000)
    assert len(previous) >= 3 and len(result.hits)
    assert held == []
