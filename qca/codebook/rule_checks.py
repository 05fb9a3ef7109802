"""Content checks of a codebook's rules: spaCy token patterns and overlapping terms."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from qca.codebook._yaml import KeyPath, Located
from qca.codebook.schema import (
    token_pattern_is_surely_valid,
)
from qca.codebook.schema_problems import bool_message


@dataclass(frozen=True)
class CodeSite:
    """A code found in the raw data: its full id, theme, path and raw mapping."""

    id: str
    theme: str
    path: KeyPath
    raw: Mapping[str, Any]
    is_leaf: bool


def check_patterns(sites: list[CodeSite], located: Located, add: Any) -> None:
    found: list[tuple[KeyPath, list[dict[str, Any]]]] = []
    for site in sites:
        patterns = site.raw.get("patterns")
        if not isinstance(patterns, list):
            continue
        for index, pattern in enumerate(patterns):
            path = (*site.path, "patterns", index)
            if isinstance(pattern, list) and all(isinstance(t, dict) for t in pattern):
                if not pattern:
                    add(path, "empty pattern; give at least one token, e.g. [{LOWER: keen}]")
                elif not token_pattern_is_surely_valid(pattern):
                    found.append((path, pattern))
    if not found:
        return  # spaCy takes a second to import: only for patterns it must judge
    for path, message in validate_patterns(found):
        word = located.bool_words.get(path)
        add(path, bool_message(word) if word else message)


def validate_patterns(
    patterns: list[tuple[KeyPath, list[dict[str, Any]]]],
) -> list[tuple[KeyPath, str]]:
    """Compile spaCy token patterns with ``Matcher(validate=True)``; return problems by path."""
    from spacy.errors import MatchPatternError
    from spacy.matcher import Matcher

    matcher = Matcher(_blank_vocab(), validate=True)
    out: list[tuple[KeyPath, str]] = []
    for path, pattern in patterns:
        try:
            matcher.add("check", [pattern])
        except MatchPatternError as exc:
            out.extend(_pattern_errors(path, str(exc)))
        except (ValueError, KeyError, TypeError, re.error) as exc:
            text = str(exc).splitlines()[0]
            out.append((path, f"invalid token pattern: {text} (see spaCy's Matcher docs)"))
        else:
            matcher.remove("check")
    return out


@functools.cache
def _blank_vocab() -> Any:
    """A blank English vocab, made once per process (spacy.blank takes a fraction of a second)."""
    import spacy

    return spacy.blank("en").vocab


_SPACY_ERROR = re.compile(r"^- \[pattern -> (\d+)(.*?)\] (.*)$")
_TOKEN_ATTRIBUTES = (
    "ORTH", "TEXT", "LOWER", "LEMMA", "NORM", "POS", "TAG", "MORPH", "DEP", "ENT_TYPE",
    "ENT_IOB", "ENT_ID", "ENT_KB_ID", "SHAPE", "PREFIX", "SUFFIX", "LENGTH", "IS_ALPHA",
    "IS_ASCII", "IS_DIGIT", "IS_LOWER", "IS_UPPER", "IS_TITLE", "IS_PUNCT", "IS_SPACE",
    "IS_STOP", "IS_SENT_START", "LIKE_NUM", "LIKE_URL", "LIKE_EMAIL", "SPACY", "OP", "_",
)  # fmt: skip


#: Keys of an attribute's mapping ({LOWER: {IN: [...]}}) that spaCy's Matcher knows.
_PREDICATES = (
    "IN", "NOT_IN", "IS_SUBSET", "IS_SUPERSET", "INTERSECTS", "REGEX", "FUZZY",
    "==", "!=", ">=", "<=", ">", "<",
)  # fmt: skip


def _pattern_errors(path: KeyPath, text: str) -> list[tuple[KeyPath, str]]:
    out: list[tuple[KeyPath, str]] = []
    seen: set[KeyPath] = set()
    for line in text.splitlines():
        match = _SPACY_ERROR.match(line.strip())
        if not match:
            continue
        token = int(match.group(1))
        steps = [step for step in match.group(2).split(" -> ") if step]
        attribute = steps[0] if steps else None
        where: KeyPath = (*path, token) if attribute is None else (*path, token, attribute)
        if where in seen:
            continue
        seen.add(where)
        message = match.group(3).rstrip(".")
        if message == "Extra inputs are not permitted" and len(steps) > 1:
            unknown = steps[-1]  # a key inside an attribute's mapping: a predicate
            close = difflib.get_close_matches(unknown, _PREDICATES, n=1)
            hint = f"did you mean `{close[0]}`?" if close else "see spaCy's Matcher predicates"
            message = f"unknown predicate `{unknown}` in `{attribute}` ({hint})"
        elif message == "Extra inputs are not permitted" and attribute:
            close = difflib.get_close_matches(attribute, _TOKEN_ATTRIBUTES, n=1)
            hint = f"did you mean `{close[0]}`?" if close else "see spaCy's Matcher attributes"
            message = f"unknown token attribute `{attribute}` ({hint})"
        elif message == "Input should be a valid list" and len(steps) > 1:
            message = f"`{steps[-1]}` needs a list, e.g. {{{steps[-1]}: [a, b]}}"
        else:
            message = f"invalid token pattern: {message}"
        out.append((where, message))
    if not out:
        out.append((path, "invalid token pattern (see spaCy's Matcher docs)"))
    return out


def check_terms(sites: list[CodeSite], located: Located, add: Any) -> None:
    default = located.data.get("language", "en")
    # A code is identified by its path (ids may be duplicated in a broken file).
    seen: dict[tuple[str, str], tuple[CodeSite, KeyPath]] = {}
    prefixes: dict[tuple[str, str], tuple[CodeSite, KeyPath]] = {}
    listed: list[tuple[str, str, CodeSite, KeyPath]] = []
    for site in sites:
        for key, terms in site.raw.items():
            if key == "terms":
                lang = default if isinstance(default, str) else "en"
            elif key.startswith("terms_"):
                lang = key[6:]
            else:
                continue
            if isinstance(terms, str):
                terms = [terms]
            if not isinstance(terms, list):
                continue
            for index, term in enumerate(terms):
                if not isinstance(term, str):
                    continue
                path = (*site.path, key, index)
                norm = " ".join(term.lower().split())
                if not norm.rstrip("*"):
                    add(path, "empty term; remove it or write a word")
                    continue
                if "*" in norm.rstrip("*"):
                    add(
                        path,
                        f"`*` inside `{term}` is matched literally; a `*` works only at the end",
                        warning=True,
                    )
                previous = seen.get((lang, norm))
                if previous is not None:
                    other, other_path = previous
                    line = located.position(other_path)[0]
                    if other.path == site.path:
                        add(
                            path,
                            f"term `{term}` is listed twice in this code (line {line}); remove one",
                            warning=True,
                        )
                    else:
                        add(
                            path,
                            f"term `{term}` is also listed under code `{other.id}` (line {line}); "
                            "keep it in one code, or it counts for both",
                            warning=True,
                        )
                    continue
                seen[(lang, norm)] = (site, path)
                listed.append((lang, norm, site, path))
                if norm.endswith("*"):
                    prefixes.setdefault((lang, norm.rstrip("*")), (site, path))
    for lang, norm, site, path in listed:
        stem = norm.rstrip("*")
        for end in range(1, len(stem) + 1):
            owner = prefixes.get((lang, stem[:end]))
            if owner is None or owner[0].path == site.path:
                continue
            line = located.position(owner[1])[0]
            add(
                path,
                f"term `{norm}` is already matched by `{stem[:end]}*` of code `{owner[0].id}` "
                f"(line {line}); remove it or narrow the prefix",
                warning=True,
            )
            break
