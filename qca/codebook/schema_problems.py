"""Phase one of codebook checking: schema errors from pydantic, as located problems."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from qca.codebook._yaml import KeyPath, Located, format_path
from qca.codebook.schema import (
    CODE_KEYS,
    CODEBOOK_KEYS,
    NEGATION_KEYS,
    TERMS_BY_LANGUAGE,
    THEME_KEYS,
    CodebookModel,
)
from qca.errors import Problem


def schema_problems(located: Located, shown: str) -> tuple[CodebookModel | None, list[Problem]]:
    problems: list[Problem] = []
    for path, word in located.bool_keys.items():
        line, col = located.position(path, key=True)
        problems.append(Problem(shown, bool_message(word, key=True), line, col, format_path(path)))
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
        return Problem(shown, bool_message(located.bool_words[path]), line, col, where)
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


def bool_message(word: str, *, key: bool = False) -> str:
    value = "true" if word.lower() in ("yes", "on") else "false"
    what = "key " if key else ""
    return (
        f"{what}`{word}` is read as the boolean {value} (YAML 1.1); "
        f'put it in quotes ("{word}") if you mean the word'
    )
