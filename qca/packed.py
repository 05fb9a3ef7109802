"""Integer arrays and strings packed small for the cache: narrowed, byte planes, zstd (#16).

The token store (:mod:`qca.engine.store`) and the corpus token file
(:mod:`qca.engine.corpus_tokens`) keep token numbers and offsets that are mostly
small: each array is stored in the narrowest integer type its values fit, its
bytes regrouped by significance (all low bytes, then all high bytes: runs of
zeros that compress well), and the lot compressed once with zstd (pyarrow's
codec). A CRC-32 of the uncompressed bytes is checked when read, so a damaged
or truncated blob is told apart from a good one.

Layout of a blob: ``QCAPACK1``, a little-endian uint64 (the header's length),
the UTF-8 JSON header (``{"crc": ..., "size": ..., "arrays": [[name, dtype,
count], ...]}``), then the zstd frame of the arrays' bytes, in order.
"""

from __future__ import annotations

import json
import zlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

_MAGIC = b"QCAPACK1"
#: The integer types an array may be narrowed to, narrowest first.
_TYPES = ("u1", "i1", "u2", "i2", "u4", "i4", "i8")


class PackError(ValueError):
    """A blob that does not parse or check (the caller treats it as a miss)."""


def narrowest(values: npt.NDArray[np.integer]) -> str:
    """Return the narrowest little-endian integer type that holds every value of *values*."""
    import numpy as np

    if not len(values):
        return "u1"
    low, high = int(values.min()), int(values.max())
    for name in _TYPES:
        info = np.iinfo(np.dtype(name))
        if info.min <= low and high <= info.max:
            return name
    raise PackError("values beyond int64")


def _planes(data: npt.NDArray[np.generic]) -> bytes:
    """Return the bytes of *data* grouped by significance (byte 0 of each value, then 1, ...)."""
    width = data.dtype.itemsize
    raw = data.reshape(-1).view("u1")
    if width == 1:
        return raw.tobytes()
    return raw.reshape(-1, width).T.tobytes()


def _unplanes(raw: bytes | memoryview, dtype: str, count: int) -> npt.NDArray[np.generic]:
    import numpy as np

    kind = np.dtype(dtype).newbyteorder("<")
    width = kind.itemsize
    flat = np.frombuffer(raw, dtype="u1")
    if width == 1:
        return flat.view(kind)
    out = np.empty(count, dtype=kind)
    columns = out.view("u1").reshape(count, width)
    for plane, values in enumerate(flat.reshape(width, count)):
        columns[:, plane] = values  # a plane at a time: 4x faster than a transposed copy
    return out


def pack(arrays: dict[str, npt.NDArray[np.generic] | bytes], level: int = 3) -> bytes:
    """Return *arrays* (integer or bool arrays, or bytes) as one compressed blob.

    Integer arrays are narrowed (:func:`narrowest`); bools are stored as bits.
    """
    import numpy as np
    import pyarrow as pa

    parts: list[bytes] = []
    listed: list[list[object]] = []
    for name, value in arrays.items():
        if isinstance(value, bytes):
            parts.append(value)
            listed.append([name, "bytes", len(value)])
            continue
        flat = np.asarray(value).reshape(-1)
        if flat.dtype == np.bool_:
            parts.append(np.packbits(flat).tobytes())
            listed.append([name, "bits", len(flat)])
            continue
        if flat.dtype.kind not in "iu":
            raise PackError(f"{name}: not an integer array")
        dtype = narrowest(flat)
        parts.append(_planes(flat.astype(np.dtype(dtype).newbyteorder("<"))))
        listed.append([name, dtype, len(flat)])
    body = b"".join(parts)
    header = {"crc": zlib.crc32(body), "size": len(body), "arrays": listed}
    head = json.dumps(header, separators=(",", ":")).encode("utf-8")
    frame = pa.Codec("zstd", compression_level=level).compress(body, asbytes=True)
    return b"".join([_MAGIC, len(head).to_bytes(8, "little"), head, frame])


def unpack(blob: bytes | memoryview) -> dict[str, npt.NDArray[np.generic] | bytes]:
    """Return the arrays of a :func:`pack` blob (as their narrowed types, bools as bools).

    Raises:
        PackError: When *blob* does not parse or its bytes fail the CRC-32.
    """
    import numpy as np
    import pyarrow as pa

    try:
        view = memoryview(blob)
        if bytes(view[:8]) != _MAGIC:
            raise PackError("not a packed blob")
        size = int.from_bytes(view[8:16], "little")
        header = json.loads(bytes(view[16 : 16 + size]))
        total = int(header["size"])
        # An Arrow buffer, sliced as a memoryview: no copy of the body or of its parts
        # (a corpus token file's body is ~60 MB).
        body = memoryview(pa.Codec("zstd").decompress(view[16 + size :], total))
        if len(body) != total or zlib.crc32(body) != header["crc"]:
            raise PackError("damaged")
        out: dict[str, npt.NDArray[np.generic] | bytes] = {}
        at = 0
        for name, dtype, count in header["arrays"]:
            if dtype == "bytes":
                length = count
                out[name] = bytes(body[at : at + length])
            elif dtype == "bits":
                length = (count + 7) // 8
                bits = np.frombuffer(body, dtype="u1", count=length, offset=at)
                out[name] = np.unpackbits(bits, count=count).astype(np.bool_)
            else:
                if dtype not in _TYPES:
                    raise PackError(f"{name}: unknown type {dtype}")
                length = count * np.dtype(dtype).itemsize
                out[name] = _unplanes(body[at : at + length], dtype, count)
            at += length
        if at != total:
            raise PackError("sizes do not add up")
    except PackError:
        raise
    except (ValueError, KeyError, TypeError, IndexError, OSError, pa.ArrowException) as exc:
        raise PackError(str(exc)) from None
    return out


def gaps(
    bounds: npt.NDArray[np.integer], starts: npt.NDArray[np.integer], ends: npt.NDArray[np.integer]
) -> npt.NDArray[np.int64]:
    """Return each token's start less the end of the token before it in its segment.

    A segment's first token keeps its start. Mostly 0 or 1: they pack into a few bits.
    """
    import numpy as np

    begin: npt.NDArray[np.int64] = np.asarray(starts, dtype=np.int64)
    out = begin.copy()
    if len(out) > 1:
        out[1:] -= np.asarray(ends, dtype=np.int64)[:-1]
    firsts = np.asarray(bounds[:-1], dtype=np.int64)
    firsts = firsts[firsts < len(out)]
    out[firsts] = begin[firsts]
    return out


def starts_from_gaps(
    bounds: npt.NDArray[np.integer],
    steps: npt.NDArray[np.integer],
    lengths: npt.NDArray[np.integer],
) -> npt.NDArray[np.int64]:
    """Invert :func:`gaps`: the starts, given each token's length (its end less its start).

    One int64 array is made and worked on in place (a corpus token file holds ten
    million tokens: each temporary array costs 80 MB).
    """
    import numpy as np

    moves: npt.NDArray[np.int64] = np.array(steps, dtype=np.int64)
    if not len(moves):
        return moves
    moves[1:] += lengths[:-1]
    np.cumsum(moves, out=moves)
    edges: npt.NDArray[np.int64] = np.asarray(bounds, dtype=np.int64)
    sizes = np.diff(edges)
    firsts = edges[:-1][sizes > 0]
    # Each segment restarts at its first token's own start.
    base = moves[firsts] - np.asarray(steps)[firsts]
    moves -= np.repeat(base, sizes[sizes > 0])
    return moves
