"""Survey readers: ``.csv``, ``.xlsx`` and ``.jsonl``, one document per row or line.

They stream chunks of :data:`CHUNK_ROWS` rows, so memory does not grow with the file.
``.csv``/``.xlsx`` chunks are :class:`SurveyRows` (built column by column, the fast
path) or lists of :class:`~qca.ingest.readers.Document` (the reference path).
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from qca.errors import Problem
from qca.ingest.base import IngestOptions, attribute_names
from qca.ingest.encodings import detect_encoding
from qca.ingest.readers import Document, check_zip
from qca.ingest.speakers import Turn
from qca.ingest.text import SkipFile, attribute_value, normalise

#: Survey rows per batch.
CHUNK_ROWS = 10_000
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
    """

    path: str
    format: str
    numbers: list[int]
    ids: list[str]
    texts: list[str]
    attributes: dict[str, list[str | None]]


#: What a reader yields per chunk: documents (or survey rows) and problems.
Chunk = tuple[list[Document] | SurveyRows, list[Problem]]


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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


def _text_and_id_columns(
    path: Path, header: list[str], options: IngestOptions
) -> tuple[int, int | None]:
    """Return the positions of the text column and the id column (if any) in *header*.

    Raises:
        SkipFile: When no text column is given or found.
    """
    text_column = _pick_column(
        header, options.text_column, TEXT_COLUMN_NAMES, path, "--text-column"
    )
    if text_column is None:
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
    text_index = header.index(text_column)
    id_index = header.index(id_column) if id_column is not None else None
    return text_index, id_index


def _survey_documents(
    path: Path,
    fmt: str,
    header: list[str],
    rows: Iterator[tuple[int, list[Any]]],
    options: IngestOptions,
) -> Iterator[Chunk]:
    """Build one :class:`Document` per row with text (the general path)."""
    text_index, id_index = _text_and_id_columns(path, header, options)
    names, renamed = attribute_names(
        [name for i, name in enumerate(header) if i not in (text_index, id_index)], str(path)
    )
    others = [(i, names[name]) for i, name in enumerate(header) if i not in (text_index, id_index)]
    documents: list[Document] = []
    empty = 0
    for number, row in rows:
        value = row[text_index] if text_index < len(row) else None
        text = normalise(attribute_value(value) or "")
        if not text.strip():
            empty += 1
            continue
        doc_id = None
        if id_index is not None and id_index < len(row):
            doc_id = (attribute_value(row[id_index]) or "").strip() or None
        doc_id = doc_id or f"{path.stem}-{number}"
        attributes = {
            name: (attribute_value(row[i]) if i < len(row) else None) or None for i, name in others
        }
        digest = _sha256(text.encode("utf-8"))
        turns = [Turn(doc_id, 0, 0, len(text))]
        documents.append(
            Document(doc_id, str(path), fmt, digest, text, attributes, turns, f"row {number}")
        )
        if len(documents) >= CHUNK_ROWS:
            yield documents, renamed
            documents, renamed = [], []
    problems = renamed
    if empty:
        problems.append(
            Problem(
                str(path),
                f"{empty} row(s) with an empty {header[text_index]!r} were skipped",
                severity="warning",
            )
        )
    yield documents, problems


#: One block of survey rows: the row numbers and one value list per header column.
Block = tuple[list[int], list[list[Any]]]


def _block_rows(blocks: Iterator[Block]) -> Iterator[tuple[int, list[Any]]]:
    for numbers, columns in blocks:
        for number, values in zip(numbers, zip(*columns, strict=True), strict=True):
            yield number, list(values)


def _text_value(value: Any) -> str:
    return normalise(value if value.__class__ is str else (attribute_value(value) or ""))


def _cell_value(value: Any) -> str | None:
    if value.__class__ is str:
        return value or None
    return attribute_value(value) or None


