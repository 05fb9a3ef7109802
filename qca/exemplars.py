"""Exemplar quotes per code (``qca themes --quotes N``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qca.models import (
    CODE,
    DISTINCT_MATCHES,
    DOC_ID,
    MATCH,
    MATCHES,
    RANK,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SPEAKER,
    TEXT,
    THEME,
    WORDS,
)
from qca.theme_groups import code_themes
from qca.themes import codable_segments, coded_units, used_hits

if TYPE_CHECKING:
    import pandas as pd

    from qca.tally import Coded, IntArray


def _join(values: pd.Series) -> str:
    return "; ".join(str(v) for v in values)


def quotes(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    *,
    n: int = 3,
    exclude_negated: bool = False,
    include_interviewer: bool = False,
) -> pd.DataFrame:
    """Pick exemplar quotes: per code, the *n* coded segments with the most distinct matches.

    Ties go to the shortest segment (fewest words), then to the first segment id.

    Returns:
        ``theme, code, rank, doc_id, segment_id, speaker, <attributes>,
        distinct_matches, matches, words, text``, codes in codebook order. ``matches``
        lists the distinct matched words (lower-cased, sorted, ``; ``-separated).

    Examples:
        >>> quotes(out.hits, out.codings, out.segments, out.codes, n=2)  # doctest: +SKIP
    """
    from qca.tally import encode, isin

    code_theme = code_themes(codes)
    if n <= 0:
        return _pick(hits, codings, segments, code_theme, n, exclude_negated, include_interviewer)
    coded = encode(
        hits,
        codings,
        segments,
        list(code_theme),
        exclude_negated=exclude_negated,
        include_interviewer=include_interviewer,
    )
    # Only segments that may hold a top-n quote go on to the (string-heavy) picking.
    chosen = segments.iloc[coded.base[_candidates(coded, hits, segments, n)]]
    keep = isin(hits[SEGMENT_ID], chosen[SEGMENT_ID])
    kept = None if codings is None else codings[isin(codings[SEGMENT_ID], chosen[SEGMENT_ID])]
    return _pick(hits[keep], kept, chosen, code_theme, n, exclude_negated, include_interviewer)


def _candidates(coded: Coded, hits: pd.DataFrame, segments: pd.DataFrame, n: int) -> IntArray:
    """Codable segments (indices into ``coded.base``) holding a unit that may rank in the top
    *n* of its code: at least as many distinct matches and as few words as its code's n-th.
    """
    import numpy as np
    import pandas as pd

    from qca.tally import distinct, factorize

    units = len(coded.unit_segment)
    if n <= 0 or not units:
        return np.zeros(0, dtype=np.int64)
    width = len(coded.code_ids) + 1
    unit_of_hit = pd.Index(coded.unit_segment * width + coded.unit_code).get_indexer(
        coded.hit_segment * width + coded.hit_code
    )
    lowered = hits[MATCH].iloc[coded.hit_rows].astype(str).str.lower()
    match = factorize([lowered])[0].astype(np.int64) + 1
    found = unit_of_hit >= 0
    unit, _ = distinct(unit_of_hit[found], match[found])
    matches = np.bincount(unit, minlength=units)
    words = segments[WORDS].to_numpy(dtype=np.float64, na_value=np.inf)[coded.base]
    words = words[coded.unit_segment]
    order = np.lexsort((words, -matches, coded.unit_code))
    code = coded.unit_code[order]
    first = np.flatnonzero(np.r_[True, code[1:] != code[:-1]])
    size = np.diff(np.r_[first, len(code)])
    nth = order[first + np.minimum(n, size) - 1]  # the n-th unit of each code
    at = np.full(len(coded.code_ids), -1, dtype=np.int64)
    at[code[first]] = nth
    edge = at[coded.unit_code]
    better = (matches > matches[edge]) | ((matches == matches[edge]) & (words <= words[edge]))
    return np.unique(coded.unit_segment[better])


def _pick(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    code_theme: Mapping[str, str],
    n: int,
    exclude_negated: bool,
    include_interviewer: bool,
) -> pd.DataFrame:
    import pandas as pd

    base = codable_segments(segments, include_interviewer=include_interviewer)
    attributes = [str(c) for c in base.columns if c not in SEGMENT_COLUMNS]
    base_ids = pd.Index(base[SEGMENT_ID])
    used = used_hits(hits, base_ids, code_theme, exclude_negated)
    units = coded_units(used, codings, base_ids, code_theme, exclude_negated)
    lowered = used.assign(_match=used[MATCH].astype(str).str.lower())
    distinct = (
        lowered[[SEGMENT_ID, CODE, "_match"]]
        .drop_duplicates()
        .sort_values("_match")
        .groupby([SEGMENT_ID, CODE])["_match"]
        .agg(["size", _join])
    )
    distinct.columns = [DISTINCT_MATCHES, MATCHES]
    table = units.merge(distinct, left_on=[SEGMENT_ID, CODE], right_index=True, how="left")
    table[DISTINCT_MATCHES] = table[DISTINCT_MATCHES].fillna(0).astype("int64")
    table[MATCHES] = table[MATCHES].fillna("").astype(object)
    columns = [DOC_ID, SEGMENT_ID, SPEAKER, *attributes, WORDS, TEXT]
    table = table.merge(base[columns], on=SEGMENT_ID)
    out = [
        THEME,
        CODE,
        RANK,
        DOC_ID,
        SEGMENT_ID,
        SPEAKER,
        *attributes,
        DISTINCT_MATCHES,
        MATCHES,
        WORDS,
        TEXT,
    ]
    return _top(table, code_theme, n, out)


def _top(
    table: pd.DataFrame, code_theme: Mapping[str, str], n: int, columns: Sequence[str]
) -> pd.DataFrame:
    """The first *n* rows per code by most distinct matches, fewest words, first segment id."""
    table = table.sort_values(
        [DISTINCT_MATCHES, WORDS, SEGMENT_ID], ascending=[False, True, True], kind="stable"
    )
    order = {code: i for i, code in enumerate(code_theme)}
    table = table[table.groupby(CODE).cumcount() < n].copy()
    table[RANK] = table.groupby(CODE).cumcount().astype("int64") + 1
    table["_order"] = table[CODE].map(order)
    table = table.sort_values(["_order", RANK], kind="stable")
    return table[list(columns)].reset_index(drop=True)


def merge_quotes(
    picks: Sequence[pd.DataFrame], codes: Sequence[Mapping[str, Any]], *, n: int = 3
) -> pd.DataFrame:
    """Return the :func:`quotes` of the whole folder from those of its parts (windows of
    whole documents, #23): each part's top *n* holds every quote of the whole top *n*, and the
    order (most distinct matches, fewest words, first segment id) is total.

    Examples:
        >>> merge_quotes([quotes(*first, n=2), quotes(*second, n=2)], codes, n=2)  # doctest: +SKIP
    """
    import pandas as pd

    kept = [p for p in picks if len(p)] or list(picks[:1])
    table = pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0]
    return _top(table, code_themes(codes), n, list(table.columns))
