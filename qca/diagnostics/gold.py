"""Units of an output folder and the gold (human) labels on them, aligned.

A dictionary is judged against human coding at the level the humans coded: segments
(gold unit ids are segment ids) or whole documents (gold unit ids are document ids, as
in a survey file coded one row per response). :func:`read_units` reads the codable
segments and the rule hits of an output folder; :func:`align_gold` maps gold ids and
codes onto them (a gold code named by a code's label counts as that code).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from qca.errors import QcaError
from qca.models import CODE, DOC_ID, IS_INTERVIEWER, SEGMENT_ID, TEXT, UNIT_ID

if TYPE_CHECKING:
    import pandas as pd

    from qca.agreement import ReadOptions
    from qca.outputs import CodedOutput

SEGMENT_LEVEL = "segment"
DOCUMENT_LEVEL = "document"


class DiagnosticsError(QcaError):
    """A codebook diagnostic cannot run on these inputs."""


@dataclass(frozen=True)
class Units:
    """The codable segments of an output folder and what coded them.

    Attributes:
        output: The output folder as read.
        segments: Codable segments (interviewer turns left out unless the run coded them).
        hits: Rule hits on those segments (negated ones too: they code, as in the codings).
        codings: ``segment_id, code`` after overrides (the hits when the folder has none).
        codes: Code ids in codebook order.
        labels: Code id -> label.
    """

    output: CodedOutput
    segments: pd.DataFrame
    hits: pd.DataFrame
    codings: pd.DataFrame
    codes: tuple[str, ...]
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Gold:
    """Human labels aligned to an output folder.

    Attributes:
        level: ``segment`` or ``document``: what a gold unit is.
        units: Gold unit ids that are in the output folder, sorted.
        positives: Code -> the gold units coded with it (codes named as in the codebook
            when a gold column is a code's id or label, else the gold column name).
        unit_of: Segment id -> gold unit id, for every codable segment.
        missing: Gold unit ids not found in the output folder.
    """

    level: str
    units: tuple[str, ...]
    positives: Mapping[str, frozenset[str]]
    unit_of: Mapping[str, str]
    missing: tuple[str, ...] = ()


def read_units(folder: str | Path) -> Units:
    """Read the codable segments, hits and codings of the output folder *folder*.

    Raises:
        OutputError: When *folder* holds no coded output.
    """
    import pandas as pd

    from qca.outputs import read_output

    output = read_output(folder, check_project=False)
    segments = output.segments
    if not output.include_interviewer and IS_INTERVIEWER in segments.columns:
        segments = segments[~segments[IS_INTERVIEWER].astype(bool)]
    segments = segments.reset_index(drop=True)
    known = set(segments[SEGMENT_ID].astype(str))
    # Negated hits count as hits, as in the codings (a negation is marked, not dropped).
    hits = output.hits
    hits = hits[hits[SEGMENT_ID].astype(str).isin(known)].reset_index(drop=True)
    source = output.codings if output.codings is not None else hits
    codings = pd.DataFrame(
        {SEGMENT_ID: source[SEGMENT_ID].astype(str), CODE: source[CODE].astype(str)}
    )
    codings = codings[codings[SEGMENT_ID].isin(known)].drop_duplicates().reset_index(drop=True)
    labels = {str(c[CODE]): str(c.get("label") or "") for c in output.codes}
    codes = tuple(output.code_ids) or tuple(sorted(set(codings[CODE])))
    return Units(output, segments, hits, codings, codes, labels)


def read_gold(path: Path, units: Units, *, options: ReadOptions | None = None) -> Gold:
    """Read the gold labels in *path* (a long or one-hot CSV) and align them to *units*.

    Raises:
        AgreementError: When the file cannot be read (see :func:`qca.agreement.read_coding`).
        DiagnosticsError: When no gold unit id is a segment or document id of the folder.
    """
    from qca.agreement import read_coding

    coding = read_coding(f"gold={path.as_posix()}", options=options)
    pairs = list(
        zip(coding.assignments[UNIT_ID].astype(str), coding.assignments[CODE], strict=True)
    )
    return align_gold(coding.units, pairs, units, shown=path.as_posix())


def align_gold(
    gold_units: tuple[str, ...] | list[str],
    pairs: list[tuple[str, str]],
    units: Units,
    *,
    shown: str = "gold",
) -> Gold:
    """Align gold *pairs* (unit id, code) on *gold_units* to the segments of *units*.

    Gold ids that are segment ids make the level ``segment``; otherwise ids that are
    document ids make it ``document``.

    Raises:
        DiagnosticsError: When no gold unit id is a segment or document id of the folder.

    Examples:
        >>> # align_gold(["R1", "R2"], [("R1", "Food")], units)  # doctest: +SKIP
    """
    segment_ids = units.segments[SEGMENT_ID].astype(str).tolist()
    doc_ids = units.segments[DOC_ID].astype(str).tolist()
    wanted = set(gold_units)
    by_segment = wanted & set(segment_ids)
    by_document = wanted & set(doc_ids)
    if not by_segment and not by_document:
        example = next(iter(sorted(wanted)), "")
        raise DiagnosticsError(
            f"{shown}: no unit id (e.g. {example!r}) is a segment or document id of "
            f"{units.output.folder.as_posix()}; choose the id column with --id-column"
        )
    if len(by_segment) >= len(by_document):
        level, found = SEGMENT_LEVEL, by_segment
        unit_of = dict(zip(segment_ids, segment_ids, strict=True))
    else:
        level, found = DOCUMENT_LEVEL, by_document
        unit_of = dict(zip(segment_ids, doc_ids, strict=True))
    by_label = {label: code for code, label in units.labels.items() if label}
    positives: dict[str, set[str]] = {}
    for unit, code in pairs:
        if unit in found:
            name = code if code in units.codes else by_label.get(code, code)
            positives.setdefault(name, set()).add(unit)
    return Gold(
        level=level,
        units=tuple(sorted(found)),
        positives={code: frozenset(ids) for code, ids in sorted(positives.items())},
        unit_of=unit_of,
        missing=tuple(sorted(wanted - found)),
    )


def unit_texts(units: Units, level: str) -> dict[str, str]:
    """Return unit id -> text at *level* (a document's segments joined by a line end)."""
    segments = units.segments
    if level == SEGMENT_LEVEL:
        return dict(zip(segments[SEGMENT_ID].astype(str), segments[TEXT].astype(str), strict=True))
    texts: dict[str, list[str]] = {}
    for doc, text in zip(segments[DOC_ID].astype(str), segments[TEXT].astype(str), strict=True):
        texts.setdefault(doc, []).append(text)
    return {doc: "\n".join(parts) for doc, parts in texts.items()}
