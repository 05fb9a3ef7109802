"""``qca suggest``: terms a code's units share that its rules do not yet match."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qca.diagnostics.gold import SEGMENT_LEVEL, DiagnosticsError, Gold, Units, unit_texts
from qca.diagnostics.keyness import SuggestOptions, suggest_terms
from qca.errors import suggest as did_you_mean
from qca.models import CODE, RULE, RULE_KIND, SEGMENT_ID

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Suggestion:
    """The ranked terms of one code and what they were ranked on.

    Attributes:
        code: The code (a code id, or a gold category with no code).
        table: ``SUGGEST_COLUMNS``, highest G2 first.
        target: Units in the code (segments coded, or gold positives).
        rest: The other units.
        level: ``segment`` or ``document``.
    """

    code: str
    table: pd.DataFrame
    target: int
    rest: int
    level: str


def resolve_code(name: str, units: Units, gold: Gold | None) -> str:
    """Return the code *name* means: a code id, a code's label, or (with gold) a gold category.

    Raises:
        DiagnosticsError: When *name* is none of these.
    """
    if name in units.codes:
        return name
    by_label = {label: code for code, label in units.labels.items() if label}
    if name in by_label:
        return by_label[name]
    if gold is not None and name in gold.positives:
        return name
    choices = list(units.codes) + (list(gold.positives) if gold is not None else [])
    raise DiagnosticsError(
        f"no code {name!r} in {units.output.folder.as_posix()}; "
        f"choose one of: {did_you_mean(name, choices)}"
    )


def suggest_for_code(
    units: Units,
    name: str,
    *,
    rules: pd.DataFrame,
    gold: Gold | None = None,
    language: str = "en",
    options: SuggestOptions | None = None,
) -> Suggestion:
    """Rank the terms over-represented in code *name*'s units, leaving out its rules' terms.

    Without *gold* the units are the codable segments and the target those coded with
    the code; with *gold*, the gold units and the gold positives.

    Raises:
        DiagnosticsError: When *name* is not a code, or no unit is in (or out of) it.
    """
    from qca.engine.pipeline import load_pipeline

    code = resolve_code(name, units, gold)
    if gold is None:
        level = SEGMENT_LEVEL
        texts = unit_texts(units, level)
        target = set(units.codings.loc[units.codings[CODE] == code, SEGMENT_ID])
    else:
        level = gold.level
        every = unit_texts(units, level)
        texts = {u: every[u] for u in gold.units if u in every}
        target = set(gold.positives.get(code, frozenset()))
    target &= set(texts)
    if not target or len(target) == len(texts):
        where = "the gold labels" if gold is not None else "the coded segments"
        side = "no" if not target else "every"
        raise DiagnosticsError(
            f"{code}: {side} unit is in this code in {where}; keyness needs units in and out of it"
        )
    own = rules[(rules[CODE] == code) & rules[RULE_KIND].isin(("term", "phrase"))]
    known = [str(r) for r in own[RULE]]
    table = suggest_terms(
        texts, target, pipeline=load_pipeline(language), known=known, options=options
    )
    return Suggestion(code, table, len(target), len(texts) - len(target), level)
