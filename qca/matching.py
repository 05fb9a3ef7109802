"""Compile a codebook into matchers and match it against tokenised segments.

The engine tokenises each segment (one speaker turn, by default) with a blank
spaCy pipeline, keeps per-token arrays (character offsets, a lower-cased lemma,
sentence starts) rather than Docs, and matches:

- terms and phrases on the lower-cased surface form *or* the lower-cased lemma
  of each token (a term word ``motivate`` matches ``motivating``), contiguous
  across line breaks, with a trailing ``*`` as a prefix on the last word;
- token patterns with spaCy's ``Matcher`` (only when the codebook has some);
- regular expressions over the segment text (case-insensitive), each match
  expanded to the tokens that enclose it.

A ``not`` phrase vetoes every hit of the same code that it contains or overlaps;
one span counts once per code (the first rule in codebook order wins); each hit
carries ``negated`` when a negation cue stands within the window before it in the
same sentence. See ``docs/coding.md``.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from qca.codebook.model import Codebook, Negation
from qca.errors import CodingError, Problem
from qca.models import (
    CODE,
    DOC_ID,
    END,
    HIT_COLUMNS,
    IS_INTERVIEWER,
    LANGUAGE,
    MATCH,
    NEGATED,
    RULE,
    RULE_KIND,
    SEGMENT_ID,
    SPEAKER,
    START,
    TEXT,
    THEME,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd
    from spacy.language import Language

    from qca.cache import TokenCache
    from qca.lexicon import Grow, Lexicon

#: Bump when the token arrays change shape or meaning (it is part of the cache key).
TOKENS_FORMAT = 2
#: Bump when the matching rules change meaning (it is part of each code's key).
HITS_FORMAT = 1
#: Characters that end a sentence when a token consists only of them.
SENTENCE_END_CHARS = frozenset(".!?…;:") - frozenset(";:")


def normalise(word: str) -> str:
    """Return the form a token is matched on: lower-cased, curly apostrophes straightened."""
    # Two str.replace calls are several times faster than one str.translate.
    return word.lower().replace("\u2019", "'").replace("\u02bc", "'")


def ends_sentence(word: str) -> bool:
    """Return whether a token of this text ends a sentence (it is all ``.!?…``)."""
    return all(ch in SENTENCE_END_CHARS for ch in word)


# --- pipelines ---------------------------------------------------------------


@dataclass
class Pipeline:
    """A tokeniser for one language plus its lemma lookup table (loaded on first use).

    ``fingerprint`` identifies everything that decides the token arrays (spaCy
    version, language, model, lookup data), so cached arrays are reused only
    when they would come out the same.
    """

    language: str
    nlp: Language
    model: str | None
    fingerprint: str
    lemmas: dict[str, str] = field(default_factory=dict)
    _table: Mapping[str, str] | None = None
    _lexicon: Lexicon | None = None

    @property
    def lexicon(self) -> Lexicon:
        """Every string this pipeline has tokenised in this process, numbered once."""
        if self._lexicon is None:
            from qca.lexicon import Lexicon

            self._lexicon = Lexicon(self.lemma, normalise, ends_sentence)
        return self._lexicon

    def lemma(self, lower: str) -> str:
        """Return the lower-cased lemma of a lower-cased word (the word when unknown)."""
        found = self.lemmas.get(lower)
        if found is None:
            if self._table is None:
                self._table = _lemma_lookup(self.nlp.lang)
            value = self._table.get(lower)
            found = normalise(value) if isinstance(value, str) and value else lower
            self.lemmas[lower] = found
        return found

    @property
    def components(self) -> list[str]:
        return list(self.nlp.pipe_names)


def _lookups_version() -> str:
    try:
        import spacy_lookups_data
    except ImportError:
        return ""
    return str(getattr(spacy_lookups_data, "__version__", ""))


@functools.cache
def _lemma_lookup(language: str) -> Mapping[str, str]:
    """Return the lemma lookup table of *language* from spacy-lookups-data ({} when none).

    Read straight from the package's JSON into a dict: several times faster than
    building a spaCy ``Lookups`` table, and a dict lookup by string is cheaper too.
    """
    import gzip
    import json

    from spacy.util import registry

    try:
        tables = registry.lookups.get(language)
    except Exception:  # noqa: BLE001 - catalogue raises its own error type for a missing language
        return {}
    path = tables.get("lemma_lookup") if isinstance(tables, Mapping) else None
    if path is None:
        return {}
    candidates = [Path(str(path)), Path(str(path) + ".gz")]
    for candidate in candidates:
        if not candidate.is_file():
            continue
        opener: Any = gzip.open if candidate.suffix == ".gz" else open
        with opener(candidate, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
        if not isinstance(data, dict):
            return {}
        # JSON keys are strings; copy only when a value is not (rare, and slower)
        if all(type(v) is str for v in data.values()):
            return data
        return {str(k): str(v) for k, v in data.items()}
    return {}


@functools.cache
def load_pipeline(language: str, model: str | None = None) -> Pipeline:
    """Return the pipeline for *language*: blank + lookup lemmas, or the saved/installed *model*.

    Raises:
        CodingError: When *model* cannot be loaded, or *language* has no spaCy language class.
    """
    import spacy

    if model:
        try:
            nlp = spacy.load(model)
        except (OSError, ImportError, ValueError) as exc:
            if "E050" in str(exc):
                reason = "it is neither an installed pipeline nor a folder saved with nlp.to_disk"
            else:
                reason = (str(exc).splitlines() or [type(exc).__name__])[0][:160]
            raise CodingError(
                f"cannot load spaCy pipeline {model!r}: {reason}; check the name or path, "
                "or leave out --model"
            ) from None
        meta = f"{nlp.meta.get('name', '')}-{nlp.meta.get('version', '')}"
    else:
        try:
            nlp = spacy.blank(language)
        except (ImportError, KeyError, ValueError):
            raise CodingError(
                f"spaCy has no language {language!r}; use a language code such as 'en' or 'sv' "
                "in the codebook's `language` or the segments' language attribute"
            ) from None
        meta = ""
    key = {
        "format": TOKENS_FORMAT,
        "spacy": spacy_version(),
        "language": nlp.lang,
        "model": model or "",
        "model_meta": meta,
        "components": list(nlp.pipe_names),
        "lookups": _lookups_version(),
    }
    fingerprint = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    return Pipeline(language, nlp, model, fingerprint)


# --- token arrays ------------------------------------------------------------


@dataclass
class Tokens:
    """Token arrays of several segments, concatenated.

    Segment ``k`` owns tokens ``bounds[k]:bounds[k+1]``. ``starts``/``ends`` are
    offsets into the segment's own text; whitespace tokens are left out, so a
    phrase matches across line breaks. Strings are numbered once per process by
    the pipeline's :class:`~qca.lexicon.Lexicon`: ``orths`` holds each token's
    exact text as an id there and ``lemma_ids`` its lower-cased lemma, so
    matching works per distinct word, not per token.
    """

    bounds: npt.NDArray[np.int32]
    starts: npt.NDArray[np.int32]
    ends: npt.NDArray[np.int32]
    sentence_starts: npt.NDArray[np.bool_]
    orths: npt.NDArray[np.int32]
    lemma_ids: npt.NDArray[np.int32]
    lexicon: Lexicon
    #: ``(chunk_bounds, chunk_ids)`` of :class:`qca.lexicon.TokenArrays` when known (not from the cache).
    chunks: tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]] | None = None

    @property
    def strings(self) -> list[str]:
        """Every string of the lexicon, by id."""
        return self.lexicon.strings

    @property
    def lemmas(self) -> list[str]:
        """Return the lower-cased lemma of every token."""
        strings = self.strings
        return [strings[i] for i in self.lemma_ids.tolist()]

    def lowers(self) -> list[str]:
        """Return the matched form (:func:`normalise`) of every string, by string id."""
        return self.lexicon.lowers


def _sentence_starts(
    lexicon: Lexicon, bounds: npt.NDArray[np.int32], orths: npt.NDArray[np.int32]
) -> npt.NDArray[np.bool_]:
    """Return where sentences start: after a token of only ``.!?…``, and at each segment."""
    import numpy as np

    starts = np.zeros(len(orths), dtype=np.bool_)
    if len(orths):
        starts[1:] = lexicon.sentence_ends[orths[:-1]]
        starts[bounds[:-1][np.diff(bounds) > 0]] = True
    return starts


def tokenize(pipeline: Pipeline, texts: Sequence[str]) -> Tokens:
    """Tokenise *texts* into :class:`Tokens` (lemmas from the lookup table or the model).

    The blank pipeline tokenises each distinct whitespace-free chunk once per
    process (:meth:`qca.lexicon.Lexicon.tokenize`); a ``--model`` pipeline runs
    in full (:func:`tokenize_with_spacy`).
    """
    if pipeline.model is not None:
        return tokenize_with_spacy(pipeline, texts)
    lexicon = pipeline.lexicon
    batch = lexicon.tokenize(pipeline.nlp, texts)
    orths = batch.strings
    return Tokens(
        batch.bounds,
        batch.starts,
        batch.ends,
        _sentence_starts(lexicon, batch.bounds, orths),
        orths,
        lexicon.lemma_ids[orths],
        lexicon,
        (batch.chunk_bounds, batch.chunk_ids),
    )


def tokenize_with_spacy(
    pipeline: Pipeline, texts: Sequence[str], *, batch_size: int = 256
) -> Tokens:
    """Tokenise *texts* by running the whole pipeline on each (the reference, and ``--model``).

    Token attributes are read as arrays (``Doc.to_array``), never as Token objects.
    """
    import numpy as np
    from spacy.attrs import IDX, IS_SPACE, LEMMA, LENGTH, ORTH, SENT_START

    nlp = pipeline.nlp
    lexicon = pipeline.lexicon
    use_model_lemmas = pipeline.model is not None and bool(pipeline.components)
    attrs = [IDX, LENGTH, IS_SPACE, ORTH]
    if pipeline.model is not None:
        attrs += [SENT_START, LEMMA]
    docs = nlp.pipe(texts, batch_size=batch_size) if nlp.pipe_names else map(nlp.make_doc, texts)
    arrays = []
    counts = [0]
    model_sentences: list[bool] = []
    for doc in docs:
        array = doc.to_array(attrs)
        if len(array):
            array = array[array[:, 2] == 0]
        arrays.append(array)
        counts.append(len(array))
        if pipeline.model is not None:
            model_sentences.append(doc.has_annotation("SENT_START"))
    bounds = np.cumsum(np.asarray(counts, dtype=np.int64)).astype(np.int32)
    width = len(attrs)
    table = np.concatenate(arrays) if arrays else np.zeros((0, width), dtype=np.uint64)
    if len(table) == 0:
        table = np.zeros((0, width), dtype=np.uint64)
    starts = table[:, 0].astype(np.int32)
    ends = starts + table[:, 1].astype(np.int32)
    hashes, inverse = np.unique(table[:, 3], return_inverse=True)
    store = nlp.vocab.strings
    ids = lexicon.intern([store[int(h)] for h in hashes.tolist()])
    orths: npt.NDArray[np.int32] = ids[inverse.reshape(-1)].astype(np.int32)
    lemma_ids = lexicon.lemma_ids[orths].copy()
    sentence_starts = _sentence_starts(lexicon, bounds, orths)
    if pipeline.model is not None and len(starts):
        with_model = np.repeat(np.asarray(model_sentences, dtype=np.bool_), np.diff(bounds))
        sentence_starts |= with_model & (table[:, 4].astype(np.int64) == 1)
    if use_model_lemmas and len(starts):
        model_lemmas = table[:, 5]
        where = np.flatnonzero(model_lemmas)
        lemmas = [normalise(store[int(h)]) for h in model_lemmas[where].tolist()]
        keep = [n for n, lemma in enumerate(lemmas) if lemma]
        if keep:
            found = lexicon.intern([lemmas[n] for n in keep])
            lemma_ids[where[keep]] = found
    return Tokens(bounds, starts, ends, sentence_starts, orths, lemma_ids.astype(np.int32), lexicon)


# --- compiled rules ----------------------------------------------------------


@dataclass(frozen=True)
class TermRule:
    """One term, phrase or ``not`` phrase, tokenised like the segments it matches."""

    code: int
    order: int
    rule: str
    kind: str
    words: tuple[str, ...]
    prefix: bool


@dataclass(frozen=True)
class Rules:
    """A codebook compiled for matching: plain data, so worker processes can receive it."""

    codes: tuple[tuple[str, str], ...]
    language: str
    terms: Mapping[str, tuple[TermRule, ...]]
    vetoes: Mapping[str, tuple[TermRule, ...]]
    patterns: tuple[tuple[int, int, str, list[list[dict[str, Any]]]], ...]
    regexes: tuple[tuple[int, int, str, str], ...]
    exclude_speakers: frozenset[str]
    cues: Mapping[str, frozenset[str]]
    window: int

    def only(self, codes: Iterable[int]) -> Rules:
        """Return these rules with the rules of other codes left out (code numbers kept)."""
        keep = frozenset(codes)
        return dataclasses.replace(
            self,
            terms={k: tuple(r for r in v if r.code in keep) for k, v in self.terms.items()},
            vetoes={k: tuple(r for r in v if r.code in keep) for k, v in self.vetoes.items()},
            patterns=tuple(p for p in self.patterns if p[0] in keep),
            regexes=tuple(r for r in self.regexes if r[0] in keep),
        )

    def code_keys(self, language: str, fingerprint: str) -> list[str]:
        """Return, per code, a key of everything that decides its hits on tokenised text.

        A code's hits depend on its own rules, the negation settings and the
        pipeline only (vetoes and duplicates are per code), so hits stored under
        a key can be reused after an edit of *other* codes.
        """
        rules: list[dict[str, list[Any]]] = [
            {"terms": [], "not": [], "patterns": [], "regex": []} for _ in self.codes
        ]
        for r in self.terms.get(language, ()):
            rules[r.code]["terms"].append([r.order, r.rule, r.kind, list(r.words), r.prefix])
        for r in self.vetoes.get(language, self.vetoes.get(self.language, ())):
            rules[r.code]["not"].append([r.order, r.rule, list(r.words), r.prefix])
        for code, order, text, alternatives in self.patterns:
            rules[code]["patterns"].append([order, text, alternatives])
        for code, order, text, regex in self.regexes:
            rules[code]["regex"].append([order, text, regex])
        shared = {
            "format": HITS_FORMAT,
            "pipeline": fingerprint,
            "language": language,
            "cues": sorted(self.cues.get(language, ())),
            "window": self.window,
        }
        return [
            hashlib.sha256(
                json.dumps([shared, theme, code, rules[n]], sort_keys=True).encode()
            ).hexdigest()
            for n, (theme, code) in enumerate(self.codes)
        ]


def _plain(value: Any) -> Any:
    """Return *value* with mappings and tuples turned into dicts and lists (picklable)."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _term_rule(pipeline: Pipeline, code: int, order: int, term: str) -> TermRule | None:
    text = term.strip()
    prefix = text.endswith("*")
    if prefix:
        text = text.rstrip("*").strip()
    words = tuple(normalise(t.text) for t in pipeline.nlp.make_doc(text) if not t.is_space)
    if not words:
        return None
    kind = "phrase" if len(term.split()) > 1 else "term"
    return TermRule(code, order, term, kind, words, prefix)


