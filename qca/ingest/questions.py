"""Surveys with several text columns: one row, one document, one segment per answer (#18).

``qca code survey.csv --text-column q1 --text-column q2`` reads each row as one document
whose text is the row's non-blank answers in the order the columns were given, joined by
:data:`SEPARATOR`. Each answer is a turn of its own, cut into units as any turn is, and
each segment records the column it answers in the ``question`` column. Segment ids are
numbered through the row as for any document (``r1:t0001``, ``r1:t0002``, ...): a blank
answer gives no segment and no number, so the numbers count the answers given.
At the ``document`` unit the whole row is one segment and its ``question`` is empty.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Sequence
from typing import Any

from qca.ingest.speakers import Turn
from qca.ingest.units import Span, unit_spans
from qca.models import (
    DOC_ID,
    END,
    IS_INTERVIEWER,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SPEAKER,
    START,
    TEXT,
    UNIT,
    WORDS,
)

#: What joins a row's answers in its document text.
SEPARATOR = "\n\n"

#: One answer in a row's document text: start, end, and the column it answers.
Part = tuple[int, int, str]


def join_answers(answers: Sequence[tuple[str, str]]) -> tuple[str, tuple[Part, ...]]:
    """Join a row's ``(column, text)`` answers into one text; blank answers are left out.

    Examples:
        >>> join_answers([("q1", "Yes."), ("q2", "  "), ("q3", "No.")])
        ('Yes.\\n\\nNo.', ((0, 4, 'q1'), (6, 9, 'q3')))
    """
    pieces: list[str] = []
    parts: list[Part] = []
    cursor = 0
    for question, text in answers:
        if not text or text.isspace():
            continue
        if pieces:
            cursor += len(SEPARATOR)
        pieces.append(text)
        parts.append((cursor, cursor + len(text), question))
        cursor += len(text)
    return SEPARATOR.join(pieces), tuple(parts)


def answer_turns(speaker: str | None, parts: Sequence[Part]) -> list[Turn]:
    """Return one turn per answer (the respondent speaks each)."""
    return [Turn(speaker, start, start, end) for start, end, _ in parts]


def span_questions(spans: Sequence[Span], parts: Sequence[Part], unit: str) -> list[str | None]:
    """Return the column each span answers (``None`` for all at the document unit)."""
    if unit == "document":
        return [None] * len(spans)
    starts = [start for start, _, _ in parts]
    return [parts[bisect_right(starts, span.start) - 1][2] for span in spans]


def row_segments(
    ids: Sequence[str],
    texts: Sequence[str],
    parts: Sequence[Sequence[Part]] | None,
    unit: str,
    letter: str,
    interviewer: Callable[[str], bool],
) -> tuple[dict[str, list[Any]], list[int], list[str | None]]:
    """Cut survey rows into segments: the columns, each segment's row, its question.

    Args:
        ids: Each row's doc_id (also its speaker).
        texts: Each row's document text.
        parts: Each row's answers (see :func:`join_answers`); None: one text column.
        unit: The coding unit.
        letter: The unit's letter in segment ids.
        interviewer: Whether a speaker is an interviewer.
    """
    segments: dict[str, list[Any]] = {c: [] for c in SEGMENT_COLUMNS}
    owners: list[int] = []
    questions: list[str | None] = []
    for row, (doc_id, text) in enumerate(zip(ids, texts, strict=True)):
        if parts is None:
            spans = unit_spans(text, [Turn(doc_id, 0, 0, len(text))], unit)
        else:
            spans = unit_spans(text, answer_turns(doc_id, parts[row]), unit)
            questions.extend(span_questions(spans, parts[row], unit))
        flag = interviewer(doc_id)
        for index, span in enumerate(spans, start=1):
            piece = text[span.start : span.end]
            segments[DOC_ID].append(doc_id)
            segments[SEGMENT_ID].append(f"{doc_id}:{letter}{index:04d}")
            segments[UNIT].append(unit)
            segments[SPEAKER].append(span.speaker)
            segments[IS_INTERVIEWER].append(flag)
            segments[START].append(span.start)
            segments[END].append(span.end)
            segments[WORDS].append(len(piece.split()))
            segments[TEXT].append(piece)
            owners.append(row)
    return segments, owners, questions
