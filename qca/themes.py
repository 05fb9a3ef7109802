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
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem, suggest
from qca.models import (
    CODE,
    DOC_ID,
    DOCUMENTS,
    IS_INTERVIEWER,
    MATCH,
    MEASURES,
    MENTIONS,
    MISSING_GROUP,
    NEGATED,
    PCT_SEGMENTS,
    PER_1000_WORDS,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SEGMENTS,
    SOURCE,
    SPEAKER,
    SPEAKERS,
    THEME,
    TOTAL_GROUP,
    WORDS,
)
from qca.outputs import Columns

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

_COUNTS = (MENTIONS, SEGMENTS, DOCUMENTS, SPEAKERS)


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


def group_attributes(segments: pd.DataFrame | Iterable[str]) -> list[str]:
    """Return the columns ``by`` accepts: doc_id, speaker, then the attribute columns.

    *segments* is the segments frame or its column names.
    """
    return [DOC_ID, SPEAKER, *(str(c) for c in segments if c not in SEGMENT_COLUMNS)]


def check_attribute(segments: pd.DataFrame | Iterable[str], by: str) -> str:
    """Return *by* when it is a column ``by`` accepts (*segments*: the frame or its columns).

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


def _label(value: Any) -> str:
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return MISSING_GROUP
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text else MISSING_GROUP


def group_labels(values: pd.Series) -> pd.Series:
    """Attribute values as strings; a missing value becomes ``(missing)``."""
    import pandas as pd

    codes, uniques = pd.factorize(values, use_na_sentinel=False)
    labels = pd.Series([_label(u) for u in uniques], dtype=object).to_numpy()
    picked = labels[codes]
    return pd.Series(picked, index=values.index, dtype=object)


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


def theme_order(codes: Sequence[Mapping[str, Any]], themes: Sequence[str] = ()) -> list[str]:
    """Theme ids: *themes* first, then the themes of *codes*, each once, in that order."""
    return list(dict.fromkeys([*themes, *(str(c[THEME]) for c in codes)]))


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


@dataclass(frozen=True)
class ThemeCounts:
    """The counts behind a theme table, before it is laid out (and before rates).

    Attributes:
        theme_ids: Theme ids, in table order.
        code_ids: Code ids, codebook order.
        groups: Group labels (``by``), in the order of the count columns; empty without ``by``.
        base_n: Codable segments per group.
        base_words: Words of codable segments per group (missing counts 0).
        total_n: Codable segments.
        total_words: Their words.
        found: Per level (``theme``, ``code``): counts per group (``None`` without ``by``),
            then in total, each a mapping measure -> ``(keys, groups)`` array.
    """

    theme_ids: list[str]
    code_ids: tuple[str, ...]
    groups: list[str]
    base_n: np.ndarray
    base_words: np.ndarray
    total_n: int
    total_words: float
    found: Mapping[str, tuple[Mapping[str, np.ndarray] | None, Mapping[str, np.ndarray]]]

    def ordered(self) -> ThemeCounts:
        """Return these counts with the groups in :func:`group_order`."""
        import numpy as np

        position = {label: i for i, label in enumerate(self.groups)}
        order = [position[label] for label in group_order(self.groups)]
        if order == list(range(len(order))):
            return self
        pick = np.array(order, dtype=np.int64)
        found = {
            level: (
                None if by_group is None else {m: a[:, pick] for m, a in by_group.items()},
                total,
            )
            for level, (by_group, total) in self.found.items()
        }
        groups = [self.groups[i] for i in order]
        return replace(
            self,
            groups=groups,
            base_n=self.base_n[pick],
            base_words=self.base_words[pick],
            found=found,
        )


def theme_counts(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    *,
    by: str | None = None,
    measures: Sequence[str] = MEASURES,
    exclude_negated: bool = False,
    include_interviewer: bool = False,
    themes: Sequence[str] = (),
) -> ThemeCounts:
    """Count what :func:`theme_table` shows (its arguments); groups in order of appearance.

    The counts of documents and speakers of two calls on frames that share no document
    add up, as the other counts do: :mod:`qca.themes_stream` relies on that.
    """
    import numpy as np
    import pandas as pd

    from qca.tally import counts, encode, segment_keys

    chosen = list(measures)
    code_theme = code_themes(codes)
    coded = encode(
        hits,
        codings,
        segments,
        list(code_theme),
        exclude_negated=exclude_negated,
        include_interviewer=include_interviewer,
    )
    base = coded.base
    theme_ids = theme_order(codes, themes)
    theme_of_code = np.array(
        [theme_ids.index(code_theme[c]) for c in coded.code_ids], dtype=np.int64
    )
    code_of_code = np.arange(len(coded.code_ids), dtype=np.int64)
    # an output folder of no segments stores WORDS as text (#18): read it as numbers
    words = pd.to_numeric(segments[WORDS].iloc[base], errors="coerce").reset_index(drop=True)
    if by is not None:
        by_values, uniques = pd.factorize(segments[by].iloc[base], use_na_sentinel=False)
        labels = [_label(u) for u in uniques]
        groups = list(dict.fromkeys(labels))
        position = {label: i for i, label in enumerate(groups)}
        group = np.array([position[label] for label in labels], dtype=np.int64)[by_values]
        n_groups = len(groups)
        base_n = np.bincount(group, minlength=n_groups)
        summed = words.groupby(group).sum()
        base_words = np.array([float(summed.get(g, 0) or 0) for g in range(n_groups)])
    else:
        groups, group, n_groups = [], np.zeros(len(base), dtype=np.int64), 1
        base_n, base_words = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    totals_n, totals_words = len(base), float(words.fillna(0).sum())
    wanted = {DOCUMENTS, SPEAKERS}.intersection(chosen)
    keys = segment_keys(segments, base) if wanted else None
    no_group = np.zeros(len(base), dtype=np.int64)
    found = {
        THEME: (
            counts(coded, theme_of_code, len(theme_ids), group, n_groups, keys) if by else None,
            counts(coded, theme_of_code, len(theme_ids), no_group, 1, keys),
        ),
        CODE: (
            counts(coded, code_of_code, len(code_of_code), group, n_groups, keys) if by else None,
            counts(coded, code_of_code, len(code_of_code), no_group, 1, keys),
        ),
    }

    return ThemeCounts(
        theme_ids,
        coded.code_ids,
        groups,
        base_n,
        base_words,
        totals_n,
        totals_words,
        found,
    )


def counts_frame(
    counted: ThemeCounts,
    codes: Sequence[Mapping[str, Any]],
    *,
    by: str | None,
    measures: Sequence[str],
    min_count: int = 0,
) -> pd.DataFrame:
    """Lay out *counted* as :func:`theme_table` returns it (rates added, rounded)."""
    import numpy as np
    import pandas as pd

    from qca.tally import round2

    chosen = list(measures)
    code_theme = code_themes(codes)
    theme_ids, found, groups = counted.theme_ids, counted.found, counted.groups
    n_groups = len(groups)
    base_n, base_words = counted.base_n, list(counted.base_words)
    totals_n, totals_words = counted.total_n, counted.total_words
    # One entry per table block: (level, key index, theme id, code id), codebook order.
    where = {code: i for i, code in enumerate(counted.code_ids)}
    entries: list[tuple[str, int, str, str]] = []
    for t, theme_id in enumerate(theme_ids):
        entries.append((THEME, t, theme_id, ""))
        for code in codes:
            if str(code[THEME]) == theme_id:
                key = str(code[CODE])
                entries.append((CODE, where[key], code_theme[key], key))
    entries = [e for e in entries if found[e[0]][1][MENTIONS][e[1], 0] >= min_count]

    def block(level: str, index: int) -> dict[str, Any]:
        by_group, total = found[level]
        columns = {m: total[m][index, 0] for m in _COUNTS}
        if by_group is None:
            return {m: np.array([v]) for m, v in columns.items()}
        return {m: np.append(by_group[m][index], columns[m]) for m in _COUNTS}

    size = n_groups + 1 if by is not None else 1
    n = np.append(base_n, totals_n).astype(np.float64) if by is not None else np.array([totals_n])
    n_words = np.array([*base_words, totals_words], dtype=np.float64)
    if by is None:
        n_words = np.array([totals_words], dtype=np.float64)
    blocks = [block(level, index) for level, index, _, _ in entries]
    values: dict[str, Any] = {
        m: np.concatenate([b[m] for b in blocks]) if blocks else np.zeros(0, dtype=np.int64)
        for m in _COUNTS
    }
    every_n, every_words = np.tile(n, len(entries)), np.tile(n_words, len(entries))
    zeros = np.zeros(len(every_n), dtype=np.float64)
    segs, mentions = values[SEGMENTS].astype(np.float64), values[MENTIONS].astype(np.float64)
    pct = np.divide(100.0 * segs, every_n, out=zeros.copy(), where=every_n != 0)
    per = np.divide(1000.0 * mentions, every_words, out=zeros.copy(), where=every_words != 0)
    values[PCT_SEGMENTS], values[PER_1000_WORDS] = round2(pct), round2(per)

    table: dict[str, Any] = {
        THEME: [e[2] for e in entries for _ in range(size)],
        CODE: [e[3] for e in entries for _ in range(size)],
    }
    if by is not None:
        table[by] = [*groups, TOTAL_GROUP] * len(entries)
    for measure in chosen:
        table[measure] = values[measure]
    frame = pd.DataFrame(table, columns=[THEME, CODE, *([by] if by is not None else []), *chosen])
    for measure in chosen:
        frame[measure] = frame[measure].astype(
            "float64" if measure in (PCT_SEGMENTS, PER_1000_WORDS) else "int64"
        )
    return frame
