"""The ``--dry-run`` review: every replacement with its count and context, and words to check.

A capitalised word in the middle of a sentence that is in no list and is never
written in lower case anywhere in the files may be a name qca does not know: it is
listed (kind ``unlisted``) so that the researcher can add it to the names file.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

#: Characters after which a capital letter starts a sentence, not a name.
_SENTENCE_END = frozenset(".!?:;\n\"“”'‘’([-–—*>#\ufeff")
#: Capitalised words that are not names (besides sentence starts).
_COMMON = frozenset(
    {"i", "i'm", "i've", "i'd", "i'll", "i’m", "i’ve", "i’d", "i’ll", "ok", "okay", "mm", "hmm"}
    | {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
    | {"january", "february", "march", "april", "may", "june", "july", "august"}
    | {"september", "october", "november", "december", "christmas", "easter"}
    | {"oh", "ah", "aha", "uh", "um", "er", "erm", "yes", "yeah", "no", "well", "so", "right"}
)

_SPACE = re.compile(r"\s+")


def context(text: str, start: int, end: int, width: int = 30) -> str:
    """Return the text around ``text[start:end]``, the span in brackets, whitespace collapsed.

    Examples:
        >>> context("We asked Anna's team.", 9, 13, 8)
        "e asked [Anna]'s team."
    """
    before = _SPACE.sub(" ", text[max(start - width, 0) : start]).lstrip()
    after = _SPACE.sub(" ", text[end : end + width]).rstrip()
    return f"{before}[{text[start:end]}]{after}"


def unlisted_words(
    texts: Iterable[str],
    known: set[str],
    shared: Sequence[str],
    roles: Iterable[str] = (),
    lower: Collection[str] | None = None,
) -> list[tuple[str, int, str]]:
    """Return ``(word, count, context)`` for capitalised words that may be unlisted names.

    Examples:
        >>> unlisted_words(["We met Olle there. Olle said so."], set(), [])
        [('Olle', 1, 'We met [Olle] there. Olle said so.')]
    """
    from qca.ingest.labels import NOT_SPEAKERS, ROLE_WORDS
    from qca.pseudonymise.names import WORD, lowercase_words

    ignore = {w.lower() for w in roles} | ROLE_WORDS | NOT_SPEAKERS
    texts = list(texts)
    if lower is None:
        lower = lowercase_words(texts)
    counts: dict[str, int] = {}
    contexts: dict[str, str] = {}
    known_words = {w for form in known for w in form.split()}
    for text in texts:
        for match in WORD.finditer(text):
            word = re.sub(r"['’]s?$", "", match.group())
            if not word[0].isupper() or word.isupper() or word.lower() in lower:
                continue
            if word.lower() in _COMMON or word.lower() in ignore:
                continue
            if word in known_words and word not in shared:
                continue
            before = text[: match.start()].rstrip(" \t")
            if not before or before[-1] in _SENTENCE_END:
                continue
            counts[word] = counts.get(word, 0) + 1
            if word not in contexts:
                start, end = match.span()
                contexts[word] = context(text, start, end)
    return [(w, counts[w], contexts[w]) for w in sorted(counts)]


def review_table(
    rows: Sequence[tuple[str, str, str, str, str]], flagged: Sequence[tuple[str, int, str]]
) -> pd.DataFrame:
    """Return one row per form replaced (kind, original, pseudonym, count, files, context).

    Then one row per unlisted word (kind ``unlisted``, no pseudonym). Sorted by kind,
    original, pseudonym.
    """
    import pandas as pd

    from qca.models import PSEUDONYMISE_REVIEW_COLUMNS

    grouped: dict[tuple[str, str, str], list[str]] = {}
    contexts: dict[tuple[str, str, str], str] = {}
    for kind, original, pseudonym, file, context in rows:
        grouped.setdefault((kind, original, pseudonym), []).append(file)
        contexts.setdefault((kind, original, pseudonym), context)
    table = [
        (kind, original, pseudonym, len(files), " ".join(dict.fromkeys(files)), contexts[k])
        for k in sorted(grouped)
        for kind, original, pseudonym in [k]
        for files in [grouped[k]]
    ]
    table += [("unlisted", word, "", count, "", context) for word, count, context in flagged]
    return pd.DataFrame(table, columns=list(PSEUDONYMISE_REVIEW_COLUMNS))
