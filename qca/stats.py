"""Group statistics for ``qca themes --by ATTR --stats`` (#20, item 2).

Definitions (documented in ``docs/themes.md``, "Group statistics"):

- A **unit** is a codable segment (the base of :func:`qca.themes.theme_table`). Per theme or
  code and group: ``n`` codable segments, of which ``segments`` are coded; ``proportion`` =
  segments / n with its 95% **Wilson** score interval (``ci_low``, ``ci_high``;
  statsmodels' ``proportion_confint(method="wilson")``). The ``(total)`` row has them too.
- Per theme or code, on its ``(total)`` row: a test of independence of group and
  coded/not coded on the groups x 2 table of counts. ``statistic`` is Pearson's X² (no
  continuity correction) with ``dof`` degrees of freedom, and ``cramers_v`` Cramér's V
  (``scipy.stats.contingency.association``). ``test`` is ``chi-square`` (scipy's
  ``chi2_contingency``) when every expected count is 5 or more; otherwise Fisher's exact test
  (``fisher-exact`` for two groups, scipy's ``fisher_exact``; ``fisher-monte-carlo`` for more,
  the same with a Monte Carlo p-value of 9,999 tables drawn with a fixed seed, so the
  output is reproducible). Segments without a value of the attribute (``(missing)``) get
  their row but are left out of the test. No test (empty) with fewer than two groups, or
  when no unit or every unit is coded.
- ``p_holm``: the p-values adjusted by Holm's step-down method (statsmodels'
  ``multipletests(method="holm")``), over all codes tested; themes form a family of their own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qca.models import (
    CI_HIGH,
    CI_LOW,
    CODE,
    CRAMERS_V,
    DOF,
    MISSING_GROUP,
    N_BASE,
    P_HOLM,
    P_VALUE,
    PROPORTION,
    SEGMENTS,
    STATISTIC,
    STATS_COLUMNS,
    TEST,
    THEME,
    TOTAL_GROUP,
)

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

#: Fisher's exact test replaces chi-square when an expected count is below this (Cochran).
MIN_EXPECTED = 5.0
#: Monte Carlo tables for Fisher's test on more than two groups, and their seed.
MONTE_CARLO_TABLES = 9999
MONTE_CARLO_SEED = 20
CHI_SQUARE = "chi-square"
FISHER_EXACT = "fisher-exact"
FISHER_MONTE_CARLO = "fisher-monte-carlo"


def wilson_interval(
    count: np.ndarray, n: np.ndarray, *, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Return the Wilson score interval of count/n (statsmodels); NaN where n is 0.

    Examples:
        >>> low, high = wilson_interval(np.array([81]), np.array([263]))  # doctest: +SKIP
        >>> round(float(low[0]), 4), round(float(high[0]), 4)  # doctest: +SKIP
        (0.2553, 0.3662)
    """
    import numpy as np
    from statsmodels.stats.proportion import proportion_confint

    count = np.asarray(count, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    low = np.full(len(n), np.nan)
    high = np.full(len(n), np.nan)
    some = n > 0
    if some.any():
        found = proportion_confint(count[some], n[some], alpha=alpha, method="wilson")
        low[some], high[some] = np.asarray(found[0]), np.asarray(found[1])
    return low, high


def independence_test(table: np.ndarray) -> dict[str, Any]:
    """Test a groups x (coded, not coded) table of counts for independence.

    Returns:
        ``test, statistic, dof, p_value, cramers_v`` (see the module docstring); ``test`` is
        ``""`` and the numbers NaN when no test applies.
    """
    import numpy as np
    from scipy import stats
    from scipy.stats.contingency import association

    table = np.asarray(table, dtype=np.int64)
    table = table[table.sum(axis=1) > 0]
    none: dict[str, Any] = {TEST: "", STATISTIC: np.nan, DOF: np.nan, P_VALUE: np.nan}
    none[CRAMERS_V] = np.nan
    if table.shape[0] < 2 or (table.sum(axis=0) == 0).any():
        return none
    chi2 = stats.chi2_contingency(table, correction=False)
    found: dict[str, Any] = {
        STATISTIC: float(chi2.statistic),
        DOF: float(chi2.dof),
        CRAMERS_V: float(association(table, method="cramer", correction=False)),
    }
    if (chi2.expected_freq >= MIN_EXPECTED).all():
        found[TEST], found[P_VALUE] = CHI_SQUARE, float(chi2.pvalue)
    elif table.shape[0] == 2:
        found[TEST] = FISHER_EXACT
        found[P_VALUE] = float(stats.fisher_exact(table).pvalue)
    else:
        found[TEST] = FISHER_MONTE_CARLO
        method = stats.MonteCarloMethod(
            n_resamples=MONTE_CARLO_TABLES, rng=np.random.default_rng(MONTE_CARLO_SEED)
        )
        found[P_VALUE] = float(stats.fisher_exact(table, method=method).pvalue)
    return found


def holm(p_values: Sequence[float] | np.ndarray) -> np.ndarray:
    """Return Holm-adjusted p-values (statsmodels); NaN stays NaN and is not counted."""
    import numpy as np
    from statsmodels.stats.multitest import multipletests

    values = np.asarray(p_values, dtype=np.float64)
    out = np.full(len(values), np.nan)
    known = ~np.isnan(values)
    if known.any():
        out[known] = multipletests(values[known], method="holm")[1]
    return out


def group_stats(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    *,
    by: str,
    exclude_negated: bool = False,
    include_interviewer: bool = False,
    themes: Sequence[str] = (),
) -> pd.DataFrame:
    """Return ``theme, code, by, segments, n, proportion, ci_low, ci_high, test, statistic,
    dof, p_value, p_holm, cramers_v`` for every theme and code and group (then ``(total)``),
    in the row order of :func:`qca.themes.theme_table` (``min_count=0``).

    Raises:
        OutputError: For an unknown attribute.

    Examples:
        >>> group_stats(out.hits, out.codings, out.segments, out.codes, by="role")  # doctest: +SKIP
    """
    import numpy as np

    from qca.cooccur import segment_groups
    from qca.tally import counts, encode
    from qca.theme_groups import check_attribute, code_themes, theme_order

    check_attribute(segments, by)
    code_theme = code_themes(codes)
    coded = encode(
        hits,
        codings,
        segments,
        list(code_theme),
        exclude_negated=exclude_negated,
        include_interviewer=include_interviewer,
    )
    group, labels = segment_groups(segments, coded.base, by)
    n_groups = len(labels)
    base_n = np.bincount(group, minlength=n_groups).astype(np.int64)
    theme_ids = theme_order(codes, themes)
    theme_of_code = np.array(
        [theme_ids.index(code_theme[c]) for c in coded.code_ids], dtype=np.int64
    )
    by_theme = counts(coded, theme_of_code, len(theme_ids), group, n_groups, None)[SEGMENTS]
    code_keys = np.arange(len(coded.code_ids), dtype=np.int64)
    by_code = counts(coded, code_keys, len(code_keys), group, n_groups, None)[SEGMENTS]
    return group_tests(codes, theme_ids, coded.code_ids, labels, base_n, by_theme, by_code, by=by)


def group_tests(
    codes: Sequence[Mapping[str, Any]],
    theme_ids: Sequence[str],
    code_ids: Sequence[str],
    labels: Sequence[str],
    base_n: np.ndarray,
    by_theme: np.ndarray,
    by_code: np.ndarray,
    *,
    by: str,
) -> pd.DataFrame:
    """Return :func:`group_stats` from counts: codable segments per group (*base_n*) and
    coded segments per theme x group (*by_theme*) and code x group (*by_code*, in the order
    of *code_ids*), groups in the order of *labels* (:func:`qca.theme_groups.group_order`).

    ``qca report`` sums these counts window by window (#23) and tests once.
    """
    import numpy as np
    import pandas as pd

    n_groups = len(labels)
    # Segments without a value are shown, but not a group to compare (as SPSS leaves them out).
    tested_groups = np.array([label != MISSING_GROUP for label in labels], dtype=bool)
    where = {code: i for i, code in enumerate(code_ids)}
    entries: list[tuple[str, str, np.ndarray]] = []
    for t, theme_id in enumerate(theme_ids):
        entries.append((theme_id, "", by_theme[t]))
        for code in codes:
            if str(code[THEME]) == theme_id:
                entries.append((theme_id, str(code[CODE]), by_code[where[str(code[CODE])]]))
    rows: list[dict[str, Any]] = []
    for theme_id, code_id, coded_n in entries:
        table = np.column_stack([coded_n, base_n - coded_n])
        tested = independence_test(table[tested_groups])
        for g, label in enumerate([*labels, TOTAL_GROUP]):
            total = g == n_groups
            k = int(coded_n.sum()) if total else int(coded_n[g])
            n = int(base_n.sum()) if total else int(base_n[g])
            row: dict[str, Any] = {THEME: theme_id, CODE: code_id, by: label, SEGMENTS: k}
            row[N_BASE] = n
            if total:
                row.update(tested)
            rows.append(row)
    frame = pd.DataFrame(rows)
    low, high = wilson_interval(frame[SEGMENTS].to_numpy(), frame[N_BASE].to_numpy())
    with np.errstate(divide="ignore", invalid="ignore"):
        frame[PROPORTION] = np.where(frame[N_BASE] > 0, frame[SEGMENTS] / frame[N_BASE], np.nan)
    frame[CI_LOW], frame[CI_HIGH] = low, high
    for column in (STATISTIC, DOF, P_VALUE, CRAMERS_V):
        frame[column] = frame[column].astype(np.float64) if column in frame else np.nan
    frame[TEST] = frame[TEST].fillna("").astype(object) if TEST in frame else ""
    frame[P_HOLM] = np.nan
    for level in (frame[CODE] != "", frame[CODE] == ""):
        family = level.to_numpy() & (frame[by] == TOTAL_GROUP).to_numpy()
        frame.loc[family, P_HOLM] = holm(frame.loc[family, P_VALUE].to_numpy())
    return frame[[THEME, CODE, by, SEGMENTS, *STATS_COLUMNS]].reset_index(drop=True)


def add_group_stats(table: pd.DataFrame, stats: pd.DataFrame, *, by: str) -> pd.DataFrame:
    """Return a ``theme_table(by=...)`` *table* with the :func:`group_stats` columns after it."""
    keys = [THEME, CODE, by]
    extra = stats[[*keys, *STATS_COLUMNS]]
    return table.merge(extra, on=keys, how="left", validate="one_to_one")