def _survey_rows(
    path: Path,
    fmt: str,
    header: list[str],
    blocks: Iterator[Block],
    options: IngestOptions,
) -> Iterator[Chunk]:
    """Column-wise :func:`_survey_documents`: the same rows, chunks and problems."""
    text_index, id_index = _text_and_id_columns(path, header, options)
    names, renamed = attribute_names(
        [name for i, name in enumerate(header) if i not in (text_index, id_index)], str(path)
    )
    # A repeated column name keeps the last column's values, as a dict of the row would.
    others = {names[name]: i for i, name in enumerate(header) if i not in (text_index, id_index)}
    stem = path.stem
    numbers: list[int] = []
    ids: list[str] = []
    texts: list[str] = []
    attributes: dict[str, list[str | None]] = {name: [] for name in others}
    empty = 0

    def chunk(size: int) -> SurveyRows:
        nonlocal numbers, ids, texts, attributes
        rows = SurveyRows(
            str(path),
            fmt,
            numbers[:size],
            ids[:size],
            texts[:size],
            {name: values[:size] for name, values in attributes.items()},
        )
        numbers, ids, texts = numbers[size:], ids[size:], texts[size:]
        attributes = {name: values[size:] for name, values in attributes.items()}
        return rows

    for block_numbers, columns in blocks:
        block_texts = [_text_value(value) for value in columns[text_index]]
        keep = [i for i, text in enumerate(block_texts) if text and not text.isspace()]
        empty += len(block_texts) - len(keep)
        kept_numbers = [block_numbers[i] for i in keep]
        if len(keep) == len(block_texts):
            texts.extend(block_texts)
        else:
            texts.extend(block_texts[i] for i in keep)
        if id_index is None:
            ids.extend(f"{stem}-{number}" for number in kept_numbers)
        else:
            column = columns[id_index]
            ids.extend(
                (attribute_value(column[i]) or "").strip() or f"{stem}-{number}"
                for i, number in zip(keep, kept_numbers, strict=True)
            )
        numbers.extend(kept_numbers)
        for name, index in others.items():
            column = columns[index]
            attributes[name].extend(_cell_value(column[i]) for i in keep)
        while len(numbers) >= CHUNK_ROWS:
            yield chunk(CHUNK_ROWS), renamed
            renamed = []
    problems = renamed
    if empty:
        problems.append(
            Problem(
                str(path),
                f"{empty} row(s) with an empty {header[text_index]!r} were skipped",
                severity="warning",
            )
        )
    yield chunk(len(numbers)), problems


def _survey_chunks(
    path: Path,
    fmt: str,
    header: list[str],
    blocks: Iterator[Block],
    options: IngestOptions,
    columnar: bool,
) -> Iterator[Chunk]:
    if columnar:
        return _survey_rows(path, fmt, header, blocks, options)
    return _survey_documents(path, fmt, header, _block_rows(blocks), options)


def _csv_encoding(path: Path, sample: bytes, options: IngestOptions) -> tuple[str, list[Problem]]:
    if options.encoding is not None:
        return options.encoding, []
    binary = "is a binary file, not CSV; remove it or export as CSV"
    return detect_encoding(sample, str(path), complete=False, binary=binary)


def read_csv(path: Path, options: IngestOptions, columnar: bool = True) -> Iterator[Chunk]:
    """Stream a survey CSV: one document per row, in chunks of :data:`CHUNK_ROWS`.

    With *columnar*, chunks are :class:`SurveyRows`; otherwise lists of documents.
    """
    import csv

    import pandas as pd

    with path.open("rb") as handle:
        sample = handle.read(65536)
    if not sample.strip():
        raise SkipFile(Problem(str(path), "file is empty; export the survey again"))
    encoding, problems = _csv_encoding(path, sample, options)
    head = sample.decode(encoding, errors="ignore")
    try:
        delimiter = csv.Sniffer().sniff(head.split("\n", 1)[0], delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    try:
        reader = pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            chunksize=CHUNK_ROWS,
            encoding=encoding,
            sep=delimiter,
        )
        with reader:
            first = True
            row_number = 0
            for chunk in reader:
                header = [str(c) for c in chunk.columns]
                # Column by column: .tolist() is far cheaper than itertuples on
                # Arrow-backed strings.
                columns = [chunk.iloc[:, i].tolist() for i in range(chunk.shape[1])]
                numbers = list(range(row_number + 1, row_number + len(chunk) + 1))
                row_number += len(chunk)
                blocks = iter([(numbers, columns)])
                for read, found in _survey_chunks(path, "csv", header, blocks, options, columnar):
                    yield read, (problems if first else []) + found
                    first = False
            if first:
                raise SkipFile(Problem(str(path), "has a header but no rows; export it again"))
    except UnicodeDecodeError as exc:
        raise SkipFile(
            Problem(str(path), f"cannot decode byte {exc.start} as {encoding}; pass --encoding")
        ) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise SkipFile(
            Problem(str(path), f"is not valid CSV ({reason}); fix the file or export it again")
        ) from None


