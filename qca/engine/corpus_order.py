"""How a full run's hits table is chunked, so that an edited re-run writes hits.parquet alike (#16).

A full run joins its batches' hits frames and sorts them (:func:`qca.engine.hits.sort_hits`).
When the joined frame is in output order already, pandas keeps it as it is: the
string columns made per batch (doc_id, segment_id, speaker, match, negation_cue)
stay one Arrow chunk per batch with hits; otherwise they are taken into one chunk.
The parquet writer cuts pages and falls back from dictionary encoding at write
batches that restart at each chunk, so past ~1 MB a column's bytes depend on its
chunks. The token file keeps what an edited re-run needs to chunk its table alike
(:func:`batch_layout`): the first row of each batch, and whether the segments'
keys (doc_id, segment_id) ascend with their rows (then so do any hits').
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from qca.models import DOC_ID, MATCH, NEGATION_CUE, SEGMENT_ID, SPEAKER

#: The string columns of a hits table that a full run chunks per batch.
CHUNKED_COLUMNS = (DOC_ID, SEGMENT_ID, SPEAKER, MATCH, NEGATION_CUE)


def batch_layout(segments: Path, starts: Sequence[int]) -> dict[str, Any]:
    """Return the token file's ``batches`` entry for *segments* (a segments.parquet) coded
    in batches from rows *starts*: those rows, whether every row's key (doc_id,
    segment_id) is greater than the one before, and then the key of each batch's first row.
    """
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.ParquetFile(segments, memory_map=True).read(columns=[DOC_ID, SEGMENT_ID])
    docs, ids = (table.column(name).combine_chunks() for name in (DOC_ID, SEGMENT_ID))
    count = table.num_rows
    ascending = not (docs.null_count or ids.null_count)
    if ascending and count > 1:
        doc_before, doc_after = docs.slice(0, count - 1), docs.slice(1)
        id_before, id_after = ids.slice(0, count - 1), ids.slice(1)
        greater = pc.or_(
            pc.greater(doc_after, doc_before),
            pc.and_(pc.equal(doc_after, doc_before), pc.greater(id_after, id_before)),
        )
        ascending = bool(pc.all(greater).as_py())
    keys = (
        [[docs[row].as_py(), ids[row].as_py()] for row in starts if row < count]
        if ascending
        else []
    )
    return {"starts": list(starts), "ascending": ascending, "keys": keys}


def valid_layout(value: Any) -> bool:
    """Whether *value* is a :func:`batch_layout` (as a token file's header holds it)."""
    if not isinstance(value, dict) or not isinstance(value.get("ascending"), bool):
        return False
    starts, keys = value.get("starts"), value.get("keys")
    if not isinstance(starts, list) or not isinstance(keys, list):
        return False
    pairs = all(
        isinstance(k, list) and len(k) == 2 and all(isinstance(x, str) for x in k) for k in keys
    )
    return pairs and all(isinstance(n, int) and n >= 0 for n in starts) and starts == sorted(starts)


class _Keys:
    """The (doc_id, segment_id) of each row of a sorted hits table, as a sequence (for bisect)."""

    def __init__(self, hits: Any) -> None:
        self.docs = hits.column(DOC_ID)
        self.ids = hits.column(SEGMENT_ID)

    def __len__(self) -> int:
        return len(self.docs)

    def __getitem__(self, row: int) -> tuple[str, str]:
        return (self.docs[row].as_py(), self.ids[row].as_py())


def chunk_lengths(
    hits: Any, layout: dict[str, Any], rows_of: Any, segments: int
) -> list[int] | None:
    """Return how a full run would chunk *hits* (sorted, as written) per batch, or None for
    one chunk.

    *layout* is the token file's ``batches`` entry (:func:`batch_layout`); *rows_of*
    returns the segments.parquet row of every hit of *hits* (called only when the
    segments' keys do not ascend with their rows); *segments* is the number of rows.
    """
    import bisect

    import numpy as np

    starts = [int(row) for row in layout["starts"]]
    count = hits.num_rows
    lengths: Any
    if len(starts) < 2 or not count:
        return None
    if layout["ascending"]:  # a hit's row is at a batch's start or past it iff its key is
        keys = _Keys(hits)
        edges = [bisect.bisect_left(keys, tuple(key)) for key in layout["keys"][1:]]
        lengths = np.diff(np.asarray([0, *edges, count], dtype=np.int64))
    else:
        rows = np.asarray(rows_of(), dtype=np.int64)
        if len(rows) != count or (rows < 0).any() or (np.diff(rows) < 0).any():
            return None  # not in row order: the full run took the rows into one chunk
        batch = np.searchsorted(np.asarray([*starts, segments]), rows, side="right") - 1
        lengths = np.bincount(batch, minlength=len(starts))
    found: list[int] = lengths[lengths > 0].tolist()
    return found if len(found) > 1 else None
