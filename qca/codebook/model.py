"""The frozen, validated codebook that every later stage reads.

``qca.codebook.read_codebook`` builds it from YAML (after pydantic validation);
converters build it from other dictionary formats. Nothing mutates it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

#: Negation cues used when a codebook does not configure its own, per language.
DEFAULT_NEGATION_CUES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "en": ("not", "never", "no", "n't", "without", "hardly", "nobody", "nothing", "none"),
        "sv": ("inte", "aldrig", "ingen", "inget", "inga", "utan", "knappast"),
        "de": ("nicht", "nie", "niemals", "kein", "keine", "ohne", "kaum"),
    }
)
#: How many tokens before a hit a negation cue may stand, by default.
DEFAULT_NEGATION_WINDOW = 4


@dataclass(frozen=True)
class Negation:
    """Negation cues per language and the window (in tokens) before a hit they reach."""

    cues: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_NEGATION_CUES)
    window: int = DEFAULT_NEGATION_WINDOW


@dataclass(frozen=True)
class Code:
    """One code with its coding rules and matching rules.

    ``id`` is the code's id as written in the codebook; a sub-code's id is
    ``parent.child``. ``terms`` maps a language (``"en"``, ``"sv"``) to its terms:
    the codebook's ``terms`` key fills its default language, ``terms_sv`` fills
    ``"sv"``. A term may be multi-word, and a trailing ``*`` makes it a prefix.
    ``not_`` holds the phrases of the YAML key ``not``: a hit they contain or
    overlap is dropped. A ``fallback`` code has no rules: it codes a segment that
    no other code matched. ``max_words`` keeps the code's hits only in segments of
    at most that many words (:func:`qca.engine.conditions.count_words`).
    """

    id: str
    theme: str
    label: str = ""
    definition: str = ""
    include: str = ""
    exclude: str = ""
    examples: tuple[str, ...] = ()
    color: str | None = None
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    patterns: tuple[tuple[Mapping[str, Any], ...], ...] = ()
    regex: tuple[str, ...] = ()
    not_: tuple[str, ...] = ()
    parent: str | None = None
    fallback: bool = False
    max_words: int | None = None

    @property
    def has_rules(self) -> bool:
        return bool(any(self.terms.values()) or self.patterns or self.regex or self.fallback)


@dataclass(frozen=True)
class Theme:
    """A theme and its codes (sub-codes flattened after their parent, in file order)."""

    id: str
    label: str = ""
    definition: str = ""
    color: str | None = None
    codes: tuple[Code, ...] = ()


@dataclass(frozen=True)
class Codebook:
    """A validated codebook: the method document and the executable dictionary."""

    name: str
    themes: tuple[Theme, ...]
    version: str = "1"
    language: str = "en"
    unit: str = "turn"
    exclude_speakers: tuple[str, ...] = ()
    negation: Negation = field(default_factory=Negation)
    description: str = ""
    path: Path | None = None
    sha256: str = ""

    def codes(self) -> tuple[Code, ...]:
        """Every code (sub-codes included) in codebook order."""
        return tuple(code for theme in self.themes for code in theme.codes)

    def code(self, code_id: str) -> Code:
        """The code with id *code_id*; KeyError when absent."""
        for code in self.codes():
            if code.id == code_id:
                return code
        raise KeyError(code_id)

    def languages(self) -> tuple[str, ...]:
        """Languages that have terms, the default language first."""
        found = {lang for code in self.codes() for lang, terms in code.terms.items() if terms}
        return (self.language, *sorted(found - {self.language}))

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: theme, code, rule_kind, rule, language.

        ``rule_kind`` is ``term`` (one word), ``phrase`` (several words), ``pattern``
        (a spaCy token pattern, as JSON) or ``regex``; ``language`` is empty for
        patterns and regexes.
        """
        import json

        import pandas as pd

        from qca.models import RULE_COLUMNS

        rows: list[tuple[str, str, str, str, str]] = []
        for code in self.codes():
            for lang, terms in code.terms.items():
                for term in terms:
                    kind = "phrase" if len(term.split()) > 1 else "term"
                    rows.append((code.theme, code.id, kind, term, lang))
            for pattern in code.patterns:
                rows.append((code.theme, code.id, "pattern", json.dumps(list(pattern)), ""))
            for regex in code.regex:
                rows.append((code.theme, code.id, "regex", regex, ""))
        return pd.DataFrame(rows, columns=list(RULE_COLUMNS))
