"""Decode raw bytes, normalise text (NFC, LF, no BOM) and split off YAML front matter."""

from __future__ import annotations

import codecs
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


#: Bytes that never occur in text files: a NUL in the first block means "binary".
_SNIFF_BYTES = 8192
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
_LINE_ENDS = re.compile(r"\r\n?")


def sniff_bom(data: bytes) -> str | None:
    """Return the codec named by a byte-order mark at the start of *data*, if any."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def decode(data: bytes, path: str, encoding: str | None = None) -> tuple[str, list[Problem]]:
    """Decode a text file's bytes: the given encoding, else BOM, else UTF-8, else cp1252.

    Args:
        data: The raw bytes.
        path: The file name used in problems.
        encoding: An explicit encoding (``--encoding``) that overrides detection.

    Returns:
        The decoded text (BOM removed) and warnings (e.g. "decoded as cp1252").

    Raises:
        SkipFile: For an empty or binary file, an unknown encoding, or undecodable bytes.
    """
    if not data.strip():
        raise SkipFile(Problem(path, "file is empty; add the transcript text or remove the file"))
    if encoding is not None:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise SkipFile(
                Problem(path, f"unknown encoding {encoding!r}; use e.g. --encoding cp1252")
            ) from None
        try:
            return _strip_bom(data.decode(encoding)), []
        except UnicodeDecodeError as exc:
            raise SkipFile(
                Problem(
                    path,
                    f"cannot decode byte {exc.start} as {encoding}; "
                    "try another --encoding or save the file as UTF-8",
                )
            ) from None
    bom = sniff_bom(data)
    if bom is not None:
        try:
            return _strip_bom(data.decode(bom)), []
        except UnicodeDecodeError as exc:
            raise SkipFile(
                Problem(path, f"cannot decode byte {exc.start} as {bom}; save the file as UTF-8")
            ) from None
    if b"\x00" in data[:_SNIFF_BYTES]:
        raise SkipFile(
            Problem(path, "is a binary file, not text; remove it or convert it to UTF-8 text")
        )
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as exc:
        position = exc.start
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if text and not _CONTROL.search(text):
        warning = Problem(
            path,
            "not UTF-8; decoded as cp1252 (Windows Latin-1); "
            "check accented letters or pass --encoding",
            severity="warning",
        )
        return text, [warning]
    raise SkipFile(
        Problem(
            path,
            f"cannot decode byte {position} as UTF-8 or cp1252; "
            "save the file as UTF-8 or pass its encoding, e.g. --encoding latin-1",
        )
    )


def _strip_bom(text: str) -> str:
    return text[1:] if text.startswith("\ufeff") else text


def normalise(text: str) -> str:
    """Return *text* in NFC with LF line ends and no leading BOM.

    Examples:
        >>> normalise("\\ufeffCafe\\u0301\\r\\nok\\r")
        'Café\\nok\\n'
    """
    text = _strip_bom(text)
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
