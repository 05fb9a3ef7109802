"""Line codings up before comparing them: codes by label, document units, and sanity checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from qca.agreement.coding import Coding, assignments_frame
from qca.agreement.readers import AgreementError, document_of
from qca.errors import Problem
from qca.models import (
    CODE,
    UNIT_ID,
)


def align_codes(codings: Sequence[Coding]) -> list[Coding]:
    """Rename codes given by label (e.g. one-hot headers) to the code ids a codebook uses."""
    by_label: dict[str, str] = {}
    for coding in codings:
        for code, label in coding.labels.items():
            by_label.setdefault(label, code)
    ids = {code for coding in codings for code in coding.labels}
    if not by_label:
        return list(codings)
    aligned = []
    for coding in codings:
        rename = {c: by_label[c] for c in coding.codes if c not in ids and c in by_label}
        if not rename:
            aligned.append(coding)
            continue
        frame = coding.assignments.copy()
        frame[CODE] = frame[CODE].map(lambda c, r=rename: r.get(c, c))
        aligned.append(
            replace(
                coding,
                assignments=assignments_frame(list(zip(frame[UNIT_ID], frame[CODE], strict=True))),
                codes=tuple(dict.fromkeys(rename.get(c, c) for c in coding.codes)),
            )
        )
    return aligned


def to_documents(coding: Coding) -> Coding:
    def doc(unit: str) -> str:
        return coding.documents.get(unit) or document_of(unit)

    pairs = [
        (doc(u), c)
        for u, c in zip(coding.assignments[UNIT_ID], coding.assignments[CODE], strict=True)
    ]
    return replace(
        coding,
        units=tuple(sorted({doc(u) for u in coding.units})),
        assignments=assignments_frame(pairs),
        texts={},
        documents={},
    )


def agreement_warnings(codings: Sequence[Coding]) -> list[Problem]:
    """Return a warning for each code that only one input can give (probably a naming slip)."""
    codings = align_codes(codings)
    problems = []
    for coding in codings:
        others = {c for other in codings if other is not coding for c in other.codes}
        for code in coding.codes:
            if code not in others:
                problems.append(
                    Problem(
                        coding.path,
                        f"code {code!r} is in this input only; the others count it as not "
                        "coded (check the code names, or pass --mapping)",
                        where="" if coding.name == coding.path else coding.name,
                        severity="warning",
                    )
                )
    return problems


def check_codings(codings: Sequence[Coding]) -> None:
    if len(codings) < 2:
        got = ", ".join(c.name for c in codings) or "none"
        raise AgreementError(
            f"agreement needs two or more codings, got {len(codings)} ({got}); "
            "pass a second coder's coding, or --matrix FILE with two or more coder columns"
        )
    seen: set[str] = set()
    for coding in codings:
        if coding.name in seen:
            raise AgreementError(
                f"two inputs are named {coding.name!r}; name them apart as NAME=PATH"
            )
        seen.add(coding.name)
    problems = []
    for coding in codings:
        others = {u for other in codings if other is not coding for u in other.units}
        if not others.intersection(coding.units):
            problems.append(
                Problem(
                    coding.path,
                    "shares no units with the other inputs; check that all inputs use the "
                    "same unit ids (segment ids, or the same --id-column) and --unit",
                    where="" if coding.name == coding.path else coding.name,
                )
            )
    if problems:
        raise AgreementError(problems=problems)
