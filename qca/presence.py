"""The 0/1 presence matrix of themes and codes per document or speaker (``--presence``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem, suggest
from qca.models import DOC_ID, SPEAKER
from qca.theme_groups import code_themes, theme_order

if TYPE_CHECKING:
    import pandas as pd

    from qca.tally import IntArray

#: What ``presence_matrix(case=...)`` accepts.
CASES: tuple[str, ...] = ("document", "speaker")


def _pair(*parts: IntArray, texts: Sequence[Any]) -> IntArray:
    """One integer per (document, [speaker]) text-code tuple."""
    if len(parts) == 1:
        return parts[0]
    return parts[0] * (len(texts[1]) + 1) + parts[1]


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
    import numpy as np
    import pandas as pd

    from qca.tally import distinct, encode

    if case not in CASES:
        raise OutputError(
            problems=[
                Problem(
                    "", f"unknown case {case!r}; use one of: {suggest(case, CASES)}", where="case"
                )
            ]
        )
    code_theme = code_themes(codes)
    coded = encode(
        hits,
        codings,
        segments,
        list(code_theme),
        exclude_negated=exclude_negated,
        include_interviewer=include_interviewer,
    )
    keys = [DOC_ID] if case == "document" else [DOC_ID, SPEAKER]
    # Per codable segment and case key: the key as text (missing: ""), equal texts one code.
    texts, parts = [], []
    for key in keys:
        values, uniques = pd.factorize(segments[key].iloc[coded.base], use_na_sentinel=False)
        shown = pd.Series(["" if pd.isna(u) else str(u) for u in uniques], dtype=object)
        text_codes, text = pd.factorize(shown)
        texts.append(np.asarray(text, dtype=object))
        parts.append(np.asarray(text_codes, dtype=np.int64)[values])
    found = distinct(*parts)
    cases = pd.DataFrame({key: texts[i][found[i]] for i, key in enumerate(keys)}).astype(str)
    order = cases.sort_values(keys).index.to_numpy()
    cases = cases.iloc[order].reset_index(drop=True)
    case_of_pair = pd.Index(_pair(*(f[order] for f in found), texts=texts))
    segment_pair = _pair(*parts, texts=texts)
    unit_case = np.asarray(case_of_pair.get_indexer(pd.Index(segment_pair[coded.unit_segment])))
    theme_ids = theme_order(codes, themes)
    theme_index = {t: i for i, t in enumerate(theme_ids)}
    theme_of_code = np.array([theme_index[code_theme[c]] for c in coded.code_ids], dtype=np.int64)
    n_keys = len(theme_ids) + len(coded.code_ids)
    matrix = np.zeros((len(cases), max(n_keys, 1)), dtype=np.int64)
    matrix[unit_case, theme_of_code[coded.unit_code]] = 1
    matrix[unit_case, len(theme_ids) + coded.unit_code] = 1
    names = [*theme_ids, *(f"code:{c}" if c in theme_ids else c for c in coded.code_ids)]
    columns = {name: matrix[:, i] for i, name in enumerate(names)}
    return pd.concat([cases, pd.DataFrame(columns, index=cases.index)], axis=1)
