"""``qca export qdpx|qdc``: REFI-QDA exchange with NVivo, ATLAS.ti, MAXQDA, QualCoder (issue #8)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qca.cli import app
from qca.cli._errors import print_problems, reports_errors, stderr
from qca.cli._options import OutdirOption, deprecated

export_app = typer.Typer(
    name="export",
    help="Export a coded project or a codebook in REFI-QDA format.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)
app.add_typer(export_app, name="export")


@export_app.command("qdpx")
@reports_errors
def export_qdpx_cli(
    old_outdir: Annotated[
        Path | None, typer.Argument(hidden=True, show_default=False, metavar="OUTDIR")
    ] = None,
    outdir: OutdirOption = None,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The .qdpx file to write.", dir_okay=False)
    ] = Path("project.qdpx"),
    coder: Annotated[
        str,
        typer.Option(
            "--coder",
            help="User name for manual and reviewed codings whose decision names no coder.",
        ),
    ] = "coder",
) -> None:
    """Export coded output as a REFI-QDA project (.qdpx) for NVivo, ATLAS.ti, MAXQDA, QualCoder.

    The archive holds the documents (UTF-8 text), the codebook, one user per coder
    (the auto-coder is its own user), one case per participant, and one coded
    selection per coded segment. Run it where qca code ran: the transcripts are
    re-read to write the document texts.

    Example: qca export qdpx -d qca-out -o study.qdpx
    """
    from qca.export.qdpx import export_qdpx
    from qca.outputs import default_output_folder

    old = deprecated(old_outdir, old="qca export qdpx OUTDIR", new="qca export qdpx -d OUTDIR")
    folder = outdir or old or default_output_folder()
    written = export_qdpx(folder, output, coder=coder)
    print_problems(written.problems)
    stderr().print(
        f"wrote {written.path.as_posix()}: {len(written.codes)} codes and themes, "
        f"users: {', '.join(written.users)}",
        markup=False,
    )


@export_app.command("qdc")
@reports_errors
def export_qdc_cli(
    codebook: Annotated[Path, typer.Argument(help="The codebook (qca YAML or any dictionary).")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="The .qdc file to write.", dir_okay=False)
    ] = Path("codebook.qdc"),
) -> None:
    """Export a codebook as a REFI-QDA codebook (.qdc).

    Codes are named by their labels (unique, as in qca export qdpx); definitions,
    include, exclude and examples go in the descriptions. What a .qdc cannot carry
    (terms, patterns, regex) is named in warnings on stderr.

    Example: qca export qdc codebooks/esther.yaml -o esther.qdc
    """
    from qca.codebook.dictionaries import load_dictionary
    from qca.export.refi_codes import write_qdc

    loaded, problems = load_dictionary(codebook)
    problems += write_qdc(loaded, output)
    print_problems(problems)
    stderr().print(f"wrote {output.as_posix()}", markup=False)