def compile_rules(
    codebook: Codebook, languages: Iterable[str] = (), *, model: str | None = None
) -> Rules:
    """Compile *codebook* for the codebook's language and every one of *languages*.

    Raises:
        CodingError: When a pipeline cannot be loaded or a regex does not compile.
    """
    langs = list(dict.fromkeys([codebook.language, *codebook.languages(), *languages]))
    codes = codebook.codes()
    terms: dict[str, tuple[TermRule, ...]] = {}
    vetoes: dict[str, tuple[TermRule, ...]] = {}
    for lang in langs:
        pipeline = load_pipeline(lang, model if lang == codebook.language else None)
        found: list[TermRule] = []
        blocked: list[TermRule] = []
        for index, code in enumerate(codes):
            for order, term in enumerate(code.terms.get(lang, ())):
                rule = _term_rule(pipeline, index, order, term)
                if rule is not None:
                    found.append(rule)
            for order, phrase in enumerate(code.not_):
                rule = _term_rule(pipeline, index, order, phrase)
                if rule is not None:
                    blocked.append(rule)
        terms[lang] = tuple(found)
        vetoes[lang] = tuple(blocked)
    patterns = []
    regexes = []
    problems = []
    base = 100_000  # patterns after every term, regexes after every pattern (codebook order)
    for index, code in enumerate(codes):
        for order, pattern in enumerate(code.patterns):
            plain = _plain(pattern)
            patterns.append((index, base + order, json.dumps(plain, ensure_ascii=False), [plain]))
        for order, regex in enumerate(code.regex):
            try:
                re.compile(regex)
            except re.error as exc:
                problems.append(
                    Problem(
                        str(codebook.path or ""),
                        f"regex {regex!r} does not compile ({exc}); fix it or remove it",
                        where=f"{code.id}.regex[{order}]",
                    )
                )
            regexes.append((index, 2 * base + order, regex, regex))
    if problems:
        raise CodingError(problems=problems)
    negation: Negation = codebook.negation
    return Rules(
        codes=tuple((code.theme, code.id) for code in codes),
        language=codebook.language,
        terms=terms,
        vetoes=vetoes,
        patterns=tuple(patterns),
        regexes=tuple(regexes),
        exclude_speakers=frozenset(s.strip().lower() for s in codebook.exclude_speakers),
        cues={lang: frozenset(normalise(c) for c in cues) for lang, cues in negation.cues.items()},
        window=negation.window,
    )


