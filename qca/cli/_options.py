"""Option aliases shared by several commands, and table output."""

from __future__ import annotations

import sys
from enum import Enum, StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

if TYPE_CHECKING:
    import pandas as pd

T = TypeVar("T")


class TableFormat(str, Enum):
    table = "table"
    csv = "csv"
    tsv = "tsv"
    json = "json"
    jsonl = "jsonl"
    markdown = "markdown"
    latex = "latex"
    xlsx = "xlsx"


FormatOption = Annotated[
    TableFormat | None,
    typer.Option(
        "--format",
        "-f",
        help="Output format. Default: table on a terminal, csv otherwise.",
        case_sensitive=False,
    ),
]
OutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write the table to FILE instead of stdout.", dir_okay=False
    ),
]
OutdirOption = Annotated[
    Path | None,
    typer.Option(
        "--outdir",
        "-d",
        help="The output folder that qca code writes and the other commands read. "
        "Default: $QCA_OUTPUT, else qca.yaml's output, else qca-out.",
        metavar="DIR",
    ),
]
ReadOutdirOption = Annotated[
    str | None,
    typer.Option(
        "--outdir",
        "-d",
        help="The output folder that qca code wrote, or an fsspec URL (downloaded first). "
        "Default: $QCA_OUTPUT, else qca.yaml's output, else qca-out.",
        metavar="DIR",
    ),
]
CodeOption = Annotated[
    str | None,
    typer.Option("--code", help="Only this code (or this theme's codes)."),
]


def deprecated(value: T, *, old: str, new: str) -> T:
    """Return *value*; when an old spelling gave it, say so on stderr (kept for one release)."""
    if value is not None and value is not False:
        typer.echo(
            f"warning: {old} is deprecated and goes in the next release; use {new}", err=True
        )
    return value


StrictOption = Annotated[
    bool, typer.Option("--strict", help="Stop at the first problem instead of skipping the file.")
]


def resolve_format(fmt: TableFormat | None, output: Path | None = None) -> str:
    """The format to use: the one asked for; else from -o's suffix; else table on a TTY, csv."""
    if fmt is not None:
        return fmt.value
    if output is not None:
        suffix = output.suffix.lower().lstrip(".")
        aliases = {"md": "markdown", "tex": "latex", "txt": "csv"}
        suffix = aliases.get(suffix, suffix)
        if suffix in TableFormat.__members__ and suffix != "table":
            return suffix
        return "csv"
    return "table" if sys.stdout.isatty() else "csv"


def print_rendered(renderables: list[Any], output: Path | None = None) -> None:
    """The one way a command prints a rich table (or text): on stdout, or into *output*.

    On a terminal the renderables fit the terminal. Anywhere else (a pipe, a file, ``-o
    FILE``) they are written as plain text, tables at the width they need (never cropped to
    80 columns), without colour codes. ``-f table -o FILE`` means this everywhere.
    """
    from rich.console import Console

    if output is None and sys.stdout.isatty():
        console = Console(soft_wrap=False, highlight=False)
        for renderable in renderables:
            console.print(renderable)
        return
    from qca.io import atomic_write_text
    from qca.render import render_text, text_width

    default = Console(file=sys.stdout).width
    text = render_text(renderables, width=text_width(renderables, default))
    if output is None:
        sys.stdout.write(text)
        return
    try:
        atomic_write_text(output, text)
    except OSError as exc:
        from qca.errors import OutputError

        raise OutputError(f"{output}: cannot write ({exc.strerror}); check the path") from None


def emit_table(frame: pd.DataFrame, fmt: str, output: Path | None, *, title: str = "") -> None:
    """Write *frame* to *output* or stdout in *fmt*; ``table`` renders with rich."""
    if fmt == "table":
        from qca.render import render_frame

        print_rendered([render_frame(frame, title=title)], output)
        return
    from qca.export import write_table

    write_table(frame, output if output is not None else sys.stdout, fmt)


# --- ingest options, shared by `qca ingest` and `qca code` -------------------


class Unit(StrEnum):
    turn = "turn"
    sentence = "sentence"
    paragraph = "paragraph"
    document = "document"


SpeakerPatternOption = Annotated[
    str | None,
    typer.Option(
        "--speaker-pattern",
        metavar="REGEX",
        help="Regex matching a speaker label at the start of a line; group 'speaker' "
        "(or group 1) is the name. Replaces the built-in conventions.",
    ),
]
TextColumnOption = Annotated[
    list[str] | None,
    typer.Option(
        "--text-column",
        metavar="COLUMN",
        help="Survey (.csv/.xlsx/.jsonl) column holding the response text. Repeat it for "
        "several questions: each answer is its own segment, named in a 'question' column.",
    ),
]
IdColumnOption = Annotated[
    str | None,
    typer.Option(
        "--id-column", help="Survey column holding the respondent id (default: {stem}-{row})."
    ),
]
ParticipantsOption = Annotated[
    Path | None,
    typer.Option(
        "--participants",
        metavar="FILE.csv",
        help="CSV of attributes keyed by doc_id and/or speaker (e.g. doc_id,speaker,role,site).",
        dir_okay=False,
    ),
]
InterviewerLabelOption = Annotated[
    list[str] | None,
    typer.Option(
        "--interviewer-label",
        metavar="LABEL",
        help="Another speaker label marking interviewer turns (repeatable; added to the "
        "defaults Interviewer, Moderator, Facilitator, I, Int, Q and their Swedish, German, "
        "French, Spanish, Dutch and Norwegian forms).",
    ),
]
NoDefaultInterviewerLabelsOption = Annotated[
    bool,
    typer.Option(
        "--no-default-interviewer-labels",
        help="Mark only the --interviewer-label labels as the interviewer, not the defaults.",
    ),
]
MaxFileMbOption = Annotated[
    int | None,
    typer.Option(
        "--max-file-mb",
        min=1,
        metavar="MB",
        help="Skip a one-document file (text, Word, PDF, captions) larger than MB megabytes. "
        "Default: $QCA_MAX_FILE_MB, else qca.yaml's max_file_mb, else 100.",
    ),
]
EncodingOption = Annotated[
    str | None,
    typer.Option(
        "--encoding",
        help="Encoding of text files, e.g. cp1251 (default: detect BOM, UTF-8/16/32, legacy code pages).",
    ),
]


def lean_allocator() -> None:
    """Let pyarrow allocate with jemalloc, which hands freed pages back to the system (#23).

    The default (mimalloc) keeps them: hashing a million segment ids then leaves ~150 MB
    resident (10^6 survey comments: peak 620 MB with mimalloc, 450 MB with jemalloc).
    Where pyarrow was built without jemalloc, the default stays.
    """
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:
        return
