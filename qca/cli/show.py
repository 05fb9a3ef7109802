"""``qca show``: the segments coded with a code or theme, matches highlighted, or as KWIC."""

from __future__ import annotations

from typing import Annotated

import typer

from qca.cli import app
from qca.cli._errors import fail, reports_errors
from qca.cli._options import (
    FormatOption,
    OutputOption,
    ReadOutdirOption,
    print_rendered,
    resolve_format,
)


@app.command("show")
@reports_errors
def show_cli(
    target: Annotated[str, typer.Argument(help="A code id or a theme id.", show_default=False)],
    by: Annotated[
        str | None, typer.Option("--by", help="Group by doc_id, speaker, role or any attribute.")
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option("--limit", "-n", min=1, help="At most N segments (per group with --by)."),
    ] = None,
    context: Annotated[
        int | None,
        typer.Option(
            "--context",
            min=0,
            help="Segments before and after each coded one; with --kwic, words either side "
            "(default 5).",
        ),
    ] = None,
    kwic: Annotated[
        bool, typer.Option("--kwic", help="Keywords in context: left | match | right.")
    ] = False,
    exclude_negated: Annotated[
        bool, typer.Option("--exclude-negated", help="Leave out negated hits.")
    ] = False,
    outdir: ReadOutdirOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Show the segments coded with a code, or any code of a theme, matches highlighted.

    Use it to read what a count stands for, and to check that a rule finds what the
    code means. --kwic lines every match up between its left and right context.

    Example: qca show motivation --by role --limit 3
    """
    import sys

    from qca.excerpts import kwic as keywords_in_context
    from qca.excerpts import show_segments
    from qca.export import write_table
    from qca.outputs import default_output_location, read_output
    from qca.run.urls import local_outputs

    chosen = resolve_format(fmt, output)
    if kwic and by is not None:
        raise fail("--kwic and --by do not combine; drop one of them")
    with local_outputs(outdir if outdir is not None else default_output_location()) as local:
        coded = read_output(local)
    frames = (coded.hits, coded.codings, coded.segments, coded.codes)
    interviewer = coded.include_interviewer
    if kwic:
        window = 5 if context is None else context
        table = keywords_in_context(
            *frames,
            target,
            window=window,
            limit=limit,
            exclude_negated=exclude_negated,
            include_interviewer=interviewer,
        )
        if chosen == "table":
            from qca.render import render_kwic

            print_rendered([render_kwic(table)], output)
            return
    else:
        excerpts = show_segments(
            *frames,
            target,
            by=by,
            limit=limit,
            context=context or 0,
            exclude_negated=exclude_negated,
            include_interviewer=interviewer,
        )
        if chosen == "table":
            from qca.render import render_excerpts

            print_rendered([render_excerpts(excerpts)], output)
            return
        table = excerpts.table
    write_table(table, output if output is not None else sys.stdout, chosen)
