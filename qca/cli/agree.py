"""``qca agree``: agreement between two or more codings."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qca.cli import app
from qca.cli._errors import fail, print_problems, reports_errors
from qca.cli._options import FormatOption, OutputOption, emit_table, resolve_format

if TYPE_CHECKING:
    import pandas as pd

#: Decimals of the coefficients in every output format (the Python API keeps full precision).
DECIMALS = 4


class AgreementUnit(str, Enum):
    segment = "segment"
    document = "document"


def _display(frame: pd.DataFrame, fmt: str) -> pd.DataFrame:
    """Round coefficients; on the terminal show three decimals and blanks for undefined."""
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            rounded = frame[column].round(DECIMALS)
            if fmt == "table":
                frame[column] = [("" if pd.isna(v) else f"{v:.3f}") for v in rounded]
            else:
                frame[column] = rounded
    return frame


@app.command("agree")
@reports_errors
def agree_cli(
    inputs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME=]CODING...",
            help="Codings to compare: qca output folders (FOLDER@auto for the rule hits "
            "before overrides), unit_id,code CSVs or one-hot CSVs. NAME= names a coder.",
            show_default=False,
        ),
    ] = None,
    matrix: Annotated[
        Path | None,
        typer.Option(
            "--matrix",
            metavar="FILE",
            help="Reliability-data matrix: one row per unit, one column per coder, each "
            "cell the category given (blank = not coded).",
            dir_okay=False,
        ),
    ] = None,
    gold: Annotated[
        str | None,
        typer.Option(
            "--gold",
            metavar="NAME",
            help="Compare every other coding against this one: precision, recall, F1.",
        ),
    ] = None,
    unit: Annotated[
        AgreementUnit,
        typer.Option(
            "--unit",
            help="Compare segments, or whole documents (coded when any segment is).",
            case_sensitive=False,
        ),
    ] = AgreementUnit.segment,
    exclude_uncoded: Annotated[
        bool,
        typer.Option("--exclude-uncoded", help="Drop units that no coder gave any code."),
    ] = False,
    bootstrap: Annotated[
        int,
        typer.Option(
            "--bootstrap", metavar="N", min=0, help="Add 95% intervals from N bootstrap resamples."
        ),
    ] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Random seed of the bootstrap.")] = 0,
    id_column: Annotated[
        str | None,
        typer.Option("--id-column", help="Unit id column of one-hot and matrix files."),
    ] = None,
    code_columns: Annotated[
        list[str] | None,
        typer.Option(
            "--code-columns",
            metavar="COLUMN",
            help="One-hot code column (repeatable); FIRST..LAST selects a range.",
        ),
    ] = None,
    mapping: Annotated[
        Path | None,
        typer.Option(
            "--mapping",
            metavar="FILE",
            help="YAML (column: code) or CSV (column,code) naming the one-hot code columns.",
            dir_okay=False,
        ),
    ] = None,
    text_column: Annotated[
        str | None,
        typer.Option("--text-column", help="Column with each unit's text (for --disagreements)."),
    ] = None,
    show_disagreements: Annotated[
        str | None,
        typer.Option(
            "--disagreements",
            metavar="CODE",
            help="List the units where coders differ on CODE, with their text.",
        ),
    ] = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Measure agreement between codings: per code, micro and macro.

    Percent agreement, Cohen's kappa (two coders), Fleiss' kappa, Krippendorff's
    alpha (nominal) and Gwet's AC1; verdict: alpha >= .800 reliable, >= .667
    tentative. With --gold, precision, recall and F1 of each other coding.

    Example: qca agree auto=qca-out@auto reviewed=qca-out human=second-coder.csv
    """
    from qca.agreement import (
        ReadOptions,
        agreement,
        agreement_warnings,
        disagreements,
        read_coding,
        read_matrix,
    )
    from qca.errors import QcaError

    options = ReadOptions(
        id_column=id_column,
        code_columns=tuple(code_columns or ()),
        mapping=mapping,
        text_column=text_column,
    )
    codings = []
    problems: list[str] = []
    for argument in inputs or []:
        try:
            codings.append(read_coding(argument, options=options))
        except QcaError as exc:
            problems += exc.lines()
    if matrix is not None:
        try:
            codings += read_matrix(matrix, options=options)
        except QcaError as exc:
            problems += exc.lines()
    if problems:
        raise fail("\n".join(problems))
    chosen = resolve_format(fmt, output)
    if show_disagreements is not None:
        table = disagreements(
            codings, show_disagreements, unit=unit.value, exclude_uncoded=exclude_uncoded
        )
        title = f"Disagreements on {show_disagreements}"
    else:
        table = agreement(
            codings,
            gold=gold,
            unit=unit.value,
            bootstrap=bootstrap,
            seed=seed,
            exclude_uncoded=exclude_uncoded,
        )
        title = "Agreement" if gold is None else f"Agreement with {gold}"
    print_problems(agreement_warnings(codings))
    emit_table(_display(table, chosen), chosen, output, title=title)
