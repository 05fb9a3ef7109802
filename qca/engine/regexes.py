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


class TokenScreen:
    """Which strings of a lexicon could hold a regex's required literal (for tokens without chunks).

    An occurrence of the literal (no whitespace) lies in one whitespace-free run
    of adjacent tokens: it is inside one token, or it starts in a token that ends
    with a non-empty proper prefix of it and goes on in the next token, which
    starts where that one ends with a character of the literal after its first.
    Each is decided per distinct string, ignoring case as ``re`` does.
    """

    def __init__(self, literals: Sequence[str]) -> None:
        self.inside = [re.compile(re.escape(lit), re.IGNORECASE) for lit in literals]
        self.ending = [
            re.compile(
                "(?:" + "|".join(re.escape(lit[:k]) for k in range(len(lit) - 1, 0, -1)) + r")\Z",
                re.IGNORECASE,
            )
            for lit in literals
        ]
        self.opening = [
            re.compile("|".join(re.escape(ch) for ch in dict.fromkeys(lit[1:])), re.IGNORECASE)
            for lit in literals
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
        if new:
            for inside, ending, opening, (holds, ends, opens) in zip(
                self.inside, self.ending, self.opening, self.flags, strict=True
            ):
                for flags, find in ((holds, inside.search), (ends, ending.search)):
                    flags.extend(np.fromiter(map(is_not, map(find, new), repeat(None)), np.bool_))
                opens.extend(
                    np.fromiter(map(is_not, map(opening.match, new), repeat(None)), np.bool_)
                )
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

    def token_candidates(
        self, tokens: Tokens, owners: npt.NDArray[np.int64]
    ) -> dict[int, npt.NDArray[np.intp]]:
        """Return, per regex with a literal, the texts whose tokens could hold it (TokenScreen)."""
        import numpy as np

        if self._token_screen is None:
            self._token_screen = TokenScreen(list(self.literals.values()))
        flags = self._token_screen.update(tokens.lexicon)
        orths = tokens.orths
        joined = np.zeros(len(orths), dtype=np.bool_)  # the next token starts where this one ends
        if len(orths) > 1:
            joined[:-1] = (tokens.ends[:-1] == tokens.starts[1:]) & (owners[:-1] == owners[1:])
        out = {}
        for number, (holds, ends, opens) in zip(self.literals, flags, strict=True):
            found = holds.view[orths]
            across = ends.view[orths] & joined
            across[:-1] &= opens.view[orths[1:]]
            out[number] = np.unique(owners[found | across])
        return out

    def candidates(
        self, tokens: Tokens, n: int, owners: npt.NDArray[np.int64]
    ) -> dict[int, npt.NDArray[np.intp]] | None:
        """Return, per regex with a literal, the texts that could contain it (None: no literals).

        *owners* gives the text of each token.
        """
        import numpy as np

        if not self.literals:
            return None
        if tokens.chunks is None:
            return self.token_candidates(tokens, owners)
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
        owners = np.repeat(np.arange(n, dtype=np.int64), np.diff(tokens.bounds))
        starts = tokens.starts.astype(np.int64) + bases[owners]
        ends = tokens.ends.astype(np.int64) + bases[owners]
        joined = "\n".join(texts)
        candidates = self.candidates(tokens, n, owners)
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
            if not len(found):
                continue
            a = np.searchsorted(ends, found[:, 0], side="right")
            b = np.searchsorted(starts, found[:, 1], side="left") - 1
            ok = a <= b  # else the match covers only whitespace
            first, last = a[ok], b[ok]
            segments = owners[first].tolist()
            at = zip(tokens.starts[first].tolist(), tokens.ends[last].tolist(), strict=True)
            for k, (start, end), i in zip(segments, at, first.tolist(), strict=True):
                hits.add(k, rule, (start, end, i))
