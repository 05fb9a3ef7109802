"""Expand input paths into the files to read, and name every file that is not read.

Inside a folder, a file qca cannot read (``.doc``, ``.pages``, ``.png``, ...) is a
warning naming it; named on the command line it is an error. Files that are no
transcript by nature are passed over in silence, inside folders only: hidden files
and folders, Office lock files (``~$x.docx``), ``Thumbs.db``/``desktop.ini``, YAML
files (``qca.yaml``, ``overrides.yaml``, codebooks), the ``--participants`` file and
qca output folders (a folder holding ``run.json``).

Imports nothing heavy (no reader, no pandas), so that ``qca code`` can list and hash
the inputs of a re-run cheaply (:mod:`qca.rerun`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from qca.errors import Problem, Severity
from qca.models import RUN_FILE

TRANSCRIPT_SUFFIXES = (".txt", ".md", ".docx", ".odt", ".rtf", ".pdf", ".vtt", ".srt")
SURVEY_SUFFIXES = (".csv", ".xlsx", ".jsonl")
SUFFIXES: tuple[str, ...] = TRANSCRIPT_SUFFIXES + SURVEY_SUFFIXES

#: Suffixes of qca's own files (qca.yaml, overrides.yaml, codebooks): never warned about.
PROJECT_SUFFIXES: tuple[str, ...] = (".yaml", ".yml")
#: Files operating systems leave in folders.
SYSTEM_FILES: frozenset[str] = frozenset({"thumbs.db", "desktop.ini"})


def unreadable_problem(path: Path, severity: Severity = "error") -> Problem | None:
    """Return why *path* is not read (None if qca reads it), as an error or a warning."""
    name = path.name
    suffix = path.suffix.lower()
    if name.startswith("~$"):
        message = (
            "is a Word/Excel lock file, not a transcript; close the document or delete the file"
        )
    elif name.startswith("."):
        message = "is a hidden file; rename it without the leading dot to read it"
    elif suffix in SUFFIXES:
        return None
    elif suffix == ".doc":
        message = (
            "is a Word 97-2003 .doc file, not read; "
            "open it in Word or LibreOffice and save it as .docx"
        )
    else:
        message = (
            f"unsupported file type {path.suffix or '(none)'!r}, not read; "
            f"convert it to one of {', '.join(SUFFIXES)}"
        )
    return Problem(str(path), message, severity=severity)


def _silent(name: str) -> bool:
    """Whether a file found in a folder is passed over without a word."""
    lowered = name.lower()
    return (
        name.startswith((".", "~$"))
        or lowered in SYSTEM_FILES
        or lowered.endswith(PROJECT_SUFFIXES)
    )


def _scan(folder: Path) -> list[Path]:
    """Every file under *folder* except hidden folders and qca output folders, sorted."""
    found: list[Path] = []
    for root, folders, names in os.walk(folder):
        if RUN_FILE in names and Path(root) != folder:
            folders[:] = []  # a qca output folder: its tables are not transcripts
            continue
        folders[:] = [f for f in folders if not f.startswith(".")]
        found.extend(Path(root) / name for name in names)
    return sorted(found)


def _resolved_in(real: str, folder: Path, file: Path) -> str:
    """Return ``str(file.resolve())`` for a *file* that :func:`_scan` found under *folder*
    (resolved: *real*), statting the file alone rather than every folder on its path.

    ``os.walk`` does not enter linked folders, so only the file itself may be a link.
    """
    text = str(file)
    if os.path.islink(text):
        return os.path.realpath(text)
    prefix = str(folder) + os.sep
    relative = text[len(prefix) :] if text.startswith(prefix) else str(file.relative_to(folder))
    return os.path.join(real, relative)


def find_files(
    paths: Iterable[str | os.PathLike[str]], exclude: Path | None = None
) -> tuple[list[Path], list[Problem], list[str]]:
    """Expand *paths* (files and folders, recursively) into the files to read.

    Args:
        paths: Files and folders.
        exclude: A file never read (the ``--participants`` table).

    Returns:
        The files in order (folders sorted by path); the problems found: one
        warning per file in a folder that is not read, an error per missing path
        or unreadable file named directly; and the paths of the files in folders
        that are not read.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    unread: list[str] = []
    seen: set[str] = set()
    excluded = str(exclude.resolve()) if exclude is not None else None

    def add(path: Path, resolved: str | None = None) -> None:
        resolved = str(path.resolve()) if resolved is None else resolved
        if resolved not in seen and resolved != excluded:
            seen.add(resolved)
            files.append(path)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            readable: list[tuple[Path, str]] = []
            real = str(path.resolve())
            for file in _scan(path):
                if _silent(file.name):
                    continue
                resolved = _resolved_in(real, path, file)
                if excluded is not None and resolved == excluded:
                    continue
                problem = unreadable_problem(file, "warning")
                if problem is None:
                    readable.append((file, resolved))
                else:
                    problems.append(problem)
                    unread.append(problem.path)
            if not readable:
                problems.append(
                    Problem(
                        str(path),
                        f"folder has no transcripts ({', '.join(SUFFIXES)}); check the path",
                        severity="warning",
                    )
                )
            for file, resolved in readable:
                add(file, resolved)
        elif path.is_file():
            if excluded is not None and str(path.resolve()) == excluded:
                continue
            problem = unreadable_problem(path)
            if problem is not None:
                problems.append(problem)
            else:
                add(path)
        else:
            problems.append(Problem(str(path), "no such file or folder; check the path"))
    return files, problems, unread


#: Largest one-document file read (text, Word, PDF, captions), in MB, unless
#: ``--max-file-mb`` (``max_file_mb`` in qca.yaml, ``QCA_MAX_FILE_MB``) says otherwise.
#: A transcript is rarely over 5 MB; a bigger file is more likely a mistake.
MAX_FILE_MB = 100
#: What a bad ``max_file_mb`` setting is told.
NOT_MEGABYTES = "expected a whole number of megabytes above 0, e.g. 200"


def megabytes(value: object) -> int | None:
    """Return a ``max_file_mb`` setting (an int, or a string of digits) as an int above 0, else None.

    Examples:
        >>> megabytes(" 200 "), megabytes(0), megabytes("2e3"), megabytes(True)
        (200, None, None, None)
    """
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    return value if type(value) is int and value > 0 else None


def check_size(path: Path, limit: int | None = None) -> None:
    """Skip *path* when it is larger than *limit* MB (default :data:`MAX_FILE_MB`).

    Raises:
        SkipFile: With one line saying the size, the limit and how to raise it.
    """
    from qca.ingest.text import SkipFile

    limit = MAX_FILE_MB if limit is None else limit
    try:
        size = path.stat().st_size
    except OSError:
        return  # reading it reports the problem
    if size > limit * 1_000_000:
        raise SkipFile(
            Problem(
                str(path),
                f"is {size / 1_000_000:,.0f} MB, more than qca reads in one document "
                f"({limit:,} MB); split it, or raise the limit with --max-file-mb "
                f"{size // 1_000_000 + 1} (max_file_mb in qca.yaml)",
            )
        )
