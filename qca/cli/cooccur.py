"""``qca cooccur``: which codes are applied to the same segment, document or speaker."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qca.cli import app
from qca.cli._errors import fail, reports_errors
from qca.cli._options import (
    FormatOption,
    OutputOption,
    ReadOutdirOption,
    emit_table,
    resolve_format,
)

OutdirArgument = Annotated[
    Path | None,
    typer.Argument(
        help="The output folder of qca code. Default: the one qca.yaml names, else qca-out.",
        show_default=False,
    ),
]


class CooccurUnit(StrEnum):
    segment = "segment"
    document = "document"
    speaker = "speaker"


def pick_outdir(argument: Path | None, option: str | None) -> str | Path:
    """The output folder: the argument or ``-d`` (a path or URL), else the one ``qca.yaml`` names."""
    from qca.outputs import default_output_location

    if argument is not None and option is not None and argument != Path(option):
        raise fail(f"two output folders given ({argument} and -d {option}); give one")
    chosen: str | Path | None = argument if argument is not None else option
    return chosen if chosen is not None else default_output_location()


@app.command("cooccur")
@reports_errors
def cooccur_cli(
    outdir_argument: OutdirArgument = None,
    unit: Annotated[
        CooccurUnit,
        typer.Option(
            "--unit",
            help="What two codes co-occur in: the same segment, document, or speaker "
            "(doc_id and speaker).",
            case_sensitive=False,
        ),
    ] = CooccurUnit.segment,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Count within each group of doc_id, speaker, role or any attribute."
        ),
    ] = None,
    min_count: Annotated[
        int,
        typer.Option("--min-count", min=0, help="Hide pairs coded together in fewer units."),
    ] = 0,
    exclude_negated: Annotated[
        bool, typer.Option("--exclude-negated", help="Do not count negated hits.")
    ] = False,
    outdir: ReadOutdirOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Count code pairs applied to the same unit, with Jaccard and overlap coefficients.

    One row per pair of codes: units coded with each, with both, jaccard = both /
    (a + b - both) (ATLAS.ti's c-coefficient) and overlap = both / min(a, b).
    See docs/cooccur.md for the definitions.

    Example: qca cooccur -d qca-out --unit document --by role --format csv -o cooccur.csv
    """
    from qca.cooccur import cooccur_columns, cooccurrence
    from qca.outputs import read_output
    from qca.run.urls import local_outputs
    from qca.theme_groups import check_attribute

    chosen = resolve_format(fmt, output)
    if chosen == "table" and output is not None:
        raise fail(f"--format table prints to the terminal; to write {output} use --format csv")
    folder = pick_outdir(outdir_argument, outdir)
    with local_outputs(folder) as local:
        coded = read_output(local, columns=cooccur_columns(by=by))
    if by is not None:
        check_attribute(coded.segment_columns, by)
    table = cooccurrence(
        coded.hits,
        coded.codings,
        coded.segments,
        coded.codes,
        unit=unit.value,
        by=by,
        min_count=min_count,
        exclude_negated=exclude_negated,
        include_interviewer=coded.include_interviewer,
    )
    emit_table(table, chosen, output, title="co-occurrence")
