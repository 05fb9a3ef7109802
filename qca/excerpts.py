"""Retrieve coded segments: ``show`` (segments with matches) and ``kwic``.

Everything here returns data; ``qca/render.py`` and the CLI turn it into text.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem, suggest
from qca.models import (
    CODE,
    CODES,
    DOC_ID,
    END,
    LEFT,
    MATCH,
    MATCHES,
    RIGHT,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SPEAKER,
    START,
    TEXT,
    THEME,
)
from qca.theme_groups import check_attribute, code_themes
from qca.themes import codable_segments, coded_units, used_hits

if TYPE_CHECKING:
    import pandas as pd


#: A character span inside a segment's text.
Span = tuple[int, int]


def resolve_target(name: str, codes: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the code ids *name* stands for: one code, or every code of a theme.

    Raises:
        OutputError: Naming the codes and themes that exist, the closest first.
    """
    code_ids = [str(c[CODE]) for c in codes]
    if name in code_ids:
        return [name]
    of_theme = [str(c[CODE]) for c in codes if str(c[THEME]) == name]
    if of_theme:
        return of_theme
    themes = list(dict.fromkeys(str(c[THEME]) for c in codes))
    raise OutputError(
        problems=[
            Problem(
                "",
                f"unknown code or theme {name!r}; use one of: {suggest(name, [*code_ids, *themes])}",
            )
        ]
    )


def locate(text: str, segment_start: int, start: int, end: int, match: str) -> Span | None:
    """Return where a hit lies in its segment's text.

    Hit offsets are document offsets; a hit whose offsets do not fit (an older writer,
    or segment-relative offsets) is found by its matched words instead.
    """
    wanted = match.casefold()
    candidates = [(start - segment_start, end - segment_start), (start, end)]
    for s, e in candidates:
        if 0 <= s <= e <= len(text) and text[s:e].casefold() == wanted:
            return (s, e)
    found = text.casefold().find(wanted) if wanted else -1
    if found >= 0:
        return (found, found + len(match))
    return None


def _spans(hits: pd.DataFrame, segments: pd.DataFrame) -> dict[str, list[Span]]:
    starts = dict(zip(segments[SEGMENT_ID], segments[START], strict=True))
    texts = dict(zip(segments[SEGMENT_ID], segments[TEXT], strict=True))
    spans: dict[str, list[Span]] = {}
    for segment_id, start, end, match in zip(
        hits[SEGMENT_ID], hits[START], hits[END], hits[MATCH], strict=True
    ):
        if segment_id not in texts:
            continue
        span = locate(
            str(texts[segment_id]), int(starts[segment_id]), int(start), int(end), str(match)
        )
        if span is not None:
            spans.setdefault(str(segment_id), []).append(span)
    return {k: sorted(set(v)) for k, v in spans.items()}


@dataclass(frozen=True)
class Excerpts:
    """Coded segments of a code or theme, for ``qca show``.

    Attributes:
        table: ``doc_id, segment_id, speaker, [by], codes, matches, text``; context
            segments (``context``) have empty ``codes``.
        spans: Per segment id, the spans of its matched words in ``text``.
        by: The grouping column, if any.
    """

    table: pd.DataFrame
    spans: Mapping[str, list[Span]] = field(default_factory=dict)
    by: str | None = None