# --- matching ----------------------------------------------------------------


@dataclass
class HitColumns:
    """Hits of one batch as columns (no Python object per hit).

    ``segment`` indexes the texts given to :func:`match_tokens`; ``start``/``end``
    are offsets into that segment's text; ``token`` is the hit's first token.
    """

    segment: list[int] = field(default_factory=list)
    code: list[int] = field(default_factory=list)
    order: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    rule: list[str] = field(default_factory=list)
    start: list[int] = field(default_factory=list)
    end: list[int] = field(default_factory=list)
    token: list[int] = field(default_factory=list)
    negated: list[bool] = field(default_factory=list)

    def add(
        self, segment: int, rule: tuple[int, int, str, str], span: tuple[int, int, int]
    ) -> None:
        self.segment.append(segment)
        self.code.append(rule[0])
        self.order.append(rule[1])
        self.kind.append(rule[2])
        self.rule.append(rule[3])
        self.start.append(span[0])
        self.end.append(span[1])
        self.token.append(span[2])


class _TermIndex:
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
        Decided once per distinct string per process.
        """
        import numpy as np

        from qca.lexicon import Grow

        if self._lexicon is not lexicon:
            self._lexicon = lexicon
            self._tables = {
                kind: (Grow(np.int64), Grow(np.int64), Grow(np.int32)) for kind in ("form", "lemma")
            }
        seen = self._tables["form"][1].size
        if seen < len(lexicon.strings):
            number, numbers, prefix = self._number, self._numbers, self.prefix_re
            empty: list[int] = []
            for kind, new in (("form", lexicon.lowers[seen:]), ("lemma", lexicon.strings[seen:])):
                sizes: list[int] = []
                rules: list[int] = []
                for word in new:  # no list per string: few strings start a term
                    found = numbers.get(word, empty)
                    rules += found
                    size = len(found)
                    if kind == "form" and prefix is not None and prefix.match(word) is not None:
                        more = [number[id(r)] for r in self.prefixed(word)]
                        rules += more
                        size += len(more)
                    sizes.append(size)
                starts, counts, flat = self._tables[kind]
                count = np.asarray(sizes, dtype=np.int64)
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


class _Lowers(Sequence[str]):
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


@dataclass
class _Batch:
    """Per-batch views of :class:`Tokens` shared by the matching steps.

    The per-token lists are made only when a step asks for them (most steps read
    the arrays at a few positions instead).
    """

    tokens: Tokens
    lowers_by_id: list[str]
    bounds: list[int]

    @classmethod
    def of(cls, tokens: Tokens) -> _Batch:
        return cls(tokens, tokens.lowers(), tokens.bounds.tolist())

    @functools.cached_property
    def starts(self) -> list[int]:
        return self.tokens.starts.tolist()  # type: ignore[no-any-return]

    @functools.cached_property
    def ends(self) -> list[int]:
        return self.tokens.ends.tolist()  # type: ignore[no-any-return]

    def owners(self, positions: npt.NDArray[np.intp]) -> list[int]:
        """Return the segment of each token position."""
        import numpy as np

        owners: list[int] = (
            np.searchsorted(self.tokens.bounds, positions, side="right") - 1
        ).tolist()
        return owners

    def spans(self, first: list[int], last: list[int]) -> tuple[list[int], list[int]]:
        """Return the start offset of each token of *first* and the end offset of each of *last*."""
        import numpy as np

        tokens = self.tokens
        starts: list[int] = tokens.starts[np.asarray(first, dtype=np.intp)].tolist()
        ends: list[int] = tokens.ends[np.asarray(last, dtype=np.intp)].tolist()
        return starts, ends


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


#: Term matches as arrays: rule numbers (into ``_TermIndex.rules``), segment, first and
#: last token, in order of first token, then rule number.
TermMatches = tuple[
    "npt.NDArray[np.int64]",
    "npt.NDArray[np.int64]",
    "npt.NDArray[np.int64]",
    "npt.NDArray[np.int64]",
]


def _find_terms(index: _TermIndex, batch: _Batch) -> TermMatches:
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


def match_tokens(
    rules: Rules, pipeline: Pipeline, language: str, texts: Sequence[str], tokens: Tokens
) -> HitColumns:
    """Match *rules* against tokenised *texts*; return deduplicated, vetoed, negation-marked hits."""
    hits = HitColumns()
    veto_spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
    term_index, veto_index = _term_indexes(rules, language)
    batch = _Batch.of(tokens)
    numbers, segments, firsts, lasts = _find_terms(term_index, batch)
    found = [term_index.rules[n] for n in numbers.tolist()]
    hits.segment += segments.tolist()
    hits.code += [r.code for r in found]
    hits.order += [r.order for r in found]
    hits.kind += [r.kind for r in found]
    hits.rule += [r.rule for r in found]
    hits.start += tokens.starts[firsts].tolist()
    hits.end += tokens.ends[lasts].tolist()
    hits.token += firsts.tolist()
    numbers, segments, firsts, lasts = _find_terms(veto_index, batch)
    spans = zip(tokens.starts[firsts].tolist(), tokens.ends[lasts].tolist(), strict=True)
    for number, k, span in zip(numbers.tolist(), segments.tolist(), spans, strict=True):
        veto_spans.setdefault((k, veto_index.rules[number].code), []).append(span)
    if rules.regexes:
        _match_regexes(rules, texts, batch, hits)
    if rules.patterns:
        _match_patterns(rules, pipeline, texts, batch, hits)
    return _finish(rules, language, hits, batch, veto_spans)


_INDEXES: dict[tuple[int, str], tuple[Rules, _TermIndex, _TermIndex]] = {}


def _term_indexes(rules: Rules, language: str) -> tuple[_TermIndex, _TermIndex]:
    """Return the term and veto indexes of *rules* in *language* (built once per run)."""
    key = (id(rules), language)
    cached = _INDEXES.get(key)
    if cached is not None and cached[0] is rules:
        return cached[1], cached[2]
    if len(_INDEXES) > 8:
        _INDEXES.clear()
    terms = _TermIndex(rules.terms.get(language, ()))
    vetoes = _TermIndex(rules.vetoes.get(language, rules.vetoes.get(rules.language, ())))
    _INDEXES[key] = (rules, terms, vetoes)
    return terms, vetoes


@functools.lru_cache(maxsize=512)
def _compiled(regex: str) -> re.Pattern[str]:
    return re.compile(regex, re.IGNORECASE)


@functools.lru_cache(maxsize=512)
def _required_literal(regex: str) -> str | None:
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


class _ChunkScreen:
    """Which chunks of a lexicon contain a regex's required literal (ignoring case, as re does)."""

    def __init__(self, literals: Sequence[str]) -> None:
        self.literals = [re.compile(re.escape(lit), re.IGNORECASE) for lit in literals]
        self.any = re.compile("|".join(re.escape(lit) for lit in literals), re.IGNORECASE)
        self.lexicon: Lexicon | None = None
        self.flags: list[Grow] = []

    def update(self, lexicon: Lexicon) -> list[Grow]:
        """Return, per literal, a flag per chunk of *lexicon* (computed once per chunk)."""
        import numpy as np

        from qca.lexicon import Grow

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


