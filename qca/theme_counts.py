"""The counts behind a theme table (:class:`ThemeCounts`) and their layout as a frame.

:func:`qca.themes.theme_table` is :func:`theme_counts` then :func:`counts_frame`;
:mod:`qca.themes_stream` and the report sum :class:`ThemeCounts` of windows of an
output folder before laying them out once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from qca.models import (
    CODE,
    DOCUMENTS,
    MEASURES,
    MENTIONS,
    PCT_SEGMENTS,
    PER_1000_WORDS,
    SEGMENTS,
    SPEAKERS,
    THEME,
    TOTAL_GROUP,
    WORDS,
)
from qca.theme_groups import code_themes, group_label, group_order, theme_order

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

_COUNTS = (MENTIONS, SEGMENTS, DOCUMENTS, SPEAKERS)


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
        labels = [group_label(u) for u in uniques]
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
