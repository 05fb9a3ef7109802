"""The ``--participants`` table: attributes joined by document and/or speaker."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qca.errors import IngestError, Problem
from qca.models import DOC_ID, SPEAKER

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Participants:
    """A validated participants table: key columns, then attribute columns."""

    path: Path
    keys: tuple[str, ...]
    table: pd.DataFrame
    #: Warnings about the sheet: attribute columns renamed (``attr_code``).
    problems: tuple[Problem, ...] = ()

    @property
    def attributes(self) -> list[str]:
        return [c for c in self.table.columns if c not in self.keys]


def read_participants(
    path: Path, reserved: frozenset[str], *, rename: Iterable[str] | None = None
) -> Participants:
    """Read and check a participants CSV (columns ``doc_id`` and/or ``speaker``, attributes).

    Args:
        path: The CSV file.
        reserved: Column names an attribute may not take (the fixed table columns).
        rename: Give an attribute column named like a column of qca's tables, or one
            of these, the ``attr_`` prefix, with one warning each (as survey columns
            get, #18); None keeps every name.

    Raises:
        IngestError: When the file is missing, unreadable, has no key column,
            an attribute named like a fixed column, or duplicate keys.
    """
    import pandas as pd

    name = str(path)

    def fail(message: str, line: int | None = None) -> IngestError:
        return IngestError(problems=[Problem(name, message, line, where="--participants")])

    if not path.is_file():
        raise fail("no such file; check the --participants path")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise fail("is not UTF-8; save it as UTF-8 CSV") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else "empty"
        raise fail(f"is not a valid CSV ({reason}); fix it or export it again") from None
    table.columns = [str(c).strip() for c in table.columns]
    keys = tuple(k for k in (DOC_ID, SPEAKER) if k in table.columns)
    if not keys:
        raise fail(
            "has neither a doc_id nor a speaker column; "
            "add one as a header, e.g. doc_id,speaker,role",
            1,
        )
    clashes = sorted(c for c in table.columns if c in reserved and c not in keys)
    if clashes:
        raise fail(f"column {clashes[0]!r} clashes with a segment column; rename it", 1)
    for key in keys:
        table[key] = table[key].str.strip()
    duplicated = table.duplicated(list(keys), keep="first")
    if duplicated.any():
        row = int(duplicated.to_numpy().nonzero()[0][0])
        label = ", ".join(f"{k}={table.iloc[row][k]}" for k in keys)
        raise fail(f"duplicate row for {label}; keep one row per key", row + 2)
    problems: list[Problem] = []
    if rename is not None:
        from qca.ingest.base import attribute_names

        names, problems = attribute_names(
            [c for c in table.columns if c not in keys], name, tuple(rename)
        )
        table = table.rename(columns=names)
    attributes = [c for c in table.columns if c not in keys]
    for column in attributes:
        table[column] = table[column].where(table[column] != "").astype("str")
    return Participants(path, keys, table[[*keys, *sorted(attributes)]], tuple(problems))


def join_participants(
    frame: pd.DataFrame, participants: Participants, *, segments: bool
) -> pd.DataFrame:
    """Left-join the participants' attributes onto *frame* (documents or segments).

    A participants value replaces a front-matter value of the same name; where the
    participants table has none, the front-matter value stays.
    """
    keys = list(participants.keys)
    if not segments and SPEAKER in keys:
        return frame
    if frame.empty and not len(frame.columns):
        return frame
    extra = participants.table
    joined = frame.merge(extra, how="left", on=keys, suffixes=("", "\x00participants"))
    for column in participants.attributes:
        clash = column + "\x00participants"
        if clash in joined.columns:
            joined[column] = joined[clash].where(joined[clash].notna(), joined[column])
            joined = joined.drop(columns=[clash])
    return joined
