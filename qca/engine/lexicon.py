"""Tokenise with spaCy once per distinct word, then by array lookups.

spaCy's tokenizer splits a text on whitespace first and tokenises each
whitespace-free *chunk* on its own (prefixes, suffixes, infixes, special
cases), caching the result per chunk. :class:`Lexicon` does the same at the
level of whole batches: the chunks of a batch are found with numpy, each chunk
never seen before is tokenised once, and every occurrence is then expanded from
the chunk's tokens with array operations. A new chunk that is one word, or a
word and one suffix, is split by :class:`Shortcut` with the tokenizer's own
rules; the others go to spaCy (all of a batch in one call, separated by line
breaks so that they cannot interact). The tokens are the blank pipeline's, whitespace
tokens left out, as :func:`qca.engine.pipeline.tokenize_with_spacy` makes them
(``tests/test_lexicon.py``; spaCy's ``1:) )`` is ``1 : ) )``, here ``1 :) )`` as in ``1:) x``).

A lexicon also numbers every distinct string once (per pipeline) and keeps, per
string, its matched form, its lemma and whether it ends a sentence, so matching
decides things per distinct word rather than per token.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from itertools import repeat
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt
    from spacy.language import Language

#: The highest code point Python (and spaCy) count as whitespace.
_WS_MAX = 0x3000
_WHITESPACE = np.zeros(_WS_MAX + 2, dtype=np.bool_)
_WHITESPACE[[c for c in range(_WS_MAX + 1) if chr(c).isspace()]] = True
_WHITESPACE.flags.writeable = False  # a constant table
assert not any(chr(c).isspace() for c in range(_WS_MAX + 1, sys.maxunicode + 1, 97))


class Grow:
    """A numpy array that grows by appending, by a quarter when full (less spare than twice, #16)."""

    def __init__(self, dtype: Any) -> None:
        self.data = np.zeros(1024, dtype=dtype)
        self.size = 0

    def extend(self, values: Any) -> None:
        values = np.asarray(values, dtype=self.data.dtype)
        need = self.size + len(values)
        if need > len(self.data):
            bigger = np.zeros(max(need, len(self.data) * 5 // 4), dtype=self.data.dtype)
            bigger[: self.size] = self.data[: self.size]
            self.data = bigger
        self.data[self.size : need] = values
        self.size = need

    @property
    def view(self) -> npt.NDArray[Any]:
        return self.data[: self.size]


def _never(text: str) -> None:
    """Match nothing (a tokenizer rule that is not set)."""
    return None


def _first_match(finditer: Callable[[str], Iterable[object]] | None) -> Callable[[str], object]:
    """Return a function giving the first match of *finditer* in a text, or None."""
    if finditer is None:
        return _never
    pattern = getattr(finditer, "__self__", None)
    if isinstance(pattern, re.Pattern) and getattr(finditer, "__name__", "") == "finditer":
        return pattern.search  # the first match of finditer is the leftmost one
    return lambda text: next(iter(finditer(text)), None)


@dataclass(frozen=True)
class Shortcut:
    """Split the easy chunks as spaCy's ``Tokenizer`` would, without calling it.

    It follows ``Tokenizer._split_affixes`` and ``_attach_tokens``
    (spacy/tokenizer.pyx) for two shapes only and leaves every other chunk to
    spaCy:

    * one token: the chunk is no special case and no prefix, suffix or infix
      rule matches it (then ``token_match`` and ``url_match`` change nothing);
    * a word, then a suffix: the chunk is no special case and no
      ``token_match``, no prefix rule matches it, the suffix rule matches a
      non-empty suffix after a non-empty word, neither the word nor the suffix
      is a special case, and the word is one token by the rule above.

    Special cases are compared as strings: after splitting, spaCy replaces a
    run of tokens only when the run's text is a special case
    (``_prepare_special_spans``), and the runs of these chunks are the word,
    the suffix and the whole chunk. A rule that matches an empty string, or
    any infix match at all, sends the chunk to spaCy.
    """

    prefix_search: Callable[[str], object] | None
    suffix_search: Callable[[str], re.Match[str] | None] | None
    infix_finditer: Callable[[str], Iterable[object]] | None
    token_match: Callable[[str], object] | None
    specials: frozenset[str]
    #: Strings found to be one token by the rule above (so not checked again).
    whole: set[str] = field(default_factory=set, compare=False)

    @classmethod
    def of(cls, tokenizer: Any) -> Shortcut:
        """Return the shortcut of a ``spacy.tokenizer.Tokenizer`` (its rules as they are now)."""
        return cls(
            tokenizer.prefix_search,
            tokenizer.suffix_search,
            tokenizer.infix_finditer,
            tokenizer.token_match,
            frozenset(tokenizer.rules or ()),
        )

    def cuts(self, chunks: Sequence[str]) -> list[int]:
        """Return per chunk 0 (one token), k (a word, then a suffix of k characters) or -1 (ask spaCy)."""
        prefix = self.prefix_search or _never
        suffix = self.suffix_search or _never
        infix = _first_match(self.infix_finditer)
        token_match = self.token_match or _never
        specials = self.specials
        whole = self.whole
        out: list[int] = []
        for chunk in chunks:
            if chunk in specials or prefix(chunk) is not None:
                out.append(-1)
                continue
            found = suffix(chunk)
            if found is None:
                if infix(chunk) is not None:
                    out.append(-1)
                else:
                    whole.add(chunk)
                    out.append(0)
                continue
            k = found.end() - found.start()
            if not 0 < k < len(chunk) or token_match(chunk) or chunk[-k:] in specials:
                out.append(-1)
                continue
            word = chunk[:-k]
            if word not in whole:
                if (
                    word in specials
                    or prefix(word) is not None
                    or suffix(word) is not None
                    or infix(word) is not None
                ):
                    out.append(-1)
                    continue
                whole.add(word)
            out.append(k)
        return out


@dataclass
class Lexicon:
    """Every distinct string and chunk one pipeline has seen (it lives as long as the pipeline).

    Args:
        lemma: Returns the lemma of a matched form (see :func:`qca.engine.pipeline.normalise`).
        normalise: Returns the matched form of a string.
        ends_sentence: Whether a token with this text ends a sentence.
    """

    lemma: Callable[[str], str]
    normalise: Callable[[str], str]
    ends_sentence: Callable[[str], bool]
    strings: list[str] = field(default_factory=list)
    ids: dict[str, int] = field(default_factory=dict)
    lowers: list[str] = field(default_factory=list)
    #: ``str.lower()`` (spaCy's ``LOWER``) -> the string's id, a list when several share it.
    by_lower: dict[str, int | list[int]] = field(default_factory=dict)
    _lemma_ids: Grow = field(default_factory=lambda: Grow(np.int32))
    _ends: Grow = field(default_factory=lambda: Grow(np.bool_))
    # chunk -> its tokens, as a CSR table over flat token arrays
    chunks: dict[str, int] = field(default_factory=dict)
    chunk_list: list[str] = field(default_factory=list)
    _chunk_first: Grow = field(default_factory=lambda: Grow(np.int64))
    _chunk_count: Grow = field(default_factory=lambda: Grow(np.int64))
    _token_start: Grow = field(default_factory=lambda: Grow(np.int32))
    _token_end: Grow = field(default_factory=lambda: Grow(np.int32))
    _token_string: Grow = field(default_factory=lambda: Grow(np.int32))
    #: How many chunks went to spaCy's tokenizer (the others were split by :class:`Shortcut`).
    spacy_chunks: int = 0
    _shortcut: tuple[object, Shortcut | None] | None = field(
        default=None, repr=False, compare=False
    )

    def intern(self, strings: Sequence[str]) -> npt.NDArray[np.int32]:
        """Return the ids of *strings*, numbering the new ones (and their lemmas)."""
        ids = self.ids
        queue = [s for s in dict.fromkeys(strings) if s not in ids]
        lemmas: list[str] = []
        while queue:  # a new string's lemma may be a new string too
            by_lower = self.by_lower
            for s in queue:
                ids[s] = len(self.strings)
                # one object for equal strings: most words are their own lower case (#16)
                lower = self.normalise(s)
                lower = s if lower == s else lower
                key = s.lower()
                key = lower if key == lower else key
                known = by_lower.get(key)  # no list for the many lower cases of one string
                if known is None:
                    by_lower[key] = ids[s]
                else:
                    by_lower[key] = [*known, ids[s]] if isinstance(known, list) else [known, ids[s]]
                self.strings.append(s)
                self.lowers.append(lower)
                lemmas.append(self.lemma(lower))
            self._ends.extend([self.ends_sentence(s) for s in queue])
            queue = [s for s in dict.fromkeys(lemmas[-len(queue) :]) if s not in ids]
        if lemmas:
            self._lemma_ids.extend([ids[s] for s in lemmas])
        return np.fromiter(map(ids.__getitem__, strings), dtype=np.int32, count=len(strings))

    @property
    def lemma_ids(self) -> npt.NDArray[np.int32]:
        """The lemma's string id of every string id."""
        return self._lemma_ids.view

    @property
    def sentence_ends(self) -> npt.NDArray[np.bool_]:
        """Whether each string id ends a sentence."""
        return self._ends.view

    # --- chunks ----------------------------------------------------------------

    def add_chunks(self, nlp: Language, chunks: Sequence[str]) -> None:
        """Tokenise new *chunks* and remember their tokens.

        Chunks that :class:`Shortcut` decides (one word, or a word and one
        suffix) are split here; the rest go to spaCy's tokenizer in one call.
        """
        new = [c for c in dict.fromkeys(chunks) if c not in self.chunks]
        if not new:
            return
        shortcut = self._shortcut_for(nlp)
        cuts = shortcut.cuts(new) if shortcut is not None else [-1] * len(new)
        number = len(self.chunks)
        counts = np.zeros(len(new), dtype=np.int64)
        firsts = np.zeros(len(new), dtype=np.int64)
        quick = [n for n, cut in enumerate(cuts) if cut >= 0]
        if quick:
            self._add_quick(
                [new[n] for n in quick], [cuts[n] for n in quick], counts, firsts, quick
            )
        slow = [n for n, cut in enumerate(cuts) if cut < 0]
        if slow:
            self._add_with_spacy(nlp, [new[n] for n in slow], counts, firsts, slow)
        self.spacy_chunks += len(slow)
        for offset, chunk in enumerate(new):
            self.chunks[chunk] = number + offset
        self.chunk_list += new
        self._chunk_first.extend(firsts)
        self._chunk_count.extend(counts)

    def _shortcut_for(self, nlp: Language) -> Shortcut | None:
        """Return the :class:`Shortcut` of *nlp*'s tokenizer (built once), or None if it has none."""
        from spacy.tokenizer import Tokenizer

        tokenizer = nlp.tokenizer
        if self._shortcut is None or self._shortcut[0] is not tokenizer:
            plain = type(tokenizer) is Tokenizer
            self._shortcut = (tokenizer, Shortcut.of(tokenizer) if plain else None)
        return self._shortcut[1]

    def _add_quick(
        self,
        chunks: list[str],
        cuts: list[int],
        counts: npt.NDArray[np.int64],
        firsts: npt.NDArray[np.int64],
        where: list[int],
    ) -> None:
        """Store *chunks* split by *cuts* (0: one token; k: the last k characters are a suffix)."""
        cut = np.asarray(cuts, dtype=np.int32)
        size = np.fromiter(map(len, chunks), dtype=np.int32, count=len(chunks))
        two = cut > 0
        many = 1 + two.astype(np.int64)
        counts[where] = many
        firsts[where] = self._token_string.size + np.cumsum(many) - many
        # tokens in order: each chunk's word, then its suffix when it has one
        split = size - cut
        starts = np.zeros(int(many.sum()), dtype=np.int32)
        ends = np.zeros(len(starts), dtype=np.int32)
        word_at = np.cumsum(many) - many
        ends[word_at] = split
        starts[word_at[two] + 1] = split[two]
        ends[word_at[two] + 1] = size[two]
        strings: list[str] = []
        for chunk, k in zip(chunks, cuts, strict=True):
            if k:
                strings += (chunk[:-k], chunk[-k:])
            else:
                strings.append(chunk)
        self._token_start.extend(starts)
        self._token_end.extend(ends)
        self._token_string.extend(self.intern(strings))

    def _add_with_spacy(
        self,
        nlp: Language,
        chunks: list[str],
        counts: npt.NDArray[np.int64],
        firsts: npt.NDArray[np.int64],
        where: list[int],
    ) -> None:
        """Tokenise *chunks* with spaCy's tokenizer (one call) and store their tokens."""
        from spacy.attrs import IDX, IS_SPACE, LENGTH, ORTH

        # A line break between chunks: whitespace, and a token of its own, so that
        # no special case of the tokenizer can join tokens of two chunks.
        joined = "\n".join(chunks)
        # in a memory zone (spaCy 3.8) its vocab keeps no lexeme or string of new tokens (#19)
        with getattr(nlp, "memory_zone", nullcontext)():
            doc = nlp.tokenizer(joined)
            table = doc.to_array([IDX, LENGTH, IS_SPACE, ORTH])
            del doc
            table = table[table[:, 2] == 0] if len(table) else table.reshape(0, 4)
            store = nlp.vocab.strings
            hashes, inverse = np.unique(table[:, 3], return_inverse=True)
            words = [store[int(h)] for h in hashes.tolist()]
        lengths = np.fromiter(map(len, chunks), dtype=np.int64, count=len(chunks))
        chunk_starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
        idx = table[:, 0].astype(np.int64)
        owner = np.searchsorted(chunk_starts, idx, side="right") - 1
        sids = self.intern(words)[inverse.reshape(-1)]
        many = np.bincount(owner, minlength=len(chunks)).astype(np.int64)
        counts[where] = many
        firsts[where] = self._token_string.size + np.cumsum(many) - many
        rel = (idx - chunk_starts[owner]).astype(np.int32)
        self._token_start.extend(rel)
        self._token_end.extend(rel + table[:, 1].astype(np.int32))
        self._token_string.extend(sids)

    def tokenize(self, nlp: Language, texts: Sequence[str]) -> TokenArrays:
        """Return the non-whitespace tokens of *texts* as arrays."""
        n = len(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=n)
        bases = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths + 1, out=bases[1:])
        joined = "\n".join(texts)
        codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        solid = ~_WHITESPACE[np.minimum(codes, _WS_MAX + 1)]
        edges = np.diff(solid.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
        chunk_starts = np.flatnonzero(edges == 1)
        chunk_texts = joined.split()
        if len(chunk_texts) != len(chunk_starts):  # pragma: no cover - a definition mismatch
            raise AssertionError("whitespace split and whitespace table disagree")
        # One dict lookup per chunk; only the chunks not known yet are looked at again.
        chunk_ids = np.fromiter(
            map(self.chunks.get, chunk_texts, repeat(-1)), dtype=np.int64, count=len(chunk_texts)
        )
        missing = np.flatnonzero(chunk_ids < 0)
        if len(missing):
            pending = [chunk_texts[i] for i in missing.tolist()]
            self.add_chunks(nlp, pending)
            chunk_ids[missing] = np.fromiter(
                map(self.chunks.__getitem__, pending), dtype=np.int64, count=len(pending)
            )
        counts = self._chunk_count.view[chunk_ids]
        firsts = self._chunk_first.view[chunk_ids]
        total = int(counts.sum())
        ends_before = np.cumsum(counts)
        within = np.arange(total, dtype=np.int64) - np.repeat(ends_before - counts, counts)
        flat = np.repeat(firsts, counts) + within
        starts = np.repeat(chunk_starts, counts) + self._token_start.view[flat]
        ends = np.repeat(chunk_starts, counts) + self._token_end.view[flat]
        strings = self._token_string.view[flat]
        bounds = np.searchsorted(starts, bases).astype(np.int32)
        owners = np.repeat(np.arange(n, dtype=np.int64), np.diff(bounds))
        starts = (starts - bases[owners]).astype(np.int32)
        ends = (ends - bases[owners]).astype(np.int32)
        chunk_bounds = np.searchsorted(chunk_starts, bases).astype(np.int32)
        return TokenArrays(bounds, starts, ends, strings.astype(np.int32), chunk_bounds, chunk_ids)


@dataclass
class TokenArrays:
    """Tokens of several texts: text ``k`` owns ``bounds[k]:bounds[k+1]``; offsets per text.

    ``chunk_ids`` numbers each whitespace-free chunk (see :attr:`Lexicon.chunk_list`);
    text ``k`` owns chunks ``chunk_bounds[k]:chunk_bounds[k+1]``.
    """

    bounds: npt.NDArray[np.int32]
    starts: npt.NDArray[np.int32]
    ends: npt.NDArray[np.int32]
    strings: npt.NDArray[np.int32]
    chunk_bounds: npt.NDArray[np.int32]
    chunk_ids: npt.NDArray[np.int64]
