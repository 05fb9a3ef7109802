"""Options naming gold (human) labels, shared by ``qca codebook stats`` and ``qca suggest``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from qca.diagnostics import Gold, Units

GoldOption = Annotated[
    Path | None,
    typer.Option(
        "--gold",
        metavar="LABELS",
        help="Human labels: a unit_id,code CSV or a one-hot CSV (ids are segment or document ids).",
        dir_okay=False,
    ),
]
GoldIdColumnOption = Annotated[
    str | None,
    typer.Option("--id-column", help="Unit id column of the --gold file."),
]
GoldCodeColumnsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--code-columns",
        metavar="COLUMN",
        help="One-hot code column of the --gold file (repeatable); FIRST..LAST selects a range.",
    ),
]
CodebookOption = Annotated[
    Path | None,
    typer.Option(
        "--codebook",
        "-c",
        help="The codebook (default: the one run.json names).",
        dir_okay=False,
    ),
]


def load_gold(
    path: Path | None, units: Units, id_column: str | None, code_columns: list[str] | None
) -> Gold | None:
    """Read and align the --gold file, or return None without one."""
    if path is None:
        return None
    from qca.agreement import ReadOptions
    from qca.diagnostics import read_gold

    options = ReadOptions(id_column=id_column, code_columns=tuple(code_columns or ()))
    return read_gold(path, units, options=options)
