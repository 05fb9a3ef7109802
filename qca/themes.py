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
    DISTINCT_MATCHES,
    DOC_ID,
    DOCUMENTS,
    IS_INTERVIEWER,
    MATCH,
    MATCHES,
    MEASURES,
    MENTIONS,
    MISSING_GROUP,
    NEGATED,
    PCT_SEGMENTS,
    PER_1000_WORDS,
    RANK,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SEGMENTS,
    SOURCE,
    SPEAKER,
    SPEAKERS,
    TEXT,
    THEME,
    TOTAL_GROUP,
    WORDS,
)

if TYPE_CHECKING:
    import pandas as pd

#: What ``presence_matrix(case=...)`` accepts.
CASES: tuple[str, ...] = ("document", "speaker")
_COUNTS = (MENTIONS, SEGMENTS, DOCUMENTS, SPEAKERS)


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


def group_attributes(segments: pd.DataFrame) -> list[str]:
    """Return the columns ``by`` accepts: doc_id, speaker, then the attribute columns."""
    return [DOC_ID, SPEAKER, *(str(c) for c in segments.columns if c not in SEGMENT_COLUMNS)]


def check_attribute(segments: pd.DataFrame, by: str) -> str:
    """Return *by* when it is a column ``by`` accepts.

    Raises:
        OutputError: Naming the attributes that exist, the closest first.
    """
    allowed = group_attributes(segments)
    if by not in allowed:
        raise OutputError(
            problems=[
                Problem(
                    "",
                    f"unknown attribute {by!r}; use one of: {suggest(by, allowed)}",
                    where="by",
                )
            ]
        )
    return by


def group_labels(values: pd.Series) -> pd.Series:
    """Attribute values as strings; a missing value becomes ``(missing)``."""
    import pandas as pd

    def label(value: Any) -> str:
        if value is None or value is pd.NA or (isinstance(value, float) and value != value):
            return MISSING_GROUP
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        text = str(value)
        return text if text else MISSING_GROUP

    return values.map(label).astype(object)


def group_order(labels: Iterable[str]) -> list[str]:
    """Sort group labels: numbers numerically, then text; ``(missing)`` last."""

    def key(label: str) -> tuple[int, float, str]:
        if label == MISSING_GROUP:
            return (2, 0.0, label)
        try:
            return (0, float(label), label)
        except ValueError:
            return (1, 0.0, label)

    return sorted(set(labels), key=key)


def codable_segments(segments: pd.DataFrame, *, include_interviewer: bool = False) -> pd.DataFrame:
    """Return the base of every measure: the segments a run coded.

    Interviewer segments are dropped unless *include_interviewer* (the run's option).
    """
    if include_interviewer or IS_INTERVIEWER not in segments.columns:
        return segments.copy()
    return segments[~segments[IS_INTERVIEWER].fillna(False).astype(bool)].copy()


