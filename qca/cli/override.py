"""``qca override add|remove|list|check|stats``: manual coding decisions in overrides.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qca.cli import app
from qca.cli._errors import print_problems, reports_errors, stderr
from qca.cli._options import (
    FormatOption,
    OutdirOption,
    OutputOption,
    deprecated,
    emit_table,
    resolve_format,
)

if TYPE_CHECKING:
    from qca.outputs import CodedOutput

override_app = typer.Typer(
    name="override",
    help="Record manual decisions (add or remove a code on a segment) that survive re-runs.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
)
app.add_typer(override_app, name="override")

OverridesOption = Annotated[
    Path | None,
    typer.Option(
        "--overrides",
        help="The overrides file. Default: the one qca.yaml names, else overrides.yaml.",
        dir_okay=False,
    ),
]
SegmentArgument = Annotated[
    str, typer.Argument(help="The segment, e.g. fg-coaches:t0042.", show_default=False)
]
CodeArgument = Annotated[str, typer.Argument(help="The code id.", show_default=False)]
NoteOption = Annotated[str, typer.Option("--note", help="Why: kept with the decision.")]
#: -n was --note here and --limit in qca show; it means --limit only now (#18).
OldNoteOption = Annotated[str | None, typer.Option("-n", hidden=True)]
CoderOption = Annotated[
    str | None,
    typer.Option("--coder", help="Who decides. Default: $QCA_CODER, else your user name."),
]


def _output(outdir: Path | None) -> CodedOutput:
    from qca.outputs import default_output_folder, read_output

    return read_output(
        outdir if outdir is not None else default_output_folder(), check_project=False
    )


def _path(overrides: Path | None) -> Path:
    from qca.overrides import default_overrides_path

    return overrides if overrides is not None else default_overrides_path()


def _decide(
    action: str,
    segment_id: str,
    code: str,
    note: str,
    coder: str | None,
    outdir: Path | None,
    overrides: Path | None,
) -> None:
    from qca.overrides import add_decisions, find_segment, new_decision

    coded = _output(outdir)
    segment = find_segment(coded, segment_id, code)
    path = _path(overrides)
    decision = new_decision(segment, code, action, coder=coder, note=note)
    add_decisions(path, [decision])
    verb = "added" if action == "add" else "removed"
    stderr().print(
        f"{verb} {code} on {segment_id} ({decision.coder}) -> {path.as_posix()}; "
        "re-run qca code to update the tables",
        markup=False,
    )


@override_app.command("add")
@reports_errors
def override_add_cli(
    segment_id: SegmentArgument,
    code: CodeArgument,
    note: NoteOption = "",
    old_note: OldNoteOption = None,
    coder: CoderOption = None,
    outdir: OutdirOption = None,
    overrides: OverridesOption = None,
) -> None:
    """Code a segment by hand: the code stays on it in every later qca code run.

    The segment and code are checked against the latest output folder, and the
    segment's text hash is stored, so a later edit of the transcript is noticed.

    Example: qca override add fg-coaches:t0042 motivation --note "implicit drive"
    """
    note = note or deprecated(old_note, old="-n NOTE", new="--note NOTE") or ""
    _decide("add", segment_id, code, note, coder, outdir, overrides)


@override_app.command("remove")
@reports_errors
def override_remove_cli(
    segment_id: SegmentArgument,
    code: CodeArgument,
    note: NoteOption = "",
    old_note: OldNoteOption = None,
    coder: CoderOption = None,
    outdir: OutdirOption = None,
    overrides: OverridesOption = None,
) -> None:
    """Remove a code from a segment: the rule's coding is dropped in every later run.

    The hits stay in hits.parquet (they are the rules' record); the codings and
    every table built from them lose this coding.

    Example: qca override remove fg-seniors:t0029 implementation --note "talks about the word"
    """
    note = note or deprecated(old_note, old="-n NOTE", new="--note NOTE") or ""
    _decide("remove", segment_id, code, note, coder, outdir, overrides)


@override_app.command("list")
@reports_errors
def override_list_cli(
    code: Annotated[
        str | None, typer.Option("--code", help="Only the decisions on this code.")
    ] = None,
    old_code: Annotated[str | None, typer.Option("-c", hidden=True)] = None,
    overrides: OverridesOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """List the recorded decisions in file order (later ones win).

    Example: qca override list --code motivation --format csv
    """
    from qca.overrides import overrides_table, read_overrides

    code = code or deprecated(old_code, old="qca override list -c CODE", new="--code CODE")
    table = overrides_table(read_overrides(_path(overrides)), code=code)
    emit_table(table, resolve_format(fmt, output), output, title="overrides")


@override_app.command("check")
@reports_errors
def override_check_cli(
    outdir: OutdirOption = None,
    overrides: OverridesOption = None,
) -> None:
    """Check every decision against the latest output: moved, changed, gone, unknown code.

    A decision whose text moved to another segment id (turns inserted before it)
    still applies and is reported as a warning. A stale one (the segment's text
    changed, the segment is gone, or the code left the codebook) is not applied;
    each is reported with its old text and the nearest current segment. Exit
    code 1 when any decision is stale.

    Example: qca override check
    """
    from qca.overrides import check_overrides, read_overrides

    path = _path(overrides)
    decisions = read_overrides(path)
    coded = _output(outdir)
    table, problems = check_overrides(decisions, coded.segments, coded.code_ids)
    print_problems(problems)
    counts = table["status"].value_counts().to_dict() if len(table) else {}
    stale = sum(int(counts.get(s, 0)) for s in ("changed", "gone", "unknown_code"))
    stderr().print(
        f"{path.as_posix()}: {len(table)} decisions: {int(counts.get('ok', 0))} ok, "
        f"{int(counts.get('moved', 0))} moved, {stale} stale",
        markup=False,
    )
    if stale:
        raise typer.Exit(code=1)


@override_app.command("stats")
@reports_errors
def override_stats_cli(
    outdir: OutdirOption = None,
    overrides: OverridesOption = None,
    fmt: FormatOption = None,
    output: OutputOption = None,
) -> None:
    """Show per code how many rule-coded segments were reviewed, accepted, rejected, added.

    precision = accepted / reviewed: the codebook's measured precision on the
    segments a coder has reviewed (qca review).

    Example: qca override stats --format csv
    """
    from qca.overrides import override_stats, read_overrides

    decisions = read_overrides(_path(overrides))
    coded = _output(outdir)
    table = override_stats(coded.hits, coded.segments, coded.codes, decisions)
    emit_table(table, resolve_format(fmt, output), output, title="review of rule hits")