def _selection(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    target: str,
    exclude_negated: bool,
    include_interviewer: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (codable segments, coded units of *target*, hits of those units)."""
    import pandas as pd

    wanted = resolve_target(target, codes)
    code_theme = {k: v for k, v in code_themes(codes).items() if k in wanted}
    base = codable_segments(segments, include_interviewer=include_interviewer)
    base_ids = pd.Index(base[SEGMENT_ID])
    used = used_hits(hits, base_ids, code_theme, exclude_negated)
    units = coded_units(used, codings, base_ids, code_theme, exclude_negated)
    pairs = pd.MultiIndex.from_frame(units[[SEGMENT_ID, CODE]])
    used = used[pd.MultiIndex.from_frame(used[[SEGMENT_ID, CODE]]).isin(pairs)]
    return base, units, used


def show_segments(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    target: str,
    *,
    by: str | None = None,
    limit: int | None = None,
    context: int = 0,
    exclude_negated: bool = False,
    include_interviewer: bool = False,
) -> Excerpts:
    """Return the segments coded with a code (or any code of a theme).

    Args:
        target: A code id or a theme id.
        by: Group (and sort) the segments by this column of *segments*.
        limit: At most this many coded segments (per group with *by*).
        context: Also return this many segments before and after each coded
            segment, from the same document (interviewer turns included).

    Raises:
        OutputError: For an unknown code, theme or attribute.

    Examples:
        >>> show_segments(out.hits, out.codings, out.segments, out.codes, "will")  # doctest: +SKIP
    """
    if by is not None:
        check_attribute(segments, by)
    base, units, used = _selection(
        hits, codings, segments, codes, target, exclude_negated, include_interviewer
    )
    coded_codes = units.sort_values(CODE).groupby(SEGMENT_ID)[CODE].agg(lambda s: ", ".join(s))
    matches = (
        used.assign(_m=used[MATCH].astype(str).str.lower())
        .drop_duplicates([SEGMENT_ID, "_m"])
        .sort_values("_m")
        .groupby(SEGMENT_ID)["_m"]
        .agg(lambda s: "; ".join(s))
    )
    order = segments.reset_index(drop=True)
    order = order.assign(_pos=range(len(order)))
    coded = order[order[SEGMENT_ID].isin(coded_codes.index)].copy()
    group_key = [by] if by is not None else []
    if by is not None:
        from qca.theme_groups import group_labels, group_order

        coded[by] = group_labels(coded[by])
        rank = {g: i for i, g in enumerate(group_order(coded[by]))}
        coded["_group"] = coded[by].map(rank)
    coded = coded.sort_values([*(["_group"] if by else []), DOC_ID, START, "_pos"])
    if limit is not None:
        coded = coded.groupby(group_key).head(limit) if by else coded.head(limit)
    rows = []
    for row in coded.to_dict("records"):
        if context:
            same = order[order[DOC_ID] == row[DOC_ID]].sort_values([START, "_pos"])
            ids = list(same[SEGMENT_ID])
            at = ids.index(row[SEGMENT_ID])
            window = same.iloc[max(0, at - context) : at + context + 1].to_dict("records")
        else:
            window = [row]
        for item in window:
            is_coded = item[SEGMENT_ID] == row[SEGMENT_ID]
            rows.append(
                {
                    DOC_ID: item[DOC_ID],
                    SEGMENT_ID: item[SEGMENT_ID],
                    SPEAKER: item[SPEAKER],
                    **({by: row[by]} if by is not None else {}),
                    CODES: coded_codes.get(item[SEGMENT_ID], "") if is_coded else "",
                    MATCHES: matches.get(item[SEGMENT_ID], "") if is_coded else "",
                    TEXT: item[TEXT],
                }
            )
    import pandas as pd

    columns = [DOC_ID, SEGMENT_ID, SPEAKER, *group_key, CODES, MATCHES, TEXT]
    table = pd.DataFrame(rows, columns=columns)
    shown = set(coded[SEGMENT_ID])
    spans = {k: v for k, v in _spans(used, base).items() if k in shown}
    return Excerpts(table, spans, by)


def kwic(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    target: str,
    *,
    window: int = 5,
    limit: int | None = None,
    exclude_negated: bool = False,
    include_interviewer: bool = False,
) -> pd.DataFrame:
    """Return keywords in context: one row per hit, *window* words either side.

    Returns:
        ``doc_id, segment_id, speaker, code, left, match, right`` in document order.

    Examples:
        >>> kwic(out.hits, out.codings, out.segments, out.codes, "motivation")  # doctest: +SKIP
    """
    import pandas as pd

    base, _units, used = _selection(
        hits, codings, segments, codes, target, exclude_negated, include_interviewer
    )
    info = base.set_index(SEGMENT_ID)
    rows = []
    ordered = used.merge(base[[SEGMENT_ID]].assign(_pos=range(len(base))), on=SEGMENT_ID)
    for hit in ordered.sort_values(["_pos", START, CODE], kind="stable").to_dict("records"):
        segment = info.loc[hit[SEGMENT_ID]]
        text = str(segment[TEXT])
        span = locate(text, int(segment[START]), int(hit[START]), int(hit[END]), str(hit[MATCH]))
        if span is None:
            continue
        left = " ".join(text[: span[0]].split()[-window:]) if window else ""
        right = " ".join(text[span[1] :].split()[:window]) if window else ""
        rows.append(
            [
                hit[DOC_ID],
                hit[SEGMENT_ID],
                segment[SPEAKER],
                hit[CODE],
                left,
                text[span[0] : span[1]],
                right,
            ]
        )
    table = pd.DataFrame(rows, columns=[DOC_ID, SEGMENT_ID, SPEAKER, CODE, LEFT, MATCH, RIGHT])
    return table.head(limit) if limit is not None else table


def segment_attributes(segment: Mapping[str, Any]) -> dict[str, Any]:
    """Return the attribute values of a segment row (the columns after SEGMENT_COLUMNS)."""
    return {
        str(k): v
        for k, v in segment.items()
        if k not in SEGMENT_COLUMNS and v is not None and v == v and str(v) != ""
    }


def quoted(text: object) -> str:
    """*text* in single quotes as written (a regex keeps one backslash: not ``repr``, #18)."""
    return f"'{text}'"
