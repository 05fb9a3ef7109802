"""``qca init``: scaffold a project folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qca.cli import app
from qca.cli._errors import reports_errors, stderr


@app.command("init")
@reports_errors
def init_cli(
    directory: Annotated[
        Path,
        typer.Argument(help="The project folder (created if needed).", file_okay=False),
    ] = Path("."),
) -> None:
    """Scaffold a project: qca.yaml, a starter codebook, transcripts/ and overrides.yaml.

    Use it once per study; then put transcripts in transcripts/, edit the codebook,
    and run qca code in the folder. Never overwrites an existing file.

    Example: qca init my-study
    """
    from qca.project import init_project

    created = init_project(directory)
    console = stderr()
    for path in created:
        suffix = "/" if path.is_dir() else ""
        console.print(f"created {path.as_posix()}{suffix}", markup=False)
    console.print(
        "next: put transcripts in transcripts/, edit the codebook, then run qca code",
        markup=False,
    )
