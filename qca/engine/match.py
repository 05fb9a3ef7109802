"""One batch of token arrays -> :class:`~qca.engine.batch.HitColumns`: vetoes, negation.

A ``not`` phrase vetoes every hit of the same code that it contains or overlaps;
one span counts once per code (the first rule in codebook order wins); of hits of
one code that overlap in one segment the longest stays, the earliest on a tie
(unless ``Rules.count_nested``); each hit carries ``negated`` and the cue when a
negation cue stands within the window before it in the same sentence. See
``docs/coding.md`` and ``docs/codebook.md`` ("Overlapping matches").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qca.engine.batch import Batch, HitColumns
from qca.engine.patterns import Patterns
from qca.engine.pipeline import Pipeline, Tokens
from qca.engine.regexes import Regexes
from qca.engine.rules import Rules
from qca.engine.terms import TermIndex, find_terms

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from qca.engine.lexicon import Grow, Lexicon


class Matcher:
    """The rules of one language compiled against one pipeline, with every derived table.

    As spaCy's ``Matcher`` owns its patterns, this owns the term and veto indexes,
    the token-pattern tables, the regex screens and the negation-cue flags, each
    grown per distinct string of the pipeline's lexicon as batches come.

    Examples:
        >>> matcher = Matcher(rules, load_pipeline("en"), "en")  # doctest: +SKIP
        >>> hits = matcher.match(texts, tokenize(matcher.pipeline, texts))  # doctest: +SKIP
    """

    def __init__(self, rules: Rules, pipeline: Pipeline, language: str) -> None:
        self.rules = rules
        self.pipeline = pipeline
        self.language = language
        self.terms = TermIndex(rules.terms.get(language, ()))
        self.vetoes = TermIndex(rules.vetoes_for(language))
        self.regexes = Regexes(rules.regexes) if rules.regexes else None
        self._patterns: Patterns | None = None
        self.cues = rules.cues.get(language, frozenset())
        self._cue_flags: tuple[Lexicon, Grow] | None = None

    @property
    def patterns(self) -> Patterns:
        """The token patterns, compiled on first use (spaCy's Matcher is slow to build)."""
        if self._patterns is None:
            self._patterns = Patterns(self.rules.patterns, self.pipeline)
        return self._patterns

    def match(self, texts: Sequence[str], tokens: Tokens) -> HitColumns:
        """Match against tokenised *texts*; return deduplicated, vetoed, negation-marked hits."""
        hits = HitColumns()
        veto_spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
        batch = Batch.of(tokens)
        numbers, segments, firsts, lasts = find_terms(self.terms, batch)
        found = [self.terms.rules[n] for n in numbers.tolist()]
        hits.segment += segments.tolist()
        hits.code += [r.code for r in found]
        hits.order += [r.order for r in found]
        hits.kind += [r.kind for r in found]
        hits.rule += [r.rule for r in found]
        hits.start += tokens.starts[firsts].tolist()
        hits.end += tokens.ends[lasts].tolist()
        hits.token += firsts.tolist()
        numbers, segments, firsts, lasts = find_terms(self.vetoes, batch)
        spans = zip(tokens.starts[firsts].tolist(), tokens.ends[lasts].tolist(), strict=True)
        for number, k, span in zip(numbers.tolist(), segments.tolist(), spans, strict=True):
            veto_spans.setdefault((k, self.vetoes.rules[number].code), []).append(span)
        if self.regexes is not None:
            self.regexes.match(texts, batch, hits)
        if self.rules.patterns:
            self.patterns.match(texts, batch, hits)
        return self.finish(hits, batch, veto_spans)

    def finish(
        self,
        hits: HitColumns,
        batch: Batch,
        veto_spans: dict[tuple[int, int], list[tuple[int, int]]],
    ) -> HitColumns:
        """Drop vetoed, duplicate and nested hits, mark negation, sort by segment, start, code, end.

        Of the hits of one code on one span, the first rule in codebook order stays;
        then, unless ``rules.count_nested``, of hits of one code that overlap in one
        segment the longest stays (the earliest start on a tie: :func:`drop_overlaps`).
        """
        import numpy as np

        count = len(hits.segment)
        segment = np.asarray(hits.segment, dtype=np.int64)
        code = np.asarray(hits.code, dtype=np.int64)
        start = np.asarray(hits.start, dtype=np.int64)
        end = np.asarray(hits.end, dtype=np.int64)
        order = np.asarray(hits.order, dtype=np.int64)
        keep = np.ones(count, dtype=np.bool_)
        if veto_spans:
            for n in range(count):
                spans = veto_spans.get((hits.segment[n], hits.code[n]))
                if spans and any(a < hits.end[n] and hits.start[n] < b for a, b in spans):
                    keep[n] = False
        names = [name for _, name in self.rules.codes]
        rank = np.zeros(len(names), dtype=np.int64)
        rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
        rank_of = rank[code] if count else code
        # by segment, start, code name, end; then the first rule (and the first hit) of a span
        ordered = np.lexsort((np.arange(count), order, end, rank_of, start, segment))
        ordered = ordered[keep[ordered]]
        if len(ordered):
            same = np.zeros(len(ordered), dtype=np.bool_)
            s, c, a, b = segment[ordered], code[ordered], start[ordered], end[ordered]
            same[1:] = (s[1:] == s[:-1]) & (c[1:] == c[:-1]) & (a[1:] == a[:-1]) & (b[1:] == b[:-1])
            ordered = ordered[~same]
            if not self.rules.count_nested:
                ordered = drop_overlaps(ordered, segment, code, start, end)
        chosen = ordered.tolist()
        out = hits.take(chosen)
        if not self.cues or not chosen:
            out.negated = [False] * len(chosen)
            out.cue = [""] * len(chosen)
            return out
        tokens = batch.tokens
        token = np.asarray(out.token, dtype=np.int64)
        first = tokens.bounds[segment[ordered]].astype(np.int64)
        is_cue = self.cue_flags(tokens.lexicon)[tokens.orths]
        # sentence starts among tokens 0..i-1 (a step back from token i needs it not to start one)
        starts_before = np.zeros(len(tokens.orths) + 1, dtype=np.int64)
        np.cumsum(tokens.sentence_starts, out=starts_before[1:])
        cue_at = np.full(len(chosen), -1, dtype=np.int64)  # the nearest cue's token
        for d in range(1, self.rules.window + 1):
            j = token - d
            reach = (j >= first) & (starts_before[token + 1] == starts_before[np.maximum(j, 0) + 1])
            found = reach & is_cue[np.maximum(j, 0)] & (cue_at < 0)
            cue_at[found] = j[found]
        negated = cue_at >= 0
        out.negated = negated.tolist()
        # the cue as written: a token's string is its exact text (#18: explain recomputed it)
        strings = tokens.strings
        orths = tokens.orths[np.maximum(cue_at, 0)].tolist()
        out.cue = [strings[o] if n else "" for o, n in zip(orths, out.negated, strict=True)]
        return out

    def cue_flags(self, lexicon: Lexicon) -> npt.NDArray[np.bool_]:
        """Return whether each string id of *lexicon* is, in its matched form, a cue."""
        import numpy as np

        from qca.engine.lexicon import Grow

        if self._cue_flags is None or self._cue_flags[0] is not lexicon:
            self._cue_flags = (lexicon, Grow(np.bool_))
        flags = self._cue_flags[1]
        if flags.size < len(lexicon.lowers):
            cues = self.cues
            flags.extend([lower in cues for lower in lexicon.lowers[flags.size :]])
        return flags.view


def drop_overlaps(
    ordered: npt.NDArray[np.intp],
    segment: npt.NDArray[np.int64],
    code: npt.NDArray[np.int64],
    start: npt.NDArray[np.int64],
    end: npt.NDArray[np.int64],
) -> npt.NDArray[np.intp]:
    """Return *ordered* (hit numbers) without the hits an overlapping longer hit of its code holds.

    Of hits of one code in one segment that overlap, the longest stays and the
    earliest start wins a tie; a hit overlapping one that stayed is dropped (as
    spaCy's ``filter_spans``, per code). Hits of different codes never drop each
    other. The order of *ordered* is kept.

    Examples:
        >>> import numpy as np
        >>> z = np.zeros(2, dtype=np.int64)
        >>> drop_overlaps(np.arange(2), z, z, np.array([0, 0]), np.array([3, 9])).tolist()
        [1]
    """
    import numpy as np

    by_start = ordered[np.lexsort((end[ordered], start[ordered], code[ordered], segment[ordered]))]
    s, c, a, b = segment[by_start], code[by_start], start[by_start], end[by_start]
    # sorted by start, a group holds an overlap only if two neighbours overlap
    clash = (s[1:] == s[:-1]) & (c[1:] == c[:-1]) & (a[1:] < b[:-1])
    if not clash.any():
        return ordered
    new_group = np.ones(len(by_start), dtype=np.bool_)
    new_group[1:] = (s[1:] != s[:-1]) | (c[1:] != c[:-1])
    group = np.cumsum(new_group) - 1
    bounds = np.flatnonzero(np.append(new_group, True)).tolist()
    dropped: list[int] = []
    for g in np.unique(group[1:][clash]).tolist():
        members = by_start[bounds[g] : bounds[g + 1]].tolist()
        kept: list[tuple[int, int]] = []
        for n in sorted(members, key=lambda n: (start[n] - end[n], start[n])):
            if any(x < end[n] and start[n] < y for x, y in kept):
                dropped.append(n)
            else:
                kept.append((int(start[n]), int(end[n])))
    return ordered[~np.isin(ordered, dropped)]


def match_tokens(
    rules: Rules, pipeline: Pipeline, language: str, texts: Sequence[str], tokens: Tokens
) -> HitColumns:
    """Match *rules* against tokenised *texts* with a new :class:`Matcher` (one batch)."""
    return Matcher(rules, pipeline, language).match(texts, tokens)


class Lowers(Sequence[str]):
    """The matched form of each token, looked up through its string id (no list per token)."""

    def __init__(self, by_id: list[str], orths: list[int]) -> None:
        self.by_id = by_id
        self.orths = orths

    def __len__(self) -> int:
        return len(self.orths)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self.by_id[o] for o in self.orths[index]]
        return self.by_id[self.orths[index]]


def cue_before(
    lowers: Sequence[str],
    sentence_starts: Sequence[bool],
    token: int,
    first: int,
    cues: frozenset[str],
    window: int,
) -> int | None:
    """Return the index of the nearest negation cue within *window* tokens before *token*.

    The search stays inside the segment (tokens from *first*) and the sentence:
    it stops at the token that starts *token*'s sentence.
    """
    j = token
    steps = 0
    while steps < window and j > first and not sentence_starts[j]:
        j -= 1
        steps += 1
        if lowers[j] in cues:
            return j
    return None
