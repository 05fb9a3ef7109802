"""Replace spans of a file's visible text in its raw text, and undo the replacements.

A plain-text file's visible text is its raw text. An Office XML part's visible text
is the character data of its text elements (``<w:t>`` in .docx, ``<t>`` in .xlsx),
one line per block (a paragraph, a shared string, a cell): a name split over two runs
of a paragraph is still found. A replacement keeps the markup between the runs, so
the XML stays well formed, and records the raw text it replaced, so that
:func:`undo` restores the raw text exactly.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

#: An edit: offset in the new raw text, the text put there, the raw text it replaced.
Edit = tuple[int, str, str]

_TAG = re.compile(r"<(/?)([\w:.-]+)[^>]*?(/?)>|<\?[^>]*\?>|<!--.*?-->|<!\[CDATA\[.*?\]\]>", re.S)
_CHAR = re.compile(r"&(?:#x[0-9a-fA-F]+|#[0-9]+|\w+);|[^&]", re.S)


@dataclass(frozen=True)
class Stream:
    """The visible text of a raw text and, for XML, where each of its characters lies."""

    raw: str
    text: str
    #: Raw start and end of each visible character; -1 for a block separator. None: identity.
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None


def plain_stream(raw: str) -> Stream:
    """Return the stream of a plain-text file (its visible text is its raw text)."""
    return Stream(raw, raw)


def xml_stream(raw: str, text_tags: frozenset[str], block_tags: frozenset[str]) -> Stream:
    """Return the visible text of an XML part: the text of *text_tags*, a line per block.

    Examples:
        >>> xml_stream("<p><t>An</t><t>na</t></p>", frozenset({"t"}), frozenset({"p"})).text
        'Anna\\n'
    """
    text: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    inside = False
    position = 0
    for tag in _TAG.finditer(raw):
        if inside and tag.start() > position:
            for char in _CHAR.finditer(raw, position, tag.start()):
                text.append(html.unescape(char.group()))
                starts.append(char.start())
                ends.append(char.end())
        name = tag.group(2)
        if name in text_tags and not tag.group(3):
            inside = not tag.group(1)
        elif name in block_tags and (tag.group(1) or tag.group(3)):
            text.append("\n")
            starts.append(-1)
            ends.append(-1)
        position = tag.end()
    return Stream(raw, "".join(text), tuple(starts), tuple(ends))


def replace_spans(stream: Stream, spans: Sequence[tuple[int, int, str]]) -> tuple[str, list[Edit]]:
    """Replace each visible ``(start, end, new)`` span; return the new raw text and the edits.

    Spans must be sorted and disjoint; a span over a block separator is left alone.
    """
    raw = stream.raw
    out: list[str] = []
    edits: list[Edit] = []
    position = 0
    length = 0
    for start, end, new in spans:
        if stream.starts is None or stream.ends is None:
            raw_start, raw_end, piece = start, end, new
        else:
            starts, ends = stream.starts, stream.ends
            if any(starts[i] < 0 for i in range(start, end)):
                continue
            raw_start, raw_end = starts[start], ends[end - 1]
            between = (raw[ends[i] : starts[i + 1]] for i in range(start, end - 1))
            piece = escape(new) + "".join(between)
        out.append(raw[position:raw_start])
        length += raw_start - position
        edits.append((length, piece, raw[raw_start:raw_end]))
        out.append(piece)
        length += len(piece)
        position = raw_end
    out.append(raw[position:])
    return "".join(out), edits


def undo(raw: str, edits: Sequence[Edit | list[object]]) -> str | None:
    """Return *raw* with *edits* undone, or None when it no longer holds them (it changed)."""
    out: list[str] = []
    position = 0
    for offset, piece, original in edits:
        if not (isinstance(offset, int) and isinstance(piece, str) and isinstance(original, str)):
            return None
        if offset < position or raw[offset : offset + len(piece)] != piece:
            return None
        out.append(raw[position:offset])
        out.append(original)
        position = offset + len(piece)
    out.append(raw[position:])
    return "".join(out)
