"""Which segments of a corpus token file an edited code could hit, told per distinct string (#16).

An edited re-run (:mod:`qca.rematch`) matches a few codes on a whole corpus. Every
kind of rule finds its hits inside one segment and needs there a token that only
some strings can be: a term's first word (by the token's matched form or lemma,
:class:`~qca.engine.terms.TermIndex`), a string that holds a regex's required
literal or ends with a start of it (:class:`~qca.engine.regexes.TokenScreen`), a
string that a token pattern may start with (:meth:`~qca.engine.patterns.Patterns.string_screen`).
Those strings are flagged once each; a segment with none of them cannot hold a hit
and is never unpacked, given its text, nor matched: the matcher then runs as on
any batch, on the segments left (a few per cent of a corpus for one code's terms).

A regex without a literal, or a pattern that may start at any token, could hit any
segment: :func:`screen_segments` says None and every segment is matched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from qca.engine.corpus_rules import NeedsSpacy
from qca.engine.pipeline import Pipeline

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from qca.engine.batch import HitColumns
    from qca.engine.corpus_tokens import CorpusTokens
    from qca.engine.match import Matcher
    from qca.engine.rules import Rules


def screen_segments(matcher: Matcher, corpus: CorpusTokens) -> npt.NDArray[np.int64] | None:
    """Return the numbers of the corpus's segments where *matcher* may find a hit, ascending.

    None when that cannot be told from the strings (then every segment may hold one).
    Vetoes (``not`` phrases) and negation cues only remove or mark hits: not screened.
    """
    import numpy as np

    lexicon, orths = corpus.lexicon, corpus.orths
    count = len(lexicon.strings)
    flags = np.zeros(count, dtype=np.bool_)  # a token of this string may start a hit
    terms = matcher.terms
    if terms.first or terms.prefixes:
        tables = terms.tables(lexicon)
        flags |= tables["form"][1][:count] > 0
        flags |= (tables["lemma"][1][:count] > 0)[corpus.lemmas]
    across = np.zeros(0, dtype=np.int64)  # tokens where a regex's literal may begin
    regexes = matcher.regexes
    if regexes is not None:
        if len(regexes.literals) < len(regexes.regexes):
            return None
        for holds, ends, opens in regexes.token_screen(lexicon):
            flags |= holds.view[:count]
            found = _across(corpus, ends.view[:count], opens.view[:count])
            across = np.union1d(across, found)
    if matcher.rules.patterns:
        screen = matcher.patterns.string_screen(lexicon)
        if screen is None:
            return None
        by_orth, by_lemma = screen
        flags |= by_orth | by_lemma[corpus.lemmas]
    places = np.concatenate([np.flatnonzero(flags[orths]), across])
    found = np.searchsorted(corpus.bounds, places, side="right") - 1
    return np.unique(found).astype(np.int64)


def _across(
    corpus: CorpusTokens, ends: npt.NDArray[np.bool_], opens: npt.NDArray[np.bool_]
) -> npt.NDArray[np.int64]:
    """Return the tokens whose string ends with a start of a literal and whose next token
    of the same segment starts where it ends, with a character of the literal after its first."""
    import numpy as np

    orths = corpus.orths
    at = np.flatnonzero(ends[orths])
    after = at + 1
    keep = after < len(orths)
    at, after = at[keep], after[keep]
    # the next token is another segment's first: a segment's gap there is its start
    firsts = np.zeros(len(orths) + 1, dtype=np.bool_)
    firsts[corpus.bounds[:-1]] = True
    keep = ~firsts[after] & (corpus.gaps[after] == 0) & opens[orths[after]]
    found: npt.NDArray[np.int64] = at[keep].astype(np.int64)
    return found


class _Index(dict[str, int]):
    """``Lexicon.ids`` for a loaded corpus: a string's id, found when asked (patterns ask a few;
    a dict of every string would cost more than the scans)."""

    def __init__(self, strings: list[str]) -> None:
        super().__init__()
        self.strings = strings

    def __contains__(self, key: object) -> bool:
        return self.get(key) is not None

    def __getitem__(self, key: str) -> int:
        found: int | None = self.get(key)
        if found is None:
            raise KeyError(key)
        return found

    def get(self, key: object, default: Any = None) -> Any:
        if not isinstance(key, str):
            return default
        if not dict.__contains__(self, key):
            try:
                self.setdefault(key, self.strings.index(key))
            except ValueError:
                return default
        return dict.get(self, key)


class _LowerIndex(dict[str, int | list[int]]):
    """``Lexicon.by_lower`` for a loaded corpus, filled per value asked (patterns ask a few)."""

    def __init__(self, strings: list[str]) -> None:
        super().__init__()
        self.lowered = list(map(str.lower, strings))

    def get(self, key: str, default: Any = None) -> Any:
        if key not in self:
            found: list[int] = []
            at = -1
            while True:
                try:
                    at = self.lowered.index(key, at + 1)
                except ValueError:
                    break
                found.append(at)
            self[key] = found
        return self[key] or default


@dataclass
class CorpusMatch:
    """The hits of some rules on a corpus token file, on the segments that could hold one.

    ``hits.segment`` numbers :attr:`segments` (corpus segments, ascending), whose
    texts are :attr:`texts`.
    """

    segments: npt.NDArray[np.int64]
    hits: HitColumns
    texts: list[str]


def match_corpus(
    corpus: CorpusTokens, rules: Rules, read_texts: Callable[[Any], list[str]]
) -> CorpusMatch:
    """Return the hits of *rules* on the corpus's tokens.

    Only the segments where a hit may be (:func:`qca.engine.corpus_screen.screen_segments`)
    are matched; *read_texts* is given their rows of ``segments.parquet`` (``corpus.rows``
    of them, ascending) and returns their texts.

    Raises:
        NeedsSpacy: When a token pattern needs spaCy's Matcher.
    """
    import numpy as np

    from qca.engine.match import Matcher
    from qca.engine.patterns import needs_spacy

    lexicon = corpus.lexicon
    if rules.patterns:
        if needs_spacy(rules.patterns):
            raise NeedsSpacy("a token pattern")
        if not isinstance(lexicon.ids, _Index):  # simple pattern specs look strings up
            lexicon.ids = _Index(lexicon.strings)
            lexicon.by_lower = _LowerIndex(lexicon.strings)
    language = corpus.language
    # No spaCy: the matcher reads its pipeline only for patterns that need spaCy.
    pipeline = Pipeline(language, cast(Any, None), None, str(corpus.header["fingerprint"]))
    matcher = Matcher(rules, pipeline, language)
    segments = screen_segments(matcher, corpus)
    if segments is None:
        segments = np.arange(len(corpus.rows), dtype=np.int64)
    texts = read_texts(corpus.rows[segments])
    return CorpusMatch(segments, matcher.match(texts, corpus.tokens(segments)), texts)
