"""Build rich renderables from tables. Never prints: the CLI prints what this returns."""

from __future__ import annotations

import pandas as pd
from rich.markup import escape
from rich.table import Table


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return escape(str(value))


def render_frame(frame: pd.DataFrame, *, title: str = "") -> Table:
    """A rich Table with one column per frame column; numbers right-aligned."""
    table = Table(title=title or None, show_lines=False)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
            frame[column]
        )
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table
