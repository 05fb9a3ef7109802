"""``qca report``: one offline HTML page with the run, charts, tables, quotes and transcripts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qca.cli import app
from qca.cli._errors import fail, reports_errors, stderr
from qca.cli._options import ReadOutdirOption, lean_allocator
from qca.cli.cooccur import OutdirArgument, pick_outdir


@app.command("report")
@reports_errors
def report_cli(
    outdir_argument: OutdirArgument = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The HTML file to write. Default: OUTDIR/report.html.",
            dir_okay=False,
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Compare groups of this attribute (e.g. role): heat map, Wilson intervals, tests.",
        ),
    ] = None,
    codebook: Annotated[
        Path | None,
        typer.Option(
            "--codebook",
            "-c",
            help="Codebook for definitions and rules. Default: the one run.json names.",
            dir_okay=False,
        ),
    ] = None,
    agreement: Annotated[
        Path | None,
        typer.Option(
            "--agreement",
            metavar="FILE",
            help="Add a table written by qca agree (csv, tsv or json).",
            dir_okay=False,
        ),
    ] = None,
    figures: Annotated[
        Path | None,
        typer.Option(
            "--figures",
            metavar="DIR",
            help="Also write each chart as SVG, PNG (300 dpi) and PDF with a CSV of its numbers.",
            file_okay=False,
        ),
    ] = None,
    quotes: Annotated[int, typer.Option("--quotes", min=0, help="Exemplar quotes per code.")] = 3,
    exclude_negated: Annotated[
        bool, typer.Option("--exclude-negated", help="Do not count negated hits.")
    ] = False,
    outdir: ReadOutdirOption = None,
) -> None:
    """Write one self-contained HTML report: run, frequencies, groups, co-occurrence, quotes.

    The page needs no network and no other file: charts are inline SVG, with a table of
    their numbers beside each. The same output folder and options give the same bytes.
    --figures DIR also writes every chart as SVG, PNG and PDF for a paper.

    Example: qca report -d qca-out --by role -o report.html
    """
    from qca.report import ReportOptions, write_report
    from qca.run.urls import is_url, local_outputs

    folder = pick_outdir(outdir_argument, outdir)
    if output is None and is_url(str(folder)):
        raise fail(f"-d {folder} is a URL; name the report file with -o FILE")
    destination = output if output is not None else Path(folder) / "report.html"
    options = ReportOptions(
        by=by,
        codebook=codebook,
        agreement=agreement,
        quotes=quotes,
        exclude_negated=exclude_negated,
    )
    lean_allocator()  # read window by window (#23): give freed pages back
    with local_outputs(folder) as local:
        written = write_report(local, destination, options, figures=figures)
    size = destination.stat().st_size
    extra = f" and {len(written) - 1} figure files in {figures}" if figures is not None else ""
    stderr().print(f"wrote {destination} ({size / 1024:.0f} KiB){extra}", soft_wrap=True)
