"""``qca code``: code transcripts with a codebook and write the output folder."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from qca.cli import app
from qca.cli._errors import fail, print_problems, reports_errors, stderr
from qca.cli._options import (
    EncodingOption,
    IdColumnOption,
    InterviewerLabelOption,
    MaxFileMbOption,
    NoDefaultInterviewerLabelsOption,
    SpeakerPatternOption,
    StrictOption,
    TextColumnOption,
    Unit,
    deprecated,
)

if TYPE_CHECKING:
    from qca.coding import CodeResult
    from qca.progress import ProgressState
    from qca.rerun import OutputState


class _Progress:
    """A progress bar on stderr: percentage of the input bytes, files done of all, segments,
    elapsed time and ETA (see :mod:`qca.progress`).

    It appears only on a terminal and only when a run takes over a second.
    """

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.progress: Any = None
        self.task: Any = None

    def __call__(self, state: ProgressState) -> None:
        from qca.progress import format_seconds

        fraction = state.fraction
        fields = {
            "total": 1000 if fraction is not None else None,
            "completed": round((fraction or 0) * 1000),
            "percent": f"{fraction:4.0%}" if fraction is not None else "",
            "files": f"{state.files_done}/{state.total_files}",
            "segments": state.segments,
            "elapsed": format_seconds(state.elapsed),
            "eta": format_seconds(state.eta),
        }
        if self.progress is not None:
            self.progress.update(self.task, **fields)
            return
        console = stderr()
        if time.monotonic() - self.started < 1.0 or not console.is_terminal:
            return
        from rich.progress import BarColumn, Progress, TextColumn

        self.progress = Progress(
            TextColumn("coding"),
            BarColumn(),
            TextColumn("{task.fields[percent]}"),
            TextColumn("{task.fields[files]} files, {task.fields[segments]} segments"),
            TextColumn("{task.fields[elapsed]} ETA {task.fields[eta]}"),
            console=console,
            transient=True,
        )
        self.task = self.progress.add_task("coding", **fields)
        self.progress.start()

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()


def _notify(line: str) -> None:
    """Print a line from the run (the Dask dashboard link) on stderr, before the progress bar."""
    typer.echo(line, err=True)


def summary_lines(result: CodeResult, outdir: Path | str) -> list[str]:
    """Return the run summary: totals, then hits per theme and per code in codebook order."""
    from qca.models import CODE, THEME

    per_code: dict[str, int] = {}
    per_theme: dict[str, int] = {}
    if len(result.hits):
        per_code = {str(k): int(v) for k, v in result.hits.groupby(CODE).size().items()}
        per_theme = {str(k): int(v) for k, v in result.hits.groupby(THEME).size().items()}
    return summary_of(result.manifest, per_theme, per_code, outdir)


def summary_of(
    manifest: dict[str, Any],
    per_theme: dict[str, int],
    per_code: dict[str, int],
    outdir: Path | str,
) -> list[str]:
    """Return the run summary of run.json's *manifest* and the hits per theme and code."""
    counts = manifest["counts"]
    rows: list[tuple[str, int]] = []
    for theme in manifest["themes"]:
        rows.append((theme["theme"], int(per_theme.get(theme["theme"], 0))))
        for code in manifest["codes"]:
            if code["theme"] == theme["theme"]:
                rows.append(("  " + code["code"], int(per_code.get(code["code"], 0))))
    width = max([len("theme / code"), *(len(name) for name, _ in rows)])
    lines = [
        f"coded {counts['documents']} documents, {counts['segments']} segments, "
        f"{counts['words']} words: {counts['hits']} hits in {counts['coded_segments']} "
        f"segments -> {outdir if isinstance(outdir, str) else outdir.as_posix()}",
        f"{'theme / code':<{width}}  hits",
    ]
    lines += [f"{name:<{width}}  {number:>4}" for name, number in rows]
    if counts["skipped_files"]:
        lines.append(f"skipped {counts['skipped_files']} file(s) (see above)")
    return lines


def _overrides_file(given: Path | None, setting: Path | None) -> Path | None:
    """Return the overrides file to apply, if any (read_overrides checks it)."""
    from qca.models import OVERRIDES_FILE

    if given is not None and not given.is_file():
        raise fail(f"{given}: no such overrides file; check the path, or drop --overrides")
    path = given or setting or Path(OVERRIDES_FILE)
    return path if path.is_file() else None


