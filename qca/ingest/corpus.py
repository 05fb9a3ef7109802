"""Walk the input paths, read each file, and make its document and segment frames.

``iter_corpus`` is three public steps composed, so that files can be read in worker
processes: :func:`find_sources` (once, up front), :func:`read_source` (per file, no
state shared between files) and :func:`claim_doc_ids` (in input order, in the consumer).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from qca.errors import IngestError, Problem
from qca.ingest.base import Batch, IngestOptions, SourceBatch
from qca.ingest.docids import DocIds
from qca.ingest.documents import read_odt, read_pdf, read_rtf
from qca.ingest.encodings import check_encoding
from qca.ingest.files import check_size, find_files
from qca.ingest.frames import (
    CAPTION_FORMATS,
    RESERVED,
    Builder,
    empty_frames,
)
from qca.ingest.participants import Participants, read_participants
from qca.ingest.readers import Document, read_captions, read_docx, read_text
from qca.ingest.speakers import compile_speaker_pattern
from qca.ingest.surveys import Chunk, SurveyRows, read_csv, read_jsonl, read_xlsx
from qca.ingest.text import SkipFile
from qca.models import (
    DOC_ID,
    DOCUMENT_COLUMNS,
    END_SECONDS,
    FORMAT,
    QUESTION,
    SEGMENT_COLUMNS,
    START_SECONDS,
    UNITS,
)

if TYPE_CHECKING:
    import pandas as pd

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


def _duplicate_problem(path: str, doc_id: str, owner: str, where: str) -> Problem:
    if where.startswith("row "):  # a survey row: its id comes from the id column
        fix = "give each row its own value in the id column (--id-column)"
    else:
        fix = "rename the file or set doc_id in its front matter"
    return Problem(path, f"doc_id {doc_id!r} is already used by {owner}; {fix}", where=where)


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


def _claim_all(
    used: DocIds | dict[str, str], ids: list[str], source: str, keep: bool = True
) -> bool:
    """Claim all *ids* for *source* and return True, or return False if one is used."""
    if isinstance(used, DocIds):
        if not used.isdisjoint(ids):
            return False
        if keep:
            used.claim(ids, source)
    else:
        if not used.keys().isdisjoint(ids):
            return False
        if keep:
            used.update(dict.fromkeys(ids, source))
    return True


def claim_doc_ids(batch: Batch, used: DocIds | dict[str, str], *, keep: bool = True) -> Batch:
    """Drop the documents whose doc_id an earlier file used, with a problem for each.

    Apply it to the batches of every file in input order, with one *used* for the
    whole corpus (a :class:`DocIds`, or a dict doc_id -> the path that claimed it);
    it records the doc_ids this batch claims.

    Args:
        batch: A batch from :func:`read_source`.
        used: The doc_ids claimed so far; updated in place. A :class:`DocIds` holds
            no Python object per id, so memory hardly grows with the corpus.
        keep: Record this batch's doc_ids in *used*. The batches of the last file
            can skip it: no later file can use their ids, and a file's reader finds
            the ids used twice within it (``SourceBatch.duplicates``). On one survey
            of 769,230 comments that is ~30 MB less held to the end of the run (#16).

    Returns:
        A plain :class:`Batch`, as :func:`iter_corpus` yields it.
    """
    source = str(batch.source)
    ids: list[str] = batch.documents[DOC_ID].tolist()
    if isinstance(batch, SourceBatch):
        keys = batch.document_keys
        wheres = batch.wheres
        duplicates = batch.duplicates
        problem_keys = batch.problem_keys
    else:
        keys = tuple(range(len(ids)))
        wheres = ("",) * len(ids)
        duplicates = ()
        problem_keys = (-1,) * len(batch.problems)
    if not duplicates and _claim_all(used, ids, source, keep):
        return Batch(
            batch.source, batch.documents, batch.segments, batch.problems, batch.turn_counts
        )
    # Walk the documents in the order read, as reading the files one by one would.
    events = sorted(
        [(key, row, "") for row, key in enumerate(keys)]
        + [(key, -1, doc_id) for key, doc_id, _ in duplicates]
    )
    where_of = {key: where for key, _, where in duplicates}
    dropped_rows: list[int] = []
    found: list[tuple[int, Problem]] = []
    for key, row, doc_id in events:
        if row >= 0:
            doc_id = ids[row]
            owner = used.get(doc_id)
            if owner is None:
                if keep:
                    used[doc_id] = source
                continue
            dropped_rows.append(row)
            found.append((key, _duplicate_problem(source, doc_id, owner, wheres[row])))
        else:
            owner = used.get(doc_id, source)
            found.append((key, _duplicate_problem(source, doc_id, owner, where_of[key])))
    dropped_keys = {keys[row] for row in dropped_rows}
    kept = [
        (key, problem)
        for key, problem in zip(problem_keys, batch.problems, strict=True)
        if key not in dropped_keys
    ]
    problems = tuple(problem for _, problem in sorted(kept + found, key=lambda item: item[0]))
    if not dropped_rows:
        return Batch(batch.source, batch.documents, batch.segments, problems, batch.turn_counts)
    dropped_ids = {ids[row] for row in dropped_rows}
    documents = batch.documents
    segments = batch.segments
    documents = documents[~documents[DOC_ID].isin(dropped_ids)].reset_index(drop=True)
    segments = segments[~segments[DOC_ID].isin(dropped_ids)].reset_index(drop=True)
    turn_counts = {k: v for k, v in batch.turn_counts.items() if k not in dropped_ids}
    if isinstance(batch, SourceBatch):
        # Keep only the columns the kept documents give, as if the others were never read.
        names: set[str] = set()
        dropped = set(dropped_rows)
        for row, attribute_names in enumerate(batch.attribute_names):
            if row not in dropped:
                names |= attribute_names
        seconds = bool(documents[FORMAT].isin(list(CAPTION_FORMATS)).any()) or any(
            name in segments.columns and segments[name].notna().any()
            for name in (START_SECONDS, END_SECONDS)
        )
        documents = _keep_columns(documents, DOCUMENT_COLUMNS, names, batch.joined[0], seconds)
        segments = _keep_columns(segments, SEGMENT_COLUMNS, names, batch.joined[1], seconds)
    return Batch(batch.source, documents, segments, problems, turn_counts)


def _keep_columns(
    frame: pd.DataFrame,
    leading: Sequence[str],
    names: set[str],
    joined: Sequence[str],
    seconds: bool,
) -> pd.DataFrame:
    keep = [
        c
        for c in frame.columns
        if c in leading
        or c in names
        or c in joined
        or (seconds and c in (START_SECONDS, END_SECONDS))
    ]
    return frame if len(keep) == len(frame.columns) else frame[keep]


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
