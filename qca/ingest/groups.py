"""Many small files read into one group of about 1 MB, frames made once (#16).

Reading a file into its own :class:`~qca.ingest.base.Batch` costs two pandas frames
and their columns, which on one-line files is most of the work. :func:`read_group`
reads consecutive files into one :class:`Builder` and makes the frames once;
:class:`Group` records which rows and problems came from which file, so that the
run can count, claim and report per file as :func:`~qca.ingest.iter_corpus` does.
A group whose doc_ids are not all new (rare) is read again file by file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qca.errors import IngestError, Problem
from qca.ingest.base import Batch, IngestOptions, SourceBatch
from qca.ingest.docids import DocIds
from qca.ingest.files import SURVEY_SUFFIXES
from qca.ingest.frames import Builder
from qca.ingest.text import SkipFile
from qca.models import DOC_ID, FORMAT

if TYPE_CHECKING:
    import pandas as pd

    from qca.ingest.corpus import Sources

#: Bytes of consecutive files read into one group. Reading holds about 15 times a
#: group's text in Python objects for a moment; 4 MB groups raised a 1M-word run's
#: peak RSS by 110 MB over 1 MB groups.
GROUP_CHARS = 1_000_000


@dataclass(frozen=True)
class FileRead:
    """What one file of a :class:`Group` gave."""

    source: Path
    #: Rows of the group's documents frame from this file (they are consecutive).
    documents: int
    #: Rows of the group's segments frame from this file (they are consecutive).
    segments: int
    problems: tuple[Problem, ...]
    #: The format of its first document (None: no document).
    format: str | None

    @property
    def skipped(self) -> bool:
        """Whether the file was not read (an error)."""
        return any(p.is_error for p in self.problems)


@dataclass(frozen=True)
class Group:
    """Consecutive files read into one pair of frames, before doc_ids are claimed."""

    files: tuple[FileRead, ...]
    documents: pd.DataFrame
    segments: pd.DataFrame
    turn_counts: dict[str, int]
    #: Whether every file's doc_ids are its own (no duplicate within a file).
    clean: bool

    def doc_ids(self) -> list[list[str]]:
        """Return each file's doc_ids, in file order."""
        ids: list[str] = self.documents[DOC_ID].tolist()
        found: list[list[str]] = []
        start = 0
        for file in self.files:
            found.append(ids[start : start + file.documents])
            start += file.documents
        return found

    def claim(self, used: DocIds) -> bool:
        """Claim every file's doc_ids in *used* and return True, or False if one is used.

        Nothing is claimed when False: read the files one by one then.
        """
        per_file = self.doc_ids()
        ids = [doc_id for file_ids in per_file for doc_id in file_ids]
        if not self.clean or len(set(ids)) != len(ids) or not used.isdisjoint(ids):
            return False
        used.claim_runs(ids, [(str(f.source), f.documents) for f in self.files])
        return True


def groupable(path: Path) -> bool:
    """Whether *path* is read into a group (surveys are read alone, in chunks)."""
    return path.suffix.lower() not in SURVEY_SUFFIXES


def read_group(paths: Sequence[Path], options: IngestOptions, sources: Sources) -> Group:
    """Read the one-document files *paths* into one :class:`Group`.

    Each file is read as :func:`qca.ingest.read_source` reads it; a file that
    cannot be read adds its problem and no rows.
    """
    from qca.ingest.corpus import read_document

    builder = Builder(options, sources.pattern)
    seen = DocIds()  # a doc_id used twice in the group makes it unclean: read file by file
    files: list[FileRead] = []
    for path in paths:
        documents = len(builder.document_keys)
        segments = len(builder.segments[DOC_ID])
        problems = len(builder.problems)
        try:
            document, found = read_document(path, options)
        except SkipFile as skip:
            builder.problems.append(skip.problem)
            builder.problem_keys.append(-1)
        else:
            builder.file_problems(found)
            builder.add(document, seen)
        added = len(builder.document_keys) - documents
        files.append(
            FileRead(
                path,
                added,
                len(builder.segments[DOC_ID]) - segments,
                tuple(builder.problems[problems:]),
                builder.documents[FORMAT][documents] if added else None,
            )
        )
    frames = builder.frames(sources.participants)
    return Group(tuple(files), frames[0], frames[1], builder.turn_counts, not builder.duplicates)


