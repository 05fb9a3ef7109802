"""Theme tables, presence matrices and exemplar quotes from coded output.

Definitions (documented in ``docs/themes.md``):

- The **base** is the codable segments: every segment except interviewer segments,
  unless the run coded them too (``include_interviewer``).
- ``mentions`` = hits; ``segments`` = distinct coded segments (for a theme: segments
  with any of its codes); ``documents`` / ``speakers`` = distinct documents /
  (document, speaker) pairs among those segments.
- ``pct_segments`` = 100 * segments / codable segments; ``per_1000_words`` = 1000 *
  mentions / words of codable segments (both within the group for ``by``).
- With codings present, the coded units come from codings (which after overrides may
  differ from hits); mentions always come from hits.

Every function takes the frames first and returns a new DataFrame, so scripts can
chain them with ``.pipe``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem, suggest
from qca.models import (
    CODE,
    DOC_ID,
    IS_INTERVIEWER,
    MATCH,
    MEASURES,
    NEGATED,
    SEGMENT_ID,
    SOURCE,
    SPEAKER,
    THEME,
    WORDS,
)
from qca.outputs import Columns
from qca.theme_counts import counts_frame, theme_counts
from qca.theme_groups import check_attribute

if TYPE_CHECKING:
    import pandas as pd


def theme_columns(*, by: str | None = None, quotes: bool = False) -> Columns:
    """Return the columns that :func:`theme_table` and ``presence_matrix`` read (for
    :func:`qca.outputs.read_output`); with *quotes*, those ``quotes`` reads too.

    Examples:
        >>> theme_columns(by="role").segments
        ('doc_id', 'segment_id', 'speaker', 'is_interviewer', 'words', 'role')
    """
    hits = (SEGMENT_ID, CODE, NEGATED, *((MATCH,) if quotes else ()))
    segments = (DOC_ID, SEGMENT_ID, SPEAKER, IS_INTERVIEWER, WORDS, *((by,) if by else ()))
    return Columns(
        segments=None if quotes else segments,
        hits=hits,
        codings=(SEGMENT_ID, CODE, SOURCE),
        categorical=() if quotes else (CODE, SOURCE),
    )


def check_measures(measures: Iterable[str]) -> list[str]:
    """Return *measures* split on commas, de-duplicated, in the order given.

    Raises:
        OutputError: For a name that is not one of :data:`qca.models.MEASURES`.
    """
    found: list[str] = []
    for item in measures:
        for name in (part.strip() for part in str(item).split(",")):
            if not name:
                continue
            if name not in MEASURES:
                raise OutputError(
                    problems=[
                        Problem(
                            "",
                            f"unknown measure {name!r}; use one of: {suggest(name, MEASURES)}",
                            where="measure",
                        )
                    ]
                )
            if name not in found:
                found.append(name)
    return found or list(MEASURES)


def codable_segments(segments: pd.DataFrame, *, include_interviewer: bool = False) -> pd.DataFrame:
    """Return the base of every measure: the segments a run coded.

    Interviewer segments are dropped unless *include_interviewer* (the run's option).
    """
    if include_interviewer or IS_INTERVIEWER not in segments.columns:
        return segments.copy()
    return segments[~segments[IS_INTERVIEWER].fillna(False).astype(bool)].copy()


def used_hits(
    hits: pd.DataFrame, base_ids: pd.Index, code_theme: Mapping[str, str], exclude_negated: bool
) -> pd.DataFrame:
    from qca.tally import flags, isin

    keep = isin(hits[SEGMENT_ID], base_ids) & hits[CODE].isin(list(code_theme)).to_numpy()
    if exclude_negated:
        keep &= ~flags(hits[NEGATED])
    used = hits[keep].copy()
    used[THEME] = used[CODE].map(code_theme)
    return used


def coded_units(
    used_hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    base_ids: pd.Index,
    code_theme: Mapping[str, str],
    exclude_negated: bool,
) -> pd.DataFrame:
    """Distinct (segment_id, theme, code): from codings when present, else from hits."""
    from qca.tally import factorize, isin, isin_int

    if codings is None:
        units = used_hits[[SEGMENT_ID, CODE]]
    else:
        keep = isin(codings[SEGMENT_ID], base_ids) & codings[CODE].isin(list(code_theme)).to_numpy()
        units = codings.loc[keep, [SEGMENT_ID, CODE, SOURCE]]
        if exclude_negated:
            # An automatic coding stands only on its hits: without a non-negated hit it goes.
            segment = factorize([units[SEGMENT_ID], used_hits[SEGMENT_ID]])
            code = factorize([units[CODE], used_hits[CODE]])
            width = max(int(code[0].max(initial=0)), int(code[1].max(initial=0))) + 2
            pairs = isin_int(segment[0] * width + code[0] + 1, segment[1] * width + code[1] + 1)
            units = units[(units[SOURCE] != "auto").to_numpy() | pairs]
        units = units[[SEGMENT_ID, CODE]]
    units = units.drop_duplicates().copy()
    units[THEME] = units[CODE].map(code_theme)
    return units


def theme_table(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    *,
    by: str | None = None,
    measures: Sequence[str] = MEASURES,
    exclude_negated: bool = False,
    min_count: int = 0,
    include_interviewer: bool = False,
    themes: Sequence[str] = (),
) -> pd.DataFrame:
    """Count every theme and code: one row per theme, its codes nested under it.

    Args:
        hits: ``HIT_COLUMNS`` (mentions come from here).
        codings: ``CODING_COLUMNS``, or ``None`` to take coded segments from hits.
        segments: ``SEGMENT_COLUMNS`` then attributes: every segment of the run.
        codes: The run's codes in codebook order (``theme`` and ``code`` keys).
        by: A column of *segments* (doc_id, speaker, or an attribute) to cross-tab by;
            each theme and code then has one row per group and a ``(total)`` row.
        measures: Which of :data:`qca.models.MEASURES`, in output order.
        exclude_negated: Drop negated hits (and automatic codings resting only on them).
        min_count: Drop codes (and themes) with fewer mentions than this in total.
        include_interviewer: Count interviewer segments (when the run coded them).
        themes: Theme ids in codebook order, so that a theme without codes still shows.

    Returns:
        Columns ``theme, code, [by], *measures``; theme rows have an empty ``code``.
        Codes without hits are kept with zeros. Floats are rounded to 2 decimals.

    Raises:
        OutputError: For an unknown measure or attribute.

    Examples:
        >>> out = read_output("qca-out")  # doctest: +SKIP
        >>> theme_table(out.hits, out.codings, out.segments, out.codes, by="role")  # doctest: +SKIP
    """
    chosen = check_measures(measures)
    if by is not None:
        check_attribute(segments, by)
    found = theme_counts(
        hits,
        codings,
        segments,
        codes,
        by=by,
        measures=chosen,
        exclude_negated=exclude_negated,
        include_interviewer=include_interviewer,
        themes=themes,
    )
    return counts_frame(found.ordered(), codes, by=by, measures=chosen, min_count=min_count)
