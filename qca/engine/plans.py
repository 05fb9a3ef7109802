"""Token patterns as plans: steps over token specs, decided per distinct word where possible.

A plan is possible when every token spec is decided by the token's word and
lemma alone; ``{n,m}`` repeats expand into required and optional steps. Simple
specs (``ORTH``/``TEXT``/``LOWER``/``LEMMA`` with strings) become
:class:`Condition` flags per string id; the others are left to spaCy's Matcher
(:mod:`qca.engine.patterns`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from qca.engine.lexicon import Grow, Lexicon

#: Token-pattern keys that depend on a token's place in the text, not its word and lemma.
CONTEXT_KEYS = frozenset({"IS_SENT_START", "SENT_START", "SPACY", "_"})
REPEAT = re.compile(r"\{(\d*)(,?)(\d*)\}")
#: Token-spec keys decided here from a token's text or lemma: key -> what is compared.
SIMPLE_KEYS = (("ORTH", "orth"), ("TEXT", "orth"), ("LOWER", "lower"), ("LEMMA", "lemma"))


@dataclass(frozen=True)
class Plan:
    """A token pattern as steps ``(spec number, op)`` with op one of ``1 ? * + !``."""

    steps: tuple[tuple[int, str], ...]


def plan(pattern: list[dict[str, Any]], specs: dict[str, int]) -> Plan | None:
    """Return *pattern* as a :class:`Plan`, or None when it needs spaCy's Matcher.

    Each distinct token spec (without ``OP``) is numbered in *specs* (added to it).
    """
    steps: list[tuple[int, str]] = []
    for spec in pattern:
        if not isinstance(spec, dict):
            return None
        keys = {str(key) for key in spec}
        if {key.upper() for key in keys} & CONTEXT_KEYS:
            return None
        if any(key.upper() == "OP" and key != "OP" for key in keys):
            return None
        op = spec.get("OP")
        body = {key: value for key, value in spec.items() if key != "OP"}
        text = json.dumps(body, sort_keys=True, ensure_ascii=False)
        number = specs.setdefault(text, len(specs))
        if op is None:
            steps.append((number, "1"))
        elif op in ("?", "*", "+", "!"):
            steps.append((number, str(op)))
        elif isinstance(op, str) and (repeat := REPEAT.fullmatch(op)):
            low_text, comma, high_text = repeat.groups()
            low = int(low_text) if low_text else 0
            if not comma:
                if not low_text:
                    return None
                high: int | None = low
            else:
                high = int(high_text) if high_text else None
            if high is not None and high < low:
                return None
            steps += [(number, "1")] * low
            if high is None:
                steps.append((number, "*"))
            else:
                steps += [(number, "?")] * (high - low)
        else:
            return None
    if not steps:
        return None
    return Plan(tuple(steps))


@dataclass(frozen=True)
class Condition:
    """One key of a token spec: the token's *field* is (or, negated, is not) in *values*."""

    field: str
    values: frozenset[str]
    negated: bool

    def extend(self, flags: Grow, lexicon: Lexicon) -> None:
        """Extend *flags* (one per string id) to every string of *lexicon*."""
        import numpy as np

        seen, total = flags.size, len(lexicon.strings)
        if seen == total:
            return
        part = np.zeros(total - seen, dtype=np.bool_)
        for value in self.values:
            if self.field == "lower":
                ids = lexicon.by_lower.get(value, ())  # one id, or a list when several
                found = [ids] if isinstance(ids, int) else ids
            else:
                found = [lexicon.ids[value]] if value in lexicon.ids else []
            for i in found:
                if i >= seen:
                    part[i - seen] = True
        flags.extend(~part if self.negated else part)


def simple_spec(body: dict[str, Any]) -> list[Condition] | None:
    """Return *body* as conditions on text and lemma, or None when spaCy must decide it.

    Only ``ORTH``/``TEXT``/``LOWER``/``LEMMA`` with a string or an ``IN``/``NOT_IN``
    list of strings: spaCy compares these as exact strings (``LOWER`` is
    ``str.lower``), so deciding them here gives spaCy's answer.
    """
    fields = dict(SIMPLE_KEYS)
    conditions = []
    for key, value in body.items():
        field_name = fields.get(key)
        if field_name is None:
            return None
        if isinstance(value, str):
            conditions.append(Condition(field_name, frozenset([value]), False))
            continue
        if not isinstance(value, dict) or len(value) != 1:
            return None
        ((op, items),) = value.items()
        if op not in ("IN", "NOT_IN") or not isinstance(items, list):
            return None
        if not all(isinstance(item, str) for item in items):
            return None
        conditions.append(Condition(field_name, frozenset(items), op == "NOT_IN"))
    return conditions


def run_plan(plan: Plan, tables: list[npt.NDArray[np.bool_]], start: int, last: int) -> set[int]:
    """Return every end position of a match of *plan* starting at token *start*."""
    states = {start}
    for spec, op in plan.steps:
        table = tables[spec]
        if op == "!":
            states = {i + 1 for i in states if i < last and not table[i]}
        elif op == "1" or op == "?":
            moved = {i + 1 for i in states if i < last and table[i]}
            states = states | moved if op == "?" else moved
        else:
            reached: set[int] = set()
            frontier = {i + 1 for i in states if i < last and table[i]}
            while frontier:
                reached |= frontier
                frontier = {i + 1 for i in frontier if i < last and table[i]} - reached
            states = states | reached if op == "*" else reached
        if not states:
            break
    states.discard(start)
    return states
