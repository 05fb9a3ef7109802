"""Finding the files to read: the folders walked, the suffixes read, the problems up front.

Imports nothing heavy (no reader, no pandas), so that ``qca code`` can list and hash
the inputs of a re-run cheaply (:mod:`qca.rerun`).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from qca.errors import Problem

TRANSCRIPT_SUFFIXES = (".txt", ".md", ".docx", ".vtt", ".srt")
SURVEY_SUFFIXES = (".csv", ".xlsx", ".jsonl")
SUFFIXES: tuple[str, ...] = TRANSCRIPT_SUFFIXES + SURVEY_SUFFIXES


def _explicit_problem(path: Path) -> Problem | None:
    name = path.name
    if name.startswith("~$"):
        return Problem(
            str(path),
            "is a Word/Excel lock file, not a transcript; close the document or delete the file",
        )
    if name.startswith("."):
        return Problem(str(path), "is a hidden file; rename it without the leading dot to read it")
    if path.suffix.lower() not in SUFFIXES:
        return Problem(
            str(path),
            f"unsupported file type {path.suffix or '(none)'!r}; "
            f"convert it to one of {', '.join(SUFFIXES)}",
        )
    return None


def find_files(
    paths: Iterable[str | os.PathLike[str]], exclude: Path | None = None
) -> tuple[list[Path], list[Problem]]:
    """Expand *paths* (files and folders, recursively) into the files to read.

    Inside folders, hidden files and folders, Office lock files (``~$``) and
    unsupported suffixes are ignored. Named on the command line, they are problems.

    Returns:
        The files in order (folders sorted), and the problems found.
    """
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    excluded = exclude.resolve() if exclude is not None else None

    def add(path: Path) -> None:
        resolved = path.resolve()
        if resolved not in seen and resolved != excluded:
            seen.add(resolved)
            files.append(path)

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in SUFFIXES
                and not p.name.startswith("~$")
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            )
            found = [p for p in found if p.resolve() != excluded]
            if not found:
                problems.append(
                    Problem(
                        str(path),
                        f"folder has no transcripts ({', '.join(SUFFIXES)}); check the path",
                        severity="warning",
                    )
                )
            for file in found:
                add(file)
        elif path.is_file():
            if excluded is not None and path.resolve() == excluded:
                continue
            problem = _explicit_problem(path)
            if problem is not None:
                problems.append(problem)
            else:
                add(path)
        else:
            problems.append(Problem(str(path), "no such file or folder; check the path"))
    return files, problems
