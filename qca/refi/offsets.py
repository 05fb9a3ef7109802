"""Offset readings of REFI-QDA selections: code points, UTF-16 units, CRLF kept or not."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    pass


#: Offset readings, the spec's first: (name, counts UTF-16 units, CRLF kept).
READINGS: tuple[tuple[str, bool, bool], ...] = (
    ("codepoints", False, False),
    ("utf16-crlf", True, True),
    ("codepoints-crlf", False, True),
    ("utf16", True, False),
)


# --- offsets ----------------------------------------------------------------------------------


def unit_map(raw: str, utf16: bool, crlf: bool) -> list[int]:
    """Map each offset of a reading to a code-point offset in the LF text (-1: inside a character)."""
    out: list[int] = []
    position = 0
    for index, char in enumerate(raw):
        if char == "\r" and raw[index + 1 : index + 2] == "\n":
            if crlf:
                out.append(position)
            continue
        out.append(position)
        if utf16 and ord(char) > 0xFFFF:
            out.append(-1)
        position += 1
    out.append(position)
    return out


def on_boundary(text: str, index: int) -> bool:
    if index <= 0 or index >= len(text):
        return True
    return not (text[index - 1].isalnum() and text[index].isalnum())


def choose_reading(
    raw: str, spans: list[tuple[int, int]]
) -> tuple[str, list[tuple[int, int] | None]]:
    """Return the offset reading that puts most *spans* on word boundaries, and the mapped spans.

    *raw* is the source text as stored (CRLF kept); mapped spans are code-point
    offsets into its LF form, ``None`` for a span the reading cannot place.

    Examples:
        >>> choose_reading("a\\r\\nbc", [(3, 5)])[0]
        'utf16-crlf'
    """
    text = raw.replace("\r\n", "\n")
    best: tuple[int, int, str, list[tuple[int, int] | None]] | None = None
    for rank, (name, utf16, crlf) in enumerate(READINGS):
        table = unit_map(raw, utf16, crlf)
        mapped: list[tuple[int, int] | None] = []
        score = 0
        for start, end in spans:
            if not 0 <= start <= end < len(table) or table[start] < 0 or table[end] < 0:
                mapped.append(None)
                score -= 2
                continue
            a, b = table[start], table[end]
            mapped.append((a, b))
            score += on_boundary(text, a) + on_boundary(text, b)
        key = (score, -rank)
        if best is None or key > (best[0], best[1]):
            best = (score, -rank, name, mapped)
    assert best is not None
    return best[2], best[3]
