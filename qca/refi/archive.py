"""Open a REFI-QDA archive or bare .qde defensively, parse its XML, and XML helpers."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from xml.etree.ElementTree import Element

from qca.errors import Problem
from qca.refi.model import MAX_ENTRY_BYTES, MAX_TOTAL_BYTES, RefiError, fail, warn

if TYPE_CHECKING:
    pass


# --- the archive ----------------------------------------------------------------------


def safe_name(name: str) -> bool:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return False
    return ".." not in PurePosixPath(name.replace("\\", "/")).parts


def read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str) -> bytes:
    if info.file_size > MAX_ENTRY_BYTES:
        raise fail(shown, f"entry {info.filename} is larger than {MAX_ENTRY_BYTES >> 20} MiB")
    with archive.open(info) as handle:
        data = handle.read(MAX_ENTRY_BYTES + 1)
    if len(data) > MAX_ENTRY_BYTES:
        raise fail(shown, f"entry {info.filename} is larger than {MAX_ENTRY_BYTES >> 20} MiB")
    return data


def open_project(path: Path, problems: list[Problem]) -> tuple[bytes, dict[str, bytes]]:
    """Return the project XML and the source files (lower-case base name -> bytes)."""
    shown = path.as_posix()
    if not path.is_file():
        raise fail(shown, "no such file; check the path")
    sources: dict[str, bytes] = {}
    if not zipfile.is_zipfile(path):
        if path.stat().st_size > MAX_ENTRY_BYTES:
            raise fail(shown, f"file is larger than {MAX_ENTRY_BYTES >> 20} MiB")
        for folder_name in ("sources", "Sources"):
            folder = path.parent / folder_name
            if folder.is_dir():
                for file in sorted(folder.iterdir()):
                    if file.is_file() and file.stat().st_size <= MAX_ENTRY_BYTES:
                        sources[file.name.lower()] = file.read_bytes()
        return path.read_bytes(), sources
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise fail(
            shown, f"not a readable .qdpx archive ({exc}); export the project again"
        ) from None
    with archive:
        infos = archive.infolist()
        unsafe = [i.filename for i in infos if not safe_name(i.filename)]
        if unsafe:
            raise fail(
                shown,
                f"archive entry {unsafe[0]!r} points outside the archive folder; "
                "refusing to read it (the file may be malicious)",
            )
        if sum(i.file_size for i in infos) > MAX_TOTAL_BYTES:
            raise fail(shown, f"archive unpacks to more than {MAX_TOTAL_BYTES >> 20} MiB")
        projects = [
            i
            for i in infos
            if "/" not in i.filename.strip("/") and i.filename.lower().endswith(".qde")
        ]
        if not projects:
            raise fail(shown, "no project.qde in the archive; is this a REFI-QDA .qdpx file?")
        chosen = next((i for i in projects if i.filename == "project.qde"), projects[0])
        if chosen.filename != "project.qde":
            warn(
                problems,
                shown,
                f"the project file is {chosen.filename!r}; the spec names it project.qde",
            )
        raw = read_entry(archive, chosen, shown)
        total = 0
        for info in infos:
            parts = info.filename.replace("\\", "/").split("/")
            if info.is_dir() or len(parts) < 2 or parts[0].lower() != "sources":
                continue
            data = read_entry(archive, info, shown)
            total += len(data)
            if total > MAX_TOTAL_BYTES:
                raise fail(shown, f"archive unpacks to more than {MAX_TOTAL_BYTES >> 20} MiB")
            sources[parts[-1].lower()] = data
    return raw, sources


def parse_xml(raw: bytes, shown: str) -> Element:
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as SafeTree

    try:
        root: Element = SafeTree.fromstring(raw)
        return root
    except DefusedXmlException as exc:
        raise fail(
            shown, f"refusing unsafe XML ({type(exc).__name__}); export the project again"
        ) from None
    except LookupError as exc:  # <?xml encoding="usf-8"?>
        message = f'not valid XML ({exc}); declare encoding="utf-8" or export it again'
        raise RefiError(problems=[Problem(shown, message, 1, 1)]) from None
    except ParseError as exc:
        line, col = exc.position
        reason = str(exc.msg).split(":", 1)[0]
        message = f"not valid XML ({reason}); is this a REFI-QDA project? export it again"
        raise RefiError(problems=[Problem(shown, message, line, col + 1)]) from None


# --- XML helpers --------------------------------------------------------------------------


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def children_named(element: Element, name: str) -> Iterator[Element]:
    return (child for child in element if local_name(child.tag) == name)


def first_child(element: Element, name: str) -> Element | None:
    return next(children_named(element, name), None)


def clean_guid(value: str | None) -> str:
    return (value or "").strip().strip("{}").upper()


def decode_text(data: bytes, shown: str, problems: list[Problem]) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        warn(problems, shown, "a source text is not UTF-8; read it as Windows-1252")
        return data.decode("cp1252", errors="replace")
