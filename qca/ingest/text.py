"""Normalise decoded text (NFC, LF, no BOM) and split off YAML front matter."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from qca.errors import Problem


class SkipFile(Exception):  # noqa: N818 - a signal, not an error shown as such
    """Raised by a reader when a file cannot be read; carries the problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


_LINE_ENDS = re.compile(r"\r\n?")


def strip_bom(text: str) -> str:
    """Return *text* without a leading byte-order mark."""
    return text[1:] if text.startswith("\ufeff") else text


def normalise(text: str) -> str:
    """Return *text* in NFC with LF line ends and no leading BOM.

    Examples:
        >>> normalise("\\ufeffCafe\\u0301\\r\\nok\\r")
        'Café\\nok\\n'
    """
    text = strip_bom(text)
    if "\r" in text:
        text = _LINE_ENDS.sub("\n", text)
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


@dataclass(frozen=True)
class FrontMatter:
    """Attributes from a YAML front-matter block and the text after it."""

    attributes: dict[str, Any]
    body: str


def split_front_matter(text: str, path: str) -> FrontMatter:
    """Split a leading ``---`` YAML block off normalised *text*.

    Raises:
        SkipFile: When the block is not valid YAML or not a mapping.
    """
    match = _FRONT_MATTER.match(text) if text.startswith("---") else None
    if match is None:
        return FrontMatter({}, text)
    import yaml

    from qca.yamlbounds import check_yaml

    limit = check_yaml(match.group(1) or "")
    if limit is not None:
        raise SkipFile(Problem(path, limit.message, limit.line + 1, limit.col, "front matter"))
    try:
        loaded = yaml.safe_load(match.group(1) or "")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        col = mark.column + 1 if mark is not None else None
        reason = getattr(exc, "problem", None) or "invalid YAML"
        raise SkipFile(
            Problem(
                path, f"{reason}; fix the YAML between the --- lines", line, col, "front matter"
            )
        ) from None
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise SkipFile(
            Problem(
                path,
                "is not a mapping; write one 'key: value' per line between the --- lines",
                2,
                1,
                "front matter",
            )
        )
    return FrontMatter({str(k): v for k, v in loaded.items()}, text[match.end() :])


def attribute_value(value: Any) -> str | None:
    """Return an attribute value as a string (None for null)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if isinstance(value, float) and value != value:
        return None
    return str(value)


_WHITESPACE = re.compile(r"\s")


def count_words(text: str, step: int = 1 << 20) -> int:
    """Return ``len(text.split())`` without a list of every word of a long text.

    A text longer than *step* characters is split in slices cut at whitespace, so
    a 50 MB one-line transcript does not hold millions of words at once (#19).

    Examples:
        >>> count_words("one two  three\\nfour", step=5)
        4
    """
    if len(text) <= step:
        return len(text.split())
    count = start = 0
    while start < len(text):
        found = _WHITESPACE.search(text, start + step) if start + step < len(text) else None
        end = found.start() if found is not None else len(text)
        count += len(text[start:end].split())
        start = end
    return count
