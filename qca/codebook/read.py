"""Read and check qca YAML codebooks: ``read_codebook`` and ``check_codebook``.

Validation runs in two phases that report through the same :class:`Problem`:
the pydantic schema first (types, unknown keys), then content checks on the
raw data (duplicate ids, regexes, spaCy patterns, overlapping terms, empty
definitions). Every problem carries ``file:line:col`` and a key path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from yaml.nodes import ScalarNode

from qca.codebook._yaml import KeyPath, Located, YamlProblem, compose, format_path, locate
from qca.codebook._yaml import tab_indent as find_tab_indent
from qca.codebook.build import build_codebook
from qca.codebook.model import Codebook
from qca.codebook.regex_risk import backtracking_risk
from qca.codebook.rule_checks import CodeSite, check_patterns, check_terms
from qca.codebook.schema_problems import bool_message, schema_problems
from qca.errors import CodebookError, Problem, Severity

_OTHER_FORMATS = {
    ".dic": "LIWC dictionary",
    ".dicx": "LIWC-22 dictionary",
    ".cat": "WordStat dictionary",
    ".qdc": "REFI-QDA codebook",
}
_COLOR = re.compile(r"^#(?:[0-9A-Fa-f]{6}|[0-9A-Fa-f]{3})$")


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
    model, found = schema_problems(located, shown)
    problems = found + _content_problems(located, shown, found)
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

    first_site: dict[str, CodeSite] = {}
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

    check_patterns(sites, located, add)
    check_terms(sites, located, add)
    # A yes/no that caused no error above is still probably a mistake: warn.
    errored = {(p.line, p.col) for p in [*earlier, *problems] if p.is_error}
    for path, word in located.bool_words.items():
        if located.position(path) not in errored:
            add(path, bool_message(word), warning=True)
    return problems


def _code_sites(data: Mapping[str, Any]) -> Iterator[CodeSite]:
    themes = data.get("themes")
    if not isinstance(themes, dict):
        return

    def walk(codes: Any, theme: str, parent: str | None, path: KeyPath) -> Iterator[CodeSite]:
        if not isinstance(codes, dict):
            return
        for key, raw in codes.items():
            if raw is not None and not isinstance(raw, dict):
                continue  # the schema phase reports the wrong type
            raw = raw or {}
            code_id = f"{parent}.{key}" if parent else key
            children = raw.get("codes")
            is_leaf = not (isinstance(children, dict) and children)
            yield CodeSite(code_id, theme, (*path, key), raw, is_leaf)
            yield from walk(children, theme, code_id, (*path, key, "codes"))

    for theme_id, theme in themes.items():
        if isinstance(theme, dict):
            yield from walk(theme.get("codes"), theme_id, None, ("themes", theme_id, "codes"))


def _check_code(site: CodeSite, add: Any) -> None:
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
