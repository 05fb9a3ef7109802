"""Claim each batch's doc_ids in input order: a doc_id belongs to the first file that used it.

:func:`claim_doc_ids` is the one step of :func:`qca.ingest.iter_corpus` that is not per
file: it drops the documents whose doc_id an earlier file used (with a problem for each)
and the columns only they gave, as if they had never been read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from qca.errors import Problem
from qca.ingest.base import Batch, SourceBatch
from qca.ingest.docids import DocIds
from qca.ingest.frames import CAPTION_FORMATS
from qca.models import (
    DOC_ID,
    DOCUMENT_COLUMNS,
    END_SECONDS,
    FORMAT,
    SEGMENT_COLUMNS,
    START_SECONDS,
)

if TYPE_CHECKING:
    import pandas as pd


def _duplicate_problem(path: str, doc_id: str, owner: str, where: str) -> Problem:
    if where.startswith("row "):  # a survey row: its id comes from the id column
        fix = "give each row its own value in the id column (--id-column)"
    else:
        fix = "rename the file or set doc_id in its front matter"
    return Problem(path, f"doc_id {doc_id!r} is already used by {owner}; {fix}", where=where)


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
        batch: A batch from :func:`qca.ingest.read_source`.
        used: The doc_ids claimed so far; updated in place. A :class:`DocIds` holds
            no Python object per id, so memory hardly grows with the corpus.
        keep: Record this batch's doc_ids in *used*. The batches of the last file
            can skip it: no later file can use their ids, and a file's reader finds
            the ids used twice within it (``SourceBatch.duplicates``). On one survey
            of 769,230 comments that is ~30 MB less held to the end of the run (#16).

    Returns:
        A plain :class:`Batch`, as :func:`qca.ingest.iter_corpus` yields it.
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
