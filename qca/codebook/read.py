"""Read and check qca YAML codebooks: ``read_codebook`` and ``check_codebook``.

Validation runs in two phases that report through the same :class:`Problem`:
the pydantic schema first (types, unknown keys), then content checks on the
raw data (duplicate ids, regexes, spaCy patterns, overlapping terms, empty
definitions). Every problem carries ``file:line:col`` and a key path.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import importlib.util
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from yaml.nodes import ScalarNode

from qca.codebook._yaml import KeyPath, Located, YamlProblem, compose, format_path, locate
from qca.codebook._yaml import tab_indent as find_tab_indent
from qca.codebook.model import DEFAULT_NEGATION_CUES, Code, Codebook, Negation, Theme
from qca.codebook.regex_risk import backtracking_risk
from qca.codebook.schema import (
    CODE_KEYS,
    CODEBOOK_KEYS,
    NEGATION_KEYS,
    TERMS_BY_LANGUAGE,
    THEME_KEYS,
    CodebookModel,
    CodeModel,
    token_pattern_is_surely_valid,
)
from qca.errors import CodebookError, Problem, Severity

_OTHER_FORMATS = {
    ".dic": "LIWC dictionary",
    ".dicx": "LIWC-22 dictionary",
    ".cat": "WordStat dictionary",
    ".qdc": "REFI-QDA codebook",
}
_COLOR = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")


@dataclass(frozen=True)
class _CodeSite:
    """A code found in the raw data: its full id, theme, path and raw mapping."""

    id: str
    theme: str
    path: KeyPath
    raw: Mapping[str, Any]
    is_leaf: bool


def read_codebook(path: str | Path) -> Codebook:
    """Read and validate a qca YAML codebook.

    Args:
        path: The codebook file.

    Returns:
        The frozen codebook, with ``path`` and ``sha256`` of the file bytes.

    Raises:
        CodebookError: With every error found (warnings are not raised; see
            :func:`check_codebook`).

    Examples:
        >>> codebook = read_codebook("codebooks/esther.yaml")  # doctest: +SKIP
        >>> [theme.id for theme in codebook.themes]  # doctest: +SKIP
        ['will', 'ideas', 'execution', 'sustainability', 'enablers']
    """
    codebook, problems = load_codebook(path)
    errors = [problem for problem in problems if problem.is_error]
    if errors or codebook is None:
        raise CodebookError(problems=errors)
    return codebook


def check_codebook(path: str | Path) -> list[Problem]:
    """Check a qca YAML codebook; return every error and warning, sorted by line.

    Never raises for problems in the file's content (a missing file is a problem too).

    Examples:
        >>> [str(p) for p in check_codebook("codebooks/esther.yaml")]  # doctest: +SKIP
        []
    """
    return load_codebook(path)[1]


def load_codebook(path: str | Path) -> tuple[Codebook | None, list[Problem]]:
    """Read a codebook; return it (``None`` when it has errors) and all problems."""
    file = Path(path)
    shown = str(path)
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        return None, [Problem(shown, "no such file; check the path")]
    except IsADirectoryError:
        return None, [Problem(shown, "is a folder, not a codebook file; name a .yaml file")]
    except OSError as exc:
        return None, [Problem(shown, f"cannot read the file: {exc.strerror}")]
    other = _OTHER_FORMATS.get(file.suffix.lower())
    if other is not None:
        return None, [
            Problem(
                shown,
                f"this is a {other}, not a qca codebook; convert it first: "
                f"qca codebook convert {shown} -o {file.stem}.yaml",
            )
        ]
    located, problems = _parse(raw, shown)
    if located is None:
        return None, problems
    if "themes" not in located.data and "name" not in located.data:
        return None, [
            Problem(
                shown,
                "no `name:` and no `themes:`; if this is a quanteda dictionary, convert it: "
                f"qca codebook convert {shown} -o {file.stem}.qca.yaml",
                1,
                1,
            )
        ]
    model, schema_problems = _schema_problems(located, shown)
    problems = schema_problems + _content_problems(located, shown, schema_problems)
    problems.sort(key=lambda p: (p.line or 0, p.col or 0, not p.is_error))
    if model is None or any(problem.is_error for problem in problems):
        return None, problems
    codebook = build_codebook(model, path=file, sha256=hashlib.sha256(raw).hexdigest())
    return codebook, problems


def parse_yaml_text(raw: bytes, shown: str) -> tuple[Located | None, list[Problem]]:
    """Decode and compose YAML bytes with positions; problems for what is not YAML."""
    return _parse(raw, shown)


def _parse(raw: bytes, shown: str) -> tuple[Located | None, list[Problem]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [
            Problem(shown, "cannot decode the file as UTF-8; save it as UTF-8", line, None)
        ]
    tab = find_tab_indent(text)
    if tab is not None:
        return None, [
            Problem(shown, "tab used for indentation; indent with spaces", tab[0], tab[1])
        ]
    try:
        root = compose(text)
    except YamlProblem as exc:
        return None, [Problem(shown, exc.message, exc.line, exc.col)]
    if root is None or (isinstance(root, ScalarNode) and root.tag.endswith(":null")):
        return None, [
            Problem(
                shown,
                "the codebook is empty; start with `name:` and `themes:` (see docs/codebook.md)",
                1,
                1,
            )
        ]
    try:
        located = locate(root)
    except YamlProblem as exc:
        return None, [Problem(shown, exc.message, exc.line, exc.col)]
    if not isinstance(located.data, dict):
        kind = "a list" if isinstance(located.data, list) else "a single value"
        return None, [
            Problem(
                shown,
                f"the codebook is {kind}, not a mapping; write `name: ...` and `themes:` "
                "as top-level keys",
                root.start_mark.line + 1,
                root.start_mark.column + 1,
            )
        ]
    return located, []


# --- phase one: the schema --------------------------------------------------


def _schema_problems(located: Located, shown: str) -> tuple[CodebookModel | None, list[Problem]]:
    problems: list[Problem] = []
    for path, word in located.bool_keys.items():
        line, col = located.position(path, key=True)
        problems.append(Problem(shown, _bool_message(word, key=True), line, col, format_path(path)))
    try:
        model = CodebookModel.model_validate(located.data)
    except ValidationError as exc:
        seen: set[KeyPath] = set()
        for error in exc.errors():
            path = _data_path(error["loc"])
            if path in seen:
                continue
            seen.add(path)
            problems.append(_schema_problem(located, shown, path, error))
        return None, problems
    return (None if problems else model), problems


def _data_path(loc: tuple[int | str, ...]) -> KeyPath:
    """Map a pydantic error location back to the key path in the YAML file."""
    path: list[str | int] = []
    index = 0
    while index < len(loc):
        part = loc[index]
        if part == TERMS_BY_LANGUAGE and index + 1 < len(loc):
            path.append(f"terms_{loc[index + 1]}")
            index += 2
            continue
        if part == "[key]":
            index += 1
            continue
        path.append(part)
        index += 1
    return tuple(path)


def _schema_problem(
    located: Located, shown: str, path: KeyPath, error: Mapping[str, Any]
) -> Problem:
    kind = error["type"]
    value = error.get("input")
    where = format_path(path)
    if kind == "extra_forbidden":
        key = str(path[-1])
        line, col = located.position(path, key=True)
        return Problem(shown, _unknown_key_message(key, path), line, col, where)
    if kind == "missing":
        key = str(path[-1])
        line, col = located.position(path[:-1])
        hints = {
            "name": "add `name:` with a short title for the codebook",
            "themes": "add `themes:` with at least one theme and its codes",
        }
        fix = hints.get(key, f"add `{key}:`")
        return Problem(shown, f"missing required key `{key}` ({fix})", line, col, where)
    line, col = located.position(path)
    if path in located.bool_words:
        return Problem(shown, _bool_message(located.bool_words[path]), line, col, where)
    if kind == "string_type":
        message = f"expected text, got {_describe(value)} (put it in quotes)"
    elif kind == "list_type":
        message = (
            f"expected a list, got {_describe(value)} (write `[a, b]` or one `- item` per line)"
        )
    elif kind in ("dict_type", "model_type"):
        message = (
            f"expected a mapping of `key: value` lines, got {_describe(value)} "
            "(indent the keys under this one)"
        )
    elif kind == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        message = f"`{value}` is not allowed; use one of {expected.replace(chr(39), '')}"
    elif kind in ("int_type", "int_parsing", "int_from_float"):
        message = f"expected a whole number, got {_describe(value)}"
    elif kind in ("greater_than_equal", "less_than_equal"):
        bound = error.get("ctx", {}).get("ge", error.get("ctx", {}).get("le"))
        side = "at least" if kind == "greater_than_equal" else "at most"
        message = f"expected a whole number of {side} {bound}, got {_describe(value)}"
    elif kind in ("bool_type", "bool_parsing"):
        message = f"expected true or false, got {_describe(value)}"
    else:
        message = f"{error['msg']}"
    return Problem(shown, message, line, col, where)


def _unknown_key_message(key: str, path: KeyPath) -> str:
    allowed = _allowed_keys(path)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key `{key}` (did you mean `{close[0]}`?)"
    shown = ", ".join(allowed)
    return f"unknown key `{key}` (allowed here: {shown})"


def _allowed_keys(path: KeyPath) -> tuple[str, ...]:
    parent = path[:-1]
    if not parent:
        return CODEBOOK_KEYS
    if parent == ("negation",):
        return NEGATION_KEYS
    if len(parent) == 2 and parent[0] == "themes":
        return THEME_KEYS
    return (*CODE_KEYS, "terms_<language>")


def _describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, str):
        return "text"
    return type(value).__name__


def _bool_message(word: str, *, key: bool = False) -> str:
    value = "true" if word.lower() in ("yes", "on") else "false"
    what = "key " if key else ""
    return (
        f"{what}`{word}` is read as the boolean {value} (YAML 1.1); "
        f'put it in quotes ("{word}") if you mean the word'
    )


# --- phase two: content ------------------------------------------------------


def _content_problems(located: Located, shown: str, earlier: list[Problem]) -> list[Problem]:
    problems: list[Problem] = []
    data: dict[str, Any] = located.data

    def add(path: KeyPath, message: str, *, warning: bool = False, key: bool = False) -> None:
        line, col = located.position(path, key=key)
        severity: Severity = "warning" if warning else "error"
        problems.append(Problem(shown, message, line, col, format_path(path), severity))

    for path, first, line, col in located.duplicate_keys:
        what = "code id" if len(path) >= 2 and path[-2] == "codes" else "key"
        what = "theme id" if len(path) == 2 and path[0] == "themes" else what
        problems.append(
            Problem(
                shown,
                f"duplicate {what} `{path[-1]}` (first at line {first}); keep one or rename it",
                line,
                col,
                format_path(path),
            )
        )

    _check_languages(data, add)
    sites = list(_code_sites(data))
    themes = data.get("themes")
    if isinstance(themes, dict):
        for theme_id, theme in themes.items():
            if isinstance(theme, dict):
                _check_color(theme, ("themes", theme_id), add)
            if theme is None or (isinstance(theme, dict) and not theme.get("codes")):
                add(
                    ("themes", theme_id),
                    "theme has no codes (add `codes:`)",
                    warning=True,
                    key=True,
                )

    first_site: dict[str, _CodeSite] = {}
    for site in sites:
        if site.id in first_site:
            other = first_site[site.id]
            line = located.position(other.path, key=True)[0]
            add(
                site.path,
                f"duplicate code id `{site.id}` (also in theme `{other.theme}`, line {line}); "
                "rename one of them",
                key=True,
            )
        else:
            first_site[site.id] = site
        _check_code(site, add)

    _check_patterns(sites, located, add)
    _check_terms(sites, located, add)
    # A yes/no that caused no error above is still probably a mistake: warn.
    errored = {(p.line, p.col) for p in [*earlier, *problems] if p.is_error}
    for path, word in located.bool_words.items():
        if located.position(path) not in errored:
            add(path, _bool_message(word), warning=True)
    return problems


def _code_sites(data: Mapping[str, Any]) -> Iterator[_CodeSite]:
    themes = data.get("themes")
    if not isinstance(themes, dict):
        return

    def walk(codes: Any, theme: str, parent: str | None, path: KeyPath) -> Iterator[_CodeSite]:
        if not isinstance(codes, dict):
            return
        for key, raw in codes.items():
            if raw is not None and not isinstance(raw, dict):
                continue  # the schema phase reports the wrong type
            raw = raw or {}
            code_id = f"{parent}.{key}" if parent else key
            children = raw.get("codes")
            is_leaf = not (isinstance(children, dict) and children)
            yield _CodeSite(code_id, theme, (*path, key), raw, is_leaf)
            yield from walk(children, theme, code_id, (*path, key, "codes"))

    for theme_id, theme in themes.items():
        if isinstance(theme, dict):
            yield from walk(theme.get("codes"), theme_id, None, ("themes", theme_id, "codes"))


def _check_code(site: _CodeSite, add: Any) -> None:
    raw = site.raw
    _check_color(raw, site.path, add)
    if not str(raw.get("definition") or "").strip():
        add(
            site.path,
            "definition is empty (write what the code means, for human coders and the appendix)",
            warning=True,
            key=True,
        )
    has_rules = any(
        isinstance(raw.get(key), list | str) and raw.get(key)
        for key in raw
        if key in ("terms", "patterns", "regex") or key.startswith("terms_")
    )
    if raw.get("fallback") is True:
        if has_rules:
            add(
                (*site.path, "fallback"),
                "a fallback code codes what no other code matched, so it takes no `terms`, "
                "`patterns` or `regex` (remove them, or remove `fallback: true`)",
            )
        has_rules = True
    if site.is_leaf and not has_rules:
        add(
            site.path,
            "code has no rules, so it never matches (add `terms`, `patterns` or `regex`)",
            warning=True,
            key=True,
        )
    regexes = raw.get("regex")
    if isinstance(regexes, str):
        regexes = [regexes]
    if isinstance(regexes, list):
        for index, regex in enumerate(regexes):
            if not isinstance(regex, str):
                continue
            try:
                re.compile(regex)
            except re.error as exc:
                add(
                    (*site.path, "regex", index),
                    f"regex does not compile: {exc} (fix it; single-quote regexes in YAML "
                    "so that backslashes stay)",
                )
                continue
            risk = backtracking_risk(regex)
            if risk is not None:
                add((*site.path, "regex", index), risk.message())


def _check_color(raw: Mapping[str, Any], path: KeyPath, add: Any) -> None:
    color = raw.get("color")
    if isinstance(color, str) and not _COLOR.match(color):
        add((*path, "color"), f'color `{color}` is not a hex colour; write it as "#1f77b4"')


def _spacy_languages() -> frozenset[str]:
    """Languages spaCy has a blank pipeline for, found without importing spaCy."""
    spec = importlib.util.find_spec("spacy")
    if spec is None or not spec.submodule_search_locations:
        return frozenset()
    root = Path(next(iter(spec.submodule_search_locations))) / "lang"
    return frozenset(p.name for p in root.iterdir() if (p / "__init__.py").is_file())


def _check_languages(data: Mapping[str, Any], add: Any) -> None:
    known = _spacy_languages()
    if not known:
        return

    def check(lang: Any, path: KeyPath, *, key: bool = False) -> None:
        if isinstance(lang, str) and lang not in known:
            add(
                path,
                f"unknown language `{lang}`; use a language code spaCy knows, such as en, sv, de",
                key=key,
            )

    check(data.get("language", "en"), ("language",))
    negation = data.get("negation")
    if isinstance(negation, dict) and isinstance(negation.get("cues"), dict):
        for lang in negation["cues"]:
            check(lang, ("negation", "cues", lang), key=True)
    for site in _code_sites(data):
        for key in site.raw:
            if key.startswith("terms_") and len(key) in (8, 9):
                check(key[6:], (*site.path, key), key=True)


def _check_patterns(sites: list[_CodeSite], located: Located, add: Any) -> None:
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
        add(path, _bool_message(word) if word else message)


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


def _check_terms(sites: list[_CodeSite], located: Located, add: Any) -> None:
    default = located.data.get("language", "en")
    # A code is identified by its path (ids may be duplicated in a broken file).
    seen: dict[tuple[str, str], tuple[_CodeSite, KeyPath]] = {}
    prefixes: dict[tuple[str, str], tuple[_CodeSite, KeyPath]] = {}
    listed: list[tuple[str, str, _CodeSite, KeyPath]] = []
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


# --- building the frozen model ---------------------------------------------


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
