"""Code a very long segment in pieces, so that memory stays flat whatever its length.

A segment is tokenised and matched as one text; its token arrays and the
tokeniser's working arrays take about 40 bytes per character at their peak, so
one 50 MB segment (a transcript saved as one line, with no speaker labels) took
over 2 GB (#19). A segment longer than :data:`PIECE_CHARS` is cut into pieces of
at most that many characters, each coded on its own, and its hits are shifted
back to offsets in the segment.

Cuts are at whitespace right after a token that ends a sentence (all
``.!?…``), so each piece's tokens and sentence starts are exactly those of the
whole segment: spaCy tokenises each whitespace-free chunk on its own, and the
engine starts a sentence after such a token anyway. A hit can therefore differ
from the whole segment's only when its rule reaches across a sentence end (a
phrase or token pattern with ``.``/``!``/``?`` inside, a regex running past
one, or one with anchors or lookarounds at a piece's ends). A stretch of
:data:`PIECE_CHARS` characters with no sentence end is cut at whitespace, and
one with no whitespace at all is not cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from typing import TYPE_CHECKING

from qca.engine.batch import HitColumns
from qca.engine.pipeline import Pipeline, ends_sentence
from qca.engine.texts import LongText, column_texts

if TYPE_CHECKING:
    import pandas as pd

    from qca.engine.store import TokenStore

#: A segment's text: a ``str``, or one over :data:`PIECE_CHARS` characters as a LongText.
Text = str | LongText

#: Longest text coded in one piece, in characters (a turn of a transcript is far shorter).
PIECE_CHARS = 250_000

#: Characters of text matched in one call: a batch's texts past this are matched in slices
#: of whole segments, so that the token arrays of a call stay about this size whatever the
#: batch. A transcript of a million words is one batch of ~7 MB, and coding it at once took
#: ~140 MB above the run's state; 1 MB slices take ~30 MB (docs/performance.md, #16).
SLICE_CHARS = 1_000_000

#: A sentence-end character followed by whitespace: where a cut may go.
_CANDIDATE = re.compile(r"[.!?\u2026](?=\s)")
_WHITESPACE_AFTER_SOLID = re.compile(r"(?<=\S)\s")


def _chunk_before(text: str, end: int) -> str:
    """Return the whitespace-free run of *text* that ends at *end*."""
    start = end
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    return text[start:end]


def _cut(text: Text, start: int, limit: int, ends_with_sentence: Callable[[str], bool]) -> int:
    """Return where the piece that starts at *start* ends (at most *limit*, at whitespace).

    Only ``text[start:limit + 1]`` is looked at (*start* is 0 or at whitespace, so no
    chunk reaches before it), unless no whitespace follows a non-space there.
    """
    window = text[start : limit + 1]
    candidates = [m.end() for m in _CANDIDATE.finditer(window, 1, limit - start)]
    for cut in reversed(candidates):
        if ends_with_sentence(_chunk_before(window, cut)):
            return start + cut
    last = None
    for found in _WHITESPACE_AFTER_SOLID.finditer(window, 1):
        last = found.start()
    if last is not None:
        return start + last
    size = max(limit - start, 1)
    at = limit
    while at < len(text):  # one character before each stretch, for the lookbehind
        after = _WHITESPACE_AFTER_SOLID.search(text[at - 1 : at + size], 1)
        if after is not None:
            return at - 1 + after.start()
        at += size
    return len(text)


def piece_starts(text: Text, size: int, ends_with_sentence: Callable[[str], bool]) -> list[int]:
    """Return the offsets where the pieces of *text* start (the first is 0).

    Args:
        text: A segment's text (a ``str`` or a :class:`~qca.engine.texts.LongText`).
        size: The longest piece wanted, in characters.
        ends_with_sentence: Whether a whitespace-free chunk's last token ends a sentence.

    Examples:
        >>> piece_starts("One. Two. Three.", 10, lambda chunk: chunk.endswith("."))
        [0, 9]
    """
    return list(_piece_starts(text, size, ends_with_sentence))


def _piece_starts(
    text: Text, size: int, ends_with_sentence: Callable[[str], bool]
) -> Iterator[int]:
    """Yield :func:`piece_starts` one at a time (a piece is cut when the one before is done)."""
    start = 0
    yield start
    while len(text) - start > size:
        start = _cut(text, start, start + size, ends_with_sentence)
        if start >= len(text):
            break
        yield start


def segment_texts(column: pd.Series) -> list[Text]:
    """Return a segments table's texts: those of over :data:`PIECE_CHARS` characters left
    in the table's Arrow buffer (:class:`~qca.engine.texts.LongText`), the others as ``str``.
    """
    return column_texts(column, PIECE_CHARS)


def match_pieces(
    match: Callable[..., HitColumns],
    texts: Sequence[Text],
    positions: Sequence[int],
    pipeline: Pipeline,
    store: TokenStore | None = None,
) -> HitColumns:
    """Return the hits *match* finds on *texts*, the long ones matched piece by piece.

    Args:
        match: ``match(texts, positions=...)`` matches some texts at some positions of
            the batch (:func:`qca.engine.hits.match_texts` with the run's engine and store).
        texts: The texts of one language group of a batch.
        positions: Their rows in the batch.
        pipeline: Their pipeline (its tokenizer decides where sentences end).
        store: The run's token store: a run that cuts a segment records no corpus
            token file in it (a codebook edit then codes as a full run).

    Texts up to :data:`PIECE_CHARS` long are matched together, as without pieces;
    each longer one piece by piece (see the module's docstring). ``token`` of a
    piece's hits counts from the piece's first token.
    """
    size = PIECE_CHARS
    long = [n for n, text in enumerate(texts) if len(text) > size]
    if not long:
        return match(texts, positions=positions)
    if store is not None and store.corpus is not None:
        store.corpus.valid = False  # its file keeps one token run per segment
    short = [n for n, text in enumerate(texts) if len(text) <= size]
    out = HitColumns()
    if short:
        found = match([texts[n] for n in short], positions=[positions[n] for n in short])
        _extend(out, found, short, 0)
    tokenizer = pipeline.nlp.tokenizer

    def ends_with_sentence(chunk: str) -> bool:
        tokens = tokenizer(chunk)
        return len(tokens) > 0 and ends_sentence(tokens[-1].text)

    for n in long:
        text = texts[n]
        starts = _piece_starts(text, size, ends_with_sentence)
        start = next(starts)
        # each piece is cut, then matched: a LongText decodes its characters once
        for end in chain(starts, [len(text)]):
            _extend(out, match([text[start:end]], positions=[positions[n]]), [n], start)
            start = end
    return out


def match_slices(
    match: Callable[..., HitColumns],
    texts: Sequence[Text],
    positions: Sequence[int],
    pipeline: Pipeline,
    store: TokenStore | None = None,
) -> HitColumns:
    """Return :func:`match_pieces`' hits on *texts*, matched in slices of whole segments.

    Consecutive texts are matched together until they hold :data:`SLICE_CHARS`
    characters; each hit's ``segment`` indexes *texts* as without slices. A segment's
    hits do not depend on the others matched with it, so the hits are the same.
    """
    bounds = slice_bounds([len(text) for text in texts], SLICE_CHARS)
    if len(bounds) <= 1:
        return match_pieces(match, texts, positions, pipeline, store)
    out = HitColumns()
    for first, last in bounds:
        found = match_pieces(match, texts[first:last], positions[first:last], pipeline, store)
        _extend(out, found, range(first, last), 0)
    return out


def slice_bounds(lengths: Sequence[int], limit: int) -> list[tuple[int, int]]:
    """Return ``(first, last)`` of consecutive runs of *lengths* that reach *limit* in total.

    Examples:
        >>> slice_bounds([4, 4, 4, 1], 6)
        [(0, 2), (2, 4)]
    """
    bounds: list[tuple[int, int]] = []
    first = total = 0
    for n, length in enumerate(lengths):
        total += length
        if total >= limit:
            bounds.append((first, n + 1))
            first, total = n + 1, 0
    if first < len(lengths):
        bounds.append((first, len(lengths)))
    return bounds


def _extend(out: HitColumns, found: HitColumns, owners: Sequence[int], offset: int) -> None:
    """Append *found* to *out*: its segment ``k`` is ``owners[k]``, its offsets moved by *offset*."""
    out.segment += [owners[k] for k in found.segment]
    out.code += found.code
    out.order += found.order
    out.kind += found.kind
    out.rule += found.rule
    out.start += [s + offset for s in found.start] if offset else found.start
    out.end += [e + offset for e in found.end] if offset else found.end
    out.token += found.token
    out.negated += found.negated
    out.cue += found.cue