_SCREENS: dict[tuple[str, ...], _ChunkScreen] = {}


class _TokenScreen:
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

        from qca.lexicon import Grow

        if self.lexicon is not lexicon:
            self.lexicon = lexicon
            self.flags = [(Grow(np.bool_), Grow(np.bool_), Grow(np.bool_)) for _ in self.inside]
        seen = self.flags[0][0].size if self.flags else 0
        new = lexicon.strings[seen:]
        if new:
            for inside, ending, opening, (holds, ends, opens) in zip(
                self.inside, self.ending, self.opening, self.flags, strict=True
            ):
                holds.extend([inside.search(s) is not None for s in new])
                ends.extend([ending.search(s) is not None for s in new])
                opens.extend([opening.match(s) is not None for s in new])
        return self.flags


_TOKEN_SCREENS: dict[tuple[str, ...], _TokenScreen] = {}


_S = TypeVar("_S", "_ChunkScreen", "_TokenScreen")


def _screen(
    screens: dict[tuple[str, ...], _S], key: tuple[str, ...], make: Callable[..., _S]
) -> _S:
    """Return the screen of the literals *key* kept in *screens*, made once (a few kept)."""
    screen = screens.get(key)
    if screen is None:
        if len(screens) > 8:
            screens.clear()
        screen = screens[key] = make(key)
    return screen


def _token_candidates(
    literals: dict[int, str], tokens: Tokens, owners: npt.NDArray[np.int64]
) -> dict[int, npt.NDArray[np.intp]]:
    """Return, per regex with a literal, the texts whose tokens could hold it (see _TokenScreen)."""
    import numpy as np

    flags = _screen(_TOKEN_SCREENS, tuple(literals.values()), _TokenScreen).update(tokens.lexicon)
    orths = tokens.orths
    joined = np.zeros(len(orths), dtype=np.bool_)  # the next token starts where this one ends
    if len(orths) > 1:
        joined[:-1] = (tokens.ends[:-1] == tokens.starts[1:]) & (owners[:-1] == owners[1:])
    out = {}
    for number, (holds, ends, opens) in zip(literals, flags, strict=True):
        found = holds.view[orths]
        across = ends.view[orths] & joined
        across[:-1] &= opens.view[orths[1:]]
        out[number] = np.unique(owners[found | across])
    return out


def _candidates(
    literals: dict[int, str], tokens: Tokens, n: int, owners: npt.NDArray[np.int64]
) -> dict[int, npt.NDArray[np.intp]] | None:
    """Return, per regex with a literal, the texts that could contain it (None: no literals).

    *owners* gives the text of each token.
    """
    import numpy as np

    if not literals:
        return None
    if tokens.chunks is None:
        return _token_candidates(literals, tokens, owners)
    flags = _screen(_SCREENS, tuple(literals.values()), _ChunkScreen).update(tokens.lexicon)
    chunk_bounds, chunk_ids = tokens.chunks
    owners = np.repeat(np.arange(n, dtype=np.intp), np.diff(chunk_bounds))
    return {
        number: np.unique(owners[flag.view[chunk_ids]])
        for number, flag in zip(literals, flags, strict=True)
    }


#: Anchors and lookarounds see the text's ends: such regexes run on each segment alone.
_NEEDS_OWN_TEXT = re.compile(r"\^|\$|\\[AZz]|\(\?<?[=!]")


def _match_regexes(rules: Rules, texts: Sequence[str], batch: _Batch, hits: HitColumns) -> None:
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
    literals = {}
    for number, (_, _, _, regex) in enumerate(rules.regexes):
        literal = _required_literal(regex)
        if literal is not None:
            literals[number] = literal
    candidates = _candidates(literals, tokens, n, owners)
    for number, (code, order, rule_text, regex) in enumerate(rules.regexes):
        pattern = _compiled(regex)
        rule = (code, order, "regex", rule_text)
        if candidates is not None and number in candidates:
            # only texts with a chunk holding the literal can match: scan each alone
            dirty = set(candidates[number].tolist())
            found = np.zeros((0, 2), dtype=np.int64)
        elif _NEEDS_OWN_TEXT.search(regex):
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


