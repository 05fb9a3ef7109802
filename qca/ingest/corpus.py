"""Walk the input paths, read each file, and build document and segment frames."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import IngestError, Problem
from qca.ingest.base import Batch, IngestOptions
from qca.ingest.participants import Participants, join_participants, read_participants
from qca.ingest.readers import (
    SUFFIXES,
    Document,
    read_captions,
    read_csv,
    read_docx,
    read_jsonl,
    read_text,
    read_xlsx,
)
from qca.ingest.speakers import compile_speaker_pattern, detect_turns, role_key
from qca.ingest.text import SkipFile
from qca.ingest.units import unit_spans
from qca.models import (
    CHARS,
    DOC_ID,
    DOCUMENT_COLUMNS,
    END,
    END_SECONDS,
    IS_INTERVIEWER,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SPEAKER,
    START,
    START_SECONDS,
    TEXT,
    UNIT,
    UNIT_LETTERS,
    UNITS,
    WORDS,
)

if TYPE_CHECKING:
    import pandas as pd

RESERVED: frozenset[str] = frozenset(
    {*DOCUMENT_COLUMNS, *SEGMENT_COLUMNS, START_SECONDS, END_SECONDS}
)
_CAPTION_FORMATS = frozenset({"vtt", "srt"})
_TRANSCRIPT_FORMATS = frozenset({"txt", "md", "docx"})


# --- finding the files -------------------------------------------------------------


def _explicit_problem(path: Path) -> Problem | None:
    name = path.name
    if name.startswith("~$"):
        return Problem(
            str(path),
            "is a Word/Excel lock file, not a transcript; close the document or delete the file",
        )
    if name.startswith("."):
        return Problem(str(path), "is a hidden file; rename it without the leading dot to read it")
    if path.suffix.lower() not in SUFFIXES:
        return Problem(
            str(path),
            f"unsupported file type {path.suffix or '(none)'!r}; "
            f"convert it to one of {', '.join(SUFFIXES)}",
        )
    return None


def find_files(
    paths: Iterable[str | os.PathLike[str]], exclude: Path | None = None
) -> tuple[list[Path], list[Problem]]:
    """Expand *paths* (files and folders, recursively) into the files to read.

    Inside folders, hidden files and folders, Office lock files (``~$``) and
    unsupported suffixes are ignored. Named on the command line, they are problems.

    Returns:
        The files in order (folders sorted), and the problems found.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    excluded = exclude.resolve() if exclude is not None else None

    def add(path: Path) -> None:
        resolved = path.resolve()
        if resolved not in seen and resolved != excluded:
            seen.add(resolved)
            files.append(path)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not p.name.startswith("~$")
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            found = [p for p in found if p.resolve() != excluded]
            if not found:
                problems.append(
                    Problem(
                        str(path),
                        f"folder has no transcripts ({', '.join(SUFFIXES)}); check the path",
                        severity="warning",
                    )
                )
            for file in found:
                add(file)
        elif path.is_file():
            if excluded is not None and path.resolve() == excluded:
                continue
            problem = _explicit_problem(path)
            if problem is not None:
                problems.append(problem)
            else:
                add(path)
        else:
            problems.append(Problem(str(path), "no such file or folder; check the path"))
    return files, problems


# --- reading one file --------------------------------------------------------------


def _read_file(
    path: Path, options: IngestOptions
) -> Iterator[tuple[list[Document], list[Problem]]]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from read_csv(path, options)
    elif suffix == ".xlsx":
        yield from read_xlsx(path, options)
    elif suffix == ".jsonl":
        yield from read_jsonl(path, options)
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise SkipFile(
                Problem(str(path), f"cannot read the file ({exc.strerror}); check permissions")
            ) from None
        if suffix == ".docx":
            document, problems = read_docx(path, data, options)
        elif suffix in (".vtt", ".srt"):
            document, problems = read_captions(path, data, options)
        else:
            document, problems = read_text(path, data, options)
        yield [document], problems


# --- building frames ---------------------------------------------------------------


