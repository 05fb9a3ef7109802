"""Survey rows into documents: which columns hold the text and the id, row by row.

The readers of :mod:`qca.ingest.surveys` cut a table into blocks of columns; this module
turns the blocks into chunks of :class:`SurveyRows` (column by column, the fast path)
or of :class:`~qca.ingest.readers.Document` (the reference path). Several text columns
give one segment per answer (see :mod:`qca.ingest.questions`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qca.errors import Problem
from qca.ingest.base import IngestOptions, attribute_names
from qca.ingest.questions import Part, answer_turns, join_answers
from qca.ingest.readers import Document
from qca.ingest.speakers import Turn
from qca.ingest.text import SkipFile, attribute_value, normalise
from qca.models import QUESTION

#: Column names tried, in order, when no --text-column is given.
TEXT_COLUMN_NAMES: tuple[str, ...] = (
    "text",
    "response",
    "comment",
    "comments",
    "answer",
    "freetext",
    "feedback",
)
ID_COLUMN_NAMES: tuple[str, ...] = ("doc_id", "id")


@dataclass
class SurveyRows:
    """Survey rows read column by column: one document per entry, no speaker detection.

    The fast path of survey tables (``.csv``/``.xlsx``): every list has one entry per
    row with text, in row order; ``attributes`` maps each other column to its values.
    ``parts`` holds each row's answers when several text columns are read.
    """

    path: str
    format: str
    numbers: list[int]
    ids: list[str]
    texts: list[str]
    attributes: dict[str, list[str | None]]
    parts: list[tuple[Part, ...]] | None = None


#: What a reader yields per chunk: documents (or survey rows) and problems.
Chunk = tuple[list[Document] | SurveyRows, list[Problem]]

#: One block of survey rows: the row numbers and one value list per header column.
Block = tuple[list[int], list[list[Any]]]


@dataclass(frozen=True)
class Columns:
    """Where a survey's text and id are: positions in the header."""

    texts: tuple[int, ...]
    id: int | None
    #: Several text columns: one segment per answer, with a ``question`` column.
    several: bool

    def others(
        self, header: Sequence[str], path: Path
    ) -> tuple[list[int], dict[str, str], list[Problem]]:
        """Return the attribute columns' positions, their names and the renaming warnings."""
        taken = {*self.texts, self.id}
        positions = [i for i in range(len(header)) if i not in taken]
        reserved = (QUESTION,) if self.several else ()
        names, renamed = attribute_names([header[i] for i in positions], str(path), reserved)
        return positions, names, renamed

    def empty_problem(self, header: Sequence[str], path: Path, empty: int) -> Problem:
        """The warning for *empty* rows left out because they have no text."""
        if self.several:
            listing = ", ".join(repr(header[i]) for i in self.texts)
            what = f"every text column empty ({listing})"
        else:
            what = f"an empty {header[self.texts[0]]!r}"
        return Problem(str(path), f"{empty} row(s) with {what} were skipped", severity="warning")


def sha256_text(text: str) -> str:
    """Return the sha256 of *text* as UTF-8 (a survey document's digest)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _pick_column(
    columns: list[str], wanted: str | None, names: tuple[str, ...], path: Path, option: str
) -> str | None:
    if wanted is not None:
        if wanted in columns:
            return wanted
        listing = ", ".join(columns)
        raise SkipFile(
            Problem(
                str(path),
                f"no column {wanted!r} ({option}); the columns are: {listing}; "
                f"pass one of them with {option}",
                1,
            )
        )
    lowered = {c.strip().lower(): c for c in columns}
    for name in names:
        if name in lowered:
            return lowered[name]
    return None


def survey_columns(path: Path, header: list[str], options: IngestOptions) -> Columns:
    """Return where the text column(s) and the id column (if any) are in *header*.

    Raises:
        SkipFile: When a text column given is missing, or none is given or found.
    """
    wanted = options.text_columns
    found = [
        _pick_column(header, name, TEXT_COLUMN_NAMES, path, "--text-column")
        for name in (wanted or (None,))
    ]
    if found == [None]:
        raise SkipFile(
            Problem(
                str(path),
                "no --text-column given and no column named "
                f"{'/'.join(TEXT_COLUMN_NAMES[:3])}; the columns are: {', '.join(header)}; "
                "pass --text-column NAME",
                1,
            )
        )
    id_column = _pick_column(header, options.id_column, ID_COLUMN_NAMES, path, "--id-column")
    texts = tuple(header.index(name) for name in found if name is not None)
    id_index = header.index(id_column) if id_column is not None else None
    return Columns(texts, id_index, len(texts) > 1)


def _text_value(value: Any) -> str:
    return normalise(value if value.__class__ is str else (attribute_value(value) or ""))


def _cell_value(value: Any) -> str | None:
    if value.__class__ is str:
        return value or None
    return attribute_value(value) or None


def _survey_documents(
    path: Path,
    fmt: str,
    header: list[str],
    rows: Iterator[tuple[int, list[Any]]],
    options: IngestOptions,
    chunk_rows: int,
) -> Iterator[Chunk]:
    """Build one :class:`Document` per row with text (the general path)."""
    columns = survey_columns(path, header, options)
    positions, names, renamed = columns.others(header, path)
    others = [(i, names[header[i]]) for i in positions]
    documents: list[Document] = []
    empty = 0
    for number, row in rows:
        answers = [
            (header[i], normalise(attribute_value(row[i] if i < len(row) else None) or ""))
            for i in columns.texts
        ]
        parts: tuple[Part, ...] | None = None
        if columns.several:
            text, parts = join_answers(answers)
        else:
            text = answers[0][1]
        if not text.strip():
            empty += 1
            continue
        doc_id = None
        if columns.id is not None and columns.id < len(row):
            doc_id = (attribute_value(row[columns.id]) or "").strip() or None
        doc_id = doc_id or f"{path.stem}-{number}"
        attributes = {
            name: (attribute_value(row[i]) if i < len(row) else None) or None for i, name in others
        }
        turns = [Turn(doc_id, 0, 0, len(text))] if parts is None else answer_turns(doc_id, parts)
        documents.append(
            Document(
                doc_id,
                str(path),
                fmt,
                sha256_text(text),
                text,
                attributes,
                turns,
                f"row {number}",
                parts=parts,
            )
        )
        if len(documents) >= chunk_rows:
            yield documents, renamed
            documents, renamed = [], []
    problems = renamed
    if empty:
        problems.append(columns.empty_problem(header, path, empty))
    yield documents, problems


def _block_rows(blocks: Iterator[Block]) -> Iterator[tuple[int, list[Any]]]:
    for numbers, columns in blocks:
        for number, values in zip(numbers, zip(*columns, strict=True), strict=True):
            yield number, list(values)


def _block_texts(
    columns: Columns, header: list[str], values: list[list[Any]]
) -> tuple[list[str], list[tuple[Part, ...]] | None]:
    """Return a block's texts (and answers, with several text columns), one per row."""
    if not columns.several:
        return [_text_value(value) for value in values[columns.texts[0]]], None
    questions = [header[i] for i in columns.texts]
    joined = [
        join_answers([(q, _text_value(v)) for q, v in zip(questions, row, strict=True)])
        for row in zip(*(values[i] for i in columns.texts), strict=True)
    ]
    return [text for text, _ in joined], [parts for _, parts in joined]


