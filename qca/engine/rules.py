"""A codebook compiled to plain, picklable :class:`Rules` (worker processes receive them)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qca.codebook.model import Codebook, Negation
from qca.engine.pipeline import Pipeline, Pipelines, normalise
from qca.errors import CodingError, Problem

#: Bump when the matching rules change meaning (it is part of each code's key).
#: 2: overlapping hits of one code count once (#18) and hits keep their negation cue.
HITS_FORMAT = 2


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
    #: Keep every overlapping hit of one code (``qca code --count-nested``); by default
    #: the longest of them stays (docs/codebook.md, "Overlapping matches").
    count_nested: bool = False
    #: Numbers of the ``fallback`` codes, and ``max_words`` by code number.
    fallbacks: tuple[int, ...] = ()
    max_words: Mapping[int, int] = dataclasses.field(default_factory=dict)

    def only(self, codes: Iterable[int]) -> Rules:
        """Return these rules with the rules of other codes left out (code numbers kept)."""
        keep = frozenset(codes)
        return dataclasses.replace(
            self,
            terms={k: tuple(r for r in v if r.code in keep) for k, v in self.terms.items()},
            vetoes={k: tuple(r for r in v if r.code in keep) for k, v in self.vetoes.items()},
            patterns=tuple(p for p in self.patterns if p[0] in keep),
            regexes=tuple(r for r in self.regexes if r[0] in keep),
            fallbacks=tuple(n for n in self.fallbacks if n in keep),
            max_words={n: m for n, m in self.max_words.items() if n in keep},
        )

    def vetoes_for(self, language: str) -> tuple[TermRule, ...]:
        """Return the ``not`` phrases of *language* (the codebook language's when it has none)."""
        return self.vetoes.get(language, self.vetoes.get(self.language, ()))

    def code_keys(self, language: str, fingerprint: str) -> list[str]:
        """Return, per code, a key of everything that decides its hits on tokenised text.

        A code's hits depend on its own rules, the negation settings, the overlap
        policy and the pipeline only (vetoes, duplicates and overlaps are per code),
        so hits stored under
        a key can be reused after an edit of *other* codes.
        """
        rules: list[dict[str, list[Any]]] = [
            {"terms": [], "not": [], "patterns": [], "regex": []} for _ in self.codes
        ]
        for r in self.terms.get(language, ()):
            rules[r.code]["terms"].append([r.order, r.rule, r.kind, list(r.words), r.prefix])
        for r in self.vetoes_for(language):
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
            "count_nested": self.count_nested,
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
    codebook: Codebook,
    languages: Iterable[str] = (),
    *,
    model: str | None = None,
    pipelines: Pipelines | None = None,
    count_nested: bool = False,
) -> Rules:
    """Compile *codebook* for the codebook's language and every one of *languages*.

    Terms are tokenised by the pipelines of *pipelines* (made here, with *model*
    for the codebook's language, when not given). *count_nested* keeps every
    overlapping hit of one code (:attr:`Rules.count_nested`).

    Raises:
        CodingError: When a pipeline cannot be loaded or a regex does not compile.
    """
    if pipelines is None:
        pipelines = Pipelines(codebook.language, model)
    langs = list(dict.fromkeys([codebook.language, *codebook.languages(), *languages]))
    codes = codebook.codes()
    terms: dict[str, tuple[TermRule, ...]] = {}
    vetoes: dict[str, tuple[TermRule, ...]] = {}
    for lang in langs:
        pipeline = pipelines.get(lang)
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
        count_nested=count_nested,
        fallbacks=tuple(n for n, code in enumerate(codes) if code.fallback),
        max_words={n: code.max_words for n, code in enumerate(codes) if code.max_words},
    )
