"""The text sections of ``qca report``: codes with their rules and quotes, the transcripts
the quotes link to, agreement, and the run from run.json."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from qca.models import (
    CODE,
    DOC_ID,
    END_SECONDS,
    IS_INTERVIEWER,
    SEGMENT_ID,
    SPEAKER,
    START_SECONDS,
    THEME,
)
from qca.report.tables import Section, html_table

if TYPE_CHECKING:
    import pandas as pd

    from qca.outputs import CodedOutput
    from qca.report.sections import Flags


def codes(out: CodedOutput, picked: pd.DataFrame | None, codebook: Any) -> tuple[Section, set[str]]:
    """Every code: definition, include/exclude rules and exemplar quotes (*picked*, from
    :func:`qca.exemplars.quotes`; ``None``: none asked), linked to their turn."""
    hidden = {START_SECONDS, END_SECONDS}
    entries = []
    documents: set[str] = set()
    known = {c.id: c for c in codebook.codes()} if codebook is not None else {}
    for code in out.codes:
        code_id = str(code[CODE])
        rule = known.get(code_id)
        rows: list[dict[Any, Any]] = []
        if picked is not None:
            rows = picked[picked[CODE] == code_id].to_dict("records")
        found = []
        for row in rows:
            attributes = [
                (k, str(v))
                for k, v in row.items()
                if k in out.attributes and k not in hidden and _present(v)
            ]
            documents.add(str(row[DOC_ID]))
            found.append(
                {
                    "segment_id": row[SEGMENT_ID],
                    "speaker": row[SPEAKER] or "",
                    "text": row["text"],
                    "attributes": attributes,
                    "doc_id": row[DOC_ID],
                }
            )
        entries.append(
            {
                "theme": code[THEME],
                "code": code_id,
                "label": (rule.label if rule else "") or code.get("label", ""),
                "definition": rule.definition if rule else "",
                "include": rule.include if rule else "",
                "exclude": rule.exclude if rule else "",
                "quotes": found,
            }
        )
    intro = "Definitions and coding rules from the codebook; quotes are the segments with the most distinct matches (qca themes --quotes), each linked to its place in the transcript."
    if codebook is None:
        intro += " The codebook could not be read, so definitions are missing: pass -c CODEBOOK."
    return Section("codes", "Codes, rules and quotes", intro, extra={"codes": entries}), documents


def _present(value: Any) -> bool:
    import pandas as pd

    return not (value is None or (not isinstance(value, str) and pd.isna(value)) or value == "")


def transcripts(out: CodedOutput, documents: set[str], flags: Flags) -> Section:
    """The documents that quotes come from, every segment with its hits highlighted."""
    from qca.models import END, NEGATED, START, TEXT
    from qca.tally import flags as bool_flags

    hits = out.hits
    if flags["exclude_negated"]:
        hits = hits[~bool_flags(hits[NEGATED])]
    views = []
    for doc_id in sorted(documents):
        part = out.segments[out.segments[DOC_ID] == doc_id]
        doc_hits = hits[hits[DOC_ID] == doc_id]
        turns = []
        interviewer = bool_flags(part[IS_INTERVIEWER])
        for row, asked in zip(part.to_dict("records"), interviewer, strict=True):
            text = str(row[TEXT])
            spans = doc_hits[doc_hits[SEGMENT_ID] == row[SEGMENT_ID]]
            offsets = sorted(
                {
                    (int(s) - int(row[START]), int(e) - int(row[START]), str(c))
                    for s, e, c in zip(spans[START], spans[END], spans[CODE], strict=True)
                }
            )
            pieces, at = [], 0
            for s, e, c in offsets:
                s, e = max(s, at), min(e, len(text))
                if s >= e:
                    continue
                pieces.append({"text": text[at:s], "code": ""})
                pieces.append({"text": text[s:e], "code": c})
                at = e
            pieces.append({"text": text[at:], "code": ""})
            turns.append(
                {
                    "segment_id": row[SEGMENT_ID],
                    "speaker": row[SPEAKER] or "",
                    "interviewer": bool(asked),
                    "pieces": pieces,
                }
            )
        views.append({"doc_id": doc_id, "turns": turns})
    return Section(
        "transcripts",
        "Transcripts",
        "The documents the quotes come from; matches are highlighted and named by their code.",
        extra={"views": views},
    )


def agreement(table: pd.DataFrame, source: str) -> Section:
    """``qca agree`` output given with ``--agreement``, as a table."""
    return Section(
        "agreement",
        "Agreement",
        f"Agreement between codings, as qca agree wrote it to {source}.",
        tables=(html_table(table, "agreement", "qca agree", digits={c: 3 for c in table.columns}),),
    )


def run_tables(manifest: Mapping[str, Any]) -> tuple[Any, ...]:
    """The run from run.json: inputs with hashes, then the run's settings, versions and counts."""
    import pandas as pd

    from qca.outputs_manifest import manifest_frame

    inputs = pd.DataFrame(manifest.get("inputs", []) or [])
    shown = {
        k: v
        for k, v in manifest.items()
        if k
        in (
            "format",
            "qca_version",
            "spacy_version",
            "pipeline",
            "codebook",
            "options",
            "counts",
            "started",
            "finished",
        )
    }
    tables = [
        html_table(manifest_frame(shown), "run", "run.json: versions, codebook, options, counts")
    ]
    if len(inputs):
        tables.insert(0, html_table(inputs, "inputs", "Inputs with their sha256"))
    return tuple(tables)


def list_problems(manifest: Mapping[str, Any]) -> Sequence[str]:
    return [str(p) for p in manifest.get("problems", []) or []]
