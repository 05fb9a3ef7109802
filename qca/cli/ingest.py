"""``qca ingest``: read transcripts and surveys into the segments table."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qca.cli import app
from qca.cli._errors import fail, print_problems, reports_errors
from qca.cli._options import (
    EncodingOption,
    IdColumnOption,
    InterviewerLabelOption,
    MaxFileMbOption,
    NoDefaultInterviewerLabelsOption,
    OutputOption,
    ParticipantsOption,
    SpeakerPatternOption,
    StrictOption,
    TableFormat,
    TextColumnOption,
    Unit,
    emit_table,
    resolve_format,
)

if TYPE_CHECKING:
    from qca.ingest import Corpus


class SegmentFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    jsonl = "jsonl"


@app.command("ingest")
@reports_errors
def ingest_cli(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Transcript files or folders (read recursively). "
            "Default: the transcripts qca.yaml names.",
            show_default=False,
        ),
    ] = None,
    unit: Annotated[
        Unit | None,
        typer.Option(
            "--unit",
            help="Coding unit: one segment per speaker turn, sentence, paragraph or whole "
            "document. Default: qca.yaml's unit, else turn.",
            case_sensitive=False,
        ),
    ] = None,
    speaker_pattern: SpeakerPatternOption = None,
    text_column: TextColumnOption = None,
    id_column: IdColumnOption = None,
    participants: ParticipantsOption = None,
    interviewer_label: InterviewerLabelOption = None,
    no_default_interviewer_labels: NoDefaultInterviewerLabelsOption = False,
    encoding: EncodingOption = None,
    max_file_mb: MaxFileMbOption = None,
    strict: StrictOption = False,
    speakers: Annotated[
        bool,
        typer.Option(
            "--speakers",
            help="Print every speaker label per document instead (turns, words, interviewer "
            "flag, similar labels such as Particpant beside Participant).",
        ),
    ] = False,
    fmt: Annotated[
        SegmentFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="Write the segments table (csv, json, jsonl) or the --speakers table "
            "(table, csv, json; default table on a terminal) to stdout or -o.",
            case_sensitive=False,
        ),
    ] = None,
    output: OutputOption = None,
) -> None:
    """Read transcripts (.txt .md .docx .odt .rtf .pdf .vtt .srt) and surveys (.csv .xlsx .jsonl).

    Prints a summary per document (speakers, turns, words, warnings) on stderr, then
    every problem. With --format or -o, writes the segments table. With --speakers,
    prints the speaker labels found per document instead of the summary, to check
    what segmentation will do before coding. With a qca.yaml in the working folder,
    paths and options default to its settings, as for qca code. Exits 1 if any file
    was skipped.

    Example: qca ingest transcripts/ --participants participants.csv -f csv -o segments.csv
    """
    from rich.console import Console

    from qca.export import write_table
    from qca.ingest import collect, iter_corpus, summarize_corpus
    from qca.render import render_frame
    from qca.settings import resolve

    if speakers and unit not in (None, Unit.turn):
        raise fail("--speakers counts speaker turns; leave out --unit")
    if not speakers and fmt is SegmentFormat.table:
        raise fail("--format table is for --speakers; write segments as csv, json or jsonl")
    settings = resolve(
        {
            "transcripts": paths,
            "unit": unit.value if unit else None,
            "participants": participants,
            "speaker_pattern": speaker_pattern,
            "text_column": text_column,
            "id_column": id_column,
            "interviewer_labels": interviewer_label,
            "encoding": encoding,
            "max_file_mb": max_file_mb,
        }
    )
    if not settings.transcripts:
        raise fail(
            "no transcripts given: name files or folders (qca ingest PATH...), "
            "or run qca init to write a qca.yaml"
        )
    options = settings.ingest_options(
        unit="turn" if speakers else None,
        default_interviewer_labels=not no_default_interviewer_labels,
        strict=strict,
    )
    corpus, turns = collect(iter_corpus(list(settings.transcripts), options))
    if speakers:
        _speakers(corpus, fmt, output)
        return
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


def _speakers(corpus: Corpus, fmt: SegmentFormat | None, output: Path | None) -> None:
    from qca.ingest import speaker_table

    table = speaker_table(corpus)
    print_problems(corpus.problems)
    chosen = resolve_format(TableFormat(fmt.value) if fmt is not None else None, output)
    emit_table(table, chosen, output)
    if any(problem.is_error for problem in corpus.problems):
        raise typer.Exit(code=1)
