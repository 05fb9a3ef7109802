"""Regular expressions over the segment text (case-insensitive), screened by required literals.

Each match is expanded to the tokens that enclose it. A regex with a literal
every match must contain is run only on the texts whose chunks (or tokens) could
hold it; the others run over one text of the batch joined by line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import repeat
from operator import is_not
from typing import TYPE_CHECKING

from qca.engine.batch import Batch, HitColumns
from qca.engine.pipeline import Tokens

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from qca.engine.lexicon import Grow, Lexicon

#: Anchors and lookarounds see the text's ends: such regexes run on each segment alone.
NEEDS_OWN_TEXT = re.compile(r"\^|\$|\\[AZz]|\(\?<?[=!]")


def required_literal(regex: str) -> str | None:
    """Return the longest run of plain characters every match of *regex* contains (>= 3), if any.

    Only top-level literals count (not those inside groups, branches or repeats),
    and no whitespace, so the run lies inside one whitespace-free chunk.
    """
    from re import _constants, _parser  # type: ignore[attr-defined]

    try:
        items = list(_parser.parse(regex, re.IGNORECASE))
    except Exception:  # noqa: BLE001 - anything unusual: no prefilter
        return None
    best = run = ""
    for op, value in items:
        if op is _constants.LITERAL and not chr(value).isspace():
            run += chr(value)
            best = max(best, run, key=len)
        else:
            run = ""
    return best if len(best) >= 3 else None


class ChunkScreen:
    """Which chunks of a lexicon contain a regex's required literal (ignoring case, as re does)."""

    def __init__(self, literals: Sequence[str]) -> None:
        self.literals = [re.compile(re.escape(lit), re.IGNORECASE) for lit in literals]
        self.any = re.compile("|".join(re.escape(lit) for lit in literals), re.IGNORECASE)
        self.lexicon: Lexicon | None = None
        self.flags: list[Grow] = []

    def update(self, lexicon: Lexicon) -> list[Grow]:
        """Return, per literal, a flag per chunk of *lexicon* (computed once per chunk)."""
        import numpy as np

        from qca.engine.lexicon import Grow

        if self.lexicon is not lexicon:
            self.lexicon, self.flags = lexicon, [Grow(np.bool_) for _ in self.literals]
        seen = self.flags[0].size if self.flags else 0
        new = lexicon.chunk_list[seen:]
        if new:
            search = self.any.search
            some = [n for n, chunk in enumerate(new) if search(chunk)]
            for literal, flags in zip(self.literals, self.flags, strict=True):
                part = np.zeros(len(new), dtype=np.bool_)
                part[[n for n in some if literal.search(new[n])]] = True
                flags.extend(part)
        return self.flags


def _prefixes(literal: str) -> str:
    """Return an alternation of *literal*'s non-empty proper prefixes, longest first."""
    return "|".join(re.escape(literal[:k]) for k in range(len(literal) - 1, 0, -1))


