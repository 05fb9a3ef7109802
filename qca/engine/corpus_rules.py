"""A codebook compiled without spaCy, for an edited re-run on a corpus token file (#16).

:func:`qca.engine.rules.compile_rules` tokenises every term with the pipeline's
tokenizer. Here the pipeline is stood in for: a term the saving run saw is split
as it was then (:func:`term_words`, kept in the token file); a new term is split
by :class:`~qca.engine.lexicon.Shortcut`, rebuilt from the tokenizer's rules kept
as regex sources (:func:`tokenizer_rules`), only when it can tell each chunk's
tokens; any other term raises :class:`NeedsSpacy` (the caller codes as a full run).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from qca.codebook.model import Codebook
    from qca.engine.lexicon import Shortcut
    from qca.engine.rules import Rules

#: The tokenizer attributes kept, and the ``re.Pattern`` method each one is.
_RULES = (
    ("prefix_search", "search"),
    ("suffix_search", "search"),
    ("infix_finditer", "finditer"),
    ("token_match", "match"),
)


def tokenizer_rules(tokenizer: Any) -> dict[str, Any] | None:
    """Return what decides :class:`~qca.engine.lexicon.Shortcut` for *tokenizer*, as JSON values.

    None when a rule is not a compiled regex's method (a custom tokenizer).
    """
    from spacy.tokenizer import Tokenizer

    if type(tokenizer) is not Tokenizer:
        return None
    rules: dict[str, Any] = {}
    for name, method in _RULES:
        found = getattr(tokenizer, name)
        if found is None:
            rules[name] = None
            continue
        pattern = getattr(found, "__self__", None)
        if not isinstance(pattern, re.Pattern) or getattr(found, "__name__", "") != method:
            return None
        rules[name] = [pattern.pattern, pattern.flags]
    rules["specials"] = sorted(tokenizer.rules or ())
    return rules


def shortcut_of(rules: dict[str, Any]) -> Shortcut:
    """Return the :class:`~qca.engine.lexicon.Shortcut` of :func:`tokenizer_rules`' output."""
    from qca.engine.lexicon import Shortcut

    made: list[Any] = []
    for name, method in _RULES:
        found = rules[name]
        made.append(None if found is None else getattr(re.compile(found[0], found[1]), method))
    return Shortcut(made[0], made[1], made[2], made[3], frozenset(rules["specials"]))


class NeedsSpacy(Exception):
    """A term that only spaCy's tokenizer can split (the edit is coded as a full run)."""


@dataclass(frozen=True)
class _Word:
    text: str
    is_space: bool = False


class _Tokenizer:
    """What :func:`qca.engine.rules.compile_rules` asks of a pipeline, answered without spaCy.

    A term seen by the run that saved the file is split as it was then (*known*);
    a new one only when :class:`~qca.engine.lexicon.Shortcut` decides each of its
    chunks, else :class:`NeedsSpacy` is raised. Without *rules* (a language other
    than the corpus's, whose rules no segment of the corpus is matched with) a new
    term is split at whitespace.
    """

    def __init__(self, known: dict[str, list[str]], rules: dict[str, Any] | None) -> None:
        self.known = known
        self.rules = rules
        self._shortcut: Shortcut | None = None
        self.nlp = self

    def make_doc(self, text: str) -> list[_Word]:
        found = self.known.get(text)
        if found is not None:
            return [_Word(word) for word in found]
        if self.rules is None:  # another language than the corpus's: never matched
            return [_Word(word) for word in text.split()]
        if self._shortcut is None:
            self._shortcut = shortcut_of(self.rules)
        shortcut = self._shortcut
        chunks = text.split()
        if len(chunks) > 1 and any(s.strip() for s in shortcut.specials if s != s.strip()):
            raise NeedsSpacy(text)  # a special case holding whitespace could join two chunks
        words: list[_Word] = []
        for chunk, cut in zip(chunks, shortcut.cuts(chunks), strict=True):
            if cut < 0:
                raise NeedsSpacy(text)
            words += [_Word(chunk[:-cut]), _Word(chunk[-cut:])] if cut else [_Word(chunk)]
        return words


class _Pipelines:
    def __init__(self, header: dict[str, Any]) -> None:
        self.header = header

    def get(self, language: str) -> _Tokenizer:
        known = self.header["terms"].get(language, {})
        same = language == self.header["language"]
        return _Tokenizer(known, self.header["tokenizer"] if same else None)


def compile_without_spacy(
    codebook: Codebook, header: dict[str, Any], *, count_nested: bool = False
) -> Rules:
    """Compile *codebook* as :func:`~qca.engine.rules.compile_rules` would, without spaCy.

    *header* is a corpus token file's (:mod:`qca.engine.corpus_tokens`): its
    tokenizer rules and how the run that saved it tokenised each term;
    *count_nested* the run's overlap policy.

    Raises:
        NeedsSpacy: When a term needs spaCy's tokenizer.
        CodingError: When a regex does not compile.
    """
    from qca.engine.rules import compile_rules

    pipelines = cast(Any, _Pipelines(header))
    return compile_rules(codebook, pipelines=pipelines, count_nested=count_nested)


def term_words(rules: Rules) -> dict[str, dict[str, list[str]]]:
    """Return, per language, how each term and ``not`` phrase of *rules* was tokenised.

    Keyed by what :func:`qca.engine.rules.compile_rules` gives the tokenizer: the
    term without spaces around it and without its trailing ``*``.
    """
    out: dict[str, dict[str, list[str]]] = {}
    for language in set(rules.terms) | set(rules.vetoes):
        found = out.setdefault(language, {})
        for rule in (*rules.terms.get(language, ()), *rules.vetoes.get(language, ())):
            key = rule.rule.strip()
            key = key.rstrip("*").strip() if key.endswith("*") else key
            found[key] = list(rule.words)
    return out
