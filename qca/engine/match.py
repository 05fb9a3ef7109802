"""One batch of token arrays -> :class:`~qca.engine.batch.HitColumns`: vetoes, negation.

A ``not`` phrase vetoes every hit of the same code that it contains or overlaps;
one span counts once per code (the first rule in codebook order wins); each hit
carries ``negated`` when a negation cue stands within the window before it in the
same sentence. See ``docs/coding.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qca.codebook.model import Negation
from qca.engine.batch import Batch, HitColumns
from qca.engine.patterns import Patterns
from qca.engine.pipeline import Pipeline, Tokens, load_pipeline, normalise, tokenize
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
        """Drop vetoed and duplicate hits, mark negation, sort by segment, start, code, end.

        Of the hits of one code on one span, the first rule in codebook order stays.
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
        chosen = ordered.tolist()
        out = HitColumns(
            segment=[hits.segment[n] for n in chosen],
            code=[hits.code[n] for n in chosen],
            order=[hits.order[n] for n in chosen],
            kind=[hits.kind[n] for n in chosen],
            rule=[hits.rule[n] for n in chosen],
            start=[hits.start[n] for n in chosen],
            end=[hits.end[n] for n in chosen],
            token=[hits.token[n] for n in chosen],
        )
        if not self.cues or not chosen:
            out.negated = [False] * len(chosen)
            return out
        tokens = batch.tokens
        token = np.asarray(out.token, dtype=np.int64)
        first = tokens.bounds[segment[ordered]].astype(np.int64)
        is_cue = self.cue_flags(tokens.lexicon)[tokens.orths]
        # sentence starts among tokens 0..i-1 (a step back from token i needs it not to start one)
        starts_before = np.zeros(len(tokens.orths) + 1, dtype=np.int64)
        np.cumsum(tokens.sentence_starts, out=starts_before[1:])
        negated = np.zeros(len(chosen), dtype=np.bool_)
        for d in range(1, self.rules.window + 1):
            j = token - d
            reach = (j >= first) & (starts_before[token + 1] == starts_before[np.maximum(j, 0) + 1])
            negated |= reach & is_cue[np.maximum(j, 0)]
        out.negated = negated.tolist()
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


def negation_cue(
    text: str,
    start: int,
    language: str,
    negation: Negation,
    *,
    pipeline: Pipeline | None = None,
) -> str | None:
    """Return the negation cue before offset *start* of *text* in the same sentence, if any.

    The rule is the engine's: a cue of *language* among the ``negation.window``
    tokens before the token at *start*, not crossing a sentence boundary. Pass the
    blank *pipeline* of *language* to reuse it across calls.

    Examples:
        >>> negation_cue("We were not motivated.", 12, "en", Negation())
        'not'
    """
    import numpy as np

    cues = frozenset(normalise(c) for c in negation.cues.get(language, ()))
    if not cues:
        return None
    tokens = tokenize(pipeline or load_pipeline(language, None), [text])
    token = int(np.searchsorted(tokens.ends, start, side="right"))
    if token >= len(tokens.starts):
        return None
    lowers = Lowers(tokens.lowers(), tokens.orths.tolist())
    found = cue_before(lowers, tokens.sentence_starts.tolist(), token, 0, cues, negation.window)
    if found is None:
        return None
    return text[int(tokens.starts[found]) : int(tokens.ends[found])]
