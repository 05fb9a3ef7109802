"""``qca import``: read a REFI-QDA project into a qca output folder (issue #8)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qca.cli import app
from qca.cli._errors import print_problems, reports_errors, stderr
from qca.cli._options import OutdirOption, deprecated


@app.command("import")
@reports_errors
def import_cli(
    file: Annotated[Path, typer.Argument(help="The REFI-QDA project (.qdpx, or .qde).")],
    outdir: OutdirOption = None,
    old_output: Annotated[
        Path | None, typer.Option("--output", "-o", hidden=True, file_okay=False)
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Fail (exit 1, nothing written) when the project holds anything qca cannot "
            "represent: non-text codings, sources without text, codes without codings.",
        ),
    ] = False,
) -> None:
    """Import a REFI-QDA project (.qdpx) from NVivo, ATLAS.ti, MAXQDA or QualCoder.

    Writes an output folder that qca themes, show and agree read: one segment per
    coded selection, the codings with their coder, the codebook and the texts. The
    offset reading used for each source (code points, or UTF-16 with CRLF as NVivo
    writes) is reported on stderr.

    Example: qca import study.qdpx -d study-out && qca agree study-out#alice study-out#bob
    """
    from qca.models import DEFAULT_OUTDIR, DOC_ID
    from qca.refi import import_qdpx

    output = (
        outdir
        or deprecated(old_output, old="qca import -o/--output FOLDER", new="-d/--outdir FOLDER")
        or Path(DEFAULT_OUTDIR)
    )
    project = import_qdpx(file, output, strict=strict)
    print_problems(project.problems)
    console = stderr()
    coded = set(project.segments[DOC_ID].astype(str))
    for doc_id, reading in sorted(project.offsets.items()):
        if doc_id in coded:
            console.print(f"{doc_id}: offsets read as {reading}", markup=False)
    coders = ", ".join(project.coders) or "none"
    console.print(
        f"wrote {output.as_posix()}: {len(project.texts)} documents, "
        f"{len(project.codebook.codes())} codes, {len(project.codings)} codings "
        f"(coders: {coders})",
        markup=False,
    )