# --- token patterns ----------------------------------------------------------

#: Token-pattern keys that depend on a token's place in the text, not its word and lemma.
_CONTEXT_KEYS = frozenset({"IS_SENT_START", "SENT_START", "SPACY", "_"})
_REPEAT = re.compile(r"\{(\d*)(,?)(\d*)\}")


@dataclass(frozen=True)
class _Plan:
    """A token pattern as steps ``(spec number, op)`` with op one of ``1 ? * + !``."""

    steps: tuple[tuple[int, str], ...]


def _plan(pattern: list[dict[str, Any]], specs: dict[str, int]) -> _Plan | None:
    """Return *pattern* as a :class:`_Plan`, or None when it needs spaCy's Matcher.

    A plan is possible when every token spec is decided by the token's word and
    lemma alone; ``{n,m}`` repeats expand into required and optional steps.
    """
    steps: list[tuple[int, str]] = []
    for spec in pattern:
        if not isinstance(spec, dict):
            return None
        keys = {str(key) for key in spec}
        if {key.upper() for key in keys} & _CONTEXT_KEYS:
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
        elif isinstance(op, str) and (repeat := _REPEAT.fullmatch(op)):
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
    return _Plan(tuple(steps))


@dataclass
class _Patterns:
    """The token patterns of some rules: plans, plus spaCy Matchers for specs and leftovers."""

    plans: dict[int, _Plan]
    bodies: list[dict[str, Any]]
    leftover: list[int]
    spec_matcher: Any = None
    matcher: Any = None
    rows: dict[tuple[str, str], int] = field(default_factory=dict)
    tables: list[list[bool]] = field(default_factory=list)
    simple: dict[int, list[_Condition]] = field(default_factory=dict)
    flags: dict[tuple[int, int], Grow] = field(default_factory=dict)
    lexicon: Lexicon | None = None
    #: Per plan, its steps up to the first required one; the plans screened by the
    #: conditions ``(spec, condition number)``; filled by :func:`_plan_starts`.
    leading: dict[int, list[tuple[int, str]]] | None = None
    screened: list[int] = field(default_factory=list)
    keys: list[tuple[int, int]] = field(default_factory=list)


#: Token-spec keys decided here from a token's text or lemma: key -> what is compared.
_SIMPLE_KEYS = {"ORTH": "orth", "TEXT": "orth", "LOWER": "lower", "LEMMA": "lemma"}


@dataclass(frozen=True)
class _Condition:
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
                found = lexicon.by_lower.get(value, ())
            else:
                found = [lexicon.ids[value]] if value in lexicon.ids else []
            for i in found:
                if i >= seen:
                    part[i - seen] = True
        flags.extend(~part if self.negated else part)


def _simple_spec(body: dict[str, Any]) -> list[_Condition] | None:
    """Return *body* as conditions on text and lemma, or None when spaCy must decide it.

    Only ``ORTH``/``TEXT``/``LOWER``/``LEMMA`` with a string or an ``IN``/``NOT_IN``
    list of strings: spaCy compares these as exact strings (``LOWER`` is
    ``str.lower``), so deciding them here gives spaCy's answer.
    """
    conditions = []
    for key, value in body.items():
        field_name = _SIMPLE_KEYS.get(key)
        if field_name is None:
            return None
        if isinstance(value, str):
            conditions.append(_Condition(field_name, frozenset([value]), False))
            continue
        if not isinstance(value, dict) or len(value) != 1:
            return None
        ((op, items),) = value.items()
        if op not in ("IN", "NOT_IN") or not isinstance(items, list):
            return None
        if not all(isinstance(item, str) for item in items):
            return None
        conditions.append(_Condition(field_name, frozenset(items), op == "NOT_IN"))
    return conditions


_PATTERNS: dict[tuple[int, str], tuple[Rules, _Patterns]] = {}


def _patterns(rules: Rules, pipeline: Pipeline) -> _Patterns:
    """Return the compiled token patterns of *rules* on *pipeline*'s vocabulary (built once)."""
    key = (id(rules), pipeline.fingerprint)
    cached = _PATTERNS.get(key)
    if cached is not None and cached[0] is rules:
        return cached[1]
    from spacy.matcher import Matcher

    specs: dict[str, int] = {}
    plans: dict[int, _Plan] = {}
    leftover: list[int] = []
    for number, (_, _, _, alternatives) in enumerate(rules.patterns):
        plan = _plan(alternatives[0], specs) if len(alternatives) == 1 else None
        if plan is None:
            leftover.append(number)
        else:
            plans[number] = plan
    compiled = _Patterns(plans, [json.loads(text) for text in specs], leftover)
    compiled.tables = [[] for _ in specs]
    for number, body in enumerate(compiled.bodies):
        conditions = _simple_spec(body)
        if conditions is not None:
            compiled.simple[number] = conditions
    if len(compiled.simple) < len(specs):
        compiled.spec_matcher = Matcher(pipeline.nlp.vocab)
        for number, body in enumerate(compiled.bodies):
            if number not in compiled.simple:
                compiled.spec_matcher.add(str(number), [[body]])
    if leftover:
        compiled.matcher = Matcher(pipeline.nlp.vocab)
        for number in leftover:
            compiled.matcher.add(str(number), rules.patterns[number][3])
    _PATTERNS.clear()
    _PATTERNS[key] = (rules, compiled)
    return compiled


class _SpecTable:
    """Whether each token of a batch satisfies a simple token spec, looked up when asked.

    Indexed like a boolean array (by a token position, an array of them or a
    slice); each condition is a flag per string id, read through the tokens'
    string or lemma ids, so no table is built for the whole batch.
    """

    def __init__(
        self, parts: list[tuple[npt.NDArray[np.bool_], npt.NDArray[np.int32]]], count: int
    ) -> None:
        import numpy as np

        self.parts = parts
        #: A spec without conditions (``{}``) matches every token.
        self.every = None if parts else np.ones(count, dtype=np.bool_)

    def __getitem__(self, index: Any) -> Any:
        if self.every is not None:
            return self.every[index]
        flags, ids = self.parts[0]
        found = flags[ids[index]]
        for flags, ids in self.parts[1:]:
            found = found & flags[ids[index]]
        return found


def _spec_tables(compiled: _Patterns, pipeline: Pipeline, batch: _Batch) -> list[Any]:
    """Return, per token spec, whether each token of the batch satisfies it (indexable tables).

    Simple specs (:func:`_simple_spec`) are decided once per distinct string per
    process and read per token only where asked (:class:`_SpecTable`). The
    others are run by spaCy's Matcher over one Doc holding each (word, lemma)
    pair not seen in an earlier batch once, so their meaning is spaCy's own.
    """
    out: list[Any] = [None] * len(compiled.bodies)
    for number in compiled.simple:
        parts = _spec_flags(compiled, number, batch.tokens)
        out[number] = _SpecTable(parts, len(batch.tokens.orths))
    if compiled.spec_matcher is not None:
        for number, table in _matcher_tables(compiled, pipeline, batch).items():
            out[number] = table
    return out


