"""Coding batches: segments of consecutive files gathered into one batch of ~1 MB of text."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.models import DOC_ID, IS_INTERVIEWER, LANGUAGE, SEGMENT_ID, SPEAKER, START, TEXT
from qca.options import CodeOptions

if TYPE_CHECKING:
    import pandas as pd

    from qca.engine.hits import Engine
    from qca.engine.store import TokenStore

#: The columns the engine reads (the only ones a batch keeps or a worker receives).
SEGMENT_FIELDS = (DOC_ID, SEGMENT_ID, SPEAKER, IS_INTERVIEWER, START, TEXT, LANGUAGE)


def token_store(cache_dir: Path | None) -> TokenStore | None:
    """Return the token store in *cache_dir*, or None without a cache."""
    from qca.engine.store import TokenStore

    return TokenStore(cache_dir) if cache_dir is not None else None


def match_batch(
    segments: pd.DataFrame, engine: Engine, options: CodeOptions, store: TokenStore | None
) -> pd.DataFrame:
    """Code one batch of *segments* (hits unsorted: the run sorts them once at the end)."""
    from qca.engine.hits import code_batch

    return code_batch(
        segments,
        engine,
        include_interviewer=options.include_interviewer,
        store=store,
        sort=False,
    )


#: Text (in characters) gathered from consecutive files into one coding batch. A
#: batch's tables take tens of MB per MB of text while it is coded: on 1M words in
#: 2,000 files, 4 MB batches peaked at 430 MB, 1 MB batches at 376 MB, same CPU.
BATCH_CHARS = 1_000_000


class Chunk:
    """Segments of consecutive files gathered into one coding batch of about *limit* characters.

    Coding a batch has a fixed cost (a token-store entry, pandas frames, a hits
    frame) that dominates on small files; one batch per ~1 MB of text pays it
    once instead of once per file (#16). Only the columns the engine reads are
    kept, as lists, and joined into one frame when the batch is coded. Segments
    that fill a batch on their own are kept as their frame: copying their text
    into lists and back into a frame would hold it twice more (#19).
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.columns: dict[str, list[Any]] = {c: [] for c in SEGMENT_FIELDS}
        self.dtypes: dict[str, Any] = {}
        self.files: dict[Any, int] = {}  # doc_id -> the number of its file in the batch
        self.rows = 0
        self.chars = 0
        #: Segments that fill the batch alone, as their own frame (no lists then).
        self.whole: pd.DataFrame | None = None

    def add(self, segments: pd.DataFrame, files: Sequence[Sequence[str]] = ()) -> bool:
        """Add *segments*; return whether the batch is full (code it then).

        *segments* come from one file, or from several: then *files* holds each
        file's doc_ids.
        """
        count = len(segments)
        if not self.rows and count and text_chars(segments) >= self.limit:
            self.whole = slim(segments)
            self.rows = count
            self.chars = text_chars(segments)
            self._number(segments, files)
            return True
        for name, values in self.columns.items():
            if name in segments.columns:
                values.extend(segments[name].tolist())
                dtype = segments[name].dtype  # kept when every file has it alike
                if self.dtypes.setdefault(name, dtype) != dtype:
                    self.dtypes[name] = object  # as pd.concat would join them
            else:
                values.extend([None] * count)
                self.dtypes[name] = object
        self.rows += count
        self._number(segments, files)
        self.chars += sum(map(len, self.columns[TEXT][-count:])) if count else 0
        return self.chars >= self.limit

    def _number(self, segments: pd.DataFrame, files: Sequence[Sequence[str]]) -> None:
        """Number the files of *segments* after those in the batch (see :meth:`add`)."""
        number = len(self.files) and max(self.files.values()) + 1
        for ids in files or [segments[DOC_ID].tolist()]:
            self.files.update(dict.fromkeys(ids, number))
            number += 1

    def take(self) -> pd.DataFrame | None:
        """Return the gathered segments as one frame (None when empty) and start afresh."""
        import pandas as pd

        if not self.rows:
            return None
        if self.whole is not None:
            whole = self.whole.reset_index(drop=True)
            self.whole = None
            self.files = {}
            self.rows = self.chars = 0
            return whole
        columns = {
            name: pd.Series(values, dtype=self.dtypes.get(name))
            for name, values in self.columns.items()
            if any(x is not None for x in values)
        }
        frame = pd.DataFrame(columns)
        self.dtypes = {}
        self.files = {}
        self.columns = {c: [] for c in SEGMENT_FIELDS}
        self.rows = self.chars = 0
        return frame


def speakers_as_per_file(hits: pd.DataFrame, files: dict[Any, int]) -> pd.DataFrame:
    """Give *hits*' speaker column the dtype joining one hits frame per file would give.

    A file whose hits all lack a speaker makes an object column, and joining it
    with the others' string columns makes them object too (hits.parquet's type).
    """
    if hits.empty or hits[SPEAKER].dtype == object:
        return hits
    missing = hits[SPEAKER].isna()
    if missing.any() and missing.groupby(hits[DOC_ID].map(files).to_numpy()).all().any():
        hits[SPEAKER] = hits[SPEAKER].astype(object)
    return hits


def text_chars(segments: pd.DataFrame) -> int:
    """Return the characters of text *segments* have (counted on their column, no copy)."""
    if TEXT not in segments.columns:
        return 0
    return int(segments[TEXT].str.len().sum())


def slim(segments: pd.DataFrame) -> pd.DataFrame:
    """Return the columns a worker needs (no attributes to pickle)."""
    return segments[[c for c in SEGMENT_FIELDS if c in segments.columns]]
