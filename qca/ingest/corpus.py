"""Walk the input paths, read each file, and make its document and segment frames.

``iter_corpus`` is three public steps composed, so that files can be read in worker
processes: :func:`find_sources` (once, up front), :func:`read_source` (per file, no
state shared between files) and :func:`~qca.ingest.claims.claim_doc_ids` (in input
order, in the consumer).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from qca.errors import IngestError, Problem
from qca.ingest.base import Batch, IngestOptions, SourceBatch
from qca.ingest.claims import claim_doc_ids
from qca.ingest.docids import DocIds
from qca.ingest.documents import read_odt, read_pdf, read_rtf
from qca.ingest.encodings import check_encoding
from qca.ingest.files import check_size, find_files
from qca.ingest.frames import RESERVED, Builder, empty_frames
from qca.ingest.participants import Participants, read_participants
from qca.ingest.readers import Document, read_captions, read_docx, read_text
from qca.ingest.speakers import compile_speaker_pattern
from qca.ingest.surveys import Chunk, SurveyRows, read_csv, read_jsonl, read_xlsx
from qca.ingest.text import SkipFile
from qca.models import QUESTION, UNITS

#: Survey tables (.csv/.xlsx) are built column-wise; False forces one Document per row
#: (the general path, kept as the reference the fast path is tested against).
FAST_SURVEYS = True


# --- reading one file


def _read_file(path: Path, options: IngestOptions, columnar: bool) -> Iterator[Chunk]:
    suffix = path.suffix.lower()
    if suffix == ".csv":
        yield from read_csv(path, options, columnar)
    elif suffix == ".xlsx":
        yield from read_xlsx(path, options, columnar)
    elif suffix == ".jsonl":
        yield from read_jsonl(path, options)
    else:
        document, problems = read_document(path, options)
        yield [document], problems


def read_document(path: Path, options: IngestOptions) -> tuple[Document, list[Problem]]:
    """Read a one-document file (not a survey) and return it with the reader's problems.

    Raises:
        SkipFile: When the file cannot be read or is over the size limit.
    """
    check_size(path, options.max_file_mb)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SkipFile(
            Problem(str(path), f"cannot read the file ({exc.strerror}); check permissions")
        ) from None
    document, problems = _BYTE_READERS.get(path.suffix.lower(), read_text)(path, data, options)
    return document, list(problems)


#: Readers of one-document files by suffix (others: read_text).
_BYTE_READERS = {
    ".docx": read_docx,
    ".odt": read_odt,
    ".rtf": read_rtf,
    ".pdf": read_pdf,
    ".vtt": read_captions,
    ".srt": read_captions,
}


# --- the public pieces ----------------------------------------------------------------


@dataclass(frozen=True)
class Sources:
    """What :func:`find_sources` found: everything :func:`read_source` needs besides a path.

    Picklable, so it can be sent to worker processes.
    """

    #: The files to read, in input order (files in a folder sorted by path).
    files: tuple[Path, ...]
    #: Problems found up front (missing paths, unsupported files), in input order.
    problems: tuple[Problem, ...]
    #: The compiled ``--speaker-pattern``, if any.
    pattern: re.Pattern[str] | None
    #: The checked ``--participants`` table, if any.
    participants: Participants | None
    #: Files found in folders and not read (each has a warning, an error with ``strict``).
    unread: frozenset[str] = frozenset()


def _check_options(options: IngestOptions) -> None:
    if options.encoding is not None:
        check_encoding(options.encoding)
    columns = options.text_columns
    repeated = next((c for i, c in enumerate(columns) if c in columns[:i]), None)
    if repeated is not None:
        raise IngestError(
            problems=[
                Problem(
                    "",
                    f"column {repeated!r} is given twice; give each text column once",
                    where="--text-column",
                )
            ]
        )
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


def find_sources(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    options: IngestOptions = IngestOptions(),  # noqa: B008 - frozen, so a safe default
) -> Sources:
    """Check the options, read ``--participants`` and list the files to read.

    Args:
        paths: Files and folders (folders are read recursively).
        options: How to read them.

    Returns:
        The files, the problems found up front, the speaker pattern and participants.

    Raises:
        IngestError: For a bad ``--unit``, ``--participants`` file or
            ``--speaker-pattern``, or when no path exists.

    Examples:
        >>> sources = find_sources(["transcripts/"])  # doctest: +SKIP
        >>> [path.name for path in sources.files]  # doctest: +SKIP
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    _check_options(options)
    pattern = compile_speaker_pattern(options.speaker_pattern) if options.speaker_pattern else None
    participants = None
    if options.participants:
        several = len(options.text_columns) > 1
        rename = (QUESTION,) if several else ()
        participants = read_participants(options.participants, RESERVED, rename=rename)
    files, problems, unread = find_files(paths, options.participants)
    if options.strict:  # a file left unread is an error then
        problems = [replace(p, severity="error") if p.path in unread else p for p in problems]
    if not files and problems and all(p.is_error for p in problems):
        missing = [p for p in problems if "no such file" in p.message]
        if len(missing) == len(problems):
            raise IngestError(problems=problems)
    return Sources(tuple(files), tuple(problems), pattern, participants, frozenset(unread))


