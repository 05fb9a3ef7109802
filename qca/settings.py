"""The settings one command works with: ``qca.yaml``, then ``QCA_*`` variables, then options.

:func:`resolve` is the one settings path every command takes (the project file itself is
read by :mod:`qca.project`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import IngestError, OutputError, Problem
from qca.models import DEFAULT_OUTDIR

if TYPE_CHECKING:
    from qca.ingest.base import IngestOptions
from qca.project import FLAG_KEYS, PROJECT_KEYS, URL_KEYS, Project, find_project, project_paths
from qca.run.urls import is_url

#: Environment variables that stand in for a qca.yaml setting: ``QCA_`` + the key in capitals
#: (``QCA_CODEBOOK``, ``QCA_OUTPUT``, ...). Lists (``transcripts``) are separated by the path
#: separator (``:``), ``interviewer_labels`` by commas. Paths are relative to the working folder.
ENV_PREFIX = "QCA_"
_PATH_KEYS = frozenset({"codebook", "output", "participants", "overrides"})


@dataclass(frozen=True)
class Settings:
    """The settings one command works with: qca.yaml, then ``QCA_*`` variables, then options.

    ``project`` is the qca.yaml read (``None`` without one); every other field holds the
    value that won. ``output`` always has a value (``qca-out`` by default).
    """

    project: Project | None = None
    transcripts: tuple[Path | str, ...] = ()  # an fsspec URL stays a string (#23)
    codebook: Path | None = None
    output: Path | str = Path(DEFAULT_OUTDIR)
    participants: Path | str | None = None
    overrides: Path | None = None
    unit: str | None = None
    speaker_pattern: str | None = None
    text_column: str | tuple[str, ...] | None = None
    id_column: str | None = None
    interviewer_labels: tuple[str, ...] | None = None
    encoding: str | None = None
    scheduler: str | None = None  # qca code --scheduler (#23)
    max_file_mb: int | None = None  # largest one-document file read (#19)
    count_nested: bool = False  # qca code --count-nested (#18)

    def ingest_options(
        self,
        *,
        unit: str | None = None,
        default_interviewer_labels: bool = True,
        strict: bool = False,
    ) -> IngestOptions:
        """The :class:`~qca.ingest.base.IngestOptions` these settings give.

        Args:
            unit: The unit to read (default: the settings' unit, else ``turn``).
            default_interviewer_labels: Add the built-in interviewer labels to the given ones.
            strict: Make a file that cannot be read an error.
        """
        from qca.ingest.base import DEFAULT_INTERVIEWER_LABELS, IngestOptions

        participants = self.participants
        if isinstance(participants, str):  # a URL: only qca code downloads one
            raise OutputError(
                f"participants {participants} is a URL, which only qca code reads; "
                "download the sheet and give its path"
            )
        defaults = DEFAULT_INTERVIEWER_LABELS if default_interviewer_labels else ()
        given = tuple(label.strip().lower() for label in self.interviewer_labels or ())
        return IngestOptions(
            unit=unit or self.unit or "turn",
            speaker_pattern=self.speaker_pattern,
            text_column=self.text_column,
            id_column=self.id_column,
            participants=participants,
            interviewer_labels=tuple(dict.fromkeys(defaults + given)),
            encoding=self.encoding,
            strict=strict,
            max_file_mb=self.max_file_mb,
        )


def _from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    from qca.ingest.files import NOT_MEGABYTES, megabytes

    values: dict[str, Any] = {}
    for key in PROJECT_KEYS:
        raw = environ.get(ENV_PREFIX + key.upper(), "").strip()
        if not raw:
            continue
        if key == "transcripts":
            values[key] = tuple(_path(key, p) for p in _split_paths(raw) if p)
        elif key == "interviewer_labels":
            values[key] = tuple(v.strip().lower() for v in raw.split(",") if v.strip())
        elif key == "max_file_mb":
            values[key] = megabytes(raw)
            if values[key] is None:
                raise OutputError(f"{ENV_PREFIX}MAX_FILE_MB={raw}: {NOT_MEGABYTES}")
        elif key in FLAG_KEYS:
            if raw.lower() not in ("1", "true", "yes", "0", "false", "no"):
                raise OutputError(f"{ENV_PREFIX}{key.upper()}={raw}: expected true or false")
            values[key] = raw.lower() in ("1", "true", "yes")
        else:
            values[key] = _path(key, raw) if key in _PATH_KEYS else raw
    return values


def _split_paths(raw: str) -> list[str]:
    """Split ``QCA_TRANSCRIPTS`` on the path separator, keeping ``s3://x`` whole."""
    if os.pathsep != ":":
        return raw.split(os.pathsep)
    parts: list[str] = []
    for piece in raw.split(":"):
        if parts and piece.startswith("//") and is_url(parts[-1] + ":" + piece):
            parts[-1] += ":" + piece
        else:
            parts.append(piece)
    return parts


def _path(key: str, value: str | Path) -> Path | str:
    """A path setting as a Path; an fsspec URL, where the command line takes one, as given."""
    if key in URL_KEYS and is_url(value):
        return value
    return Path(value)


def resolve(
    options: Mapping[str, Any] | None = None,
    *,
    directory: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Merge qca.yaml, the environment and a command's options into one :class:`Settings`.

    An option given (not ``None``, not empty) wins over a ``QCA_*`` variable, which wins
    over qca.yaml, which wins over the defaults. Every command that takes paths, a
    codebook or ingest options calls this, so they all see the same settings.

    Args:
        options: The command's options by setting name (``codebook``, ``output``,
            ``transcripts``, ``participants``, ``unit``, ...); ``None`` values are not given.
        directory: Where to look for qca.yaml (default: the working folder).
        environ: The environment (default: ``os.environ``).

    Raises:
        OutputError: When qca.yaml is invalid, or an option is not a setting.

    Examples:
        >>> resolve({"codebook": "codebooks/esther.yaml"}).codebook  # doctest: +SKIP
        PosixPath('codebooks/esther.yaml')
    """
    project = find_project(directory)
    merged: dict[str, Any] = {}
    if project is not None:
        merged.update(
            {f.name: getattr(project, f.name) for f in fields(Project) if f.name != "path"}
        )
        merged = {k: v for k, v in merged.items() if v not in (None, ())}
    merged.update(_from_environment(os.environ if environ is None else environ))
    for key, value in (options or {}).items():
        if key not in PROJECT_KEYS:
            raise OutputError(f"{key}: not a setting; use one of: {', '.join(PROJECT_KEYS)}")
        if value is None or (isinstance(value, (list, tuple)) and not value):
            continue
        if key == "transcripts":
            value = tuple(_path(key, p) for p in value)
        elif key == "interviewer_labels":
            value = tuple(str(v).strip().lower() for v in value)
        elif key == "text_column" and not isinstance(value, str):
            value = tuple(value)
        elif key in _PATH_KEYS:
            value = _path(key, value)
        merged[key] = value
    settings = replace(Settings(project=project), **merged)
    if not settings.transcripts and project is not None:
        settings = replace(settings, transcripts=tuple(project_paths(project)))
    return settings


def run_locations(
    paths: Sequence[str],
    outdir: str | None,
    participants: str | None,
    *,
    directory: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> tuple[list[str], str | None, str | None]:
    """Return the transcripts, output folder and participants sheet of a run as
    :func:`qca.run.urls.local_run` takes them: those given, else the URLs that qca.yaml or
    a ``QCA_*`` variable names (so they are downloaded or uploaded as on the command line);
    a local path from there is left to :func:`resolve`, as before.

    Examples:
        >>> run_locations([], None, None, environ={"QCA_OUTPUT": "s3://b/out"})[1]  # doctest: +SKIP
        's3://b/out'
    """
    settings = resolve(
        {"transcripts": paths, "output": outdir, "participants": participants},
        directory=directory,
        environ=environ,
    )
    named = [str(p) for p in settings.transcripts]
    chosen = list(paths) if paths else (named if any(is_url(p) for p in named) else [])
    output = outdir or (settings.output if isinstance(settings.output, str) else None)
    sheet = settings.participants
    return chosen, output, participants or (sheet if isinstance(sheet, str) else None)


def require_transcripts(paths: Sequence[Path], participants: Path | None = None) -> None:
    """Check that *paths* hold at least one file to read.

    Raises:
        IngestError: With one line when there is nothing to read at all (an empty
            ``transcripts/`` folder right after ``qca init``), saying how to fix it.
    """
    from qca.ingest.files import SUFFIXES, find_files

    files, problems, unread = find_files(paths, participants)
    if files or any(p.is_error for p in problems):
        return  # the reader reports the problems itself
    where = ", ".join(p.as_posix() for p in paths)
    raise IngestError(
        problems=[
            *(p for p in problems if p.path in unread),
            Problem(
                where,
                f"no transcripts to code ({', '.join(SUFFIXES)}); put transcript files "
                "there, or name them: qca code PATH...",
            ),
        ]
    )
