"""Segments written batch by batch as Arrow IPC parts and joined into ``segments.parquet``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


@dataclass(frozen=True)
class Written:
    """What a worker sends back instead of a batch's segments: it wrote them as a part.

    Pickling whole segment frames (the transcripts' text) back to the parent cost
    the workers and the parent about as much as writing them where they are (#9).
    """

    part: Path
    schema: pa.Schema
    segments: int
    words: int
    languages: frozenset[str]


class SegmentParts:
    """Segments written batch by batch as Arrow IPC parts, joined into one parquet file.

    A part is one batch as an uncompressed Arrow IPC file (``pa.Table.from_pandas``,
    the same Arrow types a parquet round trip gives back): cheap to write, and read
    back memory-mapped without decoding. Only one part is in memory at a time, so a
    run's memory stays flat however many segments it writes.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.parts: list[Path] = []
        self.frames: list[pd.DataFrame] = []
        self._names: set[str] = set()
        self._types: dict[str, pa.DataType] = {}

    def add(self, segments: pd.DataFrame) -> None:
        """Write *segments* as the next part (keep them in memory when nothing is written)."""
        if self.folder is None:
            self.frames.append(segments)
            return
        part = self.folder / f"parent-{len(self.parts):06d}.arrow"  # workers write part-*
        self.register(part, write_part(part, segments))

    def register(self, part: Path, schema: pa.Schema) -> None:
        """Add *part*, written by :func:`write_part` (e.g. in a worker), as the next part."""
        import pyarrow as pa

        self.parts.append(part)
        for name in schema.names:
            self._names.add(name)
            kind = schema.field(name).type
            if pa.types.is_null(kind):
                continue
            if name in self._types and self._types[name] != kind:
                self._types[name] = pa.string()
            else:
                self._types.setdefault(name, kind)

    def frame(self) -> pd.DataFrame:
        """Return all segments in memory (only when nothing is written)."""
        import pandas as pd

        from qca.models import SEGMENT_COLUMNS

        if not self.frames:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in SEGMENT_COLUMNS})
        return pd.concat(self.frames, ignore_index=True)

    def write(self, path: Path) -> None:
        """Join the parts into *path*, in row groups of about ``ROW_GROUP_TEXT`` bytes of text.

        Where a row group ends depends only on the rows, not on how they were
        split into parts, so the file is the same whatever the batches or ``--jobs``.
        Columns: SEGMENT_COLUMNS, then attributes by name. A column's type is its
        first non-null type among the parts; columns whose types differ between
        parts become strings, as do columns that are null in every part; a part
        without a column gets nulls.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        from qca.models import SEGMENT_COLUMNS, TEXT

        columns = [c for c in SEGMENT_COLUMNS if c in self._names or not self.parts]
        columns += sorted(self._names - set(SEGMENT_COLUMNS))
        target = pa.schema([(c, self._types.get(c, pa.string())) for c in columns])
        pending: list[pa.Table] = []
        pending_bytes = 0
        pa.default_memory_pool().release_unused()  # the batches' buffers, freed by now
        with pq.ParquetWriter(path, target, **writer_options(self.parts, target)) as writer:

            def emit(tables: list[pa.Table]) -> None:
                writer.write_table(pa.concat_tables(tables).combine_chunks())

            for part in self.parts:
                table = _conform(pa.ipc.open_file(pa.memory_map(str(part))).read_all(), target)
                lengths = (
                    pc.fill_null(pc.binary_length(table.column(TEXT)), 0).to_numpy()
                    if TEXT in target.names
                    else np.zeros(table.num_rows, dtype=np.int64)
                )
                while table.num_rows:
                    ends = pending_bytes + np.cumsum(lengths)
                    cut = int(ends.searchsorted(ROW_GROUP_TEXT, side="left"))
                    if cut >= table.num_rows:
                        pending.append(table)
                        pending_bytes = int(ends[-1])
                        break
                    emit([*pending, table.slice(0, cut + 1)])
                    pending, pending_bytes = [], 0
                    table, lengths = table.slice(cut + 1), lengths[cut + 1 :]
                del table
            if pending or not self.parts:
                emit(pending or [target.empty_table()])
            del pending
        pa.default_memory_pool().release_unused()  # give the parts' buffers back to the OS


#: Bytes of segment text per row group of segments.parquet (the last one holds the rest).
ROW_GROUP_TEXT = 4_000_000

#: Bytes of one segment's text from which segments.parquet has no statistics for ``text``.
#: Parquet keeps no min/max over 4 KB anyway, but the writer copies the value several
#: times to find them: on a 50 MB segment, 250 MB at the peak of a run (#19).
LONG_TEXT = 1_000_000


def writer_options(parts: list[Path], target: pa.Schema) -> dict[str, Any]:
    """Return the ``ParquetWriter`` options for *parts*: the defaults unless a text is long.

    With a segment of :data:`LONG_TEXT` bytes or more, ``text`` gets no statistics and
    no dictionary encoding (the table read back is the same; only its column chunks'
    null counts and encoding differ).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from qca.models import TEXT

    if TEXT not in target.names:
        return {}
    for part in parts:
        with pa.memory_map(str(part)) as source:
            table = pa.ipc.open_file(source).read_all()
            kind = table.schema.field(TEXT).type if TEXT in table.column_names else None
            if kind is None or not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
                continue
            longest = pc.max(pc.binary_length(table.column(TEXT))).as_py()
            del table
        if longest is not None and longest >= LONG_TEXT:
            others = [name for name in target.names if name != TEXT]
            # a dictionary of the texts would copy the long value too (~20 MB at 50 MB)
            return {"write_statistics": others, "use_dictionary": others}
    return {}


