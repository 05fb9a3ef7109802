"""REFI-QDA reading: limits, names, the error and the project tables (issue #8)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qca.errors import Problem, QcaError

if TYPE_CHECKING:
    import pandas as pd

    from qca.codebook.model import Codebook


#: Largest entry read from an archive, and largest sum of entries (zip-bomb guard).
MAX_ENTRY_BYTES = 256 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
#: The user name whose codings are automatic (as ``qca export qdpx`` writes it).
AUTO_CODER = "qca auto-coder"
PROJECT_NS = "urn:QDA-XML:project:1.0"
SOURCES_FOLDER = "sources"
CODEBOOK_FILE = "codebook.yaml"


class RefiError(QcaError):
    """A REFI-QDA file cannot be read."""


@dataclass(frozen=True)
class RefiProject:
    """A REFI-QDA project read as qca tables.

    Attributes:
        path: The file read.
        name: The project name.
        codebook: The codes as a codebook (top-level codes are themes).
        texts: Document id -> text ("" when the archive lacks the source text).
        segments: ``SEGMENT_COLUMNS`` (unit ``selection``), then attribute columns.
        codings: ``CODING_COLUMNS`` then ``coder``, one row per (segment, code, coder).
        hits: ``HIT_COLUMNS``, one row per coding (``rule_kind`` ``refi``, ``rule`` the coder).
        coders: Every user with codings, sorted.
        offsets: Document id -> the offset reading used (see :data:`READINGS`), or
            ``missing`` when the source text is absent.
        problems: Warnings (schema deviations, missing texts, unknown codes).
        modified: The project's modification (else creation) time, or "".
    """

    path: Path
    name: str
    codebook: Codebook
    texts: Mapping[str, str]
    segments: pd.DataFrame
    codings: pd.DataFrame
    hits: pd.DataFrame
    coders: tuple[str, ...]
    offsets: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    modified: str = ""


def warn(problems: list[Problem], shown: str, message: str, where: str = "") -> None:
    problems.append(Problem(shown, message, where=where, severity="warning"))


def fail(shown: str, message: str) -> RefiError:
    return RefiError(problems=[Problem(shown, message)])
