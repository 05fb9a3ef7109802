"""Terms and phrases found on string-id arrays.

A term word matches a token's lower-cased surface form *or* its lower-cased
lemma (``motivate`` matches ``motivating``); phrases are contiguous across line
breaks; a trailing ``*`` makes the last word a prefix.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import compress, repeat
from operator import is_not
from typing import TYPE_CHECKING, Any

from qca.engine.batch import Batch
from qca.engine.rules import TermRule

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from qca.engine.lexicon import Grow, Lexicon


class TermIndex:
    """Terms indexed by their first word; prefix terms found by scanning seen forms once.

    Per string id of a lexicon it keeps (growing with the lexicon) the rules that
    a token can start by its form and by its lemma, as numbers into :attr:`rules`
    in a flat table (``first``/``count`` per string id, then ``flat``).
    """

    def __init__(self, rules: Sequence[TermRule]) -> None:
        self.first: dict[str, list[TermRule]] = {}
        self.prefixes: list[TermRule] = []
        for rule in rules:
            if rule.prefix and len(rule.words) == 1:
                self.prefixes.append(rule)
            else:
                self.first.setdefault(rule.words[0], []).append(rule)
        self._by_prefix: dict[str, list[TermRule]] = {}
        # One alternation tells whether a word starts with any prefix at all.
        stems = sorted({rule.words[0] for rule in self.prefixes}, key=lambda w: (-len(w), w))
        self.prefix_re = re.compile("|".join(map(re.escape, stems))) if stems else None
        #: Every rule, numbered (the numbers of the tables).
        self.rules: list[TermRule] = list(rules)
        self._number = {id(rule): n for n, rule in enumerate(self.rules)}
        number = self._number
        self._numbers = {w: [number[id(r)] for r in found] for w, found in self.first.items()}
        self._lexicon: Lexicon | None = None
        self._tables: dict[str, tuple[Grow, Grow, Grow]] = {}

    def tables(self, lexicon: Lexicon) -> dict[str, tuple[Any, Any, Any]]:
        """Return, for ``form`` and ``lemma``, (first, count, flat) views over *lexicon*'s ids.

        A token can start the rules ``flat[first[i]:first[i] + count[i]]`` of its
        string id under ``form`` and those of its lemma id under ``lemma``.
        Decided once per distinct string.
        """
        import numpy as np

        from qca.engine.lexicon import Grow

        if self._lexicon is not lexicon:
            self._lexicon = lexicon
            self._tables = {
                kind: (Grow(np.int64), Grow(np.int64), Grow(np.int32)) for kind in ("form", "lemma")
            }
        seen = self._tables["form"][1].size
        if seen < len(lexicon.strings):
            number, numbers, prefix = self._number, self._numbers, self.prefix_re
            for kind, new in (("form", lexicon.lowers[seen:]), ("lemma", lexicon.strings[seen:])):
                # Few strings start a term: find them with C-level passes, then visit only those.
                found = list(map(numbers.get, new))
                some = set(compress(range(len(new)), map(is_not, found, repeat(None))))
                if kind == "form" and prefix is not None:
                    some.update(compress(range(len(new)), map(prefix.match, new)))
                count = np.zeros(len(new), dtype=np.int64)
                rules: list[int] = []
                for n in sorted(some):
                    more = list(found[n] or ())
                    if kind == "form" and prefix is not None and prefix.match(new[n]) is not None:
                        more += [number[id(r)] for r in self.prefixed(new[n])]
                    rules += more
                    count[n] = len(more)
                starts, counts, flat = self._tables[kind]
                starts.extend(flat.size + np.cumsum(count) - count)
                counts.extend(count)
                flat.extend(rules)
        return {kind: (a.view, b.view, c.view) for kind, (a, b, c) in self._tables.items()}

    def prefixed(self, lower: str) -> list[TermRule]:
        """Return the single-word prefix terms that *lower* starts with."""
        scanned = self._by_prefix.get(lower)
        if scanned is None:
            scanned = [r for r in self.prefixes if lower.startswith(r.words[0])]
            self._by_prefix[lower] = scanned
        return scanned


def _expand(
    positions: npt.NDArray[np.intp], ids: npt.NDArray[np.int32], table: tuple[Any, Any, Any]
) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.int64]]:
    """Return (position, rule number) for every rule *table* gives the id at each position."""
    import numpy as np

    firsts, counts, flat = table
    count = counts[ids]
    total = int(count.sum())
    within = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    rules = flat[np.repeat(firsts[ids], count) + within].astype(np.int64)
    return np.repeat(positions, count), rules


#: Term matches as arrays: rule numbers (into ``TermIndex.rules``), segment, first and
#: last token, in order of first token, then rule number.
TermMatches = tuple[
    "npt.NDArray[np.int64]",
    "npt.NDArray[np.int64]",
    "npt.NDArray[np.int64]",
    "npt.NDArray[np.int64]",
]


def find_terms(index: TermIndex, batch: Batch) -> TermMatches:
    """Return the term matches of *index* in the batch (see :data:`TermMatches`).

    Which rules a token can start is known per distinct string (its form and its
    lemma), so single-word terms are matched on the token arrays alone; only the
    candidates of terms of several words are checked word by word.
    """
    import numpy as np

    tokens = batch.tokens
    none = np.zeros(0, dtype=np.int64)
    count = len(tokens.orths)
    if (not index.first and not index.prefixes) or not count:
        return none, none, none, none
    tables = index.tables(tokens.lexicon)
    orths, lemma_ids = tokens.orths, tokens.lemma_ids
    can = (tables["form"][1][orths] > 0) | (tables["lemma"][1][lemma_ids] > 0)
    positions = np.flatnonzero(can)
    if not len(positions):
        return none, none, none, none
    by_form = _expand(positions, orths[positions], tables["form"])
    by_lemma = _expand(positions, lemma_ids[positions], tables["lemma"])
    width = len(index.rules)
    # one pair per (position, rule), sorted: a rule found by form and lemma counts once
    pairs = np.unique(
        np.concatenate([by_form[0] * width + by_form[1], by_lemma[0] * width + by_lemma[1]])
    )
    first, rule = pairs // width, pairs % width
    lengths = np.asarray([len(r.words) for r in index.rules], dtype=np.int64)
    last = first + lengths[rule] - 1
    segment = np.searchsorted(tokens.bounds, first, side="right") - 1
    inside = last < tokens.bounds[segment + 1]
    first, rule, last, segment = first[inside], rule[inside], last[inside], segment[inside]
    several = np.flatnonzero(lengths[rule] > 1)
    if len(several):
        keep = np.ones(len(first), dtype=np.bool_)
        strings, lowers = tokens.strings, batch.lowers_by_id
        for n, i, number in zip(
            several.tolist(), first[several].tolist(), rule[several].tolist(), strict=True
        ):
            term = index.rules[number]
            words = term.words
            after = orths[i + 1 : i + len(words)].tolist()
            lemmas = lemma_ids[i + 1 : i + len(words)].tolist()
            for m in range(1, len(words)):
                word = words[m]
                lower = lowers[after[m - 1]]
                if lower == word or strings[lemmas[m - 1]] == word:
                    continue
                if term.prefix and m == len(words) - 1 and lower.startswith(word):
                    continue
                keep[n] = False
                break
        first, rule, last, segment = first[keep], rule[keep], last[keep], segment[keep]
    return rule, segment, first, last