class Claims:
    """Doc_ids claimed in input order, as :func:`qca.ingest.iter_corpus` claims them.

    *read* reads one file (default :func:`qca.ingest.read_source`).
    """

    def __init__(
        self,
        sources: Sources,
        options: IngestOptions,
        read: Callable[[Path, IngestOptions, Sources], Iterable[SourceBatch]] | None = None,
    ) -> None:
        self.sources = sources
        self.options = options
        self.read = read
        self.used = DocIds()
        files = sources.files
        #: The last file, unless it is read twice: its doc_ids are checked, not kept.
        self.last = files[-1] if files and files.count(files[-1]) == 1 else None

    def batch(self, found: SourceBatch) -> Batch:
        """Claim the doc_ids of one file's batch (see :func:`qca.ingest.claim_doc_ids`)."""
        from qca.ingest.claims import claim_doc_ids

        keep = self.last is None or Path(found.source) != self.last
        batch = claim_doc_ids(found, self.used, keep=keep)
        if self.options.strict and batch.skipped:
            raise IngestError(problems=[p for p in batch.problems if p.is_error][:1])
        return batch

    def alone(self, path: Path) -> Iterator[Batch]:
        """Read *path* on its own and yield its batches, claimed."""
        from qca.ingest.corpus import read_source

        for found in (self.read or read_source)(path, self.options, self.sources):
            yield self.batch(found)

    def again(self, path: Path, number: int) -> Batch:
        """Read *path* on its own and return its batch *number*, claimed."""
        from qca.ingest.corpus import read_source

        for found, batch in enumerate((self.read or read_source)(path, self.options, self.sources)):
            if found == number:
                return self.batch(batch)
        raise AssertionError("a file gave fewer batches on a second reading")  # pragma: no cover

    def group(self, group: Group) -> Iterator[Batch | Group]:
        """Yield *group* with its doc_ids claimed, or its files read and claimed one by one.

        The files are read again when a doc_id is used twice (rare), and with
        ``strict`` when a file has an error (to raise at that file).
        """
        if not (self.options.strict and any(f.skipped for f in group.files)):
            if group.claim(self.used):
                yield group
                return
        for file in group.files:
            yield from self.alone(file.source)


def iter_groups(
    paths: Sequence[str | os.PathLike[str]],
    options: IngestOptions,
    *,
    limit: int = GROUP_CHARS,
    read: Callable[[Path, IngestOptions, Sources], Iterable[SourceBatch]] | None = None,
) -> Iterator[Batch | Group]:
    """Yield what :func:`qca.ingest.iter_corpus` yields, with small files read in groups.

    Consecutive files that are not surveys are read together until their size
    reaches *limit* bytes (see :func:`plan_groups`). With *read* (e.g. a cache),
    every file is read alone. Doc_ids are claimed here, in input order.
    """
    from qca.ingest.corpus import find_sources, problem_batches

    sources = find_sources(paths, options)
    yield from problem_batches(sources, options.strict)
    claims = Claims(sources, options, read)
    for run in plan_groups(sources.files, limit if read is None else 0):
        if len(run) == 1 and (read is not None or not groupable(run[0])):
            yield from claims.alone(run[0])
        else:
            yield from claims.group(read_group(run, options, sources))


def plan_groups(files: Sequence[Path], limit: int) -> list[list[Path]]:
    """Split *files* into runs of consecutive files of about *limit* bytes each.

    A survey is a run of its own; ``limit=0`` makes every file a run of its own.
    """
    runs: list[list[Path]] = []
    pending: list[Path] = []
    size = 0
    for path in files:
        if limit <= 0 or not groupable(path):
            if pending:
                runs.append(pending)
                pending, size = [], 0
            runs.append([path])
            continue
        pending.append(path)
        size += file_size(path)
        if size >= limit:
            runs.append(pending)
            pending, size = [], 0
    if pending:
        runs.append(pending)
    return runs


def file_size(path: Path) -> int:
    """Return the size of *path* in bytes (0 when it cannot be read)."""
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
