"""Tables and sections of the report as plain records for the template.

A cell's text is what ``qca themes`` / ``qca cooccur`` write to csv (integers as such,
floats as Python's shortest repr, missing as empty), so the report's tables can be read back
and compared with those commands; long floats are shown rounded with the exact value in
``data-value``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown and, when rounded for display, the exact value."""

    text: str
    value: str | None = None


@dataclass(frozen=True)
class HtmlTable:
    """A table of the report; ``name`` is its ``data-table`` attribute (and figure CSV name)."""

    name: str
    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart as inline SVG, with its title (also the SVG's accessible name)."""

    name: str
    title: str
    svg: str


@dataclass(frozen=True)
class Section:
    """A section of the report: an intro, charts, each with the tables that carry its numbers."""

    id: str
    title: str
    intro: str = ""
    charts: tuple[Chart, ...] = ()
    tables: tuple[HtmlTable, ...] = ()
    collapsed: tuple[HtmlTable, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


def cell(value: Any, *, digits: int | None = None) -> Cell:
    """Return the csv text of *value*; with *digits*, floats shown rounded (exact in ``value``)."""
    if value is None:
        return Cell("")
    if isinstance(value, bool):
        return Cell(str(value))
    if isinstance(value, int) or (
        hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"
    ):
        return Cell(str(int(value)))
    if isinstance(value, float) or (
        hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"
    ):
        number = float(value)
        if math.isnan(number):
            return Cell("")
        exact = repr(number)
        if digits is not None and exact != f"{round(number, digits)!r}":
            return Cell(f"{number:.{digits}f}", exact)
        return Cell(exact)
    try:
        import pandas as pd

        if pd.isna(value):
            return Cell("")
    except (TypeError, ValueError):
        pass
    return Cell(str(value))


def html_table(
    frame: pd.DataFrame,
    name: str,
    caption: str,
    *,
    digits: dict[str, int] | None = None,
    note: str = "",
    columns: Sequence[str] | None = None,
) -> HtmlTable:
    """Turn *frame* into an :class:`HtmlTable` (the *columns* given, default all)."""
    chosen = [str(c) for c in (columns if columns is not None else frame.columns)]
    rounding = digits or {}
    rows = tuple(
        tuple(
            cell(value, digits=rounding.get(column))
            for column, value in zip(chosen, record, strict=True)
        )
        for record in frame[chosen].itertuples(index=False, name=None)
    )
    return HtmlTable(name, caption, tuple(chosen), rows, note)