def _conform(table: pa.Table, target: pa.Schema) -> pa.Table:
    """Return *table* with *target*'s columns and types (nulls for a missing column)."""
    import pyarrow as pa

    arrays = []
    for column in target:
        if column.name in table.column_names:
            array = table.column(column.name)
            if array.type != column.type:
                array = array.cast(column.type)
            arrays.append(array)
        else:
            arrays.append(pa.nulls(table.num_rows, column.type))
    return pa.Table.from_arrays(arrays, schema=target)


def write_part(part: Path, segments: pd.DataFrame) -> pa.Schema:
    """Write *segments* to *part* as an uncompressed Arrow IPC file; return its schema."""
    import pyarrow as pa

    table = pa.Table.from_pandas(segments, preserve_index=False)
    with pa.OSFile(str(part), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return table.schema


class HitParts:
    """The hits of each batch, kept on disk beside the segment parts until the run sorts them.

    The hits of a run are joined and sorted once, at the end. Held in memory, they
    grew with the corpus while the batches were coded (~100 bytes a hit: 30 MB at
    315,000 hits, at the peak of a 10M-word run, #16). Each batch's frame is pickled
    into *folder* (the dtypes come back as they were: categoricals with the run's
    categories, int32 offsets), or kept in memory when *folder* is None.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.frames: list[pd.DataFrame] = []
        self.parts: list[Path] = []

    def add(self, hits: pd.DataFrame) -> None:
        """Keep *hits* (one batch's, not empty) until :meth:`join`."""
        if self.folder is None:
            self.frames.append(hits)
            return
        import pickle

        part = self.folder / f"hits-{len(self.parts):06d}.pickle"
        with part.open("wb") as sink:
            pickle.dump(hits, sink, protocol=pickle.HIGHEST_PROTOCOL)
        self.parts.append(part)

    def join(self) -> pd.DataFrame | None:
        """Return every batch's hits in one frame, in the order added (None when none)."""
        import pickle

        import pandas as pd

        frames = self.frames
        for part in self.parts:
            with part.open("rb") as source:
                frames.append(pickle.load(source))  # noqa: S301 - written by this run
            part.unlink()
        self.frames, self.parts = [], []
        if not frames:
            return None
        joined = pd.concat(frames, ignore_index=True)
        frames.clear()
        return joined
