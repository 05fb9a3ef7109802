"""Code x code co-occurrence: which codes are applied to the same unit (``qca cooccur``).

Definitions (documented in ``docs/cooccur.md``):

- A **unit** is a codable segment (``unit="segment"``), a document (``"document"``) or a
  speaker of a document (``"speaker"``; segments without a speaker are left out). The codable
  segments and coded units are those of :func:`qca.themes.theme_table` (codings after
  overrides when present, interviewer turns only when the run coded them).
- ``units_a`` / ``units_b``: units coded with code a / code b; ``units_both``: with both.
- ``jaccard`` = units_both / (units_a + units_b - units_both): 0 when the codes never meet,
  1 when they are always applied together. It is the formula of ATLAS.ti's c-coefficient
  (``c = n12 / (n1 + n2 - n12)``), counted on units instead of quotations, so with
  ``unit="segment"`` it is ATLAS.ti's c-coefficient with each coded segment a quotation.
- ``overlap`` = units_both / min(units_a, units_b) (Szymkiewicz-Simpson): the share of the
  rarer code's units that also carry the other; it is not pulled down by a frequent partner,
  the distortion the ATLAS.ti manual warns of for the c-coefficient.
- Both coefficients are empty (NaN) when their denominator is 0, rounded to 4 decimals.
- With ``by``, a unit belongs to the group of its segments: a document whose speakers have
  different roles is one unit in each role's group. A ``(total)`` row follows each pair.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem, suggest
from qca.models import (
    CODE_A,
    CODE_B,
    COOCCUR_UNITS,
    DOC_ID,
    IS_INTERVIEWER,
    JACCARD,
    OVERLAP,
    SEGMENT_ID,
    SPEAKER,
    TOTAL_GROUP,
    UNITS_A,
    UNITS_B,
    UNITS_BOTH,
)
from qca.outputs import Columns
from qca.theme_groups import check_attribute, code_themes, group_labels, group_order

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from qca.tally import IntArray

#: Coefficients are rounded to this many decimals.
DECIMALS = 4


def cooccur_columns(*, by: str | None = None) -> Columns:
    """Return the columns :func:`cooccurrence` reads (for :func:`qca.outputs.read_output`)."""
    from qca.models import CODE, NEGATED, SOURCE

    return Columns(
        segments=(DOC_ID, SEGMENT_ID, SPEAKER, IS_INTERVIEWER, *((by,) if by else ())),
        hits=(SEGMENT_ID, CODE, NEGATED),
        codings=(SEGMENT_ID, CODE, SOURCE),
        categorical=(CODE, SOURCE),
    )


def check_unit(unit: str) -> str:
    """Return *unit* when it is one of :data:`qca.models.COOCCUR_UNITS`.

    Raises:
        OutputError: Naming the units that exist.
    """
    if unit not in COOCCUR_UNITS:
        raise OutputError(
            problems=[
                Problem(
                    "",
                    f"unknown unit {unit!r}; use one of: {suggest(unit, COOCCUR_UNITS)}",
                    where="unit",
                )
            ]
        )
    return unit


def segment_groups(segments: pd.DataFrame, base: IntArray, by: str) -> tuple[IntArray, list[str]]:
    """Per codable segment (row positions *base*), its group index; and the group labels.

    Labels are those of ``theme_table(by=...)``: strings, ``(missing)`` for a missing value,
    sorted by :func:`qca.theme_groups.group_order`.
    """
    import numpy as np
    import pandas as pd

    values, uniques = pd.factorize(segments[by].iloc[base], use_na_sentinel=False)
    labels = [str(v) for v in group_labels(pd.Series(list(uniques), dtype=object))]
    groups = group_order(labels)
    position = {label: i for i, label in enumerate(groups)}
    table = np.array([position[label] for label in labels], dtype=np.int64)
    return table[values] if len(values) else np.zeros(0, dtype=np.int64), groups


def _counts(unit: IntArray, code: IntArray, n_codes: int) -> np.ndarray:
    """The code x code matrix of units shared (diagonal: units per code) from distinct pairs."""
    import numpy as np
    from scipy import sparse

    if not len(unit):
        return np.zeros((n_codes, n_codes), dtype=np.int64)
    rows = np.unique(unit, return_inverse=True)[1]
    ones = np.ones(len(unit), dtype=np.int64)
    matrix = sparse.csr_matrix((ones, (rows, code)), shape=(int(rows.max()) + 1, n_codes))
    return np.asarray((matrix.T @ matrix).toarray(), dtype=np.int64)


def cooccurrence(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    *,
    unit: str = "segment",
    by: str | None = None,
    exclude_negated: bool = False,
    include_interviewer: bool = False,
    min_count: int = 0,
) -> pd.DataFrame:
    """Count, for every pair of codes, the units coded with both, with Jaccard and overlap.

    Args:
        hits: ``HIT_COLUMNS``.
        codings: ``CODING_COLUMNS``, or ``None`` to take coded segments from hits.
        segments: Every segment of the run.
        codes: The run's codes in codebook order.
        unit: ``segment``, ``document`` or ``speaker`` (see the module docstring).
        by: A column of *segments* to count within each group of; a ``(total)`` row follows.
        exclude_negated: Drop negated hits (see :func:`qca.themes.theme_table`).
        include_interviewer: Count interviewer segments (when the run coded them).
        min_count: Drop pairs with fewer units coded with both than this (in total).

    Returns:
        ``code_a, code_b, [by], units_a, units_b, units_both, jaccard, overlap``: one row per
        pair (code_a before code_b in codebook order), and per group with *by*.

    Raises:
        OutputError: For an unknown unit or attribute.

    Examples:
        >>> out = read_output("qca-out")  # doctest: +SKIP
        >>> cooccurrence(out.hits, out.codings, out.segments, out.codes, unit="document")  # doctest: +SKIP
    """
    import numpy as np
    import pandas as pd

    from qca.tally import distinct, encode, segment_keys

    check_unit(unit)
    if by is not None:
        check_attribute(segments, by)
    coded = encode(
        hits,
        codings,
        segments,
        list(code_themes(codes)),
        exclude_negated=exclude_negated,
        include_interviewer=include_interviewer,
    )
    n_codes = len(coded.code_ids)
    if unit == "segment":
        owner = np.arange(len(coded.base), dtype=np.int64)
    else:
        documents, speakers = segment_keys(segments, coded.base)
        owner = documents if unit == "document" else speakers
    if by is not None:
        group, labels = segment_groups(segments, coded.base, by)
    else:
        group, labels = np.zeros(len(coded.base), dtype=np.int64), []
    owned = owner[coded.unit_segment]
    keep = owned >= 0
    units, groups, unit_codes = distinct(
        owned[keep], group[coded.unit_segment][keep], coded.unit_code[keep]
    )
    total_units, total_codes = distinct(units, unit_codes)
    matrices = [
        _counts(units[groups == g], unit_codes[groups == g], n_codes) for g in range(len(labels))
    ]
    matrices.append(_counts(total_units, total_codes, n_codes))
    first, second = np.triu_indices(n_codes, 1)
    order = np.lexsort((second, first))
    first, second = first[order], second[order]
    totals = matrices[-1]
    kept = totals[first, second] >= min_count
    first, second = first[kept], second[kept]
    size = len(matrices) if by is not None else 1
    stack = np.stack(matrices if by is not None else matrices[-1:])  # (groups, codes, codes)
    both = stack[:, first, second].T.reshape(-1)
    diagonal = np.diagonal(stack, axis1=1, axis2=2)  # (groups, codes)
    units_a = diagonal[:, first].T.reshape(-1)
    units_b = diagonal[:, second].T.reshape(-1)
    jaccard, overlap = _coefficients(units_a, units_b, both)
    ids = np.array(coded.code_ids, dtype=object)
    table: dict[str, Any] = {
        CODE_A: np.repeat(ids[first], size) if n_codes else [],
        CODE_B: np.repeat(ids[second], size) if n_codes else [],
    }
    if by is not None:
        table[by] = [*labels, TOTAL_GROUP] * len(first)
    table[UNITS_A] = units_a.astype(np.int64)
    table[UNITS_B] = units_b.astype(np.int64)
    table[UNITS_BOTH] = both.astype(np.int64)
    table[JACCARD], table[OVERLAP] = jaccard, overlap
    frame = pd.DataFrame(table)
    frame[CODE_A] = frame[CODE_A].astype(object)
    frame[CODE_B] = frame[CODE_B].astype(object)
    return frame


def _coefficients(units_a: Any, units_b: Any, both: Any) -> tuple[np.ndarray, np.ndarray]:
    """Jaccard and overlap of unit counts, rounded as the table shows them."""
    import numpy as np

    union = (units_a + units_b - both).astype(np.float64)
    smaller = np.minimum(units_a, units_b).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        jaccard = np.where(union > 0, both / union, np.nan)
        overlap = np.where(smaller > 0, both / smaller, np.nan)
    return np.round(jaccard, DECIMALS), np.round(overlap, DECIMALS)


def sum_cooccurrence(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Return the :func:`cooccurrence` (``unit="segment"``, no ``by``, ``min_count=0``) of a
    folder from those of its parts (windows of whole documents, #23): unit counts add up,
    the coefficients are computed again.
    """
    first = tables[0]
    frame = first.copy()
    for column in (UNITS_A, UNITS_B, UNITS_BOTH):
        frame[column] = sum(t[column].to_numpy() for t in tables)
    units_a, units_b, both = (frame[c].to_numpy() for c in (UNITS_A, UNITS_B, UNITS_BOTH))
    frame[JACCARD], frame[OVERLAP] = _coefficients(units_a, units_b, both)
    return frame


def cooccurrence_matrix(table: pd.DataFrame, codes: Sequence[str], value: str) -> pd.DataFrame:
    """Return one column of a :func:`cooccurrence` table (no ``by``) as a square code x code
    matrix in the order of *codes*; the diagonal is empty (NaN).
    """
    import numpy as np
    import pandas as pd

    matrix = pd.DataFrame(np.nan, index=list(codes), columns=list(codes), dtype=np.float64)
    for a, b, v in zip(table[CODE_A], table[CODE_B], table[value], strict=True):
        matrix.loc[a, b] = matrix.loc[b, a] = v
    return matrix
