"""Read an output folder in windows of whole documents, in bounded memory (#23 item 5).

``qca code`` writes hits sorted by (doc_id, segment_id) and codings by segment_id;
segments.parquet holds the segments in input order, in row groups of bounded size.
When the segments are in segment_id order too, with each document's segments together
(doc_id never going back), the three files are one order, and a reader can walk them
side by side (a merge): it takes a batch of segments up to the last complete
document, then the hits and codings up to that batch's last segment_id. A window then
holds every hit and coding of its segments and every segment of its documents, so
counts per window add up. Memory is bounded by the batch size and the largest
document, not by the size of the folder.

Files in any other order raise :class:`NotStreamable` (the caller reads them whole);
each window is checked as :func:`qca.outputs.read_output` checks the whole folder
(hits and codings naming segments or codes the folder lacks), so a damaged folder
gives the same one-line errors.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.models import (
    CODING_COLUMNS,
    CODINGS_FILE,
    DOC_ID,
    HIT_COLUMNS,
    HITS_FILE,
    NEGATION_CUE,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SEGMENTS_FILE,
)
from qca.outputs import CodedOutput, Columns, check_columns, check_references

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

#: Rows per record batch read from each file.
BATCH_ROWS = 65_536


class NotStreamable(Exception):
    """The files are not in one (doc_id, segment_id) order: read them whole instead."""


@dataclass(frozen=True)
class Window:
    """Whole documents' segments, with every hit and coding of those segments."""

    segments: pd.DataFrame
    hits: pd.DataFrame
    codings: pd.DataFrame | None


