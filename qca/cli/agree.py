"""``qca agree``: agreement between two or more codings."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qca.cli import app
from qca.cli._errors import fail, print_problems, reports_errors
from qca.cli._options import (
    FormatOption,
    OutputOption,
    emit_table,
    print_rendered,
    resolve_format,
)

if TYPE_CHECKING:
    import pandas as pd

#: Column headers of the terminal table, shortened so that the table fits 80 columns.
_SHORT_HEADERS: dict[str, str] = {
    "percent_agreement": "agree",
    "cohen_kappa": "kappa",
    "fleiss_kappa": "fleiss",
    "krippendorff_alpha": "alpha",
    "gwet_ac1": "ac1",
    "true_positives": "tp",
    "precision": "prec",
    "_low": " lo",
    "_high": " hi",
}

#: Decimals of the coefficients in every output format (the Python API keeps full precision).
DECIMALS = 4


class AgreementUnit(str, Enum):
    segment = "segment"
    document = "document"


def _rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """Round the coefficients to :data:`DECIMALS` places."""
    import pandas as pd

    frame = frame.copy()
    for column in frame.columns:
        if pd.api.types.is_float_dtype(frame[column]):
            frame[column] = frame[column].round(DECIMALS)
    return frame


def _terminal_view(frame: pd.DataFrame) -> pd.DataFrame:
    """Keep the columns that fit a terminal; put the alpha interval in the alpha cell."""
    from qca.models import (
        CI_HIGH_SUFFIX,
        CI_LOW_SUFFIX,
        CODE,
        CODER,
        COHEN_KAPPA,
        F1,
        FLEISS_KAPPA,
        GWET_AC1,
        KRIPPENDORFF_ALPHA,
        N_UNITS,
        PERCENT_AGREEMENT,
        PRECISION,
        RECALL,
        SUPPORT,
        VERDICT,
    )

    if CODER in frame.columns:
        keep = [CODER, CODE, SUPPORT, PRECISION, RECALL, F1, COHEN_KAPPA, KRIPPENDORFF_ALPHA]
    else:
        keep = [CODE, N_UNITS, PERCENT_AGREEMENT, COHEN_KAPPA, FLEISS_KAPPA]
        keep += [KRIPPENDORFF_ALPHA, GWET_AC1]
        if frame[COHEN_KAPPA].isna().all():
            keep.remove(COHEN_KAPPA)
    view = frame[[*keep, VERDICT]].copy()
    low, high = KRIPPENDORFF_ALPHA + CI_LOW_SUFFIX, KRIPPENDORFF_ALPHA + CI_HIGH_SUFFIX
    if low in frame.columns:
        view[KRIPPENDORFF_ALPHA] = [
            "" if a != a else (f"{a:.3f}" if lo != lo else f"{a:.3f} [{lo:.3f}, {hi:.3f}]")
            for a, lo, hi in zip(frame[KRIPPENDORFF_ALPHA], frame[low], frame[high], strict=True)
        ]
    return view


def _print_table(frame: pd.DataFrame, title: str, output: Path | None) -> None:
    """Print *frame* as a rich table: three decimals, numbers right-aligned, blank = undefined."""
    import pandas as pd
    from rich.markup import escape
    from rich.table import Table

    frame = _terminal_view(frame)
    table = Table(title=title)
    for column in frame.columns:
        right = column != frame.columns[-1] and (
            pd.api.types.is_numeric_dtype(frame[column]) or column == "krippendorff_alpha"
        )
        header = str(column)
        for long, short in _SHORT_HEADERS.items():
            header = header.replace(long, short)
        last = column == frame.columns[-1]
        table.add_column(
            header,
            justify="right" if right else "left",
            no_wrap=right or last,
            min_width=len("unreliable") if last else None,
        )
    for row in frame.itertuples(index=False):
        cells = []
        for value in row:
            if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                cells.append("")
            elif isinstance(value, float):
                cells.append(f"{value:.3f}")
            else:
                cells.append(escape(str(value)))
        table.add_row(*cells)
    print_rendered([table], output)


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
        typer.Option(
            "--id-column",
            help="Unit id column of one-hot and matrix files (default: unit_id, segment_id, "
            "or a first column named unit, id, item or case).",
        ),
    ] = None,
    no_id_column: Annotated[
        bool,
        typer.Option(
            "--no-id-column",
            help="The matrix has no id column: read a column whose values all differ as a coder.",
        ),
    ] = False,
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
    estimate: Annotated[
        bool,
        typer.Option(
            "--estimate",
            help="FOLDER SAMPLE: corpus-wide precision, recall and prevalence per code with "
            "95% intervals, from a hand-coded qca sample of the folder.",
        ),
    ] = False,
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
        agreement_warnings,
        bootstrap_warnings,
        disagreements,
        measure_agreement,
        read_coding,
        read_matrix,
    )
    from qca.errors import QcaError

    options = ReadOptions(
        id_column=id_column,
        no_id_column=no_id_column,
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
    if estimate:  # issue #22: the logic lives in qca.diagnostics.estimate
        from qca.diagnostics.estimate import estimate_from_sample

        table, notes = estimate_from_sample(codings, gold=gold)
        print_problems(notes)
        emit_table(_rounded(table), chosen, output, title="Corpus-wide estimates")
        return
    if show_disagreements is not None:
        table = disagreements(
            codings, show_disagreements, unit=unit.value, exclude_uncoded=exclude_uncoded
        )
        title = f"Disagreements on {show_disagreements}"
    else:
        table = measure_agreement(
            codings,
            gold=gold,
            unit=unit.value,
            bootstrap=bootstrap,
            seed=seed,
            exclude_uncoded=exclude_uncoded,
        )
        title = "Agreement" if gold is None else f"Agreement with {gold}"
    print_problems(agreement_warnings(codings))
    if show_disagreements is None:
        print_problems(bootstrap_warnings(table, bootstrap))
    if chosen == "table":
        _print_table(table, title, output)
    else:
        emit_table(_rounded(table), chosen, output, title=title)