def code_themes(codes: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {str(c[CODE]): str(c[THEME]) for c in codes}


def _theme_order(codes: Sequence[Mapping[str, Any]], themes: Sequence[str] = ()) -> list[str]:
    return list(dict.fromkeys([*themes, *(str(c[THEME]) for c in codes)]))


def used_hits(
    hits: pd.DataFrame, base_ids: pd.Index, code_theme: Mapping[str, str], exclude_negated: bool
) -> pd.DataFrame:
    keep = hits[SEGMENT_ID].isin(base_ids) & hits[CODE].isin(list(code_theme))
    if exclude_negated:
        keep &= ~hits[NEGATED].fillna(False).astype(bool)
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
    import pandas as pd

    if codings is None:
        units = used_hits[[SEGMENT_ID, CODE]]
    else:
        keep = codings[SEGMENT_ID].isin(base_ids) & codings[CODE].isin(list(code_theme))
        units = codings.loc[keep, [SEGMENT_ID, CODE, SOURCE]]
        if exclude_negated:
            # An automatic coding stands only on its hits: without a non-negated hit it goes.
            supported = pd.MultiIndex.from_frame(used_hits[[SEGMENT_ID, CODE]])
            pairs = pd.MultiIndex.from_frame(units[[SEGMENT_ID, CODE]])
            units = units[(units[SOURCE] != "auto").to_numpy() | pairs.isin(supported)]
        units = units[[SEGMENT_ID, CODE]]
    units = units.drop_duplicates().copy()
    units[THEME] = units[CODE].map(code_theme)
    return units


def _speaker_key(frame: pd.DataFrame) -> pd.Series:
    speaker = frame[SPEAKER].astype(object).where(frame[SPEAKER].notna(), "")
    key = frame[DOC_ID].astype(str) + "\x1f" + speaker.astype(str)
    return key.where(speaker.astype(str) != "", None)


def _counts(
    units: pd.DataFrame, used_hits: pd.DataFrame, key: str, group: str | None
) -> dict[tuple[str, str], dict[str, int]]:
    """Mentions, segments, documents, speakers per (key, group); group '' without by."""
    keys = [key] if group is None else [key, group]
    result: dict[tuple[str, str], dict[str, int]] = {}

    def put(series: pd.Series, measure: str) -> None:
        for index, value in series.items():
            pair = (str(index), "") if group is None else (str(index[0]), str(index[1]))  # type: ignore[index]
            result.setdefault(pair, {m: 0 for m in _COUNTS})[measure] = int(value)

    put(used_hits.groupby(keys).size(), MENTIONS)
    segs = units[[*keys, SEGMENT_ID]].drop_duplicates()
    put(segs.groupby(keys).size(), SEGMENTS)
    put(units[[*keys, DOC_ID]].drop_duplicates().groupby(keys).size(), DOCUMENTS)
    speakers = units.assign(_speaker=_speaker_key(units)).dropna(subset=["_speaker"])
    put(speakers[[*keys, "_speaker"]].drop_duplicates().groupby(keys).size(), SPEAKERS)
    return result


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
    import pandas as pd

    chosen = check_measures(measures)
    if by is not None:
        check_attribute(segments, by)
    code_theme = code_themes(codes)
    base = codable_segments(segments, include_interviewer=include_interviewer)
    group_col = "_group"
    base_cols = [SEGMENT_ID, DOC_ID, SPEAKER, WORDS]
    info = base[base_cols].copy()
    info[group_col] = group_labels(base[by]) if by is not None else ""
    base_ids = pd.Index(info[SEGMENT_ID])
    used = used_hits(hits, base_ids, code_theme, exclude_negated)
    used = used[[SEGMENT_ID, THEME, CODE]].merge(info[[SEGMENT_ID, group_col]], on=SEGMENT_ID)
    units = coded_units(used, codings, base_ids, code_theme, exclude_negated)
    units = units.merge(info[[SEGMENT_ID, DOC_ID, SPEAKER, group_col]], on=SEGMENT_ID)

    groups = group_order(info[group_col]) if by is not None else []
    base_n = info.groupby(group_col).size().to_dict() if by is not None else {}
    base_words = info.groupby(group_col)[WORDS].sum().to_dict() if by is not None else {}
    totals_n, totals_words = len(info), float(info[WORDS].fillna(0).sum())

    levels = {
        THEME: (
            _counts(units, used, THEME, group_col if by else None),
            _counts(units, used, THEME, None),
        ),
        CODE: (
            _counts(units, used, CODE, group_col if by else None),
            _counts(units, used, CODE, None),
        ),
    }

    def measure_row(found: Mapping[str, int] | None, n: int, words: float) -> list[Any]:
        counts = dict(found) if found else {m: 0 for m in _COUNTS}
        values: dict[str, Any] = dict(counts)
        values[PCT_SEGMENTS] = round(100.0 * counts[SEGMENTS] / n, 2) if n else 0.0
        values[PER_1000_WORDS] = round(1000.0 * counts[MENTIONS] / words, 2) if words else 0.0
        return [values[m] for m in chosen]

    rows: list[list[Any]] = []

    def add(level: str, key: str) -> None:
        by_group, total = levels[level]
        theme_id = key if level == THEME else code_theme[key]
        code_id = "" if level == THEME else key
        if total.get((key, ""), {}).get(MENTIONS, 0) < min_count:
            return
        if by is None:
            rows.append(
                [theme_id, code_id, *measure_row(total.get((key, "")), totals_n, totals_words)]
            )
            return
        for group in groups:
            found = by_group.get((key, group))
            n, words = int(base_n.get(group, 0)), float(base_words.get(group, 0) or 0)
            rows.append([theme_id, code_id, group, *measure_row(found, n, words)])
        rows.append(
            [
                theme_id,
                code_id,
                TOTAL_GROUP,
                *measure_row(total.get((key, "")), totals_n, totals_words),
            ]
        )

    for theme_id in _theme_order(codes, themes):
        add(THEME, theme_id)
        for code in codes:
            if str(code[THEME]) == theme_id:
                add(CODE, str(code[CODE]))

    columns = [THEME, CODE, *([by] if by is not None else []), *chosen]
    frame = pd.DataFrame(rows, columns=columns)
    for measure in chosen:
        frame[measure] = frame[measure].astype(
            "float64" if measure in (PCT_SEGMENTS, PER_1000_WORDS) else "int64"
        )
    return frame


def presence_matrix(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    *,
    case: str = "document",
    exclude_negated: bool = False,
    include_interviewer: bool = False,
    themes: Sequence[str] = (),
) -> pd.DataFrame:
    """Return the 0/1 matrix of themes and codes per case, for R, SPSS or Excel.

    Args:
        hits: ``HIT_COLUMNS``.
        codings: ``CODING_COLUMNS``, or ``None`` to take coded segments from hits.
        segments: Every segment of the run.
        codes: The run's codes in codebook order.
        case: ``document`` (one row per doc_id) or ``speaker`` (one row per
            doc_id and speaker).
        exclude_negated: Drop negated hits (see :func:`theme_table`).
        include_interviewer: Count interviewer segments (when the run coded them).
        themes: Theme ids in codebook order.

    Returns:
        ``doc_id`` (and ``speaker``), then one int column per theme, then one per code
        (a code whose id equals a theme id gets the column ``code:<id>``). Every codable
        case has a row, sorted.

    Raises:
        OutputError: For an unknown case.

    Examples:
        >>> presence_matrix(out.hits, out.codings, out.segments, out.codes)  # doctest: +SKIP
    """
    import pandas as pd

    if case not in CASES:
        raise OutputError(
            problems=[
                Problem(
                    "", f"unknown case {case!r}; use one of: {suggest(case, CASES)}", where="case"
                )
            ]
        )
    code_theme = code_themes(codes)
    base = codable_segments(segments, include_interviewer=include_interviewer)
    keys = [DOC_ID] if case == "document" else [DOC_ID, SPEAKER]
    info = base[[SEGMENT_ID, *keys]].copy()
    for key in keys:
        info[key] = info[key].astype(object).where(info[key].notna(), "").astype(str)
    base_ids = pd.Index(info[SEGMENT_ID])
    used = used_hits(hits, base_ids, code_theme, exclude_negated)
    units = coded_units(used, codings, base_ids, code_theme, exclude_negated).merge(
        info, on=SEGMENT_ID
    )
    cases = info[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
    theme_ids = _theme_order(codes, themes)
    columns: dict[str, Any] = {}
    index = pd.MultiIndex.from_frame(cases)
    for theme_id in theme_ids:
        present = pd.MultiIndex.from_frame(units.loc[units[THEME] == theme_id, keys])
        columns[theme_id] = index.isin(present).astype("int64")
    for code_id in code_theme:
        present = pd.MultiIndex.from_frame(units.loc[units[CODE] == code_id, keys])
        name = f"code:{code_id}" if code_id in theme_ids else code_id
        columns[name] = index.isin(present).astype("int64")
    return pd.concat([cases, pd.DataFrame(columns, index=cases.index)], axis=1)


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
