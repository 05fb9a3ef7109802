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
from qca.themes import codable_segments, code_themes, coded_units, used_hits

if TYPE_CHECKING:
    import pandas as pd


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
    import pandas as pd

    code_theme = code_themes(codes)
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
    table = table.sort_values(
        [DISTINCT_MATCHES, WORDS, SEGMENT_ID], ascending=[False, True, True], kind="stable"
    )
    order = {code: i for i, code in enumerate(code_theme)}
    table = table[table.groupby(CODE).cumcount() < n].copy()
    table[RANK] = table.groupby(CODE).cumcount().astype("int64") + 1
    table["_order"] = table[CODE].map(order)
    table = table.sort_values(["_order", RANK], kind="stable")
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
    return table[out].reset_index(drop=True)
