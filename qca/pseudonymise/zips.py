"""Office files (.docx, .xlsx) as zip archives: rewrite some parts, and rebuild the original bytes.

The pseudonymised archive keeps every unchanged part's compressed bytes as they were
and recompresses only the parts that changed. To give back the original file byte for
byte, the key stores the archive's framing (local headers, central directory: names,
sizes, checksums, no text) and, per changed part, the zlib settings that reproduce its
original compressed bytes. Files zipped by zlib (python-docx, openpyxl, LibreOffice)
come back exactly; for another compressor the parts come back exactly and the archive
is zipped anew.
"""

from __future__ import annotations

import base64
import struct
import zipfile
import zlib
from dataclasses import dataclass
from io import BytesIO
from typing import Any

_LOCAL = struct.Struct("<4s5H3L2H")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_END = struct.Struct("<4s4H2LH")
#: zlib (level, memLevel) pairs tried to reproduce a part's compressed bytes.
_SETTINGS = [(level, mem) for mem in (8, 9) for level in (6, 9, 1, 2, 3, 4, 5, 7, 8)]


@dataclass(frozen=True)
class Part:
    """One archive member: its header, compressed bytes and content."""

    info: zipfile.ZipInfo
    raw: bytes
    content: bytes


def read_parts(data: bytes) -> list[Part]:
    """Return the members of the zip archive *data* in the order they are stored.

    Raises:
        zipfile.BadZipFile: When *data* is not a zip archive.
    """
    with zipfile.ZipFile(BytesIO(data)) as archive:
        infos = sorted(archive.infolist(), key=lambda i: i.header_offset)
        parts = []
        for info in infos:
            start = _data_start(data, info)
            raw = data[start : start + info.compress_size]
            parts.append(Part(info, raw, archive.read(info)))
    return parts


def _data_start(data: bytes, info: zipfile.ZipInfo) -> int:
    offset = info.header_offset
    name_length, extra_length = struct.unpack_from("<2H", data, offset + 26)
    return int(offset + 30 + name_length + extra_length)


def compress(content: bytes, method: int, setting: tuple[int, int] = (6, 8)) -> bytes:
    """Compress *content* as zip *method* (0 stored, 8 deflate) with a zlib *setting*."""
    if method == zipfile.ZIP_STORED:
        return content
    packer = zlib.compressobj(setting[0], zlib.DEFLATED, -15, setting[1])
    return packer.compress(content) + packer.flush()


def find_setting(part: Part) -> tuple[int, int] | None:
    """Return the zlib setting that reproduces *part*'s compressed bytes, if one does."""
    if part.info.compress_type == zipfile.ZIP_STORED:
        return (0, 0)
    if part.info.compress_type != zipfile.ZIP_DEFLATED:
        return None
    for setting in _SETTINGS:
        if compress(part.content, zipfile.ZIP_DEFLATED, setting) == part.raw:
            return setting
    return None


def write_archive(parts: list[tuple[zipfile.ZipInfo, bytes, bytes]]) -> bytes:
    """Write a zip archive of ``(info, compressed bytes, content)`` members, in order."""
    out = BytesIO()
    central = []
    for info, raw, content in parts:
        name = info.filename.encode("utf-8")
        flags = 0x800 if not info.filename.isascii() else 0
        year, month, day, hour, minute, second = info.date_time
        dos_time = hour << 11 | minute << 5 | second // 2
        dos_date = max(year - 1980, 0) << 9 | month << 5 | day
        crc = zlib.crc32(content)
        offset = out.tell()
        fields = (20, flags, info.compress_type, dos_time, dos_date, crc, len(raw), len(content))
        out.write(_LOCAL.pack(b"PK\x03\x04", *fields, len(name), 0) + name + raw)
        central.append(
            _CENTRAL.pack(
                b"PK\x01\x02", 20, *fields, len(name), 0, 0, 0, 0, info.external_attr, offset
            )
            + name
        )
    start = out.tell()
    directory = b"".join(central)
    out.write(directory)
    out.write(_END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), start, 0))
    return out.getvalue()


def frame(data: bytes, parts: list[Part]) -> list[str]:
    """Return the bytes of *data* around the members' compressed bytes, base64 encoded."""
    pieces = []
    position = 0
    for part in parts:
        start = _data_start(data, part.info)
        pieces.append(base64.b64encode(data[position:start]).decode("ascii"))
        position = start + part.info.compress_size
    pieces.append(base64.b64encode(data[position:]).decode("ascii"))
    return pieces


def rebuild(
    framing: list[str], parts: list[tuple[zipfile.ZipInfo, bytes, bytes]], recipe: list[Any]
) -> bytes:
    """Put the original archive together: the framing, and each member's original bytes.

    ``recipe[i]`` is None for a member whose compressed bytes are *parts[i]*'s as they
    are, else the ``[level, memLevel]`` that compresses its restored content as before.
    """
    out = [base64.b64decode(framing[0])]
    for (info, raw, content), setting, piece in zip(parts, recipe, framing[1:], strict=True):
        if setting is None:
            out.append(raw)
        else:
            out.append(compress(content, info.compress_type, (setting[0], setting[1])))
        out.append(base64.b64decode(piece))
    return b"".join(out)