class _Builder:
    """Collect documents and segments as columns, then make the two frames."""

    def __init__(self, options: IngestOptions, pattern: re.Pattern[str] | None) -> None:
        self.options = options
        self.pattern = pattern
        self.interviewers = frozenset(role_key(label) for label in options.interviewer_labels)
        self.letter = UNIT_LETTERS[options.unit]
        self.documents: dict[str, list[Any]] = {c: [] for c in DOCUMENT_COLUMNS}
        self.segments: dict[str, list[Any]] = {c: [] for c in SEGMENT_COLUMNS}
        self.seconds: dict[str, list[Any]] = {START_SECONDS: [], END_SECONDS: []}
        self.document_attributes: list[dict[str, str | None]] = []
        self.segment_attributes: list[dict[str, str | None]] = []
        self.has_seconds = False
        self.turn_counts: dict[str, int] = {}

    def add(self, document: Document, problems: list[Problem]) -> None:
        text = document.text
        path = document.path
        for key in sorted(document.attributes):
            if key in RESERVED:
                problems.append(
                    Problem(
                        path,
                        f"attribute {key!r} clashes with a table column and was ignored; rename it",
                        where=document.where,
                        severity="warning",
                    )
                )
                del document.attributes[key]
        turns = document.turns
        if turns is None:
            turns = detect_turns(
                text,
                pattern=self.pattern,
                interviewer_labels=self.options.interviewer_labels,
                known_speakers=document.known_speakers,
            )
            labelled = [t for t in turns if t.speaker is not None]
            if document.speaker is not None:
                speaker = document.speaker
                turns = [t if t.speaker else replace(t, speaker=speaker) for t in turns]
            elif document.expect_speakers and not labelled:
                problems.append(
                    Problem(
                        path,
                        "no speaker labels found; the text is one unattributed segment "
                        "(use --speaker-pattern if speakers are marked another way)",
                        severity="warning",
                    )
                )
            elif document.expect_speakers and turns and turns[0].speaker is None:
                problems.append(
                    Problem(
                        path,
                        "text before the first speaker label is kept as an unattributed segment",
                        1,
                        severity="warning",
                    )
                )
        if document.format in _CAPTION_FORMATS:
            self.has_seconds = True
        self.turn_counts[document.doc_id] = len(turns)
        values = (
            document.doc_id,
            path,
            document.format,
            document.sha256,
            len(text),
            len(text.split()),
            text,
        )
        for column, value in zip(DOCUMENT_COLUMNS, values, strict=True):
            self.documents[column].append(value)
        self.document_attributes.append(document.attributes)
        columns = self.segments
        for index, span in enumerate(unit_spans(text, turns, self.options.unit), start=1):
            piece = text[span.start : span.end]
            columns[DOC_ID].append(document.doc_id)
            columns[SEGMENT_ID].append(f"{document.doc_id}:{self.letter}{index:04d}")
            columns[UNIT].append(self.options.unit)
            columns[SPEAKER].append(span.speaker)
            columns[IS_INTERVIEWER].append(
                span.speaker is not None and role_key(span.speaker) in self.interviewers
            )
            columns[START].append(span.start)
            columns[END].append(span.end)
            columns[WORDS].append(len(piece.split()))
            columns[TEXT].append(piece)
            self.seconds[START_SECONDS].append(span.start_seconds)
            self.seconds[END_SECONDS].append(span.end_seconds)
            self.segment_attributes.append(document.attributes)

    def frames(self, participants: Participants | None) -> tuple[pd.DataFrame, pd.DataFrame]:
        import pandas as pd

        dtypes = {CHARS: "int64", WORDS: "int64", START: "int64", END: "int64"}
        dtypes |= {IS_INTERVIEWER: "bool", SPEAKER: "str"}
        documents = pd.DataFrame(
            {c: pd.Series(v, dtype=dtypes.get(c, "str")) for c, v in self.documents.items()}
        )
        segments = pd.DataFrame(
            {c: pd.Series(v, dtype=dtypes.get(c, "str")) for c, v in self.segments.items()}
        )
        if self.has_seconds:
            for column, values in self.seconds.items():
                segments[column] = pd.Series(values, dtype="float64")
        names = sorted({k for attributes in self.document_attributes for k in attributes})
        for name in names:
            documents[name] = pd.Series(
                [a.get(name) for a in self.document_attributes], dtype="str"
            )
            segments[name] = pd.Series([a.get(name) for a in self.segment_attributes], dtype="str")
        if participants is not None:
            documents = join_participants(documents, participants, segments=False)
            segments = join_participants(segments, participants, segments=True)
        return order_columns(documents, DOCUMENT_COLUMNS), order_columns(segments, SEGMENT_COLUMNS)