def read_source(
    path: str | os.PathLike[str], options: IngestOptions, sources: Sources
) -> Iterator[SourceBatch]:
    """Read one file into batches (one per file, or per survey chunk).

    Shares no state with other files, so it can run in a worker process; pass each
    batch through :func:`claim_doc_ids` in input order. A file that cannot be read
    gives one batch with empty frames and its problem (never an exception, even with
    ``options.strict``: the consumer decides).

    Args:
        path: One of ``sources.files``.
        options: How to read it (as given to :func:`find_sources`).
        sources: What :func:`find_sources` returned.

    Yields:
        :class:`SourceBatch` objects in file order.

    Examples:
        >>> sources = find_sources(["transcripts/"])  # doctest: +SKIP
        >>> batches = list(read_source(sources.files[0], IngestOptions(), sources))  # doctest: +SKIP
    """
    path = Path(path)
    seen = DocIds()  # this file's doc_ids, across its chunks
    try:
        for read, found in _read_file(path, options, FAST_SURVEYS):
            builder = Builder(options, sources.pattern)
            builder.file_problems(found)
            if isinstance(read, SurveyRows):
                builder.add_rows(read, seen)
            else:
                for document in read:
                    builder.add(document, seen)
            yield builder.batch(path, sources.participants)
    except SkipFile as skip:
        documents, segments = empty_frames()
        yield SourceBatch(path, documents, segments, (skip.problem,), problem_keys=(-1,))


def problem_batches(sources: Sources, strict: bool = False) -> Iterator[Batch]:
    """Yield an empty :class:`Batch` for each problem :func:`find_sources` found.

    A file found in a folder and not read gives a batch with ``unread`` set, so it
    counts as skipped.

    Raises:
        IngestError: With *strict*, at the first error.
    """
    for problem in sources.problems:
        if strict and problem.is_error:
            raise IngestError(problems=[problem])
        documents, segments = empty_frames()
        unread = problem.path in sources.unread
        yield Batch(Path(problem.path), documents, segments, (problem,), unread=unread)
    if sources.participants is not None and sources.participants.problems:
        # The sheet's warnings (renamed columns), once; the sheet is no input file.
        documents, segments = empty_frames()
        participants = sources.participants
        yield Batch(participants.path, documents, segments, participants.problems, input=False)


def iter_corpus(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    options: IngestOptions = IngestOptions(),  # noqa: B008 - frozen, so a safe default
    *,
    read: Callable[[Path, IngestOptions, Sources], Iterable[SourceBatch]] | None = None,
) -> Iterator[Batch]:
    """Read transcripts and surveys, yielding one :class:`Batch` per file (or survey chunk).

    A file that cannot be read yields a batch with empty frames and its problems;
    the rest continue. The same as :func:`find_sources`, then :func:`read_source`
    for each file and :func:`claim_doc_ids` for each batch, in input order.

    Args:
        paths: Files and folders (folders are read recursively).
        options: How to read them.
        read: Reads one file as :func:`read_source` does (e.g. through a cache);
            default :func:`read_source`.

    Yields:
        Batches in input order (files in a folder sorted by path).

    Raises:
        IngestError: With ``options.strict``, at the first file with an error; for a
            bad ``--participants`` file or ``--speaker-pattern``; or when no path exists.

    Examples:
        >>> for batch in iter_corpus(["transcripts/"]):  # doctest: +SKIP
        ...     print(batch.source, len(batch.segments))
    """
    sources = find_sources(paths, options)
    yield from problem_batches(sources, options.strict)
    used = DocIds()
    for path in sources.files:
        for found in (read or read_source)(path, options, sources):
            batch = claim_doc_ids(found, used)
            if options.strict and batch.skipped:
                raise IngestError(problems=[p for p in batch.problems if p.is_error][:1])
            yield batch