def _survey_rows(
    path: Path,
    fmt: str,
    header: list[str],
    blocks: Iterator[Block],
    options: IngestOptions,
    chunk_rows: int,
) -> Iterator[Chunk]:
    """Column-wise :func:`_survey_documents`: the same rows, chunks and problems."""
    columns = survey_columns(path, header, options)
    positions, names, renamed = columns.others(header, path)
    # A repeated column name keeps the last column's values, as a dict of the row would.
    others = {names[header[i]]: i for i in positions}
    stem = path.stem
    numbers: list[int] = []
    ids: list[str] = []
    texts: list[str] = []
    parts: list[tuple[Part, ...]] | None = [] if columns.several else None
    attributes: dict[str, list[str | None]] = {name: [] for name in others}
    empty = 0

    def chunk(size: int) -> SurveyRows:
        nonlocal numbers, ids, texts, attributes, parts
        rows = SurveyRows(
            str(path),
            fmt,
            numbers[:size],
            ids[:size],
            texts[:size],
            {name: values[:size] for name, values in attributes.items()},
            None if parts is None else parts[:size],
        )
        numbers, ids, texts = numbers[size:], ids[size:], texts[size:]
        attributes = {name: values[size:] for name, values in attributes.items()}
        parts = None if parts is None else parts[size:]
        return rows

    for block_numbers, values in blocks:
        block_texts, block_parts = _block_texts(columns, header, values)
        keep = [i for i, text in enumerate(block_texts) if text and not text.isspace()]
        empty += len(block_texts) - len(keep)
        kept_numbers = [block_numbers[i] for i in keep]
        if len(keep) == len(block_texts):
            texts.extend(block_texts)
        else:
            texts.extend(block_texts[i] for i in keep)
        if parts is not None and block_parts is not None:
            parts.extend(block_parts[i] for i in keep)
        if columns.id is None:
            ids.extend(f"{stem}-{number}" for number in kept_numbers)
        else:
            column = values[columns.id]
            ids.extend(
                (attribute_value(column[i]) or "").strip() or f"{stem}-{number}"
                for i, number in zip(keep, kept_numbers, strict=True)
            )
        numbers.extend(kept_numbers)
        for name, index in others.items():
            column = values[index]
            attributes[name].extend(_cell_value(column[i]) for i in keep)
        while len(numbers) >= chunk_rows:
            yield chunk(chunk_rows), renamed
            renamed = []
    problems = renamed
    if empty:
        problems.append(columns.empty_problem(header, path, empty))
    yield chunk(len(numbers)), problems


def survey_chunks(
    path: Path,
    fmt: str,
    header: list[str],
    blocks: Iterator[Block],
    options: IngestOptions,
    *,
    columnar: bool,
    chunk_rows: int,
) -> Iterator[Chunk]:
    """Turn blocks of a survey table into chunks of at most *chunk_rows* documents.

    With *columnar*, chunks are :class:`SurveyRows`; otherwise lists of documents.
    """
    if columnar:
        return _survey_rows(path, fmt, header, blocks, options, chunk_rows)
    return _survey_documents(path, fmt, header, _block_rows(blocks), options, chunk_rows)
