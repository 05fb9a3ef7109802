"""A long document's text and its one segment's text held once, as one Arrow buffer (#19).

The documents frame keeps each document's text and the segments frame each
segment's; both are Arrow string arrays, so a transcript saved as one line with
no speaker labels (one segment: the whole text, trimmed) was held twice. When
a builder holds one such document of :data:`SHARED_CHARS` characters or more,
the segment's array points into the document's buffer instead of copying it.
The values are the same; only where they are in memory differs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

#: Characters from which a lone document's text is shared with its segment.
SHARED_CHARS = 1_000_000


def shared_texts(
    document_texts: Sequence[str],
    segment_texts: Sequence[str],
    starts: Sequence[int],
    dtype: Any,
) -> tuple[Any, ...]:
    """Return the document and segment text arrays sharing one buffer, or nothing.

    Only for one document of at least :data:`SHARED_CHARS` characters with one
    segment that is ``text[start:start + len(segment)]`` (*starts* holds that
    start); *dtype* is the frames' text dtype (Arrow ``large_string`` storage).
    """
    if len(document_texts) != 1 or len(segment_texts) != 1:
        return ()
    text, piece, start = document_texts[0], segment_texts[0], starts[0]
    if len(text) < SHARED_CHARS or not text.startswith(piece, start):
        return ()
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    if text.isascii():
        first, last = start, start + len(piece)
    else:
        first = len(text[:start].encode("utf-8"))
        last = first + len(piece.encode("utf-8"))
    document = pa.array([text], type=pa.large_string())
    offsets = pa.py_buffer(np.array([first, last], dtype=np.int64))
    segment = pa.LargeStringArray.from_buffers(1, offsets, document.buffers()[2])
    # pd.array keeps an Arrow array of the dtype's storage type as it is (no copy)
    return tuple(pd.array(pa.chunked_array([a]), dtype=dtype) for a in (document, segment))
