"""Segments written batch by batch as Arrow IPC parts and joined into ``segments.parquet``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

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
        part = self.folder / f"part-{len(self.parts):06d}.arrow"
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
        """Join the parts into *path*, one row group each.

        Columns: SEGMENT_COLUMNS, then attributes by name. A column's type is its
        first non-null type among the parts; columns whose types differ between
        parts become strings, as do columns that are null in every part; a part
        without a column gets nulls.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        from qca.models import SEGMENT_COLUMNS

        columns = [c for c in SEGMENT_COLUMNS if c in self._names or not self.parts]
        columns += sorted(self._names - set(SEGMENT_COLUMNS))
        target = pa.schema([(c, self._types.get(c, pa.string())) for c in columns])
        with pq.ParquetWriter(path, target) as writer:
            for part in self.parts:
                with pa.memory_map(str(part)) as source:
                    table = pa.ipc.open_file(source).read_all()
                    arrays = []
                    for column in target:
                        if column.name in table.column_names:
                            array = table.column(column.name)
                            if array.type != column.type:
                                array = array.cast(column.type)
                            arrays.append(array)
                        else:
                            arrays.append(pa.nulls(table.num_rows, column.type))
                    writer.write_table(pa.Table.from_arrays(arrays, schema=target))
                    del table, arrays
            if not self.parts:
                writer.write_table(target.empty_table())
        pa.default_memory_pool().release_unused()  # give the parts' buffers back to the OS


def write_part(part: Path, segments: pd.DataFrame) -> pa.Schema:
    """Write *segments* to *part* as an uncompressed Arrow IPC file; return its schema."""
    import pyarrow as pa

    table = pa.Table.from_pandas(segments, preserve_index=False)
    with pa.OSFile(str(part), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return table.schema
