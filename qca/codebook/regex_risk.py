"""Find codebook regexes that can take exponential time (catastrophic backtracking).

Python's ``re`` backtracks: when a match fails it tries every other way the regex could
have matched the text so far. That is cheap when there is at most one way, and ruinous
when a repeat can split one text among its repetitions in many ways: ``(a+)+$`` splits
31 ``a`` in 2^30 ways before it gives up at a ``b``, and ``(?:\\w+\\W*){1,12}$`` splits a
long line of words in up to 12 parts anywhere inside a word. :func:`backtracking_risk`
looks for that *ambiguity*, so that ``codebook check`` (and ``qca code``) refuse the
regex before it runs, naming the repeat and a text it matches in two ways.

How. Every repeat that can run twice or more (``*``, ``+``, ``{m,n}`` with n >= 2) is
checked on its own. Its body is turned into a position automaton (one state per
character class of the body, as in Glushkov's construction) whose edges remember the
route they take through the regex: an inner repeat's loop, the outer loop, which of
two alternatives that match nothing. Inner bounded repeats are unrolled (up to 8
copies; a larger one is read as unbounded, which can only add ways). The repeat is
risky when two different routes start together, read the same characters and meet
again in the same state (or leave the repeat together): that text matches in two ways,
and a text of n copies in 2^n ways (n^k for a repeat bounded by k). It is the test of
exponential ambiguity of Weideman et al. (2016), applied per repeat. Character classes
(literals, ranges, ``\\w \\W \\s \\S \\d \\D``, ``.``, negated sets) are compared on
witness characters: every literal and range end of the regex, one off either side, and
fixed samples of letters, digits, spaces and punctuation in and out of ASCII; the
regex runs with ``re.IGNORECASE`` in ``qca code``, so case variants count as the same.

Caught: ``(a+)+``, ``(\\w+\\s?)*``, ``(a|a)*``, ``(a|aa)*c``, ``(?:\\w|\\d)+x``,
``(?:\\w+\\W*){1,12}$``, ``(?:\\w+\\w){2,}``. Not refused, because each text has one split:
``(?:\\w+\\s+){0,3}``, ``staff(?:\\W+\\w+){0,3}\\W+rude``, ``(?:\\w+\\b\\W*){1,12}$``
(``\\b`` is read: a word cannot be cut between two word characters), ``(a|ab)*c``,
``(?:nurse|nurses)+``, ``(x+y)+``. A possessive repeat (``*+``, ``{1,12}+``) and an atomic
group (``(?>...)``) never give text back, so the repeat is safe and, inside another
repeat, counts as one character of its class.

Not caught (the check is a guard, not a proof): ambiguity between a repeat and what
follows it, or between two separate repeats (``.*a.*b``, ``\\w+\\w+x``: polynomial, not
exponential); lookarounds, anchors other than ``\\b``/``\\B`` and backreferences are read
as matching anything, so they can only make the check stricter; two character classes
that share only a character none of the witnesses hits are taken as disjoint; a regex
with more than ``_MAX_POSITIONS`` positions or routes in a repeat is not checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from qca.codebook.regex_chars import CharClasses, repeat_spans

_MAX_POSITIONS = 2_000
_MAX_ROUTES = 5_000
_UNROLL = 8
_START, _END = -1, -2

Route = tuple[tuple[str, int], ...]
Ends = list[tuple[int, Route]]


class _TooBig(Exception):
    """The automaton of a repeat grew past the limits; the repeat is not checked."""


@dataclass(frozen=True)
class RegexRisk:
    """A repeat of a regex that matches one text in more than one way."""

    regex: str
    repeat: str  # the repeat as written, or the whole regex when its place is unknown
    example: str  # a text the repeat matches in two ways
    lazy: bool

    def message(self) -> str:
        """One line: what is wrong and how to fix it (the caller adds where)."""
        fix = f"`(?>{self.repeat})`" if self.lazy else f"`{self.repeat}+`"
        return (
            f"regex `{self.regex}`: repetitions of `{self.repeat}` can match the same text "
            f"(`{self.example}`) in more than one way, which can take exponential time on "
            "a line it fails on; make each repetition end where the next cannot start "
            r"(e.g. `\w+\W*` as `\w+\b\W*`), or make the repeat possessive, "
            f"{fix}, if what follows never needs text it took"
        )


@dataclass
class _Frag:
    """A piece of the automaton: entry and exit positions, empty routes, inner edges."""

    first: Ends
    last: Ends
    empty: list[Route]
    edges: set[tuple[int, int, Route]]


class _Builder:
    """Builds the position automaton of one repeat body."""

    def __init__(self, chars: CharClasses) -> None:
        self.chars = chars
        self.masks: list[int] = []
        self.words: list[bool] = []
        self.ids = 0

    def _id(self) -> int:
        self.ids += 1
        return self.ids

    def _atom(self, mask: int) -> _Frag:
        ends: Ends = []
        for word, part in self.chars.split(mask):
            self.masks.append(part)
            self.words.append(word)
            ends.append((len(self.masks) - 1, ()))
        if len(self.masks) > _MAX_POSITIONS:
            raise _TooBig
        return _Frag(ends, list(ends), [], set())

    def _fits(self, x: int, y: int, route: Route) -> bool:
        for kind, _ in route:
            if kind == "b" and self.words[x] == self.words[y]:
                return False
            if kind == "B" and self.words[x] != self.words[y]:
                return False
        return True

    def _join(self, a: Ends, b: Ends, edges: set[tuple[int, int, Route]], tag: Route) -> None:
        for x, rx in a:
            for y, ry in b:
                route = rx + tag + ry
                if self._fits(x, y, route):
                    edges.add((x, y, route))

    def concat(self, a: _Frag, b: _Frag) -> _Frag:
        edges = a.edges | b.edges
        self._join(a.last, b.first, edges, ())
        first = a.first + [(p, e + r) for e in a.empty for p, r in b.first]
        last = b.last + [(p, r + e) for p, r in a.last for e in b.empty]
        empty = [ea + eb for ea in a.empty for eb in b.empty]
        if max(len(first), len(last), len(empty)) > _MAX_ROUTES:
            raise _TooBig
        return _Frag(first, last, empty, edges)

    def alternatives(self, frags: list[_Frag]) -> _Frag:
        out = _Frag([], [], [], set())
        for frag in frags:
            tag = self._id()
            out.first += frag.first
            out.last += frag.last
            out.empty += [(("alt", tag),) + e for e in frag.empty]
            out.edges |= frag.edges
        return out

    def loop(self, frag: _Frag) -> _Frag:
        self._join(frag.last, frag.first, frag.edges, (("loop", self._id()),))
        return frag

    def sequence(self, items: Any) -> _Frag:
        out = _Frag([], [], [()], set())
        for op, value in items:
            out = self.concat(out, self.node(str(op), value))
        return out

    def repeat(self, low: int, high: int, body: Any) -> _Frag:
        from re import _constants  # type: ignore[attr-defined]

        if high != _constants.MAXREPEAT and high <= _UNROLL:
            tail = _Frag([], [], [()], set())
            for _ in range(high - low):  # x{0,2} as (x(x)?)?, not x?x?
                skip = _Frag([], [], [()], set())
                tail = self.alternatives([self.concat(self.sequence(body), tail), skip])
            out = _Frag([], [], [()], set())
            for _ in range(low):
                out = self.concat(out, self.sequence(body))
            return self.concat(out, tail)
        out = _Frag([], [], [()], set())
        for _ in range(min(low, 2) - 1):
            out = self.concat(out, self.sequence(body))
        looped = self.loop(self.sequence(body))
        if low == 0:
            looped = self.alternatives([looped, _Frag([], [], [()], set())])
        return self.concat(out, looped)

    def node(self, name: str, value: Any) -> _Frag:
        if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            return self._atom(self.chars.mask([(name, value)]))
        if name == "SUBPATTERN":
            return self.sequence(value[-1])
        if name == "BRANCH":
            return self.alternatives([self.sequence(b) for b in value[1]])
        if name in ("MAX_REPEAT", "MIN_REPEAT"):
            return self.repeat(*value)
        if name in ("POSSESSIVE_REPEAT", "ATOMIC_GROUP"):  # never gives back: one step
            items = value[2] if name == "POSSESSIVE_REPEAT" else value
            frag = self._atom(self.chars.mask(_atoms(items)))
            if name == "POSSESSIVE_REPEAT" and value[0] == 0:
                frag.empty = [()]
            return frag
        if name == "AT" and str(value) in ("AT_BOUNDARY", "AT_NON_BOUNDARY"):
            kind = "b" if str(value) == "AT_BOUNDARY" else "B"
            return _Frag([], [], [((kind, self._id()),)], set())
        if name == "GROUPREF_EXISTS":
            no = self.sequence(value[2]) if value[2] else _Frag([], [], [()], set())
            return self.alternatives([self.sequence(value[1]), no])
        if name == "GROUPREF":  # any text: can only add ways
            looped = self.loop(self._atom(self.chars.everything))
            return self.alternatives([looped, _Frag([], [], [()], set())])
        return _Frag([], [], [()], set())  # AT, ASSERT, ASSERT_NOT: zero width


def _atoms(items: Any) -> list[tuple[str, Any]]:
    """Every single-character item inside *items*."""
    found: list[tuple[str, Any]] = []
    for op, value in items:
        name = str(op)
        if name in ("LITERAL", "NOT_LITERAL", "ANY", "IN"):
            found.append((name, value))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            found += _atoms(value[2])
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            found += _atoms(value[-1] if name == "SUBPATTERN" else value)
        elif name == "BRANCH":
            for branch in value[1]:
                found += _atoms(branch)
        elif name in ("GROUPREF", "GROUPREF_EXISTS"):
            found.append(("ANY", None))
    return found


def _repeats(items: Any) -> list[tuple[str, int, int, Any]]:
    """Every repeat in *items*, outer before inner (the order of the regex text)."""
    found: list[tuple[str, int, int, Any]] = []
    for op, value in items:
        name = str(op)
        if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            found.append((name, value[0], value[1], value[2]))
            found += _repeats(value[2])
        elif name == "SUBPATTERN":
            found += _repeats(value[-1])
        elif name in ("ATOMIC_GROUP",):
            found += _repeats(value)
        elif name in ("ASSERT", "ASSERT_NOT"):
            found += _repeats(value[1])
        elif name == "BRANCH":
            for branch in value[1]:
                found += _repeats(branch)
        elif name == "GROUPREF_EXISTS":
            found += _repeats(value[1]) + (_repeats(value[2]) if value[2] else [])
    return found


def _ambiguous(body: Any, chars: CharClasses) -> str | None:
    """A text that the repeat of *body* matches in two ways, or None."""
    builder = _Builder(chars)
    try:
        frag = builder.loop(builder.sequence(body))
    except _TooBig:
        return None
    out: dict[int, list[tuple[int, Route]]] = {_START: list(frag.first)}
    for x, y, route in frag.edges:
        out.setdefault(x, []).append((y, route))
    for x, route in frag.last:
        out.setdefault(x, []).append((_END, route))
    start = (_START, _START, False)
    came: dict[tuple[int, int, bool], tuple[tuple[int, int, bool], str]] = {}
    todo = [start]
    while todo:
        state = todo.pop()
        x, y, apart = state
        for x2, r1 in out.get(x, ()):
            for y2, r2 in out.get(y, ()):
                split = apart or x2 != y2 or r1 != r2
                if x2 == _END or y2 == _END:
                    if x2 == y2 == _END and split:
                        return _text(came, state, "")
                    continue
                shared = builder.masks[x2] & builder.masks[y2]
                if not shared:
                    continue
                char = chars.sample(shared)
                if x2 == y2 and split:
                    return _text(came, state, char) + _finish(out, builder, chars, x2)
                nxt = (x2, y2, split)
                if nxt not in came and nxt != start:
                    came[nxt] = (state, char)
                    todo.append(nxt)
    return None


def _finish(
    out: dict[int, list[tuple[int, Route]]], builder: _Builder, chars: CharClasses, at: int
) -> str:
    """The shortest text that takes position *at* out of the repeat."""
    came: dict[int, tuple[int, str]] = {}
    todo = [at]
    for x in todo:  # breadth first: todo grows while we walk it
        for y, _ in out.get(x, ()):
            if y == _END:
                text = []
                while x != at:
                    x, char = came[x]
                    text.append(char)
                return "".join(reversed(text))
            if y not in came and y != at:
                came[y] = (x, chars.sample(builder.masks[y]))
                todo.append(y)
    return ""


def _text(came: dict[Any, Any], state: Any, tail: str) -> str:
    chars = [tail]
    while state in came:
        state, char = came[state]
        chars.append(char)
    return "".join(reversed(chars))


def backtracking_risk(regex: str) -> RegexRisk | None:
    """The first repeat of *regex* that matches one text in two ways, or None.

    Examples:
        >>> backtracking_risk("(a+)+$").example, backtracking_risk(r"(\\w+\\s?)*x").repeat
        ('aa', '(\\\\w+\\\\s?)*')
        >>> backtracking_risk(r"(?:\\w+\\W*){1,12}$").repeat
        '(?:\\\\w+\\\\W*){1,12}'
        >>> backtracking_risk(r"\\bfired up\\b"), backtracking_risk(r"(?:\\w+\\s+){0,3}x")
        (None, None)
    """
    from re import _parser  # type: ignore[attr-defined]

    try:
        parsed = _parser.parse(regex, re.IGNORECASE)
    except Exception:  # noqa: BLE001 - a regex that does not compile is reported elsewhere
        return None
    chars = CharClasses(regex, _atoms(parsed), ascii_only=bool(parsed.state.flags & re.ASCII))
    repeats = _repeats(parsed)
    spans = repeat_spans(regex, [(low, high) for _, low, high, _ in repeats])
    for index, (name, _low, high, body) in enumerate(repeats):
        if name == "POSSESSIVE_REPEAT" or high < 2:
            continue
        example = _ambiguous(body, chars)
        if example is not None:
            repeat = spans[index] if spans else regex
            return RegexRisk(regex, repeat, example, lazy=name == "MIN_REPEAT")
    return None