class _Sorted:
    """Record batches of one parquet file, taken up to a segment_id; checks the order."""

    def __init__(self, path: Path, columns: Sequence[str], kinds: Sequence[str], rows: int):
        import pyarrow.parquet as pq

        # pre_buffer keeps what it read ahead: resident memory then grows with the file
        self.file = pq.ParquetFile(path, read_dictionary=list(kinds) or None, pre_buffer=False)
        self.batches = self.file.iter_batches(batch_size=rows, columns=list(columns))
        self.schema = _schema(self.file.schema_arrow, columns, kinds)
        self.pending: list[pa.RecordBatch] = []
        self.last: str | None = None
        self.done = False

    def _pull(self) -> bool:
        batch = next(self.batches, None)
        if batch is None:
            self.done = True
            return False
        column = batch.column(SEGMENT_ID)
        if column.null_count:
            raise NotStreamable(SEGMENT_ID)
        if len(column):
            _check_order(column, self.last, strict=False)
            self.last = column[len(column) - 1].as_py()
        self.pending.append(batch)
        return True

    def take(self, last: str | None) -> pa.Table:
        """Return every remaining row with a segment_id <= *last* (``None``: every row)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        while not self.done and (last is None or self.last is None or self.last <= last):
            self._pull()
        if last is None:
            taken, self.pending = self.pending, []
            return _table(taken, self.schema)
        taken = []
        while self.pending:
            batch = self.pending[0]
            ids = batch.column(SEGMENT_ID)
            inside = int(pc.sum(pc.less_equal(ids, pa.scalar(last, ids.type))).as_py() or 0)
            if inside < len(batch):
                taken.append(batch.slice(0, inside))
                self.pending[0] = batch.slice(inside)
                break
            taken.append(self.pending.pop(0))
        return _table(taken, self.schema)


def _schema(schema: pa.Schema, columns: Sequence[str], kinds: Sequence[str]) -> pa.Schema:
    """The schema of the batches read: *columns*, those of *kinds* as dictionaries."""
    import pyarrow as pa

    fields = [schema.field(name) for name in columns]
    return pa.schema(
        [f.with_type(pa.dictionary(pa.int32(), f.type)) if f.name in kinds else f for f in fields],
        metadata=schema.metadata,
    )


def _table(batches: list[pa.RecordBatch], schema: pa.Schema) -> pa.Table:
    import pyarrow as pa

    return pa.Table.from_batches(batches) if batches else schema.empty_table()


def _check_order(column: pa.Array, before: Any, *, strict: bool) -> None:
    """Raise :class:`NotStreamable` unless *column* ascends (strictly), after *before*."""
    import pyarrow as pa
    import pyarrow.compute as pc

    compare = pc.less if strict else pc.less_equal
    if not len(column):
        return
    if before is not None and not compare(pa.scalar(before, column.type), column[0]).as_py():
        raise NotStreamable("order")
    if len(column) > 1:
        head, tail = column.slice(0, len(column) - 1), column.slice(1)
        if not pc.all(compare(head, tail)).as_py():
            raise NotStreamable("order")


def iter_windows(
    folder: Path,
    manifest: dict[str, Any],
    columns: Columns,
    *,
    rows: int = BATCH_ROWS,
) -> Iterator[Window]:
    """Yield the output *folder* (whose checked run.json is *manifest*) window by window.

    Args:
        folder: An output folder (:func:`qca.outputs_manifest.read_manifest` checked it).
        manifest: Its run.json.
        columns: The columns to read of each file (segment_id always).
        rows: Rows per record batch (tests make it tiny to cross many batch boundaries).

    Raises:
        NotStreamable: When the files are not in one (doc_id, segment_id) order.
        OutputError: As :func:`qca.outputs.read_output` does for a damaged folder.
    """
    import pyarrow.parquet as pq

    kinds = tuple(columns.categorical)
    paths = {name: folder / name for name in (SEGMENTS_FILE, HITS_FILE, CODINGS_FILE)}
    required = {
        SEGMENTS_FILE: SEGMENT_COLUMNS,
        HITS_FILE: tuple(c for c in HIT_COLUMNS if c != NEGATION_CUE),
        CODINGS_FILE: CODING_COLUMNS,
    }
    wanted = {
        SEGMENTS_FILE: columns.segments,
        HITS_FILE: columns.hits,
        CODINGS_FILE: columns.codings,
    }
    readers: dict[str, _Sorted] = {}
    for name, path in paths.items():
        if name == CODINGS_FILE and not path.is_file():
            continue
        names = pq.read_schema(path).names
        check_columns(path, names, required[name], folder)
        chosen = wanted[name]
        picked = [c for c in names if chosen is None or c in {*chosen, SEGMENT_ID, DOC_ID}]
        if name != SEGMENTS_FILE:
            picked = [c for c in picked if c != DOC_ID or (chosen is not None and c in chosen)]
        readers[name] = _Sorted(path, picked, [k for k in kinds if k in picked], rows)
    segments, hits = readers[SEGMENTS_FILE], readers[HITS_FILE]
    codings = readers.get(CODINGS_FILE)
    segment_names = tuple(segments.schema.names)
    carried: list[pa.Table] = []
    last_doc: str | None = None
    last_segment: str | None = None
    while True:
        more = segments._pull() if not segments.done else False
        if more:
            batch = segments.pending.pop()
            if batch.column(DOC_ID).null_count or not len(batch):
                if not len(batch):
                    continue
                raise NotStreamable(DOC_ID)
            doc = batch.column(DOC_ID)
            _check_order(batch.column(SEGMENT_ID), last_segment, strict=True)
            _check_order(doc, last_doc, strict=False)
            last_segment = batch.column(SEGMENT_ID)[len(batch) - 1].as_py()
            last_doc = doc[len(doc) - 1].as_py()
            cut = _last_document_start(doc)
            if cut == 0:
                carried.append(batch)
                continue
            window = [*carried, batch.slice(0, cut)]
            carried = [batch.slice(cut)]
        else:
            window, carried = carried, []
            if not window:
                break
        yield _window(folder, manifest, window, hits, codings, segment_names)
    rest = [hits.take(None), *([codings.take(None)] if codings is not None else [])]
    if any(part.num_rows for part in rest):  # rows past the last segment: a damaged folder
        _refs(folder, manifest, _frame(segments.schema.empty_table()), rest)


def _last_document_start(doc: pa.Array) -> int:
    """Return the row where the batch's last document starts (0: it is the whole batch)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    same = pc.equal(doc, pa.scalar(doc[len(doc) - 1].as_py(), doc.type))
    return int(pc.sum(pc.invert(same)).as_py() or 0)


def _window(
    folder: Path,
    manifest: dict[str, Any],
    batches: list[pa.RecordBatch | pa.Table],
    hits: _Sorted,
    codings: _Sorted | None,
    names: tuple[str, ...],
) -> Window:
    import pyarrow as pa

    tables = [b if isinstance(b, pa.Table) else pa.Table.from_batches([b]) for b in batches]
    segments = pa.concat_tables(tables)
    last = segments.column(SEGMENT_ID)[segments.num_rows - 1].as_py()
    parts = [hits.take(last), *([codings.take(last)] if codings is not None else [])]
    frame = _frame(segments)
    found = _refs(folder, manifest, frame, parts, names)
    return Window(frame, found[0], found[1] if codings is not None else None)


def _frame(table: pa.Table) -> pd.DataFrame:
    frame: pd.DataFrame = table.to_pandas()
    return frame


def _refs(
    folder: Path,
    manifest: dict[str, Any],
    segments: pd.DataFrame,
    parts: list[pa.Table],
    names: tuple[str, ...] = (),
) -> list[pd.DataFrame]:
    """Return *parts* (hits, codings) as frames, checked against *segments*."""
    frames = [_frame(part) for part in parts]
    codings = frames[1] if len(frames) > 1 else None
    check_references(CodedOutput(folder, segments, frames[0], codings, manifest, names))
    return frames
