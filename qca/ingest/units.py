"""Cut speaker turns into coding units (turn, sentence, paragraph, document).

Every unit is a span of the document's normalised text, trimmed of surrounding
whitespace by moving its offsets, so ``text == document_text[start:end]``; the
document unit spans :func:`coded_text`, in which labels and excluded turns are blanked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from qca.ingest.speakers import Turn

_PARAGRAPH_BREAK = re.compile(r"\n[ \t\f\v]*\n")
#: A sentence ends at . ! ? or … (possibly repeated), then closing quotes or brackets,
#: then whitespace. Abbreviations and single capital initials do not end one.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_ABBREVIATIONS = frozenset(
    {
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sr",
        "jr",
        "st",
        "vs",
        "etc",
        "e.g",
        "i.e",
        "cf",
        "approx",
        "no",
        "nr",
        "fig",
        "ca",
        "dvs",
        "bl.a",
        "t.ex",
    }
)


@dataclass(frozen=True)
class Span:
    """A unit: speaker, trimmed offsets and cue times."""

    speaker: str | None
    start: int
    end: int
    start_seconds: float | None = None
    end_seconds: float | None = None


def trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Move *start* and *end* inward past whitespace (``str.isspace``).

    Examples:
        >>> trim("  ab  ", 0, 6)
        (2, 4)
    """
    piece = text[start:end]
    stripped = piece.lstrip()
    if not stripped:
        return start, start
    start += len(piece) - len(stripped)
    return start, start + len(stripped.rstrip())


def _pieces(text: str, start: int, end: int, breaks: re.Pattern[str]) -> Iterator[tuple[int, int]]:
    cursor = start
    for match in breaks.finditer(text, start, end):
        yield cursor, match.start()
        cursor = match.end()
    yield cursor, end


def _sentence_ends(text: str, start: int, end: int) -> Iterator[int]:
    for match in _SENTENCE_END.finditer(text, start, end):
        if match.group()[0] == ".":
            word_start = max(
                text.rfind(" ", start, match.start()),
                text.rfind("\n", start, match.start()),
                text.rfind("\t", start, match.start()),
            )
            word = text[word_start + 1 : match.start()]
            if word.lower().lstrip("(\"'“‘") in _ABBREVIATIONS:
                continue
            if len(word) == 1 and word.isupper():
                continue  # an initial: "J. Smith"
        yield match.end()


def split_sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Yield untrimmed sentence spans of ``text[start:end]`` (paragraph breaks end one).

    Examples:
        >>> t = "Dr. Who came. Did he? Yes!"
        >>> [t[a:b].strip() for a, b in split_sentences(t, 0, len(t))]
        ['Dr. Who came.', 'Did he?', 'Yes!']
    """
    for p_start, p_end in _pieces(text, start, end, _PARAGRAPH_BREAK):
        cursor = p_start
        for boundary in _sentence_ends(text, p_start, p_end):
            yield cursor, boundary
            cursor = boundary
        yield cursor, p_end


def blank(piece: str) -> str:
    """Return *piece* with every character but a line end replaced by a space.

    Examples:
        >>> blank("I: Hi.\\nR: Yes")
        '      \\n      '
    """
    return "\n".join(" " * len(line) for line in piece.split("\n"))


def coded_text(text: str, turns: Sequence[Turn]) -> str:
    """Return *text* with all but the content of *turns* blanked (see :func:`blank`).

    Speaker labels, timestamps and the turns left out become spaces of the same
    length (line ends kept), so every offset into the result is an offset into
    *text*, and a match in the result never falls in a label or a turn left out.
    This is what the document unit codes.

    Args:
        text: The document's normalised text.
        turns: The turns to keep, in text order (disjoint, as
            :func:`qca.ingest.speakers.detect_turns` gives them).

    Examples:
        >>> coded_text("I: Hi.\\nR: Yes.", [Turn("R", 7, 9, 14)])
        '      \\n   Yes.'
    """
    parts: list[str] = []
    cursor = 0
    for turn in turns:
        parts.append(blank(text[cursor : turn.start]))
        parts.append(text[turn.start : turn.end])
        cursor = turn.end
    parts.append(blank(text[cursor:]))
    return "".join(parts)


def unit_spans(text: str, turns: Sequence[Turn], unit: str) -> list[Span]:
    """Return the trimmed, non-empty units of *text* for *unit*, in text order.

    Args:
        text: The document's normalised text.
        turns: Its speaker turns (see :func:`qca.ingest.speakers.detect_turns`).
        unit: ``turn``, ``sentence``, ``paragraph`` or ``document``.
    """
    spans: list[Span] = []
    if unit == "document":
        start, end = trim(text, 0, len(text))
        if end > start:
            speakers = {t.speaker for t in turns}
            speaker = speakers.pop() if len(speakers) == 1 else None
            first = turns[0].start_seconds if turns else None
            last = turns[-1].end_seconds if turns else None
            spans.append(Span(speaker, start, end, first, last))
        return spans
    for turn in turns:
        raw: Iterable[tuple[int, int]]
        if unit == "turn":
            raw = ((turn.start, turn.end),)
        elif unit == "paragraph":
            raw = _pieces(text, turn.start, turn.end, _PARAGRAPH_BREAK)
        else:
            raw = split_sentences(text, turn.start, turn.end)
        for piece_start, piece_end in raw:
            start, end = trim(text, piece_start, piece_end)
            if end > start:
                spans.append(Span(turn.speaker, start, end, turn.start_seconds, turn.end_seconds))
    return spans
