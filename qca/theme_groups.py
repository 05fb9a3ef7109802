"""Groups and themes of a theme table: the ``by`` attributes, group labels and order.

Shared by :mod:`qca.themes`, :mod:`qca.theme_counts` and the tables built beside them
(:mod:`qca.cooccur`, :mod:`qca.stats`, the report).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem, suggest
from qca.models import CODE, DOC_ID, MISSING_GROUP, SEGMENT_COLUMNS, SPEAKER, THEME

if TYPE_CHECKING:
    import pandas as pd


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


def group_label(value: Any) -> str:
    """An attribute value as a group label; a missing or empty value is ``(missing)``."""
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
    labels = pd.Series([group_label(u) for u in uniques], dtype=object).to_numpy()
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


def code_themes(codes: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {str(c[CODE]): str(c[THEME]) for c in codes}


def theme_order(codes: Sequence[Mapping[str, Any]], themes: Sequence[str] = ()) -> list[str]:
    """Theme ids: *themes* first, then the themes of *codes*, each once, in that order."""
    return list(dict.fromkeys([*themes, *(str(c[THEME]) for c in codes)]))
