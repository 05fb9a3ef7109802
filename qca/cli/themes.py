"""``qca themes``: theme tables, cross-tabs, presence matrices and exemplar quotes."""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qca.cli import app
from qca.cli._errors import fail, reports_errors
from qca.cli._options import (
    FormatOption,
    OutputOption,
    ReadOutdirOption,
    deprecated,
    lean_allocator,
    print_rendered,
    resolve_format,
)

if TYPE_CHECKING:
    import pandas as pd


class Case(str, Enum):
    document = "document"
    speaker = "speaker"


#: The output folder was positional before #18; now -d/--outdir as in every command.
OldOutdirArgument = Annotated[
    Path | None, typer.Argument(hidden=True, show_default=False, metavar="OUTDIR")
]


@app.command("themes")
@reports_errors
def themes_cli(
    old_outdir: OldOutdirArgument = None,
    outdir: ReadOutdirOption = None,
    measure: Annotated[
        list[str] | None,
        typer.Option(
            "--measure",
            "-m",
            help="Measures to show (repeat or comma list): mentions, segments, documents, "
            "speakers, pct_segments, per_1000_words. Default: all.",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option("--by", help="Cross-tab by doc_id, speaker, role or any attribute."),
    ] = None,
    presence: Annotated[
        bool, typer.Option("--presence", help="Print the 0/1 matrix of themes and codes per case.")
    ] = False,
    case: Annotated[
        Case, typer.Option("--case", help="The case of --presence: document or speaker.")
    ] = Case.document,
    exclude_negated: Annotated[
        bool, typer.Option("--exclude-negated", help="Do not count negated hits.")
    ] = False,
    min_count: Annotated[
        int, typer.Option("--min-count", min=0, help="Hide codes with fewer mentions.")
    ] = 0,
    quotes: Annotated[
        int,
        typer.Option(
            "--quotes",
            min=0,
            help="Add the N best quotes per code (csv etc.: print the quote table instead; "
            "xlsx: a second sheet).",
        ),
    ] = 0,
    stats: Annotated[
        bool,
        typer.Option(
            "--stats",
            help="With --by: add the share of segments coded per group with a 95% Wilson "
            "interval, and per code a chi-square or Fisher's exact test (Holm-adjusted p) "
            "and Cramer's V.",
        ),
    ] = False,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Count themes and codes: mentions, coded segments, documents, speakers, rates.

    One row per theme with its codes under it; codes that matched nothing show zeros.
    Use --by for a cross-tab by participant group, --presence for a 0/1 matrix per
    document or speaker, --quotes for exemplar quotes.

    Example: qca themes -d qca-out --by role --format csv -o themes.csv
    """
    from qca.exemplars import quotes as pick_quotes
    from qca.models import MEASURES
    from qca.outputs import default_output_location, read_output
    from qca.presence import presence_matrix
    from qca.run.urls import local_outputs
    from qca.theme_groups import check_attribute
    from qca.themes import check_measures, theme_columns, theme_table
    from qca.themes_stream import stream_theme_table

    if presence and by is not None:
        raise fail("--presence and --by do not combine; drop one of them")
    if stats and by is None:
        raise fail("--stats compares groups; add --by ATTR (e.g. --by role)")
    chosen = resolve_format(fmt, output)
    measures = check_measures(measure or MEASURES)
    old = deprecated(old_outdir, old="qca themes OUTDIR", new="qca themes -d OUTDIR")
    folder = outdir or old or default_output_location()
    lean_allocator()
    plain = not (presence or quotes or stats)  # a plain table streams (qca.themes_stream)
    with local_outputs(folder) as local:
        streamed = (
            stream_theme_table(
                local,
                by=by,
                measures=measures,
                exclude_negated=exclude_negated,
                min_count=min_count,
            )
            if plain
            else None
        )
        if streamed is not None:
            _write(streamed[0], None, streamed[1], chosen, name="themes", by=by, output=output)
            return
        coded = read_output(local, columns=theme_columns(by=by, quotes=quotes > 0))
    if by is not None:
        check_attribute(coded.segment_columns, by)
    themes = [str(t["theme"]) for t in coded.themes]
    frames = (coded.hits, coded.codings, coded.segments, coded.codes)
    negated, interviewer = exclude_negated, coded.include_interviewer
    if presence:
        table = presence_matrix(
            *frames,
            case=case.value,
            themes=themes,
            exclude_negated=negated,
            include_interviewer=interviewer,
        )
        name = "presence"
    else:
        table = theme_table(
            *frames,
            by=by,
            measures=measures,
            min_count=min_count,
            themes=themes,
            exclude_negated=negated,
            include_interviewer=interviewer,
        )
        name = "themes"
        if stats and by is not None:
            from qca.stats import add_group_stats, group_stats

            found = group_stats(
                *frames,
                by=by,
                themes=themes,
                exclude_negated=negated,
                include_interviewer=interviewer,
            )
            table = add_group_stats(table, found, by=by)
    quote_table = None
    if quotes:
        quote_table = pick_quotes(
            *frames, n=quotes, exclude_negated=negated, include_interviewer=interviewer
        )
    shown_by = None if presence else by
    _write(table, quote_table, coded.manifest, chosen, name=name, by=shown_by, output=output)


def _write(
    table: pd.DataFrame,
    quote_table: pd.DataFrame | None,
    manifest: Mapping[str, Any],
    chosen: str,
    *,
    name: str,
    by: str | None,
    output: Path | None,
) -> None:
    import sys

    from qca.export import write_table
    from qca.outputs_manifest import manifest_frame

    if chosen == "table":
        _render(table, quote_table, by=by, presence=name == "presence", output=output)
        return
    if chosen == "xlsx":
        sheets = {} if quote_table is None else {"quotes": quote_table}
        sheets["run"] = manifest_frame(manifest)
        destination = output if output is not None else sys.stdout
        write_table(table, destination, "xlsx", extra_sheets=sheets, sheet_name=name)
        return
    shown = quote_table if quote_table is not None else table
    write_table(shown, output if output is not None else sys.stdout, chosen)


def _render(
    table: pd.DataFrame,
    quote_table: pd.DataFrame | None,
    *,
    by: str | None,
    presence: bool,
    output: Path | None,
) -> None:
    from qca.models import STATS_COLUMNS
    from qca.render import render_frame, render_group_stats, render_quotes, render_theme_table

    shown: list[Any] = []
    if presence:
        shown.append(render_frame(table, title="presence"))
    elif by is not None and STATS_COLUMNS[0] in table.columns:
        counts = table.drop(columns=list(STATS_COLUMNS))
        shown.append(render_theme_table(counts, by=by, title="themes"))
        shown.append(render_group_stats(table, by=by))
    else:
        shown.append(render_theme_table(table, by=by, title="themes"))
    if quote_table is not None:
        shown.append(render_quotes(quote_table))
    print_rendered(shown, output)
