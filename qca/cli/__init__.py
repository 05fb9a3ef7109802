"""The ``qca`` command line. Commands live one per module; this module wires them up.

Nothing here imports spaCy or pandas at import time, so ``qca --help`` is instant.
"""

from __future__ import annotations

from typing import Annotated

import typer

from qca import __version__

app = typer.Typer(
    name="qca",
    help="Qualitative content analysis of interview and focus-group transcripts.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qca {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Qualitative content analysis of interview and focus-group transcripts.

    Ingest transcripts, code them with a YAML codebook, and count themes.
    """


#: One module per command (or command group); importing it registers the command on `app`.
COMMAND_MODULES: tuple[str, ...] = (
    "init",
    "ingest",
    "codebook",
    "codebook_stats",
    "code",
    "themes",
    "cooccur",
    "report",
    "show",
    "explain",
    "override",
    "review",
    "agree",
    "suggest",
    "sample",
    "export",
    "import_",
    "cache",
    "pseudonymise",
)


def _register() -> None:
    import importlib

    for name in COMMAND_MODULES:
        importlib.import_module(f"qca.cli.{name}")


_register()


def main() -> None:
    """Console-script entry point."""
    app()
