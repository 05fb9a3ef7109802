"""Walk the input paths, read each file, and build document and segment frames.

``iter_corpus`` is three public steps composed, so that files can be read in worker
processes: :func:`find_sources` (once, up front), :func:`read_source` (per file, no
state shared between files) and :func:`claim_doc_ids` (in input order, in the consumer).
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import IngestError, Problem
from qca.ingest.base import Batch, IngestOptions
from qca.ingest.docids import DocIds
from qca.ingest.participants import Participants, join_participants, read_participants
from qca.ingest.readers import (
    SUFFIXES,
    Chunk,
    Document,
    SurveyRows,
    read_captions,
    read_csv,
    read_docx,
    read_jsonl,
    read_text,
    read_xlsx,
)
from qca.ingest.speakers import Turn, compile_speaker_pattern, detect_turns, role_key
from qca.ingest.text import SkipFile
from qca.ingest.units import unit_spans
from qca.models import (
    CHARS,
    DOC_ID,
    DOCUMENT_COLUMNS,
    END,
    END_SECONDS,
    FORMAT,
    IS_INTERVIEWER,
    PATH,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SHA256,
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
#: Survey tables (.csv/.xlsx) are built column-wise; False forces one Document per row
#: (the general path, kept as the reference the fast path is tested against).
FAST_SURVEYS = True


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


@dataclass(frozen=True)
class SourceBatch(Batch):
    """A :class:`Batch` from :func:`read_source`, before :func:`claim_doc_ids`.

    Besides the frames it records where each problem belongs, so that dropping a
    document whose ``doc_id`` an earlier file used gives exactly the problems that
    reading the files one after another would. Documents are counted in the order
    read (duplicates within the file included); reader problems have key -1.
    """

    #: For each problem, the count of the document it concerns (-1: the file).
    problem_keys: tuple[int, ...] = ()
    #: For each row of ``documents``: its count, its locator and its attribute names.
    document_keys: tuple[int, ...] = ()
    wheres: tuple[str, ...] = ()
    attribute_names: tuple[frozenset[str], ...] = ()
    #: Documents left out because an earlier chunk of this file used their doc_id:
    #: (count, doc_id, locator).
    duplicates: tuple[tuple[int, str, str], ...] = ()
    #: Participants attribute columns joined onto documents and onto segments.
    joined: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())


def _duplicate_problem(path: str, doc_id: str, owner: str, where: str) -> Problem:
    if where.startswith("row "):  # a survey row: its id comes from the id column
        fix = "give each row its own value in the id column (--id-column)"
    else:
        fix = "rename the file or set doc_id in its front matter"
    return Problem(path, f"doc_id {doc_id!r} is already used by {owner}; {fix}", where=where)


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
        #: Attribute columns built column-wise (survey rows), instead of the dicts above.
        self.columns: tuple[dict[str, list[str | None]], dict[str, list[str | None]]] | None = None
        self.has_seconds = False
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

    def _is_interviewer(self, speaker: str | None, cache: dict[str, bool]) -> bool:
        if speaker is None:
            return False
        known = cache.get(speaker)
        if known is None:
            known = cache[speaker] = role_key(speaker) in self.interviewers
        return known

    def _interviewer_flags(self, speakers: list[str]) -> list[bool]:
        """Return ``is_interviewer`` for each (non-null) speaker label."""
        interviewers = self.interviewers
        if "" in interviewers:
            return [role_key(s) in interviewers for s in speakers]
        # role_key() lower-cases the stripped label, so its first letter must start a role.
        firsts = {key[0] for key in interviewers}
        return [
            (s[:1].lower()[:1] in firsts or s[:1].isspace()) and role_key(s) in interviewers
            for s in speakers
        ]

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
        turns = document.turns
        if turns is None:
            turns = detect_turns(
                text,
                pattern=self.pattern,
                interviewer_labels=self.options.interviewer_labels,
                known_speakers=document.known_speakers,
            )
            if document.speaker is not None:
                speaker = document.speaker
                turns = [t if t.speaker else replace(t, speaker=speaker) for t in turns]
            elif document.expect_speakers and not any(t.speaker is not None for t in turns):
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
        self.problems.extend(problems)
        self.problem_keys.extend([key] * len(problems))
        self.document_keys.append(key)
        self.wheres.append(document.where)
        self.attribute_names.append(frozenset(document.attributes))
        if document.format in _CAPTION_FORMATS or any(
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
            len(text.split()),
            text,
        )
        for column, value in zip(DOCUMENT_COLUMNS, values, strict=True):
            self.documents[column].append(value)
        self.document_attributes.append(document.attributes)
        spans = unit_spans(text, turns, self.options.unit)
        if not spans:
            return
        doc_id = document.doc_id
        prefix = f"{doc_id}:{self.letter}"
        pieces = [text[span.start : span.end] for span in spans]
        speakers = [span.speaker for span in spans]
        # A "Name (I):" label makes Name an interviewer when its role is an interviewer label.
        cache = {
            t.speaker: True
            for t in turns
            if t.speaker and t.role and role_key(t.role) in self.interviewers
        }
        columns = self.segments
        columns[DOC_ID].extend([doc_id] * len(spans))
        columns[SEGMENT_ID].extend(f"{prefix}{index:04d}" for index in range(1, len(spans) + 1))
        columns[UNIT].extend([self.options.unit] * len(spans))
        columns[SPEAKER].extend(speakers)
        columns[IS_INTERVIEWER].extend(self._is_interviewer(s, cache) for s in speakers)
        columns[START].extend(span.start for span in spans)
        columns[END].extend(span.end for span in spans)
        columns[WORDS].extend(len(piece.split()) for piece in pieces)
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
        self.attribute_names = [frozenset(attributes)] * total
        self.turn_counts = dict.fromkeys(ids, 1)
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
        if unit in ("turn", "document"):
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
                IS_INTERVIEWER: self._interviewer_flags(ids),
                START: starts,
                END: [start + len(piece) for start, piece in zip(starts, pieces, strict=True)],
                WORDS: words,
                TEXT: pieces,
            }
        else:
            segments: dict[str, list[Any]] = {c: [] for c in SEGMENT_COLUMNS}
            owners: list[int] = []
            for row, (doc_id, text) in enumerate(zip(ids, texts, strict=True)):
                spans = unit_spans(text, [Turn(doc_id, 0, 0, len(text))], unit)
                interviewer = self._is_interviewer(doc_id, {})
                for index, span in enumerate(spans, start=1):
                    piece = text[span.start : span.end]
                    segments[DOC_ID].append(doc_id)
                    segments[SEGMENT_ID].append(f"{doc_id}:{self.letter}{index:04d}")
                    segments[UNIT].append(unit)
                    segments[SPEAKER].append(span.speaker)
                    segments[IS_INTERVIEWER].append(interviewer)
                    segments[START].append(span.start)
                    segments[END].append(span.end)
                    segments[WORDS].append(len(piece.split()))
                    segments[TEXT].append(piece)
                    owners.append(row)
            self.segments = segments
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
    return _Builder(IngestOptions(), None).frames(None)


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
    participants = (
        read_participants(options.participants, RESERVED) if options.participants else None
    )
    files, problems = find_files(paths, options.participants)
    if not files and problems and all(p.is_error for p in problems):
        missing = [p for p in problems if "no such file" in p.message]
        if len(missing) == len(problems):
            raise IngestError(problems=problems)
    return Sources(tuple(files), tuple(problems), pattern, participants)


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
            builder = _Builder(options, sources.pattern)
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


def _claim_all(used: DocIds | dict[str, str], ids: list[str], source: str) -> bool:
    """Claim all *ids* for *source* and return True, or return False if one is used."""
    if isinstance(used, DocIds):
        if not used.isdisjoint(ids):
            return False
        used.claim(ids, source)
    else:
        if not used.keys().isdisjoint(ids):
            return False
        used.update(dict.fromkeys(ids, source))
    return True


def claim_doc_ids(batch: Batch, used: DocIds | dict[str, str]) -> Batch:
    """Drop the documents whose doc_id an earlier file used, with a problem for each.

    Apply it to the batches of every file in input order, with one *used* for the
    whole corpus (a :class:`DocIds`, or a dict doc_id -> the path that claimed it);
    it records the doc_ids this batch claims.

    Args:
        batch: A batch from :func:`read_source`.
        used: The doc_ids claimed so far; updated in place. A :class:`DocIds` holds
            no Python object per id, so memory hardly grows with the corpus.

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
    if not duplicates and _claim_all(used, ids, source):
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
        seconds = bool(documents[FORMAT].isin(list(_CAPTION_FORMATS)).any()) or any(
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
    for problem in sources.problems:
        if options.strict and problem.is_error:
            raise IngestError(problems=[problem])
        documents, segments = empty_frames()
        yield Batch(Path(problem.path), documents, segments, (problem,))
    used = DocIds()
    for path in sources.files:
        for found in (read or read_source)(path, options, sources):
            batch = claim_doc_ids(found, used)
            if options.strict and batch.skipped:
                raise IngestError(problems=[p for p in batch.problems if p.is_error][:1])
            yield batch
