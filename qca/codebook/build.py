"""Build the frozen :class:`Codebook` from a validated schema model."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from qca.codebook.model import DEFAULT_NEGATION_CUES, Code, Codebook, Negation, Theme
from qca.codebook.schema import (
    CodebookModel,
    CodeModel,
)


def build_codebook(model: CodebookModel, *, path: Path | None, sha256: str) -> Codebook:
    """Turn a validated schema model into the frozen :class:`Codebook`."""
    cues = dict(DEFAULT_NEGATION_CUES)
    cues.update({lang: tuple(words) for lang, words in model.negation.cues.items()})
    themes = tuple(
        Theme(
            id=theme_id,
            label=theme.label,
            definition=theme.definition,
            color=theme.color,
            codes=tuple(_flatten(theme.codes, theme_id, model.language, None)),
        )
        for theme_id, theme in model.themes.items()
    )
    return Codebook(
        name=model.name,
        themes=themes,
        version=model.version,
        language=model.language,
        unit=model.unit,
        exclude_speakers=tuple(model.exclude_speakers),
        negation=Negation(cues=cues, window=model.negation.window),
        description=model.description,
        path=path,
        sha256=sha256,
    )


def _flatten(
    codes: Mapping[str, CodeModel], theme: str, language: str, parent: str | None
) -> Iterator[Code]:
    for key, code in codes.items():
        code_id = f"{parent}.{key}" if parent else key
        terms: dict[str, tuple[str, ...]] = {}
        if code.terms:
            terms[language] = tuple(code.terms)
        for lang, words in code.terms_by_language.items():
            if words:
                terms[lang] = (*terms.get(lang, ()), *words)
        yield Code(
            id=code_id,
            theme=theme,
            label=code.label,
            definition=code.definition,
            include=code.include,
            exclude=code.exclude,
            examples=tuple(code.examples),
            color=code.color,
            terms=terms,
            patterns=tuple(tuple(token for token in pattern) for pattern in code.patterns),
            regex=tuple(code.regex),
            not_=tuple(code.not_),
            parent=parent,
            fallback=code.fallback,
            max_words=code.max_words,
        )
        yield from _flatten(code.codes, theme, language, code_id)


def rule_count(codebook: Codebook) -> int:
    """Count the matching rules: terms in every language, patterns and regexes."""
    return sum(
        sum(len(terms) for terms in code.terms.values()) + len(code.patterns) + len(code.regex)
        for code in codebook.codes()
    )
