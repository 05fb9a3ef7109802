"""Reading transcripts into documents and segments.

``iter_corpus`` streams one :class:`~qca.ingest.base.Batch` per file;
``read_corpus`` collects them; ``read_transcripts`` returns only the segments.
For worker processes, ``iter_corpus`` comes apart into ``find_sources`` (once),
``read_source`` (per file, anywhere) and ``claim_doc_ids`` (per batch, in input order).

The readers load on first use of a name from :mod:`qca.ingest.corpus` (or
:mod:`qca.ingest.claims`), so that importing :class:`IngestOptions` (``qca code``'s
re-run check) costs little.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import Problem
from qca.ingest.base import (
    DEFAULT_INTERVIEWER_LABELS,
    Batch,
    Corpus,
    IngestOptions,
    SourceBatch,
)
from qca.ingest.docids import DocIds
from qca.ingest.speaker_table import speaker_table
from qca.models import (
    DOC_ID,
    DOCUMENT,
    DOCUMENT_COLUMNS,
    END,
    FORMAT,
    INGEST_SUMMARY_COLUMNS,
    PATH,
    SEGMENT_COLUMNS,
    SPEAKER,
    START,
    WORDS,
)

if TYPE_CHECKING:
    import pandas as pd

    from qca.ingest.claims import claim_doc_ids
    from qca.ingest.corpus import (
        Sources,
        find_sources,
        iter_corpus,
        read_source,
    )
    from qca.ingest.frames import empty_frames as empty_frames
    from qca.ingest.frames import order_columns as order_columns

#: Names this package gives, imported on first use: from corpus.py, claims.py, frames.py.
_FROM_CORPUS = frozenset({"Sources", "find_sources", "iter_corpus", "read_source"})
_FROM_FRAMES = frozenset({"empty_frames", "order_columns"})


def __getattr__(name: str) -> Any:
    if name in _FROM_CORPUS:
        from qca.ingest import corpus

        return getattr(corpus, name)
    if name == "claim_doc_ids":
        from qca.ingest import claims

        return claims.claim_doc_ids
    if name in _FROM_FRAMES:
        from qca.ingest import frames

        return getattr(frames, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Batch",
    "Corpus",
    "DocIds",
    "IngestOptions",
    "SourceBatch",
    "Sources",
    "claim_doc_ids",
    "find_sources",
    "iter_corpus",
    "read_corpus",
    "read_source",
    "read_transcripts",
    "speaker_table",
    "summarize_corpus",
]

PathsArg = Sequence[str | os.PathLike[str]] | str | os.PathLike[str]


def _concat(frames: list[pd.DataFrame], leading: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    from qca.ingest.frames import empty_frames, order_columns

    kept = [f for f in frames if len(f)]
    if not kept:
        return frames[0] if frames else empty_frames()[0 if leading is DOCUMENT_COLUMNS else 1]
    if len(kept) == 1:
        return kept[0].reset_index(drop=True)
    return order_columns(pd.concat(kept, ignore_index=True), leading)


def collect(batches: Iterable[Batch]) -> tuple[Corpus, dict[str, int]]:
    """Concatenate *batches* into a :class:`Corpus` (sorted) and the turn counts."""
    documents: list[pd.DataFrame] = []
    segments: list[pd.DataFrame] = []
    problems: list[Problem] = []
    turns: dict[str, int] = {}
    for batch in batches:
        documents.append(batch.documents)
        segments.append(batch.segments)
        problems.extend(batch.problems)
        turns.update(batch.turn_counts)
    document_frame = _concat(documents, DOCUMENT_COLUMNS)
    segment_frame = _concat(segments, SEGMENT_COLUMNS)
    document_frame = document_frame.sort_values(DOC_ID, kind="stable").reset_index(drop=True)
    segment_frame = segment_frame.sort_values([DOC_ID, START, END], kind="stable").reset_index(
        drop=True
    )
    return Corpus(document_frame, segment_frame, tuple(problems)), turns


def read_corpus(paths: PathsArg, options: IngestOptions = IngestOptions()) -> Corpus:  # noqa: B008
    """Read every input into one :class:`Corpus`: documents, segments and problems.

    Both frames are sorted by ``doc_id`` (segments then by offset).

    Raises:
        IngestError: As :func:`iter_corpus`.

    Examples:
        >>> corpus = read_corpus(["transcripts/"])  # doctest: +SKIP
        >>> corpus.segments[["segment_id", "speaker"]].head()  # doctest: +SKIP
    """
    from qca.ingest.corpus import iter_corpus

    return collect(iter_corpus(paths, options))[0]


def read_transcripts(
    paths: PathsArg,
    *,
    unit: str = "turn",
    speaker_pattern: str | None = None,
    text_column: str | Sequence[str] | None = None,
    id_column: str | None = None,
    participants: str | os.PathLike[str] | None = None,
    interviewer_labels: Sequence[str] = DEFAULT_INTERVIEWER_LABELS,
    encoding: str | None = None,
    strict: bool = False,
) -> pd.DataFrame:
    """Read transcripts and surveys into the segments table.

    Files that cannot be read are skipped (unless ``strict``); use
    :func:`read_corpus` to see the problems.

    Args:
        paths: Files and folders (folders are read recursively).
        unit: ``turn`` (default), ``sentence``, ``paragraph`` or ``document``.
        speaker_pattern: A regex for speaker labels at line starts (group ``speaker``).
        text_column: The survey column with the response text; several give one
            segment per answer, with a ``question`` column.
        id_column: The survey column with the respondent id.
        participants: A CSV of attributes keyed by ``doc_id`` and/or ``speaker``.
        interviewer_labels: Speaker labels marked ``is_interviewer``.
        encoding: Encoding of text files (default: detected).
        strict: Raise at the first problem instead of skipping the file.

    Returns:
        ``qca.models.SEGMENT_COLUMNS``, cue times for captions, then attributes.

    Raises:
        IngestError: As :func:`iter_corpus`.

    Examples:
        >>> segments = read_transcripts(["transcripts/"], unit="sentence")  # doctest: +SKIP
    """
    options = IngestOptions(
        unit=unit,
        speaker_pattern=speaker_pattern,
        text_column=text_column
        if text_column is None or isinstance(text_column, str)
        else tuple(text_column),
        id_column=id_column,
        participants=Path(participants) if participants is not None else None,
        interviewer_labels=tuple(label.lower() for label in interviewer_labels),
        encoding=encoding,
        strict=strict,
    )
    return read_corpus(paths, options).segments


def summarize_corpus(corpus: Corpus, turn_counts: dict[str, int] | None = None) -> pd.DataFrame:
    """Return one row per document: document, format, speakers, turns, words, warnings.

    Survey rows are summarised per file (``speakers`` counts respondents).
    """
    import pandas as pd

    turn_counts = turn_counts or {}
    warnings: dict[str, int] = {}
    for problem in corpus.problems:
        if not problem.is_error:
            warnings[problem.path] = warnings.get(problem.path, 0) + 1
    rows = []
    documents = corpus.documents
    segments = corpus.segments
    speakers = segments.groupby(DOC_ID, sort=False)[SPEAKER].nunique()
    paths = dict(zip(documents[DOC_ID], documents[PATH], strict=True))
    surveys: dict[str, list[str]] = {}
    for doc_id, fmt, words in zip(
        documents[DOC_ID], documents[FORMAT], documents[WORDS], strict=True
    ):
        if fmt in ("csv", "xlsx", "jsonl"):
            surveys.setdefault(paths[doc_id], []).append(doc_id)
            continue
        rows.append(
            (
                doc_id,
                fmt,
                int(speakers.get(doc_id, 0)),
                turn_counts.get(doc_id, 0),
                int(words),
                warnings.get(paths[doc_id], 0),
            )
        )
    for path, ids in surveys.items():
        subset = documents[documents[DOC_ID].isin(ids)]
        rows.append(
            (
                Path(path).name,
                str(subset[FORMAT].iloc[0]),
                int(segments[segments[DOC_ID].isin(ids)][SPEAKER].nunique()),
                sum(turn_counts.get(i, 0) for i in ids),
                int(subset[WORDS].sum()),
                warnings.get(path, 0),
            )
        )
    frame = pd.DataFrame(rows, columns=list(INGEST_SUMMARY_COLUMNS))
    return frame.sort_values(DOCUMENT, kind="stable").reset_index(drop=True)
