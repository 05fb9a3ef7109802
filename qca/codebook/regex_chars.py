"""Character classes of a regex compared on witness characters, and where its repeats are.

Helpers of :mod:`qca.codebook.regex_risk`. A class (``a``, ``[^a-z]``, ``\\w``, ``.``) is
a bit mask over witness characters: every literal and range end of the regex, one off
either side, and fixed samples of letters, digits, spaces and punctuation in and out of
ASCII. Two classes overlap when their masks share a bit; a class that shares only a
character none of the witnesses hits is taken as disjoint. Classes are compared as
``qca code`` runs the regex, with ``re.IGNORECASE``.
"""

from __future__ import annotations

import re
from re import _constants  # type: ignore[attr-defined]
from typing import Any

_SAMPLES = (
    "aZ_09\u0663\u00b2\u00e9\u00df\u4e2d\u0131\u212a\u0301 \t\n\r\u00a0\u2003\u3000"
    "-.,'\u2019!?/:;()\"\x00\U0001f600"
)
_QUANTIFIER = re.compile(r"[*+?]|\{(\d*)(,?)(\d*)\}")
_TOP = 0x10FFFF


def _word(char: str, ascii_only: bool) -> bool:
    return (char.isascii() or not ascii_only) and (char.isalnum() or char == "_")


def _category(name: str, char: str, ascii_only: bool) -> bool:
    ascii_ok = char.isascii() or not ascii_only
    if name.endswith("DIGIT"):
        found = ascii_ok and char.isdecimal()
    elif name.endswith("SPACE"):
        found = ascii_ok and char.isspace()
    elif name.endswith("WORD"):
        found = _word(char, ascii_only)
    else:
        return True  # a category the parser does not make: anything
    return found != ("_NOT_" in name)


class CharClasses:
    """Masks of character classes over the witness characters of one regex."""

    def __init__(self, regex: str, atoms: list[tuple[str, Any]], *, ascii_only: bool) -> None:
        codes: list[int] = [ord(c) for c in _SAMPLES]
        for name, value in atoms:
            ends = [value] if name in ("LITERAL", "NOT_LITERAL") else []
            for op, item in value if name == "IN" else ():
                if str(op) == "LITERAL":
                    ends.append(item)
                elif str(op) == "RANGE":
                    ends += list(item)
            for end in ends:
                codes += [end - 1, end, end + 1]
        found: dict[str, None] = {}
        for code in codes:
            if 0 <= code <= _TOP:
                char = chr(code)
                found.update(dict.fromkeys((char, char.lower(), char.upper())))
        self.witnesses = [c for c in found if len(c) == 1]
        self.ascii_only = ascii_only
        self.everything = (1 << len(self.witnesses)) - 1
        self.words = self._mask(lambda c: _word(c, ascii_only))

    def _mask(self, test: Any) -> int:
        return sum(1 << index for index, char in enumerate(self.witnesses) if test(char))

    def _hits(self, name: str, value: Any, char: str) -> bool:
        """Whether the item matches *char* ignoring case."""
        variants = {char, char.lower(), char.upper()}
        if name == "LITERAL":
            return any(ord(c) == value for c in variants if len(c) == 1)
        if name == "NOT_LITERAL":
            return not any(ord(c) == value for c in variants if len(c) == 1)
        if name != "IN":
            return True  # ANY, and anything else: every character
        negate = any(str(op) == "NEGATE" for op, _ in value)
        inside: bool = any(
            self._item(str(op), item, c) for op, item in value for c in variants if len(c) == 1
        )
        return inside != negate

    def _item(self, op: str, item: Any, char: str) -> bool:
        if op == "LITERAL":
            return bool(ord(char) == item)
        if op == "RANGE":
            return bool(item[0] <= ord(char) <= item[1])
        if op == "CATEGORY":
            return _category(str(item), char, self.ascii_only)
        return op != "NEGATE"

    def mask(self, items: list[tuple[str, Any]]) -> int:
        """The witnesses any of the single-character *items* matches."""
        return self._mask(lambda c: any(self._hits(name, value, c) for name, value in items))

    def split(self, mask: int) -> list[tuple[bool, int]]:
        """*mask* cut into its word and non-word characters (as ``\\b`` sees them)."""
        parts = [(True, mask & self.words), (False, mask & ~self.words)]
        return [(word, part) for word, part in parts if part]

    def sample(self, mask: int) -> str:
        """The first witness in *mask*."""
        return self.witnesses[(mask & -mask).bit_length() - 1]


