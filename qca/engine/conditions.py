"""Conditions on a whole segment: ``max_words`` and ``fallback`` codes (see ``docs/codebook.md``).

They apply to one batch's hits after every code has matched, in the serial run,
the ``--jobs`` workers and Dask alike (:func:`qca.engine.hits.code_batch`), and
to the hits the no-spaCy re-match computes (:mod:`qca.rematch`). A code's stored
hits (:mod:`qca.engine.store`) are those before these conditions: they depend on
the segment's words, which the conditions count from its text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from qca.engine.batch import HitColumns
from qca.engine.rules import Rules
from qca.engine.texts import LongText

#: A word, for ``max_words``: a run of letters, digits or underscores (``re``'s ``\w``).
WORD = re.compile(r"\w+")
#: The rule kind and rule text of a fallback code's hits.
FALLBACK = "fallback"


def count_words(text: str | LongText) -> int:
    """Return the number of words of *text*: its runs of ``\\w`` characters.

    A :class:`~qca.engine.texts.LongText` is counted window by window; a word cut
    by a window's end is counted once.

    Examples:
        >>> count_words("Didn't answer - N/A")
        5
    """
    if isinstance(text, str):
        return sum(1 for _ in WORD.finditer(text))
    count = 0
    word_before = False  # the last window ended in a word character
    for window in text.windows():
        count += count_words(window)
        if word_before and WORD.match(window):
            count -= 1
        word_before = WORD.match(window, len(window) - 1) is not None
    return count


def apply_conditions(hits: HitColumns, rules: Rules, texts: Sequence[str | LongText]) -> HitColumns:
    """Return *hits* on *texts* with ``max_words`` applied and the fallback codes' hits added.

    A hit of a code with ``max_words`` stays only in a segment of at most that many
    words. A fallback code then codes, as one hit over the whole text, each segment
    with at least one word (and at most its own ``max_words``) where no other code,
    fallback codes aside, kept a hit. Hits of *rules*' codes only are read: the
    fallback codes of a re-match of some codes see only those codes' hits.
    """
    if not rules.max_words and not rules.fallbacks:
        return hits
    words: dict[int, int] = {}

    def words_of(segment: int) -> int:
        if segment not in words:
            words[segment] = count_words(texts[segment])
        return words[segment]

    limits = rules.max_words
    keep = [
        n
        for n, (segment, code) in enumerate(zip(hits.segment, hits.code, strict=True))
        if code not in limits or words_of(segment) <= limits[code]
    ]
    if len(keep) < len(hits.segment):
        hits = hits.take(keep)
    if not rules.fallbacks:
        return hits
    fallbacks = frozenset(rules.fallbacks)
    matched = {s for s, c in zip(hits.segment, hits.code, strict=True) if c not in fallbacks}
    for code in rules.fallbacks:
        limit = limits.get(code)
        for segment, text in enumerate(texts):
            if segment in matched:
                continue
            count = words_of(segment)
            if count and (limit is None or count <= limit):
                hits.add(segment, (code, 0, FALLBACK, FALLBACK), (0, len(text), 0))
                hits.negated.append(False)
                hits.cue.append("")
    return hits
