"""One reader per file format. Each turns a file into :class:`Document` objects.

Transcript readers give one document per file: here ``.txt``/``.md``, ``.docx`` and
``.vtt``/``.srt``; ``.odt``/``.rtf``/``.pdf`` in :mod:`qca.ingest.documents`. Survey
readers (``.csv``, ``.xlsx``, ``.jsonl``, in :mod:`qca.ingest.surveys`) stream chunks
of documents, one per row. A file that cannot be read raises :class:`SkipFile`.
"""

from __future__ import annotations

import hashlib
import html
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qca.errors import Problem
from qca.ingest.base import IngestOptions
from qca.ingest.encodings import decode
from qca.ingest.speakers import Turn, clean_speaker, compile_speaker_pattern, is_label_name
from qca.ingest.text import SkipFile, attribute_value, normalise, split_front_matter

#: Largest total uncompressed size of a .docx/.xlsx (guards against zip bombs).
MAX_UNCOMPRESSED_BYTES = 512 * 1024 * 1024


@dataclass
class Document:
    """A document read from a file, before it is cut into units.

    ``turns`` is None when speaker turns are still to be detected in ``text``.
    """

    doc_id: str
    path: str
    format: str
    sha256: str
    text: str
    attributes: dict[str, str | None] = field(default_factory=dict)
    turns: list[Turn] | None = None
    where: str = ""
    speaker: str | None = None
    expect_speakers: bool = True
    known_speakers: tuple[str, ...] = ()
    #: A survey row's answers, one per text column (see :mod:`qca.ingest.questions`).
    parts: tuple[tuple[int, int, str], ...] | None = None


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- .txt / .md ------------------------------------------------------------------


def read_text(path: Path, data: bytes, options: IngestOptions) -> tuple[Document, list[Problem]]:
    """Read a plain-text or Markdown transcript with optional YAML front matter."""
    text, problems = decode(data, str(path), options.encoding)
    front = split_front_matter(normalise(text), str(path))
    attributes = {k: attribute_value(v) for k, v in front.attributes.items()}
    doc_id = attributes.pop("doc_id", None) or path.stem
    if not front.body.strip():
        raise SkipFile(Problem(str(path), "has front matter but no text; add the transcript"))
    document = Document(
        doc_id, str(path), path.suffix.lower().lstrip("."), _sha256(data), front.body, attributes
    )
    return document, problems


# --- .docx and .xlsx (zip containers) ---------------------------------------------


_ZIP_APPS = {".docx": "Word", ".xlsx": "Excel", ".odt": "LibreOffice Writer"}


def check_zip(source: Path | bytes, path: Path, kind: str) -> None:
    """Refuse a file that is not a zip archive or would unpack to too many bytes."""
    fix = f"re-save it from {_ZIP_APPS.get(kind, 'the program that made it')}"
    try:
        handle = io.BytesIO(source) if isinstance(source, bytes) else source
        with zipfile.ZipFile(handle) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError):
        raise SkipFile(
            Problem(str(path), f"is not a valid {kind} file (not a zip archive); {fix}")
        ) from None
    if total > MAX_UNCOMPRESSED_BYTES:
        raise SkipFile(
            Problem(
                str(path),
                f"would unpack to {total:,} bytes, more than the "
                f"{MAX_UNCOMPRESSED_BYTES:,} allowed (a zip bomb?); {fix}",
            )
        )


def _paragraph_line(paragraph: Any, known: set[str]) -> str:
    runs = list(paragraph.runs)
    bold = []
    index = 0
    while index < len(runs) and (runs[index].bold is True or not runs[index].text.strip()):
        bold.append(runs[index].text)
        index += 1
    label = "".join(bold).strip()
    rest = "".join(run.text for run in runs[index:])
    name = label.rstrip(":").strip()
    if name and is_label_name(name) and (rest.strip() or label.endswith(":")):
        known.add(name)
        content = rest.strip().lstrip(":").strip()
        return f"{name}: {content}" if content else f"{name}:"
    return str(paragraph.text)


def _row_cells(row: Any) -> list[str]:
    cells: list[str] = []
    seen: set[int] = set()
    for cell in row.cells:
        if id(cell._tc) in seen:
            continue  # a merged cell repeats
        seen.add(id(cell._tc))
        if cell.text.strip():
            cells.append(cell.text.strip())
    return cells


def table_lines(rows: list[list[str]], known: set[str]) -> list[str]:
    """Render a table's rows (non-empty cell texts): a speaker table as turns.

    A table is a speaker table when a name recurs in the first column, or a name
    is a speaker already seen (*known*, updated). A time column before the speaker
    is dropped.
    """
    rows = [
        cells[1:]
        if len(cells) >= 3 and re.fullmatch(r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?[\])]?", cells[0])
        else cells
        for cells in rows
    ]
    firsts = [cells[0].rstrip(":").strip() for cells in rows if len(cells) >= 2]
    names = {name for name in firsts if is_label_name(name)}
    speaker_table = any(firsts.count(name) >= 2 for name in names) or bool(names & known)
    lines = []
    for cells in rows:
        name = cells[0].rstrip(":").strip() if len(cells) >= 2 else ""
        if speaker_table and name in names:
            known.add(name)
            lines.append(f"{name}: " + "\n".join(cells[1:]))
        elif cells:
            lines.append(" | ".join(cells))  # a metadata row: not a speaker label
    return lines