def _skip_escape(regex: str, at: int) -> int:
    """The index after the escape that starts at *at*."""
    kind = regex[at + 1 : at + 2]
    if kind in ("x", "u", "U"):
        return at + 2 + {"x": 2, "u": 4, "U": 8}[kind]
    if kind == "N" and regex[at + 2 : at + 3] == "{":
        return regex.index("}", at) + 1
    if kind.isdigit():
        end = at + 1
        while end < len(regex) and end < at + 4 and regex[end].isdigit():
            end += 1
        return end
    return at + 2


def _skip_class(regex: str, at: int) -> int:
    """The index after the character class that starts at *at*."""
    end = at + 1
    if regex[end : end + 1] == "^":
        end += 1
    if regex[end : end + 1] == "]":
        end += 1
    while regex[end] != "]":
        end = _skip_escape(regex, end) if regex[end] == "\\" else end + 1
    return end + 1


def _bounds(text: str) -> tuple[int, int]:
    if text[0] != "{":
        return {"*": (0, _constants.MAXREPEAT), "+": (1, _constants.MAXREPEAT), "?": (0, 1)}[
            text[0]
        ]
    low, comma, high = text[1:-1].partition(",")
    if not comma:
        return int(low), int(low)
    return int(low or 0), int(high) if high else _constants.MAXREPEAT


def _scan(regex: str) -> list[tuple[int, int, tuple[int, int]]]:
    spans: list[tuple[int, int, tuple[int, int]]] = []
    opened: list[int] = []
    atom: int | None = None
    at = 0
    while at < len(regex):
        char = regex[at]
        quantifier = _QUANTIFIER.match(regex, at) if atom is not None else None
        if quantifier and (quantifier[0][0] != "{" or quantifier[1] or quantifier[3]):
            end = quantifier.end()
            end += regex[end : end + 1] in ("?", "+")
            assert atom is not None
            spans.append((atom, end, _bounds(quantifier[0])))
            atom, at = None, end
            continue
        atom = at
        if char == "\\":
            at = _skip_escape(regex, at)
        elif char == "[":
            at = _skip_class(regex, at)
        elif char == "(" and regex.startswith("(?#", at):
            at, atom = regex.index(")", at) + 1, None
        elif char == "(":
            opened.append(at)
            atom, at = None, at + 1
        elif char == ")":
            atom, at = opened.pop(), at + 1
        elif char == "|":
            atom, at = None, at + 1
        else:
            at += 1
    return sorted(spans)


def repeat_spans(regex: str, bounds: list[tuple[int, int]]) -> list[str] | None:
    """The text of each repeat, outer before inner, or None if the regex text misleads us.

    *bounds* are the (low, high) of the repeats the parser found, in the same order; the
    text is trusted only when its quantifiers give the same list.

    Examples:
        >>> repeat_spans(r"x(?:a+b)*c{2,}", [(0, _constants.MAXREPEAT), (1, _constants.MAXREPEAT),
        ...     (2, _constants.MAXREPEAT)])
        ['(?:a+b)*', 'a+', 'c{2,}']
    """
    try:
        spans = _scan(regex)
    except (IndexError, ValueError, KeyError):
        return None
    if [span[2] for span in spans] != bounds:
        return None
    return [regex[start:end] for start, end, _ in spans]
