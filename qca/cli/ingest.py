"""``qca ingest``: read transcripts and surveys into the segments table."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from qca.cli import app
from qca.cli._errors import print_problems, reports_errors
from qca.cli._options import (
    EncodingOption,
    IdColumnOption,
    InterviewerLabelOption,
    OutputOption,
    ParticipantsOption,
    SpeakerPatternOption,
    StrictOption,
    TextColumnOption,
    Unit,
    UnitOption,
    ingest_options,
)


class SegmentFormat(StrEnum):
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


@app.command("ingest")
@reports_errors
def ingest_cli(
    paths: Annotated[
        list[Path],
        typer.Argument(help="Transcript files or folders (read recursively).", show_default=False),
    ],
    unit: UnitOption = Unit.turn,
    speaker_pattern: SpeakerPatternOption = None,
    text_column: TextColumnOption = None,
    id_column: IdColumnOption = None,
    participants: ParticipantsOption = None,
    interviewer_label: InterviewerLabelOption = None,
    encoding: EncodingOption = None,
    strict: StrictOption = False,
    fmt: Annotated[
        SegmentFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Write the segments table to stdout (or -o) in this format.",
            case_sensitive=False,
        ),
    ] = None,
    output: OutputOption = None,
) -> None:
    """Read transcripts (.txt .md .docx .odt .rtf .pdf .vtt .srt) and surveys (.csv .xlsx .jsonl).

    Prints a summary per document (speakers, turns, words, warnings) on stderr, then
    every problem. With --format or -o, writes the segments table. Exits 1 if any
    file was skipped.

    Example: qca ingest transcripts/ --participants participants.csv -f csv -o segments.csv
    """
    from rich.console import Console

    from qca.export import write_table
    from qca.ingest import collect, iter_corpus, summarize_corpus
    from qca.render import render_frame

    options = ingest_options(
        unit=unit,
        speaker_pattern=speaker_pattern,
        text_column=text_column,
        id_column=id_column,
        participants=participants,
        interviewer_label=interviewer_label,
        encoding=encoding,
        strict=strict,
    )
    corpus, turns = collect(iter_corpus(paths, options))
    summary = summarize_corpus(corpus, turns)
    if len(summary):
        Console(stderr=True, soft_wrap=False, highlight=False).print(render_frame(summary))
    print_problems(corpus.problems)
    if fmt is not None or output is not None:
        chosen = fmt.value if fmt is not None else _format_from_suffix(output)
        write_table(corpus.segments, output if output is not None else sys.stdout, chosen)
    if any(problem.is_error for problem in corpus.problems):
        raise typer.Exit(code=1)


def _format_from_suffix(output: Path | None) -> str:
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    return suffix if suffix in SegmentFormat.__members__ else "csv"