def _rematch(codebook: Path, state: OutputState, options: Any) -> None:
    """Re-code an edit of the codebook alone from the token store (qca.rematch), then exit.

    Returns (to code as a full run) when the edit needs spaCy or the store lacks the tokens.
    """
    from qca.rematch import rematch

    done = rematch(codebook, state, options)
    if isinstance(done, str):
        import os

        from qca.crash import DEBUG_VARIABLE

        if os.environ.get(DEBUG_VARIABLE) == "1":  # why an edit costs a full run
            typer.echo(f"codebook edited: coding every code ({done})", err=True)
        return
    lines = up_to_date_lines(state)[:-1]  # the run's problems, as the up-to-date path prints them
    total = len(done.manifest["codes"])
    lines.append(
        f"codebook edited: re-matched {done.matched} of {total} codes from the token store"
    )
    lines += summary_of(done.manifest, done.per_theme, done.per_code, done.outdir)
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code=1 if state.skipped else 0)


def up_to_date_lines(state: OutputState) -> list[str]:
    """Return what a re-run with nothing changed prints: the run's problems, then one line."""
    lines = [("warning: " if kind == "warning" else "") + line for kind, line in state.problems]
    lines.append(
        f"{state.outdir.as_posix()} is up to date ({state.documents} documents, codebook "
        "unchanged); nothing to do. Use --force to code again."
    )
    return lines