def _xlsx_blocks(numbered: Iterator[tuple[int, tuple[Any, ...]]], width: int) -> Iterator[Block]:
    """Cut worksheet rows into blocks of columns, padded or cut to the header's width."""
    numbers: list[int] = []
    rows: list[tuple[Any, ...]] = []
    for number, row in numbered:
        numbers.append(number)
        rows.append(row[:width] + (None,) * (width - len(row)) if len(row) != width else row)
        if len(rows) >= CHUNK_ROWS:
            yield numbers, [list(column) for column in zip(*rows, strict=True)]
            numbers, rows = [], []
    if rows:
        yield numbers, [list(column) for column in zip(*rows, strict=True)]


def read_xlsx(path: Path, options: IngestOptions, columnar: bool = True) -> Iterator[Chunk]:
    """Stream the first sheet of a survey workbook: one document per row.

    With *columnar*, chunks are :class:`SurveyRows`; otherwise lists of documents.
    """
    check_zip(path, path, ".xlsx")
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged workbook
        raise SkipFile(
            Problem(str(path), "is not a valid .xlsx workbook (damaged); re-save it from Excel")
        ) from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        first_row = next(rows, None)
        if first_row is None:
            raise SkipFile(Problem(str(path), "first sheet is empty; put the survey there"))
        header = [
            str(v).strip() if v is not None else f"column_{i + 1}" for i, v in enumerate(first_row)
        ]
        numbered = ((n, r) for n, r in enumerate(rows, start=1) if any(r))
        blocks = _xlsx_blocks(numbered, len(header))
        yield from _survey_chunks(path, "xlsx", header, blocks, options, columnar)
    finally:
        workbook.close()


def read_jsonl(path: Path, options: IngestOptions) -> Iterator[Chunk]:
    """Stream JSON Lines: one document (transcript or response) per line."""
    text_key = options.text_column or "text"
    documents: list[Document] = []
    problems: list[Problem] = []
    warned: set[str] = set()
    total = 0
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(codecs.BOM_UTF8):
                raw = raw[len(codecs.BOM_UTF8) :]
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                reason = exc.msg if isinstance(exc, json.JSONDecodeError) else "not UTF-8"
                problems.append(
                    Problem(str(path), f"invalid JSON ({reason}); fix or remove the line", number)
                )
                continue
            if not isinstance(record, dict) or not isinstance(record.get(text_key), str):
                problems.append(
                    Problem(
                        str(path),
                        f"no string field {text_key!r}; give each line one, or pass --text-column",
                        number,
                    )
                )
                continue
            text = normalise(record[text_key])
            if not text.strip():
                continue
            id_key = options.id_column or next((k for k in ID_COLUMN_NAMES if k in record), None)
            doc_id = attribute_value(record.get(id_key)) if id_key else None
            doc_id = doc_id or f"{path.stem}-{number}"
            speaker = attribute_value(record.get("speaker"))
            skip = {text_key, id_key, "speaker"}
            names, renamed = attribute_names([k for k in record if k not in skip], str(path))
            problems += [p for p in renamed if p.message not in warned]  # once per file
            warned.update(p.message for p in renamed)
            attributes = {names[k]: attribute_value(v) for k, v in record.items() if k not in skip}
            digest = _sha256(text.encode("utf-8"))
            document = Document(
                doc_id, str(path), "jsonl", digest, text, attributes, None, f"line {number}"
            )
            document.speaker = speaker
            document.expect_speakers = False
            documents.append(document)
            total += 1
            if len(documents) >= CHUNK_ROWS:
                yield documents, problems
                documents, problems = [], []
    if total == 0 and not problems:
        raise SkipFile(Problem(str(path), "file is empty; add one JSON object per line"))
    yield documents, problems