def _spec_flags(
    compiled: _Patterns, number: int, tokens: Tokens
) -> list[tuple[npt.NDArray[np.bool_], npt.NDArray[np.int32]]]:
    """Return the conditions of simple spec *number*: (flag per string id, the tokens' ids)."""
    import numpy as np

    lexicon = tokens.lexicon
    if compiled.lexicon is not lexicon:
        compiled.lexicon, compiled.flags = lexicon, {}
    parts = []
    for n, condition in enumerate(compiled.simple[number]):
        flags = compiled.flags.get((number, n))
        if flags is None:
            from qca.lexicon import Grow

            flags = compiled.flags[(number, n)] = Grow(np.bool_)
        condition.extend(flags, lexicon)
        ids = tokens.lemma_ids if condition.field == "lemma" else tokens.orths
        parts.append((flags.view, ids))
    return parts


def _plan_screens(compiled: _Patterns) -> None:
    """Find each plan's leading steps and the plans one screen can serve (see _plan_starts)."""
    compiled.leading = {}
    for number, plan in compiled.plans.items():
        steps = []
        for spec, op in plan.steps:
            steps.append((spec, op))
            if op not in ("?", "*"):
                break
        compiled.leading[number] = steps
        found = [
            next((n for n, c in enumerate(compiled.simple.get(spec, ())) if not c.negated), None)
            for spec, op in steps
        ]
        if all(n is not None and op != "!" for n, (_, op) in zip(found, steps, strict=True)):
            compiled.screened.append(number)
            compiled.keys += [
                (spec, n) for n, (spec, _) in zip(found, steps, strict=True) if n is not None
            ]
    compiled.keys = list(dict.fromkeys(compiled.keys))


def _plan_starts(
    compiled: _Patterns, tables: list[Any], tokens: Tokens
) -> dict[int, npt.NDArray[np.intp]]:
    """Return, per plan, the tokens where a match may start (its leading steps allow it).

    The leading steps are those up to the first required one. A plan whose
    leading steps are all simple specs with a condition that is not negated can
    only start where one of those conditions holds: all such plans share one
    screen (one lookup per token), and only the tokens it passes are checked.
    The other plans are checked at every token.
    """
    import numpy as np

    count = len(tokens.orths)
    if compiled.leading is None:
        _plan_screens(compiled)
    assert compiled.leading is not None
    leading, screened, keys = compiled.leading, compiled.screened, compiled.keys
    out: dict[int, npt.NDArray[np.intp]] = {}
    if screened:
        lexicon = tokens.lexicon
        by_orth = np.zeros(len(lexicon.strings), dtype=np.bool_)
        by_lemma = np.zeros(len(lexicon.strings), dtype=np.bool_)
        for spec, n in keys:
            condition = compiled.simple[spec][n]
            flags = compiled.flags[(spec, n)].view  # extended by _spec_tables
            if condition.field == "lemma":
                by_lemma |= flags
            else:
                by_orth |= flags
        places = np.flatnonzero(by_orth[tokens.orths] | by_lemma[tokens.lemma_ids])
        for number in screened:
            mask = np.zeros(len(places), dtype=np.bool_)
            for spec, _ in leading[number]:
                mask |= tables[spec][places]
            out[number] = places[mask]
    everywhere = slice(0, count)
    for number in compiled.plans:
        if number in out:
            continue
        mask = np.zeros(count, dtype=np.bool_)
        for spec, op in leading[number]:
            mask |= ~tables[spec][everywhere] if op == "!" else tables[spec][everywhere]
        out[number] = np.flatnonzero(mask)
    return out


