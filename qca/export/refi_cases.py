"""REFI-QDA ``Cases`` and ``Variables`` of an output folder: one case per participant (issue #17).

A case is a participant, so only **participant attributes** become case variables:
the attribute columns of a ``--participants`` sheet keyed by ``speaker`` (else, when
that sheet is gone, columns constant for each speaker in each document but not for
the whole document). Per-segment columns (``start_seconds``, ``end_seconds``) and
document attributes (front matter, a sheet keyed by ``doc_id`` only) are not case
variables: the first version wrote the first turn's values onto the person.

Cases are keyed by speaker when the participants sheet is keyed by ``speaker`` alone
(the same person across documents); otherwise by (speaker, document), named by the
speaker, or ``speaker (document)`` with a warning when one name is used in several
documents (two people called Anna must not merge).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from qca.errors import Problem
from qca.models import DOC_ID, IS_INTERVIEWER, SEGMENT_COLUMNS, SEGMENT_ID, SPEAKER

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class ParticipantSheet:
    """What run.json's ``--participants`` file says: its key columns and attribute columns."""

    keys: tuple[str, ...]
    attributes: tuple[str, ...]


def read_sheet(path: str | None) -> ParticipantSheet | None:
    """Read the header of the participants sheet; None when there is none or it is gone."""
    if not path or not Path(path).is_file():
        return None
    import csv

    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            header = [c.strip() for c in next(csv.reader(handle), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    keys = tuple(k for k in (DOC_ID, SPEAKER) if k in header)
    return ParticipantSheet(keys, tuple(c for c in header if c and c not in keys))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def participant_attributes(segments: pd.DataFrame, sheet: ParticipantSheet | None) -> list[str]:
    """Return the segment columns that describe participants (see the module docstring)."""
    extra = [str(c) for c in segments.columns if c not in SEGMENT_COLUMNS]
    if sheet is not None:
        if SPEAKER not in sheet.keys:
            return []
        return sorted(c for c in extra if c in sheet.attributes)
    chosen = []
    for column in extra:
        values = segments[[DOC_ID, SPEAKER, column]].dropna()
        if values.empty:
            continue
        per_speaker = values.groupby([DOC_ID, SPEAKER])[column].nunique().max()
        per_document = values.groupby(DOC_ID)[column].nunique().max()
        if per_speaker == 1 and per_document > 1:
            chosen.append(column)
    return sorted(chosen)


@dataclass
class _Case:
    name: str
    key: str
    values: dict[str, str]
    selections: list[str]


def cases_xml(
    coded: pd.DataFrame,
    selections: Mapping[str, list[str]],
    sheet: ParticipantSheet | None,
    guid: Callable[[str, str], str],
    lines: list[str],
    shown: str,
) -> list[Problem]:
    """Append ``Variables`` and ``Cases`` for the speakers of *coded* segments.

    Args:
        coded: The coded segments (``SEGMENT_COLUMNS`` and attribute columns).
        selections: Segment id -> the GUIDs of its selections (one per coder).
        sheet: The participants sheet's columns, when known.
        guid: The GUID maker of the export.
        lines: The XML lines to append to.
        shown: The path to name in warnings.

    Returns:
        Warnings (speaker names used in several documents).
    """
    attributes = participant_attributes(coded, sheet)
    by_speaker = sheet is not None and sheet.keys == (SPEAKER,)
    cases: dict[str, _Case] = {}
    documents: dict[str, set[str]] = {}
    for row in coded.to_dict("records"):
        speaker = row.get(SPEAKER)
        if _missing(speaker) or not str(speaker) or bool(row.get(IS_INTERVIEWER) or False):
            continue
        name, doc_id = str(speaker), str(row[DOC_ID])
        documents.setdefault(name, set()).add(doc_id)
        key = name if by_speaker else f"{doc_id}\x1f{name}"
        case = cases.setdefault(key, _Case(name, key, {}, []))
        for column in attributes:
            value = row.get(column)
            if not _missing(value) and column not in case.values:
                case.values[column] = str(value)
        case.selections += selections.get(str(row[SEGMENT_ID]), [])
    problems = []
    if not by_speaker:
        for name in sorted(documents):
            if len(documents[name]) < 2:
                continue
            for case in cases.values():
                if case.name == name:
                    case.name = f"{name} ({case.key.split(chr(31), 1)[0]})"
            problems.append(
                Problem(
                    shown,
                    f"speaker {name!r} is in {len(documents[name])} documents; exported as "
                    f"{len(documents[name])} cases named '{name} (DOCUMENT)'; if they are one "
                    "person, key the --participants sheet by speaker alone",
                    severity="warning",
                )
            )
    used = sorted({a for case in cases.values() for a in case.values})

    def attr(name: str, value: object) -> str:
        return f" {name}={quoteattr(str(value))}"

    if used:
        lines.append("  <Variables>")
        for column in used:
            lines.append(
                f"    <Variable{attr('guid', guid('variable', column))}{attr('name', column)}"
                ' typeOfVariable="Text"/>'
            )
        lines.append("  </Variables>")
    if not cases:
        return problems
    lines.append("  <Cases>")
    for case in sorted(cases.values(), key=lambda c: (c.name, c.key)):
        lines.append(f"    <Case{attr('guid', guid('case', case.key))}{attr('name', case.name)}>")
        for column in used:
            if column in case.values:
                lines.append("      <VariableValue>")
                lines.append(
                    f"        <VariableRef{attr('targetGUID', guid('variable', column))}/>"
                )
                lines.append(f"        <TextValue>{xml_escape(case.values[column])}</TextValue>")
                lines.append("      </VariableValue>")
        for target in sorted(set(case.selections)):
            lines.append(f"      <SelectionRef{attr('targetGUID', target)}/>")
        lines.append("    </Case>")
    lines.append("  </Cases>")
    return problems