def order_columns(frame: pd.DataFrame, leading: Sequence[str]) -> pd.DataFrame:
    """Put *leading* columns first, then cue times, then attributes in name order."""
    seconds = [c for c in (START_SECONDS, END_SECONDS) if c in frame.columns and c not in leading]
    rest = sorted(c for c in frame.columns if c not in leading and c not in seconds)
    return frame[[*leading, *seconds, *rest]]


def empty_frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return empty documents and segments frames with the fixed columns."""
    return _Builder(IngestOptions(), None).frames(None)


# --- the public generator -------------------------------------------------------------


def _check_options(options: IngestOptions) -> None:
    if options.unit not in UNITS:
        raise IngestError(
            problems=[
                Problem(
                    "",
                    f"unknown unit {options.unit!r}; use one of: {', '.join(UNITS)}",
                    where="--unit",
                )
            ]
        )


def iter_corpus(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    options: IngestOptions = IngestOptions(),  # noqa: B008 - frozen, so a safe default
) -> Iterator[Batch]:
    """Read transcripts and surveys, yielding one :class:`Batch` per file (or survey chunk).

    A file that cannot be read yields a batch with empty frames and its problems;
    the rest continue.

    Args:
        paths: Files and folders (folders are read recursively).
        options: How to read them.

    Yields:
        Batches in input order (files in a folder sorted by path).

    Raises:
        IngestError: With ``options.strict``, at the first file with an error; for a
            bad ``--participants`` file or ``--speaker-pattern``; or when no path exists.

    Examples:
        >>> for batch in iter_corpus(["transcripts/"]):  # doctest: +SKIP
        ...     print(batch.source, len(batch.segments))
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    _check_options(options)
    pattern = compile_speaker_pattern(options.speaker_pattern) if options.speaker_pattern else None
    participants = (
        read_participants(options.participants, RESERVED) if options.participants else None
    )
    files, problems = find_files(paths, options.participants)
    if not files and problems and all(p.is_error for p in problems):
        missing = [p for p in problems if "no such file" in p.message]
        if len(missing) == len(problems):
            raise IngestError(problems=problems)
    for problem in problems:
        if options.strict and problem.is_error:
            raise IngestError(problems=[problem])
        documents, segments = empty_frames()
        yield Batch(Path(problem.path), documents, segments, (problem,))
    used: dict[str, str] = {}
    for path in files:
        try:
            for documents_read, found in _read_file(path, options):
                found = list(found)
                builder = _Builder(options, pattern)
                for document in documents_read:
                    owner = used.get(document.doc_id)
                    if owner is not None:
                        found.append(
                            Problem(
                                document.path,
                                f"doc_id {document.doc_id!r} is already used by {owner}; "
                                "rename the file or set doc_id in its front matter",
                                where=document.where,
                            )
                        )
                        continue
                    used[document.doc_id] = document.path
                    builder.add(document, found)
                documents, segments = builder.frames(participants)
                batch = Batch(path, documents, segments, tuple(found), builder.turn_counts)
                if options.strict and batch.skipped:
                    raise IngestError(problems=[p for p in found if p.is_error][:1])
                yield batch
        except SkipFile as skip:
            if options.strict:
                raise IngestError(problems=[skip.problem]) from None
            documents, segments = empty_frames()
            yield Batch(path, documents, segments, (skip.problem,))
