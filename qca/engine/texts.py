"""A very long segment's text read from its Arrow buffer, a window at a time (#19).

A segments table holds its texts as Arrow strings (UTF-8 bytes). Coding used to
make one Python string of every text of a batch; for a transcript saved as one
line of 50 MB that was 50 MB more while the whole segment was matched. A text
longer than :data:`qca.engine.pieces.PIECE_CHARS` is coded piece by piece
anyway, so it stays a :class:`LongText`: a view of its bytes in the table's
buffer, of which only the characters asked for are decoded. A slice of it is the
``str`` the same slice of the whole text would be.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    import pyarrow as pa

#: Bytes per block of a non-ASCII text's index from characters to bytes.
BLOCK_BYTES = 1 << 16


class LongText:
    """A text as UTF-8 bytes (any buffer, e.g. an Arrow value's), sliced like a ``str``.

    Args:
        data: The text's UTF-8 bytes (a buffer; not copied).
        chars: Its length in characters.
        window: Characters decoded at least when a slice is not in the last window
            decoded, so that the slices of one stretch cost one decoding.

    Examples:
        >>> text = LongText("naïve café".encode(), 10, window=4)
        >>> len(text), text[2:8], text[6:]
        (10, 'ïve ca', 'café')
    """

    def __init__(self, data: Any, chars: int, *, window: int = 1 << 20) -> None:
        import numpy as np

        self.data = memoryview(data).cast("B")
        self.chars = chars
        self.window = max(window, 1)
        self._cached: tuple[int, str] = (0, "")
        self._bytes: npt.NDArray[np.uint8] | None = None
        #: Characters starting before each block of BLOCK_BYTES bytes (None: ASCII).
        self._before: npt.NDArray[np.int64] | None = None
        if chars != len(self.data):
            self._bytes = np.frombuffer(self.data, dtype=np.uint8)
            counts = [
                np.count_nonzero(self._bytes[at : at + BLOCK_BYTES] & 0xC0 != 0x80)
                for at in range(0, len(self.data), BLOCK_BYTES)
            ]
            self._before = np.concatenate([[0], np.cumsum(counts, dtype=np.int64)])

    def __len__(self) -> int:
        return self.chars

    def __getitem__(self, key: slice) -> str:
        start, stop, step = key.indices(self.chars)
        if step != 1:
            raise ValueError("a LongText is sliced with step 1 only")
        stop = max(start, stop)
        first, cached = self._cached
        if first <= start and stop <= first + len(cached):
            return cached[start - first : stop - first]
        if stop - start > self.window:
            return self._decode(start, stop)
        end = min(self.chars, start + self.window)
        self._cached = (start, self._decode(start, end))
        return self._cached[1][: stop - start]

    def windows(self) -> Iterator[str]:
        """Yield the text in consecutive slices of about ``window`` characters."""
        for start in range(0, self.chars, self.window):
            yield self[start : start + self.window]

    def spans(self, starts: Sequence[int], ends: Sequence[int]) -> list[str]:
        """Return ``self[s:e]`` of each span, decoding each stretch of the text once."""
        out = [""] * len(starts)
        for n in sorted(range(len(starts)), key=starts.__getitem__):
            out[n] = self[starts[n] : ends[n]]
        return out

    def _decode(self, start: int, stop: int) -> str:
        return str(self.data[self._byte(start) : self._byte(stop)], "utf-8")

    def _byte(self, char: int) -> int:
        """Return the offset in bytes of character *char* (0 <= char <= len)."""
        import numpy as np

        if self._before is None or self._bytes is None:
            return char
        if char >= self.chars:
            return len(self.data)
        block = int(np.searchsorted(self._before, char, side="right")) - 1
        at = block * BLOCK_BYTES
        starts = np.flatnonzero(self._bytes[at : at + BLOCK_BYTES] & 0xC0 != 0x80)
        return at + int(starts[char - int(self._before[block])])


def column_texts(column: pd.Series, longer_than: int) -> list[Any]:
    """Return ``column.tolist()``, with each text over *longer_than* characters a :class:`LongText`.

    Only an Arrow-backed column has texts left in its buffer; any other column
    (and one without such a text) is returned as ``tolist()`` returns it.
    """
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    values = column.array
    if not isinstance(values, pd.arrays.ArrowExtensionArray):
        return column.tolist()
    arrow = values.__arrow_array__()
    kind = arrow.type
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        return column.tolist()
    sizes = pc.fill_null(pc.binary_length(arrow), 0).to_numpy()
    rows = np.flatnonzero(sizes > longer_than)  # a character takes one byte or more
    if not len(rows):
        return column.tolist()
    lengths = pc.fill_null(pc.utf8_length(arrow), 0).to_numpy()
    rows = rows[lengths[rows] > longer_than]
    if not len(rows):
        return column.tolist()
    out: list[Any] = [None] * len(column)
    short = np.setdiff1d(np.arange(len(column)), rows)
    for n, text in zip(short.tolist(), column.iloc[short].tolist(), strict=True):
        out[n] = text
    for n in rows.tolist():
        out[n] = LongText(_value_bytes(arrow, n), int(lengths[n]), window=longer_than + 1)
    return out


def _value_bytes(arrow: pa.ChunkedArray, row: int) -> memoryview:
    """Return the UTF-8 bytes of string *row* of *arrow*, in its data buffer (not copied).

    (A scalar's ``as_buffer()`` copies the value.)
    """
    import numpy as np
    import pyarrow as pa

    for chunk in arrow.chunks:
        if row >= len(chunk):
            row -= len(chunk)
            continue
        _, offsets, data = chunk.buffers()
        width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
        at = chunk.offset + row
        first, last = np.frombuffer(offsets, dtype=width)[at : at + 2].tolist()
        return memoryview(data)[first:last]
    raise IndexError(row)


def text_spans(
    texts: Sequence[Any], owners: Sequence[int], starts: Sequence[int], ends: Sequence[int]
) -> list[str]:
    """Return ``texts[k][s:e]`` for each ``k, s, e`` of *owners*, *starts*, *ends*.

    The spans of a :class:`LongText` are taken in the order of their starts, so
    that each stretch of it is decoded once whatever order the hits come in.
    """
    if not any(isinstance(text, LongText) for text in texts):
        return [texts[k][s:e] for k, s, e in zip(owners, starts, ends, strict=True)]
    out: list[str] = []
    long: dict[int, list[int]] = {}
    for n, (k, s, e) in enumerate(zip(owners, starts, ends, strict=True)):
        text = texts[k]
        if isinstance(text, LongText):
            long.setdefault(k, []).append(n)
            out.append("")
        else:
            out.append(text[s:e])
    for k, rows in long.items():
        found = texts[k].spans([starts[n] for n in rows], [ends[n] for n in rows])
        for n, value in zip(rows, found, strict=True):
            out[n] = value
    return out