@app.command("code")
@reports_errors
def code_cli(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Transcript files or folders, or fsspec URLs of them (s3://...). "
            "Default: the transcripts qca.yaml names.",
            show_default=False,
        ),
    ] = None,
    codebook: Annotated[
        Path | None,
        typer.Option(
            "--codebook", "-c", help="The YAML codebook. Default: the one qca.yaml names."
        ),
    ] = None,
    outdir: Annotated[
        str | None,
        typer.Option(
            "--outdir",
            "-d",
            help="The output folder, or an fsspec URL (written locally, then uploaded with "
            "run.json last). Default: $QCA_OUTPUT, else qca.yaml's output, else qca-out.",
            metavar="DIR",
        ),
    ] = None,
    old_output: Annotated[Path | None, typer.Option("--output", "-o", hidden=True)] = None,
    unit: Annotated[
        Unit | None,
        typer.Option(
            "--unit",
            help="Coding unit: turn, sentence, paragraph or document. Default: the codebook's.",
            case_sensitive=False,
        ),
    ] = None,
    participants: Annotated[
        str | None,
        typer.Option(
            "--participants",
            metavar="FILE.csv",
            help="CSV of attributes keyed by doc_id and/or speaker (e.g. doc_id,speaker,role,site), "
            "or its URL.",
        ),
    ] = None,
    speaker_pattern: SpeakerPatternOption = None,
    text_column: TextColumnOption = None,
    id_column: IdColumnOption = None,
    interviewer_label: InterviewerLabelOption = None,
    no_default_interviewer_labels: NoDefaultInterviewerLabelsOption = False,
    encoding: EncodingOption = None,
    max_file_mb: MaxFileMbOption = None,
    include_interviewer: Annotated[
        bool,
        typer.Option(
            "--include-interviewer",
            help="Code interviewer turns and the codebook's exclude_speakers too.",
        ),
    ] = False,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            metavar="NAME_OR_PATH",
            help="An installed or saved spaCy pipeline instead of the blank one + lookup lemmas.",
        ),
    ] = None,
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", min=1, help="Worker processes (pays above ~0.5M words).")
    ] = 1,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Do not read or write the cache .qca-cache/ (read files, tokens, hits); "
            "code again even when the outputs are up to date.",
        ),
    ] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Code again even when run.json says the outputs are up to date "
            "(same inputs, codebook and options).",
        ),
    ] = False,
    strict: StrictOption = False,
    cache_dir: Annotated[
        Path | None,
        typer.Option(
            "--cache-dir",
            help="The cache folder (a content-addressed token store: workers of a cluster "
            "can share it). Default: .qca-cache beside the output folder.",
            file_okay=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            metavar="ADDRESS",
            help="Code on a Dask cluster: local:N (N worker processes here) or tcp://HOST:PORT "
            "(a running dask scheduler; shared filesystem). Default: $QCA_SCHEDULER, else "
            "qca.yaml's scheduler. Needs pip install 'qca[dask]'.",
        ),
    ] = None,
    count_nested: Annotated[
        bool | None,
        typer.Option(
            "--count-nested/--no-count-nested",
            help="Count every overlapping match of one code in a segment ('ICE' inside "
            "'ICE plots': 2 hits); by default they count once, the longest. Default: qca.yaml's "
            "count_nested, else off.",
            show_default=False,
        ),
    ] = None,
    overrides: Annotated[
        Path | None,
        typer.Option(
            "--overrides",
            help="Manual decisions to apply (qca override). Default: the file qca.yaml names, "
            "else overrides.yaml if it exists.",
            dir_okay=False,
        ),
    ] = None,
) -> None:
    """Code transcripts with a codebook; write hits, codings, segments and run.json.

    Writes segments.parquet, hits.parquet/.csv, codings.parquet/.csv and run.json
    to the output folder, each file replaced only when the run succeeds, and prints
    hits per theme and code on stderr. With a qca.yaml in the working folder, paths
    and options default to its settings. Exit code 1 when a file was skipped.
    When the inputs, codebook, options and outputs are as run.json recorded them,
    nothing is done (one line says so); --force codes again.

    Example: qca code transcripts --participants transcripts/participants.csv -c codebooks/esther.yaml -d qca-out
    """
    from qca.options import CodeOptions
    from qca.run.scheduler import scheduler_from
    from qca.run.urls import local_run
    from qca.settings import require_transcripts, resolve, run_locations

    # URLs, given or named by qca.yaml / QCA_*: local copies, uploaded after
    with local_run(*run_locations(paths or [], outdir, participants)) as local:
        settings = resolve(
            {
                "transcripts": local.paths,
                "codebook": codebook,
                "output": local.outdir
                or deprecated(
                    old_output, old="qca code -o/--output FOLDER", new="-d/--outdir FOLDER"
                ),
                "unit": unit.value if unit else None,
                "participants": local.participants,
                "speaker_pattern": speaker_pattern,
                "text_column": text_column,
                "id_column": id_column,
                "interviewer_labels": interviewer_label,
                "encoding": encoding,
                "max_file_mb": max_file_mb,
                "count_nested": count_nested,
            }
        )
        if not settings.transcripts:
            raise fail(
                "no transcripts given: name files or folders (qca code PATH... -c CODEBOOK), "
                "or run qca init to write a qca.yaml"
            )
        if settings.codebook is None:
            raise fail("no codebook given: add -c CODEBOOK.yaml, or name one in qca.yaml")
        files = [Path(p) for p in settings.transcripts]  # local now: URLs were copied
        codebook, target = settings.codebook, Path(settings.output)
        options = CodeOptions(
            # the unit stays None unless given, so the codebook's unit applies
            ingest=settings.ingest_options(
                unit="turn",
                default_interviewer_labels=not no_default_interviewer_labels,
                strict=strict,
            ),
            unit=settings.unit,
            include_interviewer=include_interviewer,
            model=model,
            jobs=jobs,
            cache=not no_cache,
            cache_dir=cache_dir or (Path(".qca-cache") if local.url else None),
            overrides=_overrides_file(overrides, settings.overrides),
            scheduler=scheduler_from(scheduler, settings.scheduler),
            count_nested=settings.count_nested,
        )
        if not (force or no_cache):
            from qca.rerun import check_outputs

            state = check_outputs(files, codebook, target, options=options)
            if state.up_to_date:
                for line in up_to_date_lines(state):
                    typer.echo(line, err=True)  # not rich: its import is a tenth of this path
                raise typer.Exit(code=1 if state.skipped else 0)
            if state.codebook_only:
                _rematch(codebook, state, options)  # exits when it re-coded the edit
        require_transcripts(files, options.ingest.participants)
        if options.overrides is not None:  # a malformed file stops the run before coding
            from qca.overrides import read_overrides

            read_overrides(options.overrides)
        from qca.coding import code  # not before: an edited re-run may not need it

        progress = _Progress()
        try:
            result = code(
                files, codebook, outdir=target, options=options, progress=progress, notify=_notify
            )
        finally:
            progress.stop()
        local.publish(target)
        print_problems(local.name(p) for p in result.problems)
        console = stderr()
        for line in summary_lines(result, local.url or target):
            console.print(line, markup=False)
        if result.skipped:
            raise typer.Exit(code=1)
