"""Read dictionaries in other formats (quanteda YAML, LIWC, WordStat, REFI-QDA) as codebooks.

Every reader builds a small category tree (:class:`Category`); one mapping turns
the tree into a :class:`Codebook` and back, so every format maps the same way:

- a top-level category becomes a theme;
- a top-level category with entries and no sub-categories (a flat dictionary)
  becomes a theme with one code of the same id;
- the entries a top-level category has next to its sub-categories go to a code
  with the theme's id; sub-categories become codes, deeper ones sub-codes
  (``parent.child``);
- a code name used under two themes is qualified as ``theme.name`` (ids are
  unique in a codebook); writers strip that prefix again.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from qca.codebook.categories import categories_to_codebook
from qca.codebook.dictionary_readers import (
    read_dicx,
    read_liwc,
    read_qdc,
    read_quanteda,
    read_wordstat,
)
from qca.codebook.model import Codebook
from qca.errors import CodebookError, Problem

#: Formats read, by name, with their file suffixes.
READ_FORMATS: dict[str, tuple[str, ...]] = {
    "qca": (".yaml", ".yml"),
    "quanteda": (".yaml", ".yml"),
    "liwc": (".dic",),
    "dicx": (".dicx",),
    "wordstat": (".cat",),
    "qdc": (".qdc",),
}
_FORMATS_READ = (
    "qca or quanteda YAML (.yaml, .yml), LIWC (.dic, .dicx), WordStat (.cat) and REFI-QDA (.qdc)"
)


def dictionary_format(path: Path) -> str:
    """Return the format name of a dictionary file, from its suffix and (for YAML) content.

    Raises:
        CodebookError: When the suffix is not one qca reads.
    """
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "qca" if _has_themes(path) else "quanteda"
    for name, suffixes in READ_FORMATS.items():
        if suffix in suffixes:
            return name
    raise CodebookError(
        problems=[
            Problem(
                str(path),
                f"unknown dictionary format `{suffix or path.name}`; qca reads {_FORMATS_READ}",
            )
        ]
    )


def _has_themes(path: Path) -> bool:
    try:
        head = path.read_bytes()
    except OSError:
        return True  # let the codebook reader report the missing file
    return re.search(rb"^themes[ \t]*:", head, re.MULTILINE) is not None


def load_dictionary(path: str | Path, *, language: str = "en") -> tuple[Codebook, list[Problem]]:
    """Read a codebook or dictionary in any supported format.

    Args:
        path: The file; its format comes from the suffix (and, for YAML, from
            whether it has a top-level ``themes:`` mapping).
        language: The language of a dictionary's entries (qca YAML says its own).

    Returns:
        The codebook, and warnings about what the reader could not carry over.

    Raises:
        CodebookError: When the file is missing, unreadable or malformed.
    """
    from qca.codebook.read import load_codebook

    file = Path(path)
    shown = str(path)
    fmt = dictionary_format(file)
    if fmt == "qca":
        codebook, problems = load_codebook(file)
        if codebook is None:
            raise CodebookError(problems=[p for p in problems if p.is_error])
        return codebook, []  # qca YAML carries everything; `check` reports its warnings
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise CodebookError(problems=[Problem(shown, "no such file; check the path")]) from None
    except OSError as exc:
        raise CodebookError(
            problems=[Problem(shown, f"cannot read the file: {exc.strerror}")]
        ) from None
    reader = {
        "quanteda": read_quanteda,
        "liwc": read_liwc,
        "dicx": read_dicx,
        "wordstat": read_wordstat,
        "qdc": read_qdc,
    }[fmt]
    categories, problems = reader(raw, shown)
    codebook = categories_to_codebook(
        categories,
        name=file.stem,
        language=language,
        path=file,
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    return codebook, problems


def read_dictionary(path: str | Path, *, language: str = "en") -> Codebook:
    """Read a codebook or dictionary in any supported format as a :class:`Codebook`.

    Formats: qca YAML, quanteda YAML (``.yml``/``.yaml``), LIWC ``.dic`` and
    ``.dicx``, WordStat ``.cat`` and REFI-QDA ``.qdc``. Use
    :func:`load_dictionary` to also get the warnings.

    Examples:
        >>> codebook = read_dictionary("mfd2.0.dic")  # doctest: +SKIP
        >>> codebook.themes[0].id  # doctest: +SKIP
        'care.virtue'
    """
    return load_dictionary(path, language=language)[0]
