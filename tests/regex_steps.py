"""A small backtracking matcher that counts its steps, to show a regex backtracks badly.

It walks ``re._parser`` output the way Python's ``re`` does (alternatives in order, greedy
repeats longest first, lazy ones shortest first, possessive repeats and atomic groups
keep their first way) and counts each node it tries. Steps, not seconds: the count does
not depend on the machine's load, and it stops at a budget, so a test of an
exponential regex ends quickly. Covers what the tests use: characters, classes,
groups, alternatives, repeats, ``\\b``, ``\\B``, ``^``, ``$`` and lookaheads.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from re import _compiler, _parser  # type: ignore[attr-defined]
from typing import Any


class OverBudget(Exception):
    """The matcher took more steps than it was allowed."""


class StepCounter:
    """Matches one regex (with ``re.IGNORECASE``, as ``qca code`` does) and counts steps."""

    def __init__(self, regex: str, budget: int) -> None:
        self.parsed = _parser.parse(regex, re.IGNORECASE)
        self.budget = budget
        self.steps = 0
        self.text = ""
        self.chars: dict[int, Any] = {}

    def _char(self, item: Any, at: int) -> bool:
        key = id(item)
        if key not in self.chars:
            one = _parser.SubPattern(self.parsed.state, [item])
            self.chars[key] = _compiler.compile(one, re.IGNORECASE)
        return at < len(self.text) and self.chars[key].match(self.text[at]) is not None

    def _word(self, at: int) -> bool:
        return 0 <= at < len(self.text) and (self.text[at].isalnum() or self.text[at] == "_")

    def _seq(self, items: Any, index: int, at: int) -> Iterator[int]:
        if index == len(items):
            yield at
            return
        for end in self._node(items[index], at):
            yield from self._seq(items, index + 1, end)

    def _repeat(
        self, low: int, high: int, body: Any, at: int, count: int, lazy: bool
    ) -> Iterator[int]:
        if lazy and count >= low:
            yield at
        if count < high:
            for end in self._seq(body, 0, at):
                if end == at and count >= low:
                    continue  # an empty repetition ends the repeat, as in re
                yield from self._repeat(low, high, body, end, count + 1, lazy)
        if not lazy and count >= low:
            yield at

    def _node(self, item: Any, at: int) -> Iterator[int]:
        self.steps += 1
        if self.steps > self.budget:
            raise OverBudget
        op, value = item
        name = str(op)
        if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            if self._char(item, at):
                yield at + 1
        elif name == "SUBPATTERN":
            yield from self._seq(value[-1], 0, at)
        elif name == "BRANCH":
            for branch in value[1]:
                yield from self._seq(branch, 0, at)
        elif name in ("MAX_REPEAT", "MIN_REPEAT"):
            low, high, body = value
            yield from self._repeat(low, high, body, at, 0, name == "MIN_REPEAT")
        elif name in ("POSSESSIVE_REPEAT", "ATOMIC_GROUP"):
            ways = (
                self._repeat(value[0], value[1], value[2], at, 0, False)
                if name == "POSSESSIVE_REPEAT"
                else self._seq(value, 0, at)
            )
            first = next(ways, None)
            if first is not None:
                yield first
        elif name == "AT":
            where = str(value)
            ok = {
                "AT_BOUNDARY": self._word(at - 1) != self._word(at),
                "AT_NON_BOUNDARY": self._word(at - 1) == self._word(at),
                "AT_BEGINNING": at == 0,
                "AT_BEGINNING_STRING": at == 0,
                "AT_END": at == len(self.text) or self.text[at:] == "\n",
                "AT_END_STRING": at == len(self.text),
            }[where]
            if ok:
                yield at
        elif name in ("ASSERT", "ASSERT_NOT") and value[0] == 1:
            found = next(self._seq(value[1], 0, at), None) is not None
            if found == (name == "ASSERT"):
                yield at
        else:
            raise NotImplementedError(name)

    def search(self, text: str) -> int:
        """Steps to find the first match in *text* (or to fail); OverBudget past the budget."""
        self.text, self.steps = text, 0
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 20 * len(text) + 1000))
        try:
            for start in range(len(text) + 1):
                if next(self._seq(self.parsed, 0, start), None) is not None:
                    break
        finally:
            sys.setrecursionlimit(limit)
        return self.steps

    def ways(self, text: str) -> int:
        """How many ways the regex matches the whole of *text*."""
        self.text, self.steps = text, 0
        return sum(end == len(text) for end in self._seq(self.parsed, 0, 0))


def steps(regex: str, text: str, budget: int = 200_000) -> int:
    """Steps to search *text* for *regex*, or budget + 1 when it runs past the budget."""
    try:
        return StepCounter(regex, budget).search(text)
    except OverBudget:
        return budget + 1