class TokenScreen:
    """Which strings of a lexicon could hold a regex's required literal (for tokens without chunks).

    An occurrence of the literal (no whitespace) lies in one whitespace-free run
    of adjacent tokens: it is inside one token, or it starts in a token that ends
    with a non-empty proper prefix of it and goes on in the next token, which
    starts where that one ends with a character of the literal after its first.
    Each is decided per distinct string, ignoring case as ``re`` does.
    """

    def __init__(self, literals: Sequence[str]) -> None:
        self.literals = list(literals)
        self.inside = [re.compile(re.escape(lit), re.IGNORECASE) for lit in literals]
        self.ending = [
            re.compile("(?:" + _prefixes(lit) + r")\Z", re.IGNORECASE) for lit in literals
        ]
        self.opening = [
            re.compile("|".join(re.escape(ch) for ch in dict.fromkeys(lit[1:])), re.IGNORECASE)
            for lit in literals
        ]
        # The first two on the strings joined by NULs: one C-level scan each (#16).
        self.joined = [
            (pattern, re.compile("(?:" + _prefixes(lit) + r")(?=\x00|\Z)", re.IGNORECASE))
            for lit, pattern in zip(literals, self.inside, strict=True)
        ]
        self.lexicon: Lexicon | None = None
        self.flags: list[tuple[Grow, Grow, Grow]] = []

    def update(self, lexicon: Lexicon) -> list[tuple[Grow, Grow, Grow]]:
        """Return, per literal, flags per string of *lexicon*: holds it, ends with a start
        of it, starts with one of its characters after the first."""
        import numpy as np

        from qca.engine.lexicon import Grow

        if self.lexicon is not lexicon:
            self.lexicon = lexicon
            self.flags = [(Grow(np.bool_), Grow(np.bool_), Grow(np.bool_)) for _ in self.inside]
        seen = self.flags[0][0].size if self.flags else 0
        new = lexicon.strings[seen:]
        if not new:
            return self.flags
        blob = "\x00".join(new)
        if blob.count("\x00") == len(new) - 1 and not any("\x00" in x for x in self.literals):
            # No string or literal holds a NUL, so no match crosses one: a match's
            # start tells its string (the same flags as the per-string loop below).
            sizes = np.fromiter(map(len, new), dtype=np.int64, count=len(new))
            offsets = np.cumsum(sizes + 1) - sizes - 1
            heads = [s[:1] for s in new]  # the opening pattern matches one character
            for patterns, opening, (holds, ends, opens) in zip(
                self.joined, self.opening, self.flags, strict=True
            ):
                for pattern, flags in zip(patterns, (holds, ends), strict=True):
                    at = np.fromiter((m.start() for m in pattern.finditer(blob)), np.int64)
                    part = np.zeros(len(new), dtype=np.bool_)
                    part[np.searchsorted(offsets, at, "right") - 1] = True
                    flags.extend(part)
                ok = {h for h in set(heads) if opening.match(h)}
                opens.extend(np.fromiter(map(ok.__contains__, heads), np.bool_, len(new)))
            return self.flags
        for inside, ending, opening, (holds, ends, opens) in zip(
            self.inside, self.ending, self.opening, self.flags, strict=True
        ):
            for flags, find in ((holds, inside.search), (ends, ending.search)):
                flags.extend(np.fromiter(map(is_not, map(find, new), repeat(None)), np.bool_))
            opens.extend(np.fromiter(map(is_not, map(opening.match, new), repeat(None)), np.bool_))
        return self.flags


