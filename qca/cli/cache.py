"""``qca cache info|prune``: what the cache folder holds; remove entries not used for long."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from qca.cli import app
from qca.cli._errors import fail, reports_errors, stderr
from qca.cli._options import FormatOption, OutputOption, print_rendered, resolve_format

cache_app = typer.Typer(
    name="cache",
    help="Show and prune the cache folder (.qca-cache) that qca code keeps.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)
app.add_typer(cache_app, name="cache")

CacheDirOption = Annotated[
    Path | None,
    typer.Option(
        "--cache-dir",
        help="The cache folder. Default: .qca-cache beside the output folder "
        "(qca.yaml's, else qca-out).",
        file_okay=False,
    ),
]


def _cache_dir(given: Path | None) -> Path:
    """Return the cache folder: *given* (it must exist), else the one qca code uses."""
    from qca.cachedir import default_cache_dir
    from qca.outputs import default_output_folder

    if given is not None and not given.is_dir():
        raise fail(
            f"{given.as_posix()}: no such cache folder; check the path, "
            "or leave out --cache-dir for the one qca code uses"
        )
    return given or default_cache_dir(default_output_folder())


def size_text(size: int) -> str:
    """Return *size* bytes for people: ``812 bytes``, ``4.5 kB``, ``1.2 MB``."""
    if size < 1000:
        return f"{size} bytes"
    value = size / 1000
    for unit in ("kB", "MB", "GB"):
        if value < 1000:
            return f"{value:.1f} {unit}"
        value /= 1000
    return f"{value:.1f} TB"


@cache_app.command("info")
@reports_errors
def cache_info_cli(
    cache_dir: CacheDirOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Show what the cache folder holds: entries and bytes per kind and pipeline.

    Kinds: tokens and hits (per spaCy pipeline), sources (files as read), temporary
    (left over by an interrupted run) and other (not qca's; never pruned). Also shows
    the output folders beside the cache that use it, with their documents and words.

    Example: qca cache info --format csv
    """
    from qca.cachedir import cache_info
    from qca.export import write_table
    from qca.models import BYTES, ENTRIES

    folder = _cache_dir(cache_dir)
    table = cache_info(folder)
    chosen = resolve_format(fmt, output)
    if chosen == "table":
        from qca.render import render_frame

        print_rendered([render_frame(table, title=folder.as_posix())], output)
    else:
        write_table(table, output if output is not None else sys.stdout, chosen)
    entries, size = int(table[ENTRIES].sum()), int(table[BYTES].sum())
    where = folder.as_posix()
    stderr().print(
        f"{where}: {entries} entries, {size_text(size)}"
        if folder.is_dir()
        else f"{where}: no cache folder yet; qca code makes one",
        markup=False,
    )


@cache_app.command("prune")
@reports_errors
def cache_prune_cli(
    cache_dir: CacheDirOption = None,
    older_than: Annotated[
        float,
        typer.Option(
            "--older-than",
            metavar="DAYS",
            min=0,
            help="Remove entries no run has used for this many days.",
        ),
    ] = 30.0,
    everything: Annotated[
        bool, typer.Option("--all", help="Remove every entry, however recently used.")
    ] = False,
) -> None:
    """Remove cache entries that no run has used for a while (default 30 days).

    A run marks each entry it reads as used. Only qca's own entries are removed,
    never other files; removing an entry a run still wants only costs that run the
    time to make it again. Prints what was removed and kept on stderr.

    Example: qca cache prune --older-than 7
    """
    from qca.cachedir import prune_cache

    folder = _cache_dir(cache_dir)
    pruned = prune_cache(folder, older_than_days=older_than, everything=everything)
    which = "" if everything else f" unused for {older_than:g} days"
    stderr().print(
        f"removed {pruned.removed} entries{which} ({size_text(pruned.removed_bytes)}) "
        f"from {folder.as_posix()}; kept {pruned.kept} ({size_text(pruned.kept_bytes)})",
        markup=False,
    )