def read_docx(path: Path, data: bytes, options: IngestOptions) -> tuple[Document, list[Problem]]:
    """Read a Word document: paragraphs and table rows, bold or ``Name:`` speakers."""
    check_zip(data, path, ".docx")
    import docx
    from docx.table import Table

    try:
        word = docx.Document(io.BytesIO(data))
        known: set[str] = set()
        blocks: list[str] = []
        for item in word.iter_inner_content():
            if isinstance(item, Table):
                blocks.extend(table_lines([_row_cells(row) for row in item.rows], known))
            else:
                blocks.append(_paragraph_line(item, known))
    except SkipFile:
        raise
    except Exception:  # python-docx raises many types for a damaged package
        raise SkipFile(
            Problem(str(path), "is not a valid Word document (damaged or not .docx); re-save it")
        ) from None
    text = normalise("\n\n".join(block for block in blocks if block.strip()))
    if not text.strip():
        raise SkipFile(Problem(str(path), "has no text; add the transcript or remove the file"))
    document = Document(path.stem, str(path), "docx", _sha256(data), text)
    document.known_speakers = tuple(sorted(known))
    return document, _entity_warnings(path, data)


def _entity_warnings(path: Path, data: bytes) -> list[Problem]:
    """Warn when the document XML declares a DTD: entities are not expanded (XXE), and
    the text next to an entity reference is not read."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            head = archive.open("word/document.xml").read(1 << 16)
    except (KeyError, OSError, zipfile.BadZipFile, RuntimeError):
        return []
    if b"<!DOCTYPE" not in head and b"<!ENTITY" not in head:
        return []
    return [
        Problem(
            str(path),
            "declares XML entities (a DTD), which qca does not expand for safety; text next "
            "to an entity may be missing; re-save the document in Word",
            severity="warning",
        )
    ]


# --- .vtt / .srt -------------------------------------------------------------------

_TIMING = re.compile(
    r"^\s*((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})\s+-->\s+((?:\d+:)?\d{1,2}:\d{2}[.,]\d{1,3})"
)
_VOICE = re.compile(r"<v(?:\.[^\s>]*)?\s+([^>]+)>")
_TAG = re.compile(r"<[^>]*>")
_PREFIX = re.compile(r"^([^\W\d_][\w'’.\- \t]{0,40}?)[ \t]*:[ \t]+")


def _caption_seconds(stamp: str) -> float:
    total = 0.0
    for part in stamp.replace(",", ".").split(":"):
        total = total * 60 + float(part)
    return round(total, 3)


@dataclass
class _Cue:
    speaker: str | None
    text: str
    start: float
    end: float


def _cue(
    lines: list[str], start: float, end: float, pattern: re.Pattern[str] | None = None
) -> _Cue | None:
    raw = " ".join(line.strip() for line in lines if line.strip())
    speaker = None
    voice = _VOICE.search(raw)
    if voice is not None:
        speaker = clean_speaker(voice.group(1))
    text = html.unescape(_TAG.sub("", raw)).strip()
    if speaker is None and pattern is not None:  # --speaker-pattern replaces 'Name:'
        found = pattern.match(text)
        if found is not None and found.end() > 0:
            name = found.group("speaker") if "speaker" in pattern.groupindex else found.group(1)
            speaker = clean_speaker(name)
            text = text[found.end() :]
    elif speaker is None:
        prefix = _PREFIX.match(text)
        if prefix is not None and is_label_name(prefix.group(1).strip()):
            speaker = clean_speaker(prefix.group(1))
            text = text[prefix.end() :]
    text = " ".join(text.split())
    return _Cue(speaker, text, start, end) if text else None


def read_captions(
    path: Path, data: bytes, options: IngestOptions
) -> tuple[Document, list[Problem]]:
    """Read WebVTT or SRT captions; consecutive cues of one speaker merge into a turn.

    A cue's speaker is its voice tag (``<v Name>``), else a ``Name:`` prefix, or the
    ``--speaker-pattern`` match at the cue's start when one is given.
    """
    decoded, problems = decode(data, str(path), options.encoding)
    pattern = compile_speaker_pattern(options.speaker_pattern) if options.speaker_pattern else None
    lines = normalise(decoded).split("\n")
    cues: list[_Cue] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if "-->" not in line:
            index += 1
            continue
        timing = _TIMING.match(line)
        body: list[str] = []
        cursor = index + 1
        while cursor < len(lines) and lines[cursor].strip():
            body.append(lines[cursor])
            cursor += 1
        if timing is None:
            problems.append(
                Problem(
                    str(path),
                    "cue timing is not 'hh:mm:ss.ttt --> hh:mm:ss.ttt'; the cue was skipped",
                    index + 1,
                    severity="warning",
                )
            )
        else:
            cue = _cue(
                body, _caption_seconds(timing.group(1)), _caption_seconds(timing.group(2)), pattern
            )
            if cue is not None:
                cues.append(cue)
        index = cursor
    if not cues:
        raise SkipFile(
            Problem(
                str(path),
                "has no caption cues (lines like '00:00:01.000 --> 00:00:04.000' "
                "followed by text); check that it is a WebVTT/SRT file",
            )
        )
    parts: list[str] = []
    turns: list[Turn] = []
    offset = 0
    group: list[_Cue] = []

    def flush() -> None:
        nonlocal offset
        label = f"{group[0].speaker}: " if group[0].speaker else ""
        content = " ".join(cue.text for cue in group)
        if parts:
            parts.append("\n\n")
            offset += 2
        parts.append(label + content)
        turns.append(
            Turn(
                group[0].speaker,
                offset,
                offset + len(label),
                offset + len(label) + len(content),
                group[0].start,
                group[-1].end,
            )
        )
        offset += len(label) + len(content)

    for cue in cues:
        if group and cue.speaker != group[-1].speaker:
            flush()
            group = []
        group.append(cue)
    flush()
    fmt = path.suffix.lower().lstrip(".")
    document = Document(path.stem, str(path), fmt, _sha256(data), "".join(parts), turns=turns)
    return document, problems