class Regexes:
    """The regexes of some rules, compiled, with their literal screens (made on first use)."""

    def __init__(self, regexes: Sequence[tuple[int, int, str, str]]) -> None:
        self.regexes = tuple(regexes)
        self.compiled = [re.compile(regex, re.IGNORECASE) for *_, regex in self.regexes]
        #: Regex number -> the literal every match contains (those that have one).
        self.literals: dict[int, str] = {}
        for number, (*_, regex) in enumerate(self.regexes):
            literal = required_literal(regex)
            if literal is not None:
                self.literals[number] = literal
        self._chunk_screen: ChunkScreen | None = None
        self._token_screen: TokenScreen | None = None

    def token_candidates(self, tokens: Tokens) -> dict[int, npt.NDArray[np.intp]]:
        """Return, per regex with a literal, the texts whose tokens could hold it (TokenScreen)."""
        import numpy as np

        flags = self.token_screen(tokens.lexicon)
        orths = tokens.orths
        joined = np.zeros(len(orths), dtype=np.bool_)  # the next token starts where this one ends
        if len(orths) > 1:
            joined[:-1] = tokens.ends[:-1] == tokens.starts[1:]
            lasts = tokens.bounds[1:] - 1  # a text's last token: the next one is another text's
            joined[lasts[lasts >= 0]] = False
        out = {}
        for number, (holds, ends, opens) in zip(self.literals, flags, strict=True):
            found = holds.view[orths]
            across = ends.view[orths] & joined
            across[:-1] &= opens.view[orths[1:]]
            at = np.flatnonzero(found | across)
            out[number] = np.unique(np.searchsorted(tokens.bounds, at, side="right") - 1)
        return out

    def token_screen(self, lexicon: Lexicon) -> list[tuple[Grow, Grow, Grow]]:
        """Return, per regex with a literal, the :class:`TokenScreen` flags of *lexicon*'s strings."""
        if self._token_screen is None:
            self._token_screen = TokenScreen(list(self.literals.values()))
        return self._token_screen.update(lexicon)

    def candidates(self, tokens: Tokens, n: int) -> dict[int, npt.NDArray[np.intp]] | None:
        """Return, per regex with a literal, the texts that could contain it (None: no literals)."""
        import numpy as np

        if not self.literals:
            return None
        if tokens.chunks is None:
            return self.token_candidates(tokens)
        if self._chunk_screen is None:
            self._chunk_screen = ChunkScreen(list(self.literals.values()))
        flags = self._chunk_screen.update(tokens.lexicon)
        chunk_bounds, chunk_ids = tokens.chunks
        owners = np.repeat(np.arange(n, dtype=np.intp), np.diff(chunk_bounds))
        return {
            number: np.unique(owners[flag.view[chunk_ids]])
            for number, flag in zip(self.literals, flags, strict=True)
        }

    def match(self, texts: Sequence[str], batch: Batch, hits: HitColumns) -> None:
        """Add the hits of the regexes: one scan of the batch's texts joined by line breaks.

        A match that runs past the end of its segment is not one the segment alone
        would give, and the scan after it may differ: the segments it touches are
        scanned again on their own. Each match is expanded to the tokens enclosing it.
        """
        import numpy as np

        tokens = batch.tokens
        n = len(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        bases = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=bases[1:])
        joined = ""  # made when a regex without a literal scans the batch
        candidates = self.candidates(tokens, n)
        for number, (code, order, rule_text, regex) in enumerate(self.regexes):
            pattern = self.compiled[number]
            rule = (code, order, "regex", rule_text)
            if candidates is not None and number in candidates:
                # only texts with a chunk holding the literal can match: scan each alone
                dirty = set(candidates[number].tolist())
                found = np.zeros((0, 2), dtype=np.int64)
            elif NEEDS_OWN_TEXT.search(regex):
                dirty = set(range(n))
                found = np.zeros((0, 2), dtype=np.int64)
            else:
                joined = joined or "\n".join(texts)
                spans = [m.span() for m in pattern.finditer(joined) if m.end() > m.start()]
                found = np.asarray(spans, dtype=np.int64).reshape(-1, 2)
                first = np.searchsorted(bases, found[:, 0], side="right") - 1
                last = np.searchsorted(bases, found[:, 1] - 1, side="right") - 1
                inside = found[:, 1] <= bases[first] + lengths[first]
                dirty = set()
                for a, b in zip(first[~inside].tolist(), last[~inside].tolist(), strict=True):
                    dirty.update(range(a, b + 1))
                keep = inside & ~np.isin(first, np.fromiter(dirty, dtype=np.int64))
                found = found[keep]
            for k in sorted(dirty):
                spans = [m.span() for m in pattern.finditer(texts[k]) if m.end() > m.start()]
                if spans:
                    own = np.asarray(spans, dtype=np.int64).reshape(-1, 2) + bases[k]
                    found = np.concatenate([found, own])
            if len(found):
                _add_hits(found, bases, tokens, rule, hits)


def _add_hits(
    found: npt.NDArray[np.int64],
    bases: npt.NDArray[np.int64],
    tokens: Tokens,
    rule: tuple[int, int, str, str],
    hits: HitColumns,
) -> None:
    """Add a hit per match *found* (spans in the texts joined by line breaks, at *bases*),
    expanded to the tokens enclosing it; a match over whitespace alone gives none.

    Only the tokens of the texts with a match are placed in the joined text: the
    batch's tokens are as many as its words (ten million for a corpus token file).
    """
    import numpy as np

    owner = np.searchsorted(bases, found[:, 0], side="right") - 1
    texts = np.unique(owner)
    low, high = tokens.bounds[texts].astype(np.int64), tokens.bounds[texts + 1].astype(np.int64)
    sizes = high - low
    count = int(sizes.sum())
    # the token numbers of those texts, in order, and their spans in the joined text
    taken = np.repeat(low - (np.cumsum(sizes) - sizes), sizes) + np.arange(count, dtype=np.int64)
    shift = np.repeat(bases[texts], sizes)
    starts = tokens.starts[taken] + shift
    ends = tokens.ends[taken] + shift
    a = np.searchsorted(ends, found[:, 0], side="right")
    b = np.searchsorted(starts, found[:, 1], side="left") - 1
    ok = a <= b  # else the match covers only whitespace
    first, last = taken[a[ok]], taken[b[ok]]
    segments = owner[ok].tolist()
    at = zip(tokens.starts[first].tolist(), tokens.ends[last].tolist(), strict=True)
    for k, (start, end), i in zip(segments, at, first.tolist(), strict=True):
        hits.add(k, rule, (start, end, i))
