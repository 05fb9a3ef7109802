"""Build a file's documents and segments frames, column by column.

:class:`Builder` collects what a reader gives (documents, or survey rows column-wise),
cuts each document into units, and makes the two frames of a :class:`SourceBatch`.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import Problem
from qca.ingest.base import IngestOptions, SourceBatch
from qca.ingest.docids import DocIds
from qca.ingest.files import SURVEY_SUFFIXES
from qca.ingest.longtext import shared_texts
from qca.ingest.participants import Participants, join_participants
from qca.ingest.questions import row_segments, span_questions
from qca.ingest.readers import Document
from qca.ingest.roles import Roles
from qca.ingest.speakers import role_key
from qca.ingest.surveys import SurveyRows
from qca.ingest.text import count_words
from qca.ingest.turns import document_turns
from qca.ingest.units import coded_text, unit_spans
from qca.models import (
    CHARS,
    DOC_ID,
    DOCUMENT_COLUMNS,
    END,
    END_SECONDS,
    FORMAT,
    IS_INTERVIEWER,
    PATH,
    QUESTION,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SHA256,
    SPEAKER,
    START,
    START_SECONDS,
    TEXT,
    UNIT,
    UNIT_LETTERS,
    WORDS,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    import pandas as pd

#: Column names an attribute may not take.
RESERVED: frozenset[str] = frozenset(
    {*DOCUMENT_COLUMNS, *SEGMENT_COLUMNS, START_SECONDS, END_SECONDS}
)
#: Formats whose segments carry cue times (start_seconds, end_seconds).
CAPTION_FORMATS = frozenset({"vtt", "srt"})
_SURVEY_FORMATS = frozenset(suffix.lstrip(".") for suffix in SURVEY_SUFFIXES)


class Builder:
    """Collect documents and segments as columns, then make the two frames."""

    def __init__(self, options: IngestOptions, pattern: re.Pattern[str] | None) -> None:
        self.options = options
        self.pattern = pattern
        self.roles = Roles(options)
        self.letter = UNIT_LETTERS[options.unit]
        self.documents: dict[str, list[Any]] = {c: [] for c in DOCUMENT_COLUMNS}
        self.segments: dict[str, list[Any]] = {c: [] for c in SEGMENT_COLUMNS}
        self.seconds: dict[str, list[Any]] = {START_SECONDS: [], END_SECONDS: []}
        self.document_attributes: list[dict[str, str | None]] = []
        self.segment_attributes: list[dict[str, str | None]] = []
        #: Attribute columns built column-wise (survey rows), instead of the dicts above.
        self.columns: tuple[dict[str, list[str | None]], dict[str, list[str | None]]] | None = None
        self.has_seconds = False
        #: Each segment's question (surveys with several text columns), if any has one.
        self.questions: list[str | None] = []
        self.has_questions = False
        self.turn_counts: dict[str, int] = {}
        self.problems: list[Problem] = []
        self.problem_keys: list[int] = []
        self.document_keys: list[int] = []
        self.wheres: list[str] = []
        self.attribute_names: list[frozenset[str]] = []
        self.duplicates: list[tuple[int, str, str]] = []
        self.count = 0

    def file_problems(self, problems: Iterable[Problem]) -> None:
        """Record the reader's problems (they come before any document's)."""
        for problem in problems:
            self.problems.append(problem)
            self.problem_keys.append(-1)

    def add(self, document: Document, seen: DocIds) -> None:
        """Add one document (and its units) unless this file already used its doc_id."""
        key = self.count
        self.count += 1
        if document.doc_id in seen:
            self.duplicates.append((key, document.doc_id, document.where))
            return
        seen.add(document.doc_id)
        text = document.text
        path = document.path
        problems: list[Problem] = []
        for name in sorted(document.attributes):
            if name in RESERVED:
                problems.append(
                    Problem(
                        path,
                        f"attribute {name!r} clashes with a table column and was ignored; "
                        "rename it",
                        where=document.where,
                        severity="warning",
                    )
                )
                del document.attributes[name]
        turns, found = document_turns(document, self.options, self.pattern)
        problems.extend(found)
        self.problems.extend(problems)
        self.problem_keys.extend([key] * len(problems))
        self.document_keys.append(key)
        self.wheres.append(document.where)
        names = frozenset(document.attributes)
        self.attribute_names.append(names | {QUESTION} if document.parts is not None else names)
        if document.format in CAPTION_FORMATS or any(
            t.start_seconds is not None or t.end_seconds is not None for t in turns
        ):
            self.has_seconds = True
        self.turn_counts[document.doc_id] = len(turns)
        values = (
            document.doc_id,
            path,
            document.format,
            document.sha256,
            len(text),
            count_words(text),
            text,
        )
        for column, value in zip(DOCUMENT_COLUMNS, values, strict=True):
            self.documents[column].append(value)
        self.document_attributes.append(document.attributes)
        # A "Name (I):" label makes Name an interviewer when its role is an interviewer label.
        roles = self.roles
        cache = {
            t.speaker: True
            for t in turns
            if t.speaker and t.role and role_key(t.role) in roles.interviewers
        }
        source = text
        if self.options.unit == "document" and document.format not in _SURVEY_FORMATS:
            # Code only what turn units would code: no labels, no excluded turns (#15).
            # (A survey row has one speaker, its flag does the job as at turn unit.)
            turns = [t for t in turns if not roles.leaves_out(t.speaker, cache)]
            source = coded_text(text, turns)
        spans = unit_spans(source, turns, self.options.unit)
        if not spans:
            return
        if document.parts is not None:
            self.has_questions = True
            self.questions.extend(span_questions(spans, document.parts, self.options.unit))
        else:
            self.questions.extend([None] * len(spans))
        doc_id = document.doc_id
        prefix = f"{doc_id}:{self.letter}"
        pieces = [source[span.start : span.end] for span in spans]
        speakers = [span.speaker for span in spans]
        columns = self.segments
        columns[DOC_ID].extend([doc_id] * len(spans))
        columns[SEGMENT_ID].extend(f"{prefix}{index:04d}" for index in range(1, len(spans) + 1))
        columns[UNIT].extend([self.options.unit] * len(spans))
        columns[SPEAKER].extend(speakers)
        columns[IS_INTERVIEWER].extend(roles.is_interviewer(s, cache) for s in speakers)
        columns[START].extend(span.start for span in spans)
        columns[END].extend(span.end for span in spans)
        columns[WORDS].extend(count_words(piece) for piece in pieces)
        columns[TEXT].extend(pieces)
        self.seconds[START_SECONDS].extend(span.start_seconds for span in spans)
        self.seconds[END_SECONDS].extend(span.end_seconds for span in spans)
        self.segment_attributes.extend([document.attributes] * len(spans))

    def add_rows(self, rows: SurveyRows, seen: DocIds) -> None:
        """Add survey rows column-wise: the same result as :meth:`add` for each row.

        Must be the builder's only input (one survey chunk per batch).
        """
        base = self.count
        count = len(rows.ids)
        self.count += count
        ids = rows.ids
        keep: list[int] | None = None  # None: every row
        if not seen.isdisjoint(ids) or len(set(ids)) != count:
            keep = []
            for index, doc_id in enumerate(ids):
                if doc_id in seen:
                    self.duplicates.append((base + index, doc_id, f"row {rows.numbers[index]}"))
                else:
                    seen.add(doc_id)
                    keep.append(index)
        else:
            seen.update(ids)

        def pick(values: list[Any]) -> list[Any]:
            return values if keep is None else [values[i] for i in keep]

        ids = pick(ids)
        if not ids:
            return  # no attribute columns either, as with no documents
        texts: list[str] = pick(rows.texts)
        numbers: list[int] = pick(rows.numbers)
        keys = [base + i for i in (keep if keep is not None else range(count))]
        wheres = [f"row {number}" for number in numbers]
        clashes = sorted(name for name in rows.attributes if name in RESERVED)
        attributes = {
            name: pick(values) for name, values in rows.attributes.items() if name not in RESERVED
        }
        for key, where in zip(keys, wheres, strict=True):
            for name in clashes:
                self.problems.append(
                    Problem(
                        rows.path,
                        f"attribute {name!r} clashes with a table column and was ignored; "
                        "rename it",
                        where=where,
                        severity="warning",
                    )
                )
                self.problem_keys.append(key)
        total = len(ids)
        self.document_keys = keys
        self.wheres = wheres
        names = frozenset(attributes)
        self.attribute_names = [names | {QUESTION} if rows.parts is not None else names] * total
        self.turn_counts = (
            dict.fromkeys(ids, 1)
            if rows.parts is None
            else {doc_id: len(parts) for doc_id, parts in zip(ids, pick(rows.parts), strict=True)}
        )
        words = [len(text.split()) for text in texts]
        self.documents = {
            DOC_ID: ids,
            PATH: [rows.path] * total,
            FORMAT: [rows.format] * total,
            SHA256: [hashlib.sha256(text.encode("utf-8")).hexdigest() for text in texts],
            CHARS: [len(text) for text in texts],
            WORDS: words,
            TEXT: texts,
        }
        unit = self.options.unit
        if unit in ("turn", "document") and rows.parts is None:
            # One unit per row: the whole text, trimmed; words do not change.
            pieces = [text.strip() for text in texts]
            if all(piece is text for piece, text in zip(pieces, texts, strict=True)):
                pieces = texts  # nothing to trim: share the list (and its array)
                starts = [0] * total
            else:
                starts = [
                    0 if len(piece) == len(text) else len(text) - len(text.lstrip())
                    for piece, text in zip(pieces, texts, strict=True)
                ]
            segment_attributes = attributes
            self.segments = {
                DOC_ID: ids,
                SEGMENT_ID: [f"{doc_id}:{self.letter}0001" for doc_id in ids],
                UNIT: [unit] * total,
                SPEAKER: ids,
                IS_INTERVIEWER: self.roles.interviewer_flags(ids),
                START: starts,
                END: [start + len(piece) for start, piece in zip(starts, pieces, strict=True)],
                WORDS: words,
                TEXT: pieces,
            }
        else:
            parts = None if rows.parts is None else pick(rows.parts)
            interviewer = self.roles.is_interviewer
            self.segments, owners, self.questions = row_segments(
                ids, texts, parts, unit, self.letter, lambda speaker: interviewer(speaker, {})
            )
            self.has_questions = parts is not None
            segment_attributes = {
                name: [values[row] for row in owners] for name, values in attributes.items()
            }
        self.columns = (attributes, segment_attributes)

    def _attribute_columns(
        self,
    ) -> tuple[dict[str, list[str | None]], dict[str, list[str | None]]]:
        if self.columns is not None:
            return self.columns
        names = sorted({k for attributes in self.document_attributes for k in attributes})
        return (
            {name: [a.get(name) for a in self.document_attributes] for name in names},
            {name: [a.get(name) for a in self.segment_attributes] for name in names},
        )

    def frames(self, participants: Participants | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        """Make the documents and segments frames (columns in their final order)."""
        import numpy as np
        import pandas as pd

        strings: dict[int, Any] = {}  # one array for a list used by several columns
        text_dtype = pd.StringDtype(na_value=np.nan)  # what dtype="str" means, parsed once

        def column(name: str, values: list[Any]) -> Any:
            if name in _INT_COLUMNS:
                return np.array(values, dtype=np.int64)
            if name == IS_INTERVIEWER:
                return np.array(values, dtype=np.bool_)
            array = strings.get(id(values))
            if array is None:
                array = strings[id(values)] = pd.array(values, dtype=text_dtype)
            return array

        texts = (self.documents[TEXT], self.segments[TEXT])
        if shared := shared_texts(*texts, self.segments[START], text_dtype):  # held once (#19)
            strings[id(texts[0])], strings[id(texts[1])] = shared
        document_attributes, segment_attributes = self._attribute_columns()
        documents = {c: column(c, self.documents[c]) for c in DOCUMENT_COLUMNS}
        segments = {c: column(c, self.segments[c]) for c in SEGMENT_COLUMNS}
        if self.has_seconds:
            for name, values in self.seconds.items():
                segments[name] = np.array(values, dtype=np.float64)
        for name in sorted(document_attributes):
            documents[name] = column(name, document_attributes[name])
            segments[name] = column(name, segment_attributes[name])
        document_frame = pd.DataFrame(documents)
        segment_frame = pd.DataFrame(segments)
        if self.has_questions:  # a segment column only: the row is the document
            segment_frame[QUESTION] = column(QUESTION, self.questions)
            segment_frame = order_columns(segment_frame, SEGMENT_COLUMNS)
        if participants is not None:
            document_frame = join_participants(document_frame, participants, segments=False)
            segment_frame = join_participants(segment_frame, participants, segments=True)
            document_frame = order_columns(document_frame, DOCUMENT_COLUMNS)
            segment_frame = order_columns(segment_frame, SEGMENT_COLUMNS)
        return document_frame, segment_frame

    def batch(self, source: Path, participants: Participants | None) -> SourceBatch:
        """Return what was added as a :class:`SourceBatch` of *source*."""
        documents, segments = self.frames(participants)
        joined: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        if participants is not None:
            names = tuple(participants.attributes)
            joined = ((() if SPEAKER in participants.keys else names), names)
        return SourceBatch(
            source,
            documents,
            segments,
            tuple(self.problems),
            self.turn_counts,
            problem_keys=tuple(self.problem_keys),
            document_keys=tuple(self.document_keys),
            wheres=tuple(self.wheres),
            attribute_names=tuple(self.attribute_names),
            duplicates=tuple(self.duplicates),
            joined=joined,
        )


_INT_COLUMNS = frozenset({CHARS, WORDS, START, END})


def order_columns(frame: pd.DataFrame, leading: Sequence[str]) -> pd.DataFrame:
    """Put *leading* columns first, then cue times, then attributes in name order."""
    seconds = [c for c in (START_SECONDS, END_SECONDS) if c in frame.columns and c not in leading]
    rest = sorted(c for c in frame.columns if c not in leading and c not in seconds)
    order = [*leading, *seconds, *rest]
    if list(frame.columns) == order:
        return frame
    return frame[order]


def empty_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return empty documents and segments frames with the fixed columns."""
    return Builder(IngestOptions(), None).frames(None)
