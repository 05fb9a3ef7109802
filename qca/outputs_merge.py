"""The kept rows of an output table merged with new rows, as Arrow and as CSV lines (#16).

An edited re-run (:mod:`qca.outputs_arrow`) rewrites hits and codings: the rows
of the unchanged codes stay as they were, in the order they were (the tables are
sorted on keys no two rows share), and the few new rows go in among them.

- :func:`merge_rows` sorts only the key columns of the kept and new rows and takes
  the whole rows once, in that order, from the old table and the new one;
- :func:`write_merged_csv` writes the CSV from the old file's bytes (memory-mapped):
  each run of old lines that stays together is copied as one slice, only the new
  rows are formatted. No Python object per line.
"""

from __future__ import annotations

import mmap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pyarrow as pa


def indices(values: Any) -> pa.Array:
    """Return integers (a numpy array or a list) as an Arrow int64 array, built from a buffer.

    ``pa.array`` may import pandas (about a second of an edited re-run).
    """
    import numpy as np
    import pyarrow as pa

    data = np.ascontiguousarray(values, dtype=np.int64)
    return pa.Array.from_buffers(pa.int64(), len(data), [None, pa.py_buffer(data)])


def numbers(found: pa.Array) -> npt.NDArray[np.int64]:
    """Return an Arrow array of row numbers (no nulls) as a numpy int64 array.

    Read from its buffer: ``to_numpy`` may import pandas.
    """
    import numpy as np

    kind = np.dtype(found.type.to_pandas_dtype())
    data = found.buffers()[1]
    view = np.frombuffer(data, dtype=kind, count=len(found), offset=found.offset * kind.itemsize)
    return view.astype(np.int64)


def merge_rows(
    old: pa.Table, kept: npt.NDArray[np.int64], new: pa.Table | None, keys: Sequence[str]
) -> tuple[pa.Table, npt.NDArray[np.int64]]:
    """Return rows *kept* of *old* and every row of *new* (of *old*'s schema), sorted by *keys*.

    Also returns each row's source: its row in *old*, or ``old.num_rows`` plus its
    row in *new*. The rows are taken once (one chunk per column), as the full run
    writes them.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    count = 0 if new is None else new.num_rows
    joined = pa.concat_tables([old, new]) if new is not None else old
    source = np.concatenate([kept, old.num_rows + np.arange(count, dtype=np.int64)])
    if count:  # the kept rows are in order already: sort the keys only
        sort_keys = [(name, "ascending") for name in keys]
        picked = joined.select(list(keys)).take(indices(source))
        source = source[numbers(pc.sort_indices(picked, sort_keys=sort_keys))]
    return joined.take(indices(source)).combine_chunks(), source


def write_merged_csv(
    old: Path, path: Path, rows: int, header: bytes, source: Any, lines: list[bytes]
) -> bool:
    """Write CSV *path*: *header*, then per row of *source* (see :func:`merge_rows`) the
    line of that row of the CSV at *old* (of *rows* rows), or one of the new *lines*.

    Returns False, writing nothing, when *old* is not *header* and one line per row
    (a field with a line break): the caller then formats every row.
    """
    import numpy as np

    size = old.stat().st_size
    if size <= len(header):
        return False
    with old.open("rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
        view = memoryview(data)
        try:
            ends = np.flatnonzero(np.frombuffer(view, dtype=np.uint8) == 10)
            if len(ends) != rows + 1 or ends[-1] != size - 1 or view[: ends[0] + 1] != header:
                return False
            _write_runs(path, view, ends, np.asarray(source, dtype=np.int64), rows, lines)
        finally:
            view.release()  # else the map cannot close
    return True


def _write_runs(
    path: Path,
    view: memoryview,
    ends: npt.NDArray[np.intp],
    source: npt.NDArray[np.int64],
    rows: int,
    lines: list[bytes],
) -> None:
    """Write the header line of *view*, then its lines and the new *lines* as *source* orders them."""
    import numpy as np

    old = source < rows
    # a run of old lines goes on while each row is the next line of the one before
    breaks = np.ones(len(source), dtype=np.bool_)
    breaks[1:] = ~(old[1:] & old[:-1] & (source[1:] == source[:-1] + 1))
    firsts = np.flatnonzero(breaks)
    lasts = np.append(firsts[1:], len(source)) - 1
    begins = (ends[source[firsts].clip(0, rows - 1)] + 1).tolist()  # row n is after newline n
    stops = (ends[source[lasts].clip(0, rows - 1) + 1] + 1).tolist()
    with path.open("wb") as out:
        out.write(view[: int(ends[0]) + 1])
        for first, start, stop in zip(firsts.tolist(), begins, stops, strict=True):
            row = int(source[first])
            out.write(view[start:stop] if row < rows else lines[row - rows])
