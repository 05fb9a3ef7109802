"""The project file ``qca.yaml``: where a project's transcripts, codebook and outputs are.

With a ``qca.yaml`` in the working folder, ``qca code`` (and later commands) take
their paths from it, so ``qca code && qca themes`` is the whole daily loop.
``qca init`` writes one with a starter codebook. Paths in it are relative to
the file's folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem
from qca.io import atomic_write_text
from qca.models import DEFAULT_OUTDIR, OVERRIDES_FILE, PROJECT_FILE
from qca.run.urls import is_url
from qca.templates import (
    OVERRIDES_TEMPLATE,
    PROJECT_TEMPLATE,
    STARTER_CODEBOOK,
    STARTER_CODEBOOK_FILE,
)

if TYPE_CHECKING:
    pass

#: Keys a qca.yaml may have (paths, then the ingest options of the same names as ``qca code``'s).
PROJECT_KEYS: tuple[str, ...] = (
    "transcripts",
    "codebook",
    "output",
    "participants",
    "overrides",
    "unit",
    "speaker_pattern",
    "text_column",
    "id_column",
    "interviewer_labels",
    "encoding",
    "scheduler",
    "max_file_mb",
    "count_nested",
)
#: Path keys that take an fsspec URL as the command line does (``s3://``, ``memory://``): kept
#: as given, not made a path in the project's folder (#23).
URL_KEYS = frozenset({"transcripts", "output", "participants"})
#: Keys whose value is true or false (the others are strings or lists of them).
FLAG_KEYS = frozenset({"count_nested"})


@dataclass(frozen=True)
class Project:
    """The settings of one ``qca.yaml`` with paths resolved against its folder."""

    path: Path
    transcripts: tuple[Path | str, ...] = ()  # an fsspec URL stays a string (#23)
    codebook: Path | None = None
    output: Path | str | None = None
    participants: Path | str | None = None
    overrides: Path | None = None
    unit: str | None = None
    speaker_pattern: str | None = None
    text_column: str | tuple[str, ...] | None = None
    id_column: str | None = None
    interviewer_labels: tuple[str, ...] | None = None
    encoding: str | None = None
    scheduler: str | None = None
    max_file_mb: int | None = None
    count_nested: bool | None = None


def _problem(path: Path, message: str, node: Any = None, where: str = "") -> Problem:
    mark = getattr(node, "start_mark", None)
    return Problem(
        str(path),
        message,
        line=mark.line + 1 if mark is not None else None,
        col=mark.column + 1 if mark is not None else None,
        where=where,
    )


def read_project(path: str | Path) -> Project:
    """Read and check a ``qca.yaml``.

    Raises:
        OutputError: With every problem found (unknown keys, wrong types, bad YAML).

    Examples:
        >>> project = read_project("qca.yaml")  # doctest: +SKIP
        >>> project.codebook  # doctest: +SKIP
        PosixPath('codebooks/esther.yaml')
    """
    import yaml

    from qca.ingest.files import NOT_MEGABYTES, megabytes
    from qca.yamlbounds import check_yaml

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
        limit = check_yaml(text)
        if limit is not None:
            raise OutputError(
                problems=[Problem(str(path), limit.message, line=limit.line, col=limit.col)]
            )
        root = yaml.compose(text)
        data = yaml.safe_load(text)
    except OSError as exc:
        raise OutputError(f"{path}: cannot read the project file ({exc.strerror})") from None
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise OutputError(
            problems=[
                Problem(
                    str(path),
                    "not valid YAML; fix the file or write a new one with qca init",
                    line=mark.line + 1 if mark is not None else None,
                    col=mark.column + 1 if mark is not None else None,
                )
            ]
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or not isinstance(root, (yaml.MappingNode, type(None))):
        raise OutputError(
            problems=[_problem(path, "expected a mapping of settings (key: value)", root)]
        )
    nodes = {str(k.value): v for k, v in root.value} if root is not None else {}
    keys = {str(k.value): k for k, _ in root.value} if root is not None else {}
    problems: list[Problem] = []
    folder = path.parent
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = str(key)
        if name not in PROJECT_KEYS:
            problems.append(
                _problem(
                    path,
                    f"unknown setting; use one of: {', '.join(PROJECT_KEYS)}",
                    keys.get(name),
                    name,
                )
            )
            continue
        if value is None:
            continue
        if name in ("transcripts", "interviewer_labels", "text_column"):
            items = [value] if isinstance(value, str) else value
            if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
                what = "a column name" if name == "text_column" else "a path"
                problems.append(
                    _problem(path, f"expected {what} or a list of them", nodes.get(name), name)
                )
                continue
            if name == "transcripts":
                values[name] = tuple(v if is_url(v) else folder / v for v in items)
            elif name == "text_column":  # several: one segment per column (#18)
                values[name] = value if isinstance(value, str) else tuple(items)
            else:
                values[name] = tuple(v.strip().lower() for v in items)
            continue
        if name == "max_file_mb":
            values[name] = megabytes(value)
            if values[name] is None:
                problems.append(_problem(path, NOT_MEGABYTES, nodes.get(name), name))
            continue
        if name in FLAG_KEYS:
            if isinstance(value, bool):
                values[name] = value
            else:
                problems.append(_problem(path, "expected true or false", nodes.get(name), name))
            continue
        if not isinstance(value, str):
            problems.append(
                _problem(path, "expected a string (put it in quotes)", nodes.get(name), name)
            )
            continue
        if name in URL_KEYS and is_url(value):
            values[name] = value  # a URL is no path in the project's folder (#23)
        elif name in ("codebook", "output", "participants", "overrides"):
            values[name] = folder / value
        else:
            values[name] = value
    if problems:
        raise OutputError(problems=problems)
    return Project(path=path, **values)


def find_project(directory: str | Path | None = None) -> Project | None:
    """Return the ``qca.yaml`` of *directory* (default: the working folder), if there is one."""
    path = Path(directory or ".") / PROJECT_FILE
    if not path.is_file():
        return None
    return read_project(path)


def init_project(
    directory: str | Path = ".",
    *,
    codebook: str = STARTER_CODEBOOK_FILE,
    output: str = DEFAULT_OUTDIR,
) -> list[Path]:
    """Scaffold a project in *directory*; return the files and folders it created.

    Writes ``qca.yaml``, a starter codebook, an empty ``overrides.yaml`` and a
    ``transcripts/`` folder. Never overwrites a file.

    Raises:
        OutputError: When one of the files already exists (nothing is written then),
            or the folder cannot be written.

    Examples:
        >>> init_project("my-study")  # doctest: +SKIP
        [PosixPath('my-study/qca.yaml'), ...]
    """
    folder = Path(directory)
    files = {
        folder / PROJECT_FILE: PROJECT_TEMPLATE.format(
            codebook=codebook, output=output, overrides=OVERRIDES_FILE
        ),
        folder / codebook: STARTER_CODEBOOK,
        folder / OVERRIDES_FILE: OVERRIDES_TEMPLATE,
    }
    existing = [p for p in files if p.exists()]
    if folder.exists() and not folder.is_dir():
        existing.insert(0, folder)
    if existing:
        raise OutputError(
            problems=[
                Problem(
                    str(p),
                    "already exists; qca init never overwrites: move it away or "
                    "choose another folder",
                )
                for p in existing
            ]
        )
    created: list[Path] = []
    try:
        for target in (folder, folder / "transcripts", *(p.parent for p in files)):
            if not target.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                created.append(target)
        for target, text in files.items():
            atomic_write_text(target, text)
            created.append(target)
    except OSError as exc:
        raise OutputError(
            f"{folder}: cannot write the project ({exc.strerror}); choose a writable folder"
        ) from None
    return sorted(set(created))


def project_paths(project: Project) -> Sequence[Path | str]:
    """Return the transcript paths a project names (``transcripts/`` when it names none)."""
    return project.transcripts or (project.path.parent / "transcripts",)