def _matcher_tables(
    compiled: _Patterns, pipeline: Pipeline, batch: _Batch
) -> dict[int, npt.NDArray[np.bool_]]:
    """Return the token tables of the specs that spaCy's Matcher decides."""
    import numpy as np
    from spacy.tokens import Doc

    tokens = batch.tokens
    width = len(tokens.strings) + 1
    keys = tokens.orths.astype(np.int64) * width + tokens.lemma_ids.astype(np.int64)
    pairs, pair_of = np.unique(keys, return_inverse=True)
    strings = tokens.strings
    named = [(strings[k // width], strings[k % width]) for k in pairs.tolist()]
    known = compiled.rows
    new = [pair for pair in named if pair not in known]
    if new:
        doc = Doc(
            pipeline.nlp.vocab,
            words=[word for word, _ in new],
            spaces=[True] * len(new),
            lemmas=[lemma for _, lemma in new],
        )
        base = len(known)
        for table in compiled.tables:
            table.extend([False] * len(new))
        vocab = pipeline.nlp.vocab
        for match_id, a, _ in compiled.spec_matcher(doc):
            compiled.tables[int(vocab.strings[match_id])][base + a] = True
        for offset, pair in enumerate(new):
            known[pair] = base + offset
    rows = np.fromiter((known[pair] for pair in named), dtype=np.intp, count=len(named))
    token_rows = rows[pair_of.reshape(-1)]
    return {
        number: np.asarray(compiled.tables[number], dtype=np.bool_)[token_rows]
        for number in range(len(compiled.bodies))
        if number not in compiled.simple
    }


def _run_plan(plan: _Plan, tables: list[npt.NDArray[np.bool_]], start: int, last: int) -> set[int]:
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


def _match_patterns(
    rules: Rules, pipeline: Pipeline, texts: Sequence[str], batch: _Batch, hits: HitColumns
) -> None:
    """Add the hits of the token patterns: planned ones per distinct word, others by Matcher."""

    if not len(batch.tokens.orths):
        return
    compiled = _patterns(rules, pipeline)
    bounds = batch.bounds
    if compiled.plans:
        tables = _spec_tables(compiled, pipeline, batch)
        starts_of = _plan_starts(compiled, tables, batch.tokens)
        for number, plan in compiled.plans.items():
            code, order, rule_text, _ = rules.patterns[number]
            positions = starts_of[number]
            found = [
                (k, s, e - 1)
                for s, k in zip(positions.tolist(), batch.owners(positions), strict=True)
                for e in sorted(_run_plan(plan, tables, s, bounds[k + 1]))
            ]
            starts, ends = batch.spans([f[1] for f in found], [f[2] for f in found])
            rule = (code, order, "pattern", rule_text)
            for (k, s, _), start, end in zip(found, starts, ends, strict=True):
                hits.add(k, rule, (start, end, s))
    if compiled.leftover:
        _match_leftover(rules, compiled, pipeline, texts, batch, hits)


def _match_leftover(
    rules: Rules,
    compiled: _Patterns,
    pipeline: Pipeline,
    texts: Sequence[str],
    batch: _Batch,
    hits: HitColumns,
) -> None:
    from spacy.tokens import Doc

    vocab = pipeline.nlp.vocab
    tokens = batch.tokens
    bounds, starts, ends = batch.bounds, batch.starts, batch.ends
    # One Doc for the whole batch (per-Doc overhead dominates on short segments);
    # a match that crosses from one segment into the next is dropped.
    words: list[str] = []
    spaces: list[bool] = []
    owner: list[int] = []
    for k, text in enumerate(texts):
        first, last = bounds[k], bounds[k + 1]
        if first == last:  # no tokens (an empty or all-whitespace text)
            continue
        words += [text[s:e] for s, e in zip(starts[first:last], ends[first:last], strict=True)]
        spaces += [ends[i] < starts[i + 1] for i in range(first, last - 1)] + [True]
        owner += [k] * (last - first)
    sentence_starts = tokens.sentence_starts.tolist()
    for k in range(len(texts)):
        if bounds[k] < bounds[k + 1]:
            sentence_starts[bounds[k]] = True
    doc = Doc(vocab, words=words, spaces=spaces, lemmas=tokens.lemmas, sent_starts=sentence_starts)
    for match_id, a, b in compiled.matcher(doc):
        i, j = a, b - 1
        if owner[i] != owner[j]:
            continue
        code, order, rule_text, _ = rules.patterns[int(vocab.strings[match_id])]
        hits.add(owner[i], (code, order, "pattern", rule_text), (starts[i], ends[j], i))


def _finish(
    rules: Rules,
    language: str,
    hits: HitColumns,
    batch: _Batch,
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
    names = [name for _, name in rules.codes]
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
    cues = rules.cues.get(language, frozenset())
    if not cues or not chosen:
        out.negated = [False] * len(chosen)
        return out
    tokens = batch.tokens
    token = np.asarray(out.token, dtype=np.int64)
    first = tokens.bounds[segment[ordered]].astype(np.int64)
    is_cue = _cue_flags(tokens.lexicon, cues)[tokens.orths]
    # sentence starts among tokens 0..i-1 (a step back from token i needs it not to start one)
    starts_before = np.zeros(len(tokens.orths) + 1, dtype=np.int64)
    np.cumsum(tokens.sentence_starts, out=starts_before[1:])
    negated = np.zeros(len(chosen), dtype=np.bool_)
    for d in range(1, rules.window + 1):
        j = token - d
        reach = (j >= first) & (starts_before[token + 1] == starts_before[np.maximum(j, 0) + 1])
        negated |= reach & is_cue[np.maximum(j, 0)]
    out.negated = negated.tolist()
    return out


#: Per (lexicon, cues): whether each string of the lexicon is a cue (grows with it).
_CUE_FLAGS: dict[tuple[int, frozenset[str]], tuple[Lexicon, Grow]] = {}


def _cue_flags(lexicon: Lexicon, cues: frozenset[str]) -> npt.NDArray[np.bool_]:
    """Return whether each string id of *lexicon* is, in its matched form, one of *cues*."""
    import numpy as np

    from qca.lexicon import Grow

    key = (id(lexicon), cues)
    known = _CUE_FLAGS.get(key)
    if known is None or known[0] is not lexicon:
        if len(_CUE_FLAGS) > 8:
            _CUE_FLAGS.clear()
        known = _CUE_FLAGS[key] = (lexicon, Grow(np.bool_))
    flags = known[1]
    if flags.size < len(lexicon.lowers):
        flags.extend([lower in cues for lower in lexicon.lowers[flags.size :]])
    return flags.view


# --- tables ------------------------------------------------------------------


def selected_segments(
    segments: pd.DataFrame, exclude_speakers: frozenset[str], *, include_interviewer: bool
) -> pd.Series:
    """Return a boolean mask of the segments to code (interviewer turns left out by default)."""
    import numpy as np
    import pandas as pd

    if include_interviewer or segments.empty:
        return pd.Series(True, index=segments.index)
    keep = np.ones(len(segments), dtype=np.bool_)
    if IS_INTERVIEWER in segments.columns:
        flags = segments[IS_INTERVIEWER]
        if flags.dtype != np.dtype(bool):
            flags = flags.fillna(False).astype(bool)
        keep &= ~flags.to_numpy(dtype=np.bool_)
    if exclude_speakers and SPEAKER in segments.columns:
        speakers = segments[SPEAKER].fillna("").astype(str).str.strip().str.lower()
        keep &= ~speakers.isin(exclude_speakers).to_numpy(dtype=np.bool_)
    return pd.Series(keep, index=segments.index)


def segment_languages(segments: pd.DataFrame, default: str) -> list[str]:
    """Return each segment's language: its ``language`` attribute, else *default*."""
    if LANGUAGE not in segments.columns:
        return [default] * len(segments)
    return [
        str(v).strip().lower() if isinstance(v, str) and v.strip() else default
        for v in segments[LANGUAGE].tolist()
    ]


def empty_hits() -> pd.DataFrame:
    """Return an empty hits table with the right columns and dtypes."""
    import pandas as pd

    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in HIT_COLUMNS})
    return frame.astype({START: "int64", END: "int64", NEGATED: "bool"})


#: The categorical dtypes of the last rules hits were made for: (rules, dtypes).
_HIT_DTYPES: list[tuple[Rules, dict[str, Any]]] = []
#: Per categorical dtype of _HIT_DTYPES, each category's code (built with it).
_CATEGORY_CODES: dict[int, tuple[Any, dict[str, int]]] = {}


def _hit_dtypes(rules: Rules) -> dict[str, Any]:
    """Return categorical dtypes for THEME, CODE, RULE_KIND and RULE: every value *rules* give.

    One dtype object per run (kept for the last rules), so the batches share their
    categories instead of each holding a copy.
    """
    import pandas as pd

    for known, dtypes in _HIT_DTYPES:
        if known is rules:
            return dtypes
    rule_texts = {r.rule for found in rules.terms.values() for r in found}
    rule_texts |= {p[2] for p in rules.patterns} | {r[2] for r in rules.regexes}
    kinds = {"term", "phrase", "pattern", "regex"}
    kinds |= {r.kind for found in rules.terms.values() for r in found}
    values = {
        THEME: {theme for theme, _ in rules.codes},
        CODE: {code for _, code in rules.codes},
        RULE_KIND: kinds,
        RULE: rule_texts,
    }
    # Sorted, so that a categorical sorts as its strings would (see sort_hits).
    dtypes = {k: pd.CategoricalDtype(sorted(v)) for k, v in values.items()}
    _HIT_DTYPES[:] = [(rules, dtypes)]
    _CATEGORY_CODES.clear()
    for dtype in dtypes.values():
        numbers = {c: n for n, c in enumerate(dtype.categories.tolist())}
        _CATEGORY_CODES[id(dtype)] = (dtype, numbers)
    return dtypes


def _compact(values: Sequence[str], dtype: Any) -> Any:
    """Return *values* as a categorical of *dtype*, or as they are if one is not a category.

    Every batch of a run gets the same categories, so ``pd.concat`` keeps the
    columns categorical; :func:`sort_hits` turns them back into strings.
    """
    import numpy as np
    import pandas as pd

    known = _CATEGORY_CODES.get(id(dtype))
    if known is None or known[0] is not dtype:  # a dtype not made by _hit_dtypes
        column = pd.Categorical(list(values), dtype=dtype)
        return values if (column.codes < 0).any() else column
    codes = np.fromiter(map(known[1].get, values, [-1] * len(values)), np.int64, len(values))
    if len(codes) and int(codes.min()) < 0:
        return values
    return pd.Categorical.from_codes(codes, dtype=dtype)


def _compact_codes(
    hit_codes: Sequence[int], rules: Rules, dtypes: dict[str, Any]
) -> tuple[Any, Any]:
    """Return the THEME and CODE columns of hits of code numbers *hit_codes*, as categoricals."""
    import numpy as np
    import pandas as pd

    numbers = np.asarray(hit_codes, dtype=np.int64)
    out = []
    for name, part in ((THEME, 0), (CODE, 1)):
        positions = _CATEGORY_CODES[id(dtypes[name])][1]
        lookup = np.asarray([positions[pair[part]] for pair in rules.codes], dtype=np.int64)
        out.append(pd.Categorical.from_codes(lookup[numbers], dtype=dtypes[name]))
    return out[0], out[1]


def _offsets(values: npt.NDArray[np.int64]) -> npt.NDArray[Any]:
    """Return character offsets as int32 when they fit (half the memory while batches wait)."""
    import numpy as np

    if len(values) and int(values.max()) > np.iinfo(np.int32).max:
        return values
    return values.astype(np.int32)


def match_segments(
    rules: Rules,
    segments: pd.DataFrame,
    *,
    include_interviewer: bool = False,
    model: str | None = None,
    cache: TokenCache | None = None,
    sort: bool = True,
) -> pd.DataFrame:
    """Match compiled *rules* against a segments table; return the hits table.

    Args:
        rules: From :func:`compile_rules`.
        segments: Columns ``qca.models.SEGMENT_COLUMNS`` (+ attributes such as ``language``).
        include_interviewer: Code interviewer turns and ``exclude_speakers`` too.
        model: The ``--model`` pipeline, used for segments in the codebook's language.
        cache: Token arrays and each code's hits are read from (and kept in) it.
        sort: Sort the hits (:func:`sort_hits`). A caller that joins batches sorts once;
            unsorted hits are compact while they wait: ``theme``, ``code``, ``rule_kind``
            and ``rule`` are categoricals (the same categories in every batch of a run)
            and ``start``/``end`` int32; :func:`sort_hits` gives the output dtypes back.
    """
    import numpy as np
    import pandas as pd

    mask = selected_segments(
        segments, rules.exclude_speakers, include_interviewer=include_interviewer
    )
    languages = segment_languages(segments, rules.language)
    rows = [n for n, keep in enumerate(mask.tolist()) if keep]
    groups: dict[str, list[int]] = {}
    for n in rows:
        groups.setdefault(languages[n], []).append(n)
    texts_all = segments[TEXT].tolist() if len(segments) else []
    frames = []
    for language in sorted(groups):
        positions = groups[language]
        pipeline = load_pipeline(language, model if language == rules.language else None)
        texts = [texts_all[n] for n in positions]
        if cache is None:
            hits = match_tokens(rules, pipeline, language, texts, tokenize(pipeline, texts))
        else:
            hits = cache.hits_for(rules, pipeline, language, texts)
        if not hits.segment:
            continue
        dtypes = _hit_dtypes(rules)
        where = np.asarray(positions, dtype=np.intp)[np.asarray(hits.segment, dtype=np.intp)]
        # each column as numpy, taken at the hits' rows (no frame of all columns)
        picked = {name: segments[name].to_numpy()[where] for name in (DOC_ID, SEGMENT_ID, SPEAKER)}
        offsets = segments[START].to_numpy(dtype=np.int64)[where]
        themes, codes = _compact_codes(hits.code, rules, dtypes)
        frames.append(
            pd.DataFrame(
                {
                    DOC_ID: picked[DOC_ID],
                    SEGMENT_ID: picked[SEGMENT_ID],
                    SPEAKER: picked[SPEAKER],
                    THEME: themes,
                    CODE: codes,
                    RULE_KIND: _compact(hits.kind, dtypes[RULE_KIND]),
                    RULE: _compact(hits.rule, dtypes[RULE]),
                    MATCH: [
                        texts[k][s:e]
                        for k, s, e in zip(hits.segment, hits.start, hits.end, strict=True)
                    ],
                    START: _offsets(offsets + np.asarray(hits.start, dtype=np.int64)),
                    END: _offsets(offsets + np.asarray(hits.end, dtype=np.int64)),
                    NEGATED: np.asarray(hits.negated, dtype=np.bool_),
                }
            )
        )
        del picked, hits
    if not frames:
        return empty_hits()
    table = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    return sort_hits(table) if sort else table


def sort_hits(hits: pd.DataFrame) -> pd.DataFrame:
    """Return *hits* sorted by doc_id, segment_id, start, code, end (the output order).

    Takes :func:`match_segments` tables, compact (unsorted) or not, and returns the
    output dtypes: strings, int64 offsets, a bool ``negated``.
    """
    import numpy as np
    import pandas as pd

    # A categorical sorts by its categories, sorted as strings sort (_hit_dtypes).
    ordered = hits.sort_values([DOC_ID, SEGMENT_ID, START, CODE, END], kind="stable")
    ordered = ordered.reset_index(drop=True)
    kinds = {START: "int64", END: "int64", NEGATED: "bool"}
    for name in (THEME, CODE, RULE_KIND, RULE):
        dtype = ordered[name].dtype
        # Object: batches whose categoricals could not share categories (see _compact).
        if isinstance(dtype, pd.CategoricalDtype) or (dtype == np.dtype(object) and len(ordered)):
            kinds[name] = "str"
    return ordered.astype(kinds)[list(HIT_COLUMNS)]


def code_segments(
    segments: pd.DataFrame,
    codebook: Codebook,
    *,
    include_interviewer: bool = False,
    model: str | None = None,
) -> pd.DataFrame:
    """Code a segments table with *codebook*; return one row per hit (``HIT_COLUMNS``).

    Examples:
        >>> hits = code_segments(segments, codebook)  # doctest: +SKIP
        >>> hits[["segment_id", "code", "match"]].head()  # doctest: +SKIP
    """
    languages = sorted(set(segment_languages(segments, codebook.language)))
    rules = compile_rules(codebook, languages, model=model)
    return match_segments(rules, segments, include_interviewer=include_interviewer, model=model)


def negation_cue(text: str, start: int, language: str, negation: Negation) -> str | None:
    """Return the negation cue before offset *start* of *text* in the same sentence, if any.

    The rule is the engine's: a cue of *language* among the ``negation.window``
    tokens before the token at *start*, not crossing a sentence boundary.

    Examples:
        >>> negation_cue("We were not motivated.", 12, "en", Negation())
        'not'
    """
    import numpy as np

    cues = frozenset(normalise(c) for c in negation.cues.get(language, ()))
    if not cues:
        return None
    tokens = tokenize(load_pipeline(language, None), [text])  # the engine's cache key
    token = int(np.searchsorted(tokens.ends, start, side="right"))
    if token >= len(tokens.starts):
        return None
    lowers = _Lowers(tokens.lowers(), tokens.orths.tolist())
    found = cue_before(lowers, tokens.sentence_starts.tolist(), token, 0, cues, negation.window)
    if found is None:
        return None
    return text[int(tokens.starts[found]) : int(tokens.ends[found])]


def spacy_version() -> str:
    """Return the installed spaCy version."""
    from spacy.about import __version__

    return str(__version__)
