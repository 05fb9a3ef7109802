"""Exceptions and diagnostics.

Library code raises :class:`QcaError` subclasses; the CLI's single handler
(``qca.cli._errors``) prints their problems to stderr and exits with code 1.
Every message says what is wrong, where, and how to fix it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One diagnostic, printed as ``path:line:col: where: message``.

    Args:
        path: The file the problem is in ("" when it concerns no file).
        message: What is wrong and how to fix it.
        line: 1-based line, when known.
        col: 1-based column, when known.
        where: A key path, code id, segment id or other locator inside the file.
        severity: ``"error"`` or ``"warning"``.
    """

    path: str
    message: str
    line: int | None = None
    col: int | None = None
    where: str = ""
    severity: Severity = "error"

    def __str__(self) -> str:
        location = self.path
        if self.line is not None:
            location += f":{self.line}"
            if self.col is not None:
                location += f":{self.col}"
        parts = [p for p in (location, self.where, self.message) if p]
        return ": ".join(parts)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class QcaError(Exception):
    """Base class of every error qca reports to a user.

    Args:
        message: A one-line summary; used as the only problem when *problems* is empty.
        problems: The diagnostics, all of them, in the order found.
    """

    def __init__(self, message: str = "", problems: Iterable[Problem] = ()) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not message:
            message = "\n".join(str(p) for p in self.problems)
        super().__init__(message)
        self.message = message

    def lines(self) -> list[str]:
        """The lines the CLI prints: one per problem, or the message."""
        if self.problems:
            return [str(p) for p in self.problems]
        return [self.message]


class CodebookError(QcaError):
    """A codebook (or dictionary file) is invalid."""


class IngestError(QcaError):
    """A transcript could not be read."""


class CodingError(QcaError):
    """Coding could not run (bad model name, unwritable output folder, ...)."""


class OutputError(QcaError):
    """An output folder is missing, stale or unwritable."""


class OverrideError(QcaError):
    """The overrides file is malformed or a decision is invalid."""


def suggest(name: str, choices: Iterable[str], *, limit: int = 12) -> str:
    """Return *choices* as a comma list, the closest to *name* first (difflib).

    Examples:
        >>> suggest("rol", ["doc_id", "role", "speaker"])
        'role, doc_id, speaker'
    """
    unique = list(dict.fromkeys(str(c) for c in choices))
    if not unique:
        return "(none)"
    ordered = difflib.get_close_matches(name, unique, n=len(unique), cutoff=0.0)
    ordered += [c for c in unique if c not in ordered]
    shown = ", ".join(ordered[:limit])
    if len(ordered) > limit:
        shown += f", ... ({len(ordered) - limit} more)"
    return shown
