"""``qca review CODE``: step through a code's rule hits and accept or reject each one."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qca.cli import app
from qca.cli._errors import reports_errors
from qca.cli._options import OutdirOption
from qca.cli.override import CoderOption, OverridesOption

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

    from qca.review import ReviewItem, ReviewSession


def _read_key(tty: bool) -> str:
    """Read one key: a single keypress on a terminal, else one line (pipes, CliRunner)."""
    if tty:
        return typer.getchar()
    line = sys.stdin.readline()
    return line.strip()[:1] if line else "q"


def _read_note(tty: bool) -> str:
    if tty:
        return str(typer.prompt("note", default="", show_default=False))
    return sys.stdin.readline().strip()


def _segment_text(item: ReviewItem) -> Text:
    from rich.text import Text

    from qca.models import TEXT

    text = Text(str(item.segment[TEXT]))
    for start, end in item.spans:
        text.stylize("bold reverse", start, end)
    return text


def _show(console: Console, session: ReviewSession, item: ReviewItem) -> None:
    from rich.text import Text

    from qca.models import SPEAKER, TEXT
    from qca.overrides import excerpt

    total = len(session.items)
    console.print()
    console.print(
        f"[{session.position + 1}/{total}] {item.segment_id}  {item.segment[SPEAKER]}",
        style="bold",
        markup=False,
    )
    if item.before is not None:
        console.print(
            f"  before  {item.before[SPEAKER]}: {excerpt(item.before[TEXT])}",
            style="dim",
            markup=False,
        )
    console.print(Text("  > ") + _segment_text(item))
    if item.after is not None:
        console.print(
            f"  after   {item.after[SPEAKER]}: {excerpt(item.after[TEXT])}",
            style="dim",
            markup=False,
        )
    if item.suggested:
        console.print(f"  suggested {item.suggested}", markup=False)
    else:
        console.print(f"  rules: {'; '.join(item.rules)}", markup=False)
    if session.pending_note:
        console.print(f"  note (kept with your decision): {session.pending_note}", markup=False)
    earlier = session.decision(item)
    if earlier is not None:
        verb = "accepted" if earlier.action != "remove" else "rejected"
        note = f": {earlier.note}" if earlier.note else ""
        console.print(f"  decision: {verb} by {earlier.coder}{note}", markup=False)


@app.command("review")
@reports_errors
def review_cli(
    code: Annotated[str, typer.Argument(help="The code to review.", show_default=False)],
    coder: CoderOption = None,
    only_unreviewed: Annotated[
        bool,
        typer.Option("--only-unreviewed", help="Leave out the segments that have a decision."),
    ] = False,
    outdir: OutdirOption = None,
    overrides: OverridesOption = None,
    queue: Annotated[
        Path | None,
        typer.Option(
            "--queue",
            metavar="FILE",
            help="Review the segments of a queue qca suggest --segments wrote; a adds the code.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Review a code's rule hits one by one: accept (a), reject (r), skip (s), note (n), back (b), quit (q).

    Shows each segment the code's rules found, matches highlighted, with the turns
    around it and the rules that fired. Each decision is written to the overrides
    file at once; the next session resumes at the first segment without one.
    Re-run qca code to update the tables. With --queue, step through the segments a
    model suggested instead (qca suggest --segments): a adds the code, r rejects it.

    Example: qca review motivation --coder anna
    """
    from rich.console import Console

    from qca.outputs import default_output_folder, read_output
    from qca.overrides import default_coder, default_overrides_path
    from qca.review import KEY_HELP, KEYS, ReviewSession, queue_items, read_queue, review_items

    coded = read_output(
        outdir if outdir is not None else default_output_folder(), check_project=False
    )
    path = overrides if overrides is not None else default_overrides_path()
    if queue is None:
        items = review_items(coded, code)
    else:
        items = queue_items(coded, code, read_queue(queue), shown=queue.as_posix())
    session = ReviewSession.start(
        path,
        code,
        items,
        coder=coder or default_coder(),
        segments=coded.segments,
        only_unreviewed=only_unreviewed,
        accept_action="accept" if queue is None else "add",
    )
    console = Console(highlight=False, soft_wrap=True)
    tty = sys.stdin.isatty()
    done = session.reviewed
    console.print(
        f"{code}: {len(session.items)} segments to review, {done} with a decision; "
        f"decisions go to {Path(path).as_posix()}",
        markup=False,
    )
    while (item := session.current) is not None:
        _show(console, session, item)
        console.print(f"  {KEY_HELP} > ", end="", markup=False)
        key = _read_key(tty)
        console.print(key if tty else "", markup=False)
        if key.lower() not in KEYS:
            console.print(f"  unknown key {key!r}; use {KEY_HELP}", markup=False)
            continue
        note = _read_note(tty) if key.lower() == "n" else None
        session.press(key, note)
    console.print(
        f"{code}: {session.reviewed} of {len(session.items)} segments have a decision; "
        "re-run qca code to update the tables",
        markup=False,
    )
