"""Decisions, the file's decisions in order, and the small helpers that make new ones."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import Problem
from qca.models import (
    ACTION,
    CODE,
    CODER,
    DATE,
    END,
    EXCERPT,
    HASH,
    NOTE,
    OVERRIDES_FILE,
    SEGMENT,
    SEGMENT_ID,
    START,
    TEXT,
    text_hash,
)

if TYPE_CHECKING:
    pass

#: Characters of a segment's text stored with a decision (transcripts are sensitive: keep it short).
EXCERPT_CHARS = 60
#: Seconds to wait for another qca writing the same overrides file.
LOCK_TIMEOUT = 10.0
REQUIRED_KEYS: tuple[str, ...] = (SEGMENT, CODE, ACTION)
HEADER = (
    "# Manual coding decisions (added and removed codings), recorded by `qca override`\n"
    "# and `qca review`. Each entry names a segment, a code and a decision; keep this\n"
    "# file under version control. Later entries for the same segment and code win.\n"
)
STALE_STATUSES: tuple[str, ...] = ("changed", "gone", "unknown_code")


@dataclass(frozen=True)
class Decision:
    """One manual decision on one (segment, code).

    Attributes:
        segment: The segment id at decision time, e.g. ``fg-coaches:t0042``.
        code: The code id.
        action: ``add`` (code it), ``remove`` (reject the rule's coding) or ``accept``
            (confirm the rule's coding).
        coder: Who decided.
        date: When (ISO 8601, UTC).
        note: Why, in the coder's words.
        hash: :func:`qca.models.text_hash` of the segment's text at decision time.
        start: The segment's start offset in its document at decision time.
        end: The segment's end offset.
        excerpt: The first words of the segment, in files written before offsets.
        line: The 1-based line of the entry in the file (None for a new decision).
        col: The 1-based column of the entry.
    """

    segment: str
    code: str
    action: str
    coder: str = ""
    date: str = ""
    note: str = ""
    hash: str = ""
    start: str = ""
    end: str = ""
    excerpt: str = ""
    line: int | None = None
    col: int | None = None

    @property
    def doc_id(self) -> str:
        """The document part of the segment id."""
        return self.segment.rsplit(":", 1)[0]

    def as_row(self) -> dict[str, str]:
        """Return the decision as it is stored (the keys of ``OVERRIDE_COLUMNS``)."""
        return {
            SEGMENT: self.segment,
            CODE: self.code,
            ACTION: self.action,
            CODER: self.coder,
            DATE: self.date,
            NOTE: self.note,
            HASH: self.hash,
            START: self.start,
            END: self.end,
            EXCERPT: self.excerpt,
        }


@dataclass(frozen=True)
class Overrides:
    """The decisions of one overrides file, in file order."""

    path: Path
    decisions: tuple[Decision, ...] = ()

    def problem(self, decision: Decision, message: str, *, warning: bool = False) -> Problem:
        """Return a diagnostic located at *decision*'s entry in the file."""
        return Problem(
            self.path.as_posix(),
            message,
            line=decision.line,
            col=decision.col,
            where=f"{decision.segment} {decision.code}",
            severity="warning" if warning else "error",
        )


def excerpt(text: str) -> str:
    """Return the short excerpt stored with a decision: the first words, whitespace collapsed.

    Examples:
        >>> excerpt("We   really wanted to make it better.")
        'We really wanted to make it better.'
    """
    flat = " ".join(str(text).split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 3].rstrip() + "..."


def default_coder() -> str:
    """Return ``$QCA_CODER``, else the operating-system user name."""
    name = os.environ.get("QCA_CODER", "").strip()
    if name:
        return name
    try:
        import getpass

        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


def now() -> str:
    """Return the current time as stored in ``date`` (ISO 8601, UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_overrides_path(directory: Path | None = None) -> Path:
    """Return the overrides file ``qca.yaml`` names, else ``overrides.yaml`` in *directory*."""
    from qca.project import find_project

    project = find_project(directory)
    if project is not None and project.overrides is not None:
        return project.overrides
    return (directory or Path(".")) / OVERRIDES_FILE


# --- reading ---------------------------------------------------------------------


def new_decision(
    segment: Mapping[str, Any],
    code: str,
    action: str,
    *,
    coder: str | None = None,
    note: str = "",
    date: str | None = None,
) -> Decision:
    """Return a decision on *segment* (a segments row) with its text hash and offsets."""
    text = str(segment[TEXT])
    start, end = segment.get(START), segment.get(END)
    return Decision(
        segment=str(segment[SEGMENT_ID]),
        code=code,
        action=action,
        coder=coder or default_coder(),
        date=date or now(),
        note=note,
        hash=text_hash(text),
        start="" if start is None else str(int(start)),
        end="" if end is None else str(int(end)),
    )
