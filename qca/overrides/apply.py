"""Applying decisions to the rule codings, and the tables of `qca override list|stats`."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import Problem
from qca.models import (
    ACCEPTED,
    ADDED,
    CODE,
    DOC_ID,
    HITS,
    OVERRIDE_COLUMNS,
    OVERRIDE_STATS_COLUMNS,
    PRECISION,
    REJECTED,
    REVIEWED,
    SEGMENT_ID,
    SEGMENTS,
    SOURCE,
    TEXT,
    THEME,
)
from qca.overrides.decisions import Decision, Overrides
from qca.overrides.resolve import Resolution, describe, effective_decisions, resolve_overrides
from qca.overrides.yamlfile import read_overrides

if TYPE_CHECKING:
    import pandas as pd


def _apply(
    codings: pd.DataFrame,
    resolutions: Iterable[Resolution],
    themes: Mapping[str, str],
) -> pd.DataFrame:
    import pandas as pd

    latest = effective_decisions(resolutions)
    if not latest:
        return codings
    rows = {
        (str(s), str(c)): [str(s), t, str(c), str(src), int(h)]
        for s, t, c, src, h in zip(
            codings[SEGMENT_ID],
            codings[THEME],
            codings[CODE],
            codings[SOURCE],
            codings[HITS],
            strict=True,
        )
    }
    for (segment, code), resolution in sorted(latest.items()):
        action = resolution.decision.action
        row = rows.get((segment, code))
        if action == "remove":
            rows.pop((segment, code), None)
        elif action == "accept":
            # An accepted coding stays even when the rules no longer find it: the coder saw it.
            hits = row[4] if row is not None else 0
            rows[(segment, code)] = [segment, themes.get(code, ""), code, "reviewed", hits]
        else:
            hits = row[4] if row is not None else 0
            rows[(segment, code)] = [segment, themes.get(code, ""), code, "manual", hits]
    columns = list(codings.columns)
    frame = pd.DataFrame([rows[k] for k in sorted(rows)], columns=columns)
    if frame.empty:
        return codings.iloc[0:0].copy()
    return frame.astype({HITS: "int64"}).reset_index(drop=True)


def apply_overrides(
    codings: pd.DataFrame,
    overrides: Overrides | Sequence[Decision],
    *,
    segments: pd.DataFrame,
    themes: Mapping[str, str],
) -> pd.DataFrame:
    """Return *codings* with the manual decisions applied.

    ``accept`` keeps the coding with source ``reviewed``; ``remove`` drops it (its hits
    stay in the hits table); ``add`` codes the segment with source ``manual`` (hits 0,
    or the rule hits if the rules found it too). The last decision on a (segment, code)
    wins. Stale decisions are not applied (see :func:`check_overrides`).

    Args:
        codings: ``CODING_COLUMNS`` from the rule hits.
        overrides: The decisions.
        segments: ``doc_id, segment_id, text`` of the run (to re-anchor moved text).
        themes: Code id -> theme id of the codebook; decisions on other codes are stale.

    Examples:
        >>> apply_overrides(codings, read_overrides("overrides.yaml"), segments=segments,
        ...                 themes={"motivation": "will"})  # doctest: +SKIP
    """
    return _apply(codings, resolve_overrides(overrides, segments, themes.keys()), themes)


def _segment_texts(source: Sequence[Path] | pd.DataFrame, doc_ids: Collection[str]) -> pd.DataFrame:
    import pandas as pd

    columns = [DOC_ID, SEGMENT_ID, TEXT]
    if isinstance(source, pd.DataFrame):
        return source[columns]
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = sorted(doc_ids)
    frames: list[pd.DataFrame] = []
    for part in source:  # Arrow IPC files written by qca.coding, one per batch
        with pa.memory_map(str(part)) as handle:
            table = pa.ipc.open_file(handle).read_all().select(columns)
            ids = table.column(DOC_ID)
            keep = pc.is_in(ids, value_set=pa.array(wanted, type=ids.type))
            frames.append(table.filter(keep).to_pandas())
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(frames, ignore_index=True)


def apply_overrides_file(
    path: Path,
    codings: pd.DataFrame,
    segments: Sequence[Path] | pd.DataFrame,
    themes: Mapping[str, str],
) -> tuple[pd.DataFrame, list[Problem]]:
    """Apply the decisions of *path* to *codings* (the hook of ``qca code``).

    Args:
        path: The overrides file (a missing file has no decisions).
        codings: The codings from the rule hits.
        segments: The run's segments, or the Arrow IPC parts they were written to.
        themes: Code id -> theme id of the codebook.

    Returns:
        The codings after overrides, and a warning per stale decision (not applied).

    Raises:
        OverrideError: When the file is malformed.
    """
    overrides = read_overrides(path)
    if not overrides.decisions:
        return codings, []
    wanted = {d.doc_id for d in overrides.decisions}
    texts = _segment_texts(segments, wanted)
    resolutions = resolve_overrides(overrides, texts, themes.keys())
    problems: list[Problem] = []
    absent = 0
    for resolution in resolutions:
        if resolution.document_missing and resolution.status == "gone":
            absent += 1
            continue
        if resolution.stale:
            problem = describe(resolution, overrides)
            if problem is not None:
                problems.append(replace(problem, severity="warning"))
    if absent:
        problems.append(
            Problem(
                path.as_posix(),
                f"{absent} decision(s) name documents that are not in this run; they were "
                "not applied (qca override check lists them)",
                severity="warning",
            )
        )
    return _apply(codings, resolutions, themes), problems


# --- listing and statistics -------------------------------------------------------


def overrides_table(overrides: Overrides, *, code: str | None = None) -> pd.DataFrame:
    """Return the decisions as a ``OVERRIDE_COLUMNS`` table, in file order.

    Args:
        code: Only the decisions on this code.
    """
    import pandas as pd

    rows = [d.as_row() for d in overrides.decisions if code is None or d.code == code]
    return pd.DataFrame(rows, columns=list(OVERRIDE_COLUMNS))


def override_stats(
    hits: pd.DataFrame,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    overrides: Overrides,
) -> pd.DataFrame:
    """Return per code how many auto-coded segments were reviewed, accepted, rejected, added.

    ``precision`` is accepted / reviewed: the codebook's measured precision on the
    reviewed hits (empty when none were reviewed).

    Args:
        hits: The run's hits (negated hits count as hits, as in the codings).
        segments: The run's segments.
        codes: The codebook's codes (``theme``, ``code``) in codebook order.
        overrides: The decisions.
    """
    import pandas as pd

    ids = [str(c[CODE]) for c in codes]
    latest = effective_decisions(resolve_overrides(overrides, segments, ids))
    auto = set(zip(hits[SEGMENT_ID].astype(str), hits[CODE].astype(str), strict=True))
    rows = []
    for item in codes:
        code = str(item[CODE])
        coded = {s for s, c in auto if c == code}
        accepted = rejected = added = 0
        for (segment, decided_code), resolution in latest.items():
            if decided_code != code:
                continue
            action = resolution.decision.action
            if segment in coded:
                if action == "remove":
                    rejected += 1
                else:
                    accepted += 1
            elif action != "remove":
                added += 1
        reviewed = accepted + rejected
        precision = round(accepted / reviewed, 3) if reviewed else float("nan")
        rows.append(
            [str(item[THEME]), code, len(coded), reviewed, accepted, rejected, added, precision]
        )
    frame = pd.DataFrame(rows, columns=list(OVERRIDE_STATS_COLUMNS))
    return frame.astype(
        {SEGMENTS: "int64", REVIEWED: "int64", ACCEPTED: "int64", REJECTED: "int64", ADDED: "int64"}
    ).astype({PRECISION: "float64"})
