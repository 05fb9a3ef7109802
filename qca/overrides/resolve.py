"""Re-anchoring decisions to today's segments: moved, changed, gone (``qca override check``)."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qca.errors import OverrideError, Problem
from qca.models import (
    CHECK_COLUMNS,
    DOC_ID,
    SEGMENT_ID,
    START,
    TEXT,
    text_hash,
)
from qca.overrides.decisions import STALE_STATUSES, Decision, Overrides, excerpt

if TYPE_CHECKING:
    import pandas as pd

    from qca.outputs import CodedOutput


def find_segment(output: CodedOutput, segment_id: str, code: str) -> dict[str, Any]:
    """Return the segments row of *segment_id* after checking it and *code* against *output*.

    Raises:
        OverrideError: For an unknown segment (naming the closest ids) or code.
    """
    from qca.errors import suggest

    problems: list[Problem] = []
    if code not in output.code_ids:
        problems.append(
            Problem("", f"unknown code {code!r}; use one of: {suggest(code, output.code_ids)}")
        )
    segments = output.segments
    found = segments[segments[SEGMENT_ID] == segment_id]
    if found.empty:
        ids = [str(s) for s in segments[SEGMENT_ID]]
        close = ", ".join(difflib.get_close_matches(segment_id, ids, n=3, cutoff=0.0)) or "(none)"
        problems.append(
            Problem(
                "",
                f"unknown segment {segment_id!r} in {output.folder.as_posix()}; closest: {close}; "
                "find ids with qca show CODE",
            )
        )
    if problems:
        raise OverrideError(problems=problems)
    return {str(k): v for k, v in found.iloc[0].to_dict().items()}


# --- resolving decisions against the current segments ------------------------------


@dataclass(frozen=True)
class Resolution:
    """Where a decision applies in the current segments.

    Attributes:
        decision: The decision as recorded.
        status: One of ``OVERRIDE_STATUSES``.
        target: The segment it applies to (``ok``/``moved``), else None.
        nearest: For a stale decision, the current segment most like the old one.
        nearest_excerpt: The excerpt of *nearest*.
        document_missing: The decision's document is not in the segments at all.
    """

    decision: Decision
    status: str
    target: str | None = None
    nearest: str | None = None
    nearest_excerpt: str = ""
    document_missing: bool = False

    @property
    def stale(self) -> bool:
        """Whether the decision is not applied (text changed, segment gone, code unknown)."""
        return self.status in STALE_STATUSES


@dataclass
class _Document:
    ids: list[str]
    texts: list[str]
    hashes: list[str]
    starts: list[int]


def _index(segments: pd.DataFrame) -> tuple[dict[str, _Document], dict[str, tuple[str, int]]]:
    documents: dict[str, _Document] = {}
    where: dict[str, tuple[str, int]] = {}
    starts = segments[START] if START in segments.columns else [-1] * len(segments)
    for doc_id, segment_id, text, start in zip(
        segments[DOC_ID], segments[SEGMENT_ID], segments[TEXT], starts, strict=True
    ):
        doc = documents.setdefault(str(doc_id), _Document([], [], [], []))
        where[str(segment_id)] = (str(doc_id), len(doc.ids))
        doc.ids.append(str(segment_id))
        doc.texts.append(str(text))
        doc.hashes.append(text_hash(str(text)))
        doc.starts.append(int(start))
    return documents, where


def _nearest(doc: _Document, decision: Decision, anchor: int) -> tuple[str, str]:
    """Return the segment of *doc* most like the decision's excerpt, near *anchor*.

    Without an excerpt (files written since #21), the segment that now holds the
    decision's start offset is nearest, else the one at the same position.
    """
    if not doc.ids:
        return "", ""
    if not decision.excerpt and decision.start.isdigit() and min(doc.starts) >= 0:
        offset = int(decision.start)
        held = [i for i, start in enumerate(doc.starts) if start <= offset]
        best = held[-1] if held else 0
        return doc.ids[best], excerpt(doc.texts[best])
    old = decision.excerpt.removesuffix("...")

    def score(i: int) -> tuple[float, int]:
        current = excerpt(doc.texts[i]).removesuffix("...")
        similarity = difflib.SequenceMatcher(None, old, current).ratio() if old else 0.0
        # Only a clearly similar text beats position: else the segment where it was is nearest.
        return (-similarity if similarity >= 0.6 else 0.0, abs(i - anchor))

    best = min(range(len(doc.ids)), key=score)
    return doc.ids[best], excerpt(doc.texts[best])


def _ordinal(segment_id: str) -> int:
    tail = segment_id.rsplit(":", 1)[-1]
    digits = "".join(ch for ch in tail if ch.isdigit())
    return int(digits) if digits else 0


def resolve_overrides(
    overrides: Overrides | Sequence[Decision],
    segments: pd.DataFrame,
    codes: Collection[str] | None = None,
) -> list[Resolution]:
    """Find where each decision applies in *segments*, re-anchoring moved text by its hash.

    Args:
        overrides: The decisions, in file order.
        segments: ``doc_id, segment_id, text`` of the current run.
        codes: The codebook's code ids; a decision on another code is ``unknown_code``.
            None: do not check codes.

    Returns:
        One :class:`Resolution` per decision, in file order.
    """
    decisions = overrides.decisions if isinstance(overrides, Overrides) else tuple(overrides)
    documents, where = _index(segments)
    known = set(codes) if codes is not None else None
    resolved: list[Resolution] = []
    for decision in decisions:
        found = where.get(decision.segment)
        doc_id = found[0] if found else decision.doc_id
        doc = documents.get(doc_id)
        if known is not None and decision.code not in known:
            resolved.append(Resolution(decision, "unknown_code", document_missing=doc is None))
            continue
        if doc is None:
            resolved.append(Resolution(decision, "gone", document_missing=True))
            continue
        position = found[1] if found else None
        if found and (not decision.hash or doc.hashes[found[1]] == decision.hash):
            resolved.append(Resolution(decision, "ok", decision.segment))
            continue
        anchor = position if position is not None else min(_ordinal(decision.segment), len(doc.ids))
        same = [i for i, h in enumerate(doc.hashes) if h == decision.hash]
        if same:
            best = min(same, key=lambda i: abs(i - anchor))
            resolved.append(Resolution(decision, "moved", doc.ids[best]))
            continue
        nearest, nearest_text = _nearest(doc, decision, anchor)
        status = "changed" if found else "gone"
        resolved.append(Resolution(decision, status, None, nearest, nearest_text))
    return resolved


def effective_decisions(resolutions: Iterable[Resolution]) -> dict[tuple[str, str], Resolution]:
    """Return the decision that counts per (segment, code): the last applicable one in the file."""
    latest: dict[tuple[str, str], Resolution] = {}
    for resolution in resolutions:
        if resolution.target is not None:
            latest[(resolution.target, resolution.decision.code)] = resolution
    return latest


def describe(resolution: Resolution, overrides: Overrides) -> Problem | None:
    """Return the diagnostic of a moved or stale decision (None when it applies as recorded)."""
    decision = resolution.decision
    # Ids and offsets only: messages never show transcript text (issue #21).
    was = f" (was characters {decision.start}-{decision.end})" if decision.start else ""
    near = f"; nearest now: {resolution.nearest}" if resolution.nearest else ""
    again = "decide again (qca override add/remove or qca review), then delete this entry"
    if resolution.status == "moved":
        return overrides.problem(
            decision,
            f"moved to {resolution.target}: its text is unchanged but turns before it were "
            "added or removed; the decision applies there",
            warning=True,
        )
    if resolution.status == "changed":
        message = f"stale: the segment's text changed since the decision{was}{near}; {again}"
    elif resolution.status == "gone" and resolution.document_missing:
        message = (
            f"stale: document {decision.doc_id} is not in the output{was}; code it again, "
            "or delete this entry"
        )
    elif resolution.status == "gone":
        message = f"stale: the segment no longer exists{was}{near}; {again}"
    elif resolution.status == "unknown_code":
        message = (
            f"stale: code {decision.code!r} is not in the codebook; rename it here to a "
            "current code, or delete this entry"
        )
    else:
        return None
    return overrides.problem(decision, message)


def check_overrides(
    overrides: Overrides, segments: pd.DataFrame, codes: Collection[str] | None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check every decision against the current segments and codebook.

    Returns:
        A ``CHECK_COLUMNS`` table (one row per decision, file order) and a problem
        per moved (warning) or stale (error) decision.

    Examples:
        >>> table, problems = check_overrides(read_overrides("overrides.yaml"), out.segments, out.code_ids)  # doctest: +SKIP
    """
    import pandas as pd

    resolutions = resolve_overrides(overrides, segments, codes)
    # The excerpt is read from the transcript at hand, never stored (issue #21).
    texts = dict(zip(segments[SEGMENT_ID].astype(str), segments[TEXT].astype(str), strict=True))
    rows = []
    problems: list[Problem] = []
    for resolution in resolutions:
        decision = resolution.decision
        nearest = resolution.target if resolution.status == "moved" else resolution.nearest
        current = texts.get(resolution.target or resolution.nearest or "")
        rows.append(
            [
                decision.segment,
                decision.code,
                decision.action,
                resolution.status,
                nearest or "",
                excerpt(current) if current is not None else decision.excerpt,
            ]
        )
        problem = describe(resolution, overrides)
        if problem is not None:
            problems.append(problem)
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS)), problems


# --- applying ----------------------------------------------------------------------
