"""Survey readers: ``.csv``, ``.xlsx`` and ``.jsonl``, one document per row or line.

They stream chunks of :data:`CHUNK_ROWS` rows, so memory does not grow with the file.
``.csv``/``.xlsx`` chunks are :class:`SurveyRows` (built column by column, the fast
path) or lists of :class:`~qca.ingest.readers.Document` (the reference path); see
:mod:`qca.ingest.survey_rows`.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from qca.errors import Problem
from qca.ingest.base import IngestOptions, attribute_names
from qca.ingest.encodings import detect_encoding
from qca.ingest.questions import answer_turns, join_answers
from qca.ingest.readers import Document, check_zip
from qca.ingest.survey_rows import (
    ID_COLUMN_NAMES,
    TEXT_COLUMN_NAMES,
    Block,
    Chunk,
    SurveyRows,
    sha256_text,
    survey_chunks,
)
from qca.ingest.text import SkipFile, attribute_value, normalise
from qca.models import QUESTION

__all__ = [
    "CHUNK_ROWS",
    "ID_COLUMN_NAMES",
    "TEXT_COLUMN_NAMES",
    "Chunk",
    "SurveyRows",
    "read_csv",
    "read_jsonl",
    "read_xlsx",
]

#: Survey rows per batch.
CHUNK_ROWS = 10_000


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
                chunks = survey_chunks(
                    path, "csv", header, blocks, options, columnar=columnar, chunk_rows=CHUNK_ROWS
                )
                for read, found in chunks:
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
        yield from survey_chunks(
            path, "xlsx", header, blocks, options, columnar=columnar, chunk_rows=CHUNK_ROWS
        )
    finally:
        workbook.close()


def read_jsonl(path: Path, options: IngestOptions) -> Iterator[Chunk]:
    """Stream JSON Lines: one document (transcript or response) per line.

    With several ``--text-column`` keys, each line is a row of answers (a key that is
    missing, null or blank gives no segment); a line with none of them is a problem.
    """
    keys = options.text_columns or ("text",)
    several = len(keys) > 1
    reserved = (QUESTION,) if several else ()
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
            if not isinstance(record, dict) or not any(
                isinstance(record.get(key), str) for key in keys
            ):
                fields = " or ".join(repr(key) for key in keys)
                problems.append(
                    Problem(
                        str(path),
                        f"no string field {fields}; give each line one, or pass --text-column",
                        number,
                    )
                )
                continue
            parts = None
            if several:
                text, parts = join_answers([(key, _answer(record.get(key))) for key in keys])
            else:
                text = normalise(record[keys[0]])
            if not text.strip():
                continue
            id_key = options.id_column or next((k for k in ID_COLUMN_NAMES if k in record), None)
            doc_id = attribute_value(record.get(id_key)) if id_key else None
            doc_id = doc_id or f"{path.stem}-{number}"
            speaker = attribute_value(record.get("speaker"))
            skip = {*keys, id_key, "speaker"}
            names, renamed = attribute_names(
                [k for k in record if k not in skip], str(path), reserved
            )
            problems += [p for p in renamed if p.message not in warned]  # once per file
            warned.update(p.message for p in renamed)
            attributes = {names[k]: attribute_value(v) for k, v in record.items() if k not in skip}
            turns = None if parts is None else answer_turns(speaker, parts)
            document = Document(
                doc_id,
                str(path),
                "jsonl",
                sha256_text(text),
                text,
                attributes,
                turns,
                f"line {number}",
                parts=parts,
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


def _answer(value: Any) -> str:
    """A JSON answer's text: a string normalised; anything else is no answer."""
    return normalise(value) if isinstance(value, str) else ""
