"""``qca pseudonymise``: consistent, reversible pseudonyms with a key kept on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from qca.cli import app
from qca.cli._errors import fail, print_problems, reports_errors, stderr
from qca.cli._options import FormatOption, emit_table, resolve_format

if TYPE_CHECKING:
    from qca.pseudonymise import PseudonymiseResult

#: How the summary names each kind: (one, many).
_NOUNS = {
    "person": ("name", "names"),
    "place": ("place", "places"),
    "organisation": ("organisation", "organisations"),
    "email": ("e-mail address", "e-mail addresses"),
    "phone": ("phone number", "phone numbers"),
    "nhs_number": ("NHS number", "NHS numbers"),
    "date_of_birth": ("date of birth", "dates of birth"),
    "postcode": ("postcode", "postcodes"),
}


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


@app.command("pseudonymise")
@reports_errors
def pseudonymise_cli(
    paths: Annotated[
        list[Path], typer.Argument(help="Transcript files or folders (read recursively).")
    ],
    key: Annotated[
        Path,
        typer.Option(
            "--key",
            help="The key file (JSON, mode 0600): made when missing, else reused. It holds "
            "the original names: keep it private, outside the output folder.",
            dir_okay=False,
        ),
    ],
    outdir: Annotated[
        Path | None,
        typer.Option(
            "--outdir",
            "-d",
            help="The folder for the copies (required unless --dry-run).",
            file_okay=False,
            metavar="DIR",
        ),
    ] = None,
    old_output: Annotated[  # issue #21's spelling; -o names a file everywhere else (#18)
        Path | None, typer.Option("--output", "-o", hidden=True, file_okay=False)
    ] = None,
    names: Annotated[
        Path | None,
        typer.Option(
            "--names",
            help="A names file: one person per line, variants after ';', a role in "
            "brackets ('Anna Berg; Annie [colleague]').",
            dir_okay=False,
        ),
    ] = None,
    participants: Annotated[
        Path | None,
        typer.Option(
            "--participants", help="A participants sheet (CSV) with names.", dir_okay=False
        ),
    ] = None,
    name_columns: Annotated[
        str,
        typer.Option(
            "--name-columns", help="Comma-separated columns of --participants that hold names."
        ),
    ] = "speaker",
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="An installed spaCy pipeline (package or folder) whose NER adds names, "
            "places and organisations. Default: none (no model ships with qca).",
        ),
    ] = None,
    codebook: Annotated[
        Path | None,
        typer.Option(
            "--codebook",
            "-c",
            help="Check that its rules code no pseudonym (so coding the copies counts the "
            "same); a clash stops the run before anything is written.",
            dir_okay=False,
        ),
    ] = None,
    encoding: Annotated[
        str | None, typer.Option("--encoding", help="Encoding of text files (default: detected).")
    ] = None,
    reverse: Annotated[
        bool,
        typer.Option("--reverse", help="Give back the originals of pseudonymised copies."),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Write no copies; list every replacement (count, files, context) and "
            "capitalised words in no list. A missing key file is made (its secret only).",
        ),
    ] = False,
    fmt: FormatOption = None,
) -> None:
    """Write pseudonymised copies of transcripts, consistent and reversible with a key.

    Names come from speaker labels, --participants columns, a --names file and,
    with --model, a spaCy pipeline's entities; e-mail addresses, phone numbers, NHS
    numbers (check digit), dates of birth and UK postcodes by pattern. A speaker
    becomes P07, anyone else [PERSON 3] (or the role from --names); the same key
    gives the same pseudonyms in every file and run. Formats: txt, md, vtt, srt,
    csv, jsonl, docx, xlsx. --reverse restores the original bytes from the copies.

    Example: qca pseudonymise transcripts --key ../study.key -d shared
    """
    output = outdir or old_output
    from qca.pseudonymise import PseudonymiseOptions, pseudonymise_files, reverse_files

    if dry_run and fmt is not None and fmt.value == "xlsx":
        raise fail("--dry-run prints the review on stdout; use --format csv and redirect it")
    if output is None and not dry_run:
        raise fail("give the folder for the copies with -d FOLDER, or use --dry-run")
    if reverse:
        if dry_run:
            raise fail("--dry-run lists replacements; leave it out with --reverse")
        assert output is not None
        restored, problems = reverse_files(paths, output, key)
        print_problems(problems)
        done = _count(len(restored), "file", "files")
        stderr().print(f"restored {done} into {output.as_posix()}", markup=False)
        if any(p.is_error for p in problems):
            raise typer.Exit(code=1)
        return
    options = PseudonymiseOptions(
        names=names,
        participants=participants,
        name_columns=tuple(c.strip() for c in name_columns.split(",") if c.strip()),
        model=model,
        encoding=encoding,
        codebook=codebook,
    )
    result = pseudonymise_files(paths, output or Path(), key, options, dry_run=dry_run)
    print_problems(result.problems)
    if dry_run:
        emit_table(result.review, resolve_format(fmt), None)
    else:
        assert output is not None
        _summary(result, output, key)
    if any(p.is_error for p in result.problems):
        raise typer.Exit(code=1)


def _summary(result: PseudonymiseResult, output: Path, key: Path) -> None:
    """Print what was written on stderr, and a warning when words are in no list."""
    from qca.models import KIND

    total = sum(result.counts.values())
    kinds = ", ".join(_count(n, *_NOUNS[kind]) for kind, n in sorted(result.counts.items()))
    files = _count(len(result.written), "file", "files")
    stderr().print(
        f"pseudonymised {files} into {output.as_posix()}: "
        f"{_count(total, 'replacement', 'replacements')}"
        + (f" ({kinds})" if kinds else "")
        + f"; key: {key.as_posix()} (keep it private)",
        markup=False,
    )
    unlisted = int((result.review[KIND] == "unlisted").sum())
    if unlisted:
        words = _count(unlisted, "capitalised word is", "capitalised words are")
        stderr().print(f"warning: {words} in no list; review with --dry-run", markup=False)
