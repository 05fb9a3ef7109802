"""Token arrays and per-code hits on disk: a dumb, content-addressed store.

It answers "what do I have, what is missing" for keys it is given, and stores
what it is handed; it never tokenises or matches (:func:`qca.engine.hits.code_batch`
does, and decides what to keep).

Each token entry holds the token arrays (:class:`qca.engine.pipeline.Tokens`)
of one batch of segment texts, packed (:mod:`qca.packed`: narrowed
integers, zstd, a CRC-32) and named by the sha256 of the texts (:func:`texts_key`),
filed under the pipeline's fingerprint::

    .qca-cache/<fingerprint[:16]>/<key[:2]>/<key>.tok

It keeps what cannot be derived (#16: the cache at most twice the corpus text):
a stamp (format, pipeline, key), the tokens per text, each token's gap from the
end of the token before it and its string's number in the entry, the sentence
starts as bits, each string's lemma (per token only when a string has several,
as a model may give), and the entry's strings NUL-joined. A token's end is its
start plus its string's length. Only strings new to the lexicon go through
``Lexicon.intern`` when it is loaded.

Beside each entry, ``<key>.hits`` keeps the hits of each code on those texts
under the code's key (:meth:`qca.engine.rules.Rules.code_keys`), one list per
column of :data:`HIT_FIELDS`, as JSON in a packed (zstd) blob, so that
re-coding after an edit matches only the codes whose rules changed and joins
the others' columns whole (#9).

Entries are written atomically (a temporary file renamed). An entry that is
corrupt, truncated, foreign (another key, pipeline or format inside) or
inconsistent with its texts is a miss; a folder that cannot be written is used
read-only or not at all. An entry found is touched (its mtime set to now), so that
``qca cache prune`` (:mod:`qca.cachedir`) keeps what is used. Deleting the folder
is always safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import operator
import os
import tempfile
from collections.abc import Sequence
from itertools import compress, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.engine.pipeline import Pipeline, Tokens
from qca.io import touch

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from qca.engine.corpus_tokens import CorpusRecorder

_SEPARATOR = "\x00"

#: Bump when the layout of a token entry (``.tok``) changes; older entries are misses.
TOKENS_ENTRY_FORMAT = 4
#: Bump when the layout of a hits entry (``.hits``) changes; older entries are misses.
HITS_ENTRY_FORMAT = 4
#: The columns of :class:`qca.engine.batch.HitColumns` kept per code, in this order.
HIT_FIELDS = ("segment", "order", "kind", "rule", "start", "end", "token", "negated", "cue")

#: One code's stored hits: a list per column of :data:`HIT_FIELDS`.
CodeHits = list[list[Any]]


def texts_key(fingerprint: str, texts: Sequence[str]) -> str:
    """Return the store key of *texts* tokenised by the pipeline with *fingerprint*."""
    import numpy as np

    # The lengths (in code points) and the joined text decide the texts: one
    # hash update for the lot instead of two per text.
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    digest = hashlib.sha256(fingerprint.encode("utf-8"))
    digest.update(f"{len(texts)}:".encode())
    digest.update(lengths.astype("<i8").tobytes())
    digest.update("".join(texts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def text_lengths(texts: Sequence[str]) -> npt.NDArray[np.int64]:
    """Return the length of each text (entries are checked against them)."""
    import numpy as np

    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


class TokenStore:
    """Token arrays and per-code hits on disk under *folder*.

    ``hits`` and ``misses`` count token lookups (for the run summary and tests).
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.hits = 0
        self.misses = 0
        #: Set by a run that saves one token file for the whole corpus (see
        #: :mod:`qca.engine.corpus_tokens`): every batch's tokens are recorded there.
        self.corpus: CorpusRecorder | None = None

    def path(self, fingerprint: str, key: str) -> Path:
        """Return the file of the token entry *key* of the pipeline with *fingerprint*."""
        return self.folder / fingerprint[:16] / key[:2] / f"{key}.tok"

    def get_hits(
        self, fingerprint: str, key: str, code_keys: Sequence[str], lengths: npt.NDArray[np.int64]
    ) -> tuple[dict[str, CodeHits], list[int]]:
        """Return the stored hits of each of *code_keys* found, and the numbers of those missing."""
        entry = self.path(fingerprint, key).with_suffix(".hits")
        stored = _load_hits(entry, key, lengths)
        if stored:
            touch(entry)
        found = {k: stored[k] for k in code_keys if k in stored}
        return found, [n for n, k in enumerate(code_keys) if k not in found]

    def put_hits(self, fingerprint: str, key: str, codes: dict[str, CodeHits]) -> None:
        """Store the hits of each code key in *codes* (the entry holds only these)."""
        text = json.dumps(
            {"stamp": f"{HITS_ENTRY_FORMAT}/{key}", "codes": codes},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        from qca.packed import pack

        entry = self.path(fingerprint, key).with_suffix(".hits")
        _write_entry(entry, pack({"json": text.encode("utf-8")}))

    def get_tokens(
        self, pipeline: Pipeline, key: str, lengths: npt.NDArray[np.int64]
    ) -> Tokens | None:
        """Return the stored tokens of *key* (strings interned in *pipeline*'s lexicon), or None."""
        entry = self.path(pipeline.fingerprint, key)
        tokens = _load_tokens(entry, key, pipeline, lengths)
        if tokens is None:
            self.misses += 1
        else:
            touch(entry)
            self.hits += 1
        return tokens

    def put_tokens(self, fingerprint: str, key: str, tokens: Tokens) -> None:
        """Store *tokens* under *key* (a token holding a NUL is not kept)."""
        import numpy as np

        from qca.packed import gaps, pack

        # Only the strings this entry uses, numbered afresh (ids are per lexicon).
        count = len(tokens.orths)
        used, inverse = np.unique(
            np.concatenate([tokens.orths, tokens.lemma_ids]), return_inverse=True
        )
        inverse = inverse.reshape(-1)
        orths, lemmas = inverse[:count], inverse[count:]
        strings = [tokens.strings[i] for i in used.tolist()]
        if any(_SEPARATOR in s for s in strings):
            return  # a NUL inside a token would not survive the join
        lengths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))
        if not np.array_equal(tokens.ends - tokens.starts, lengths[orths]):
            return  # a token that is not its string: its end could not be derived
        arrays: dict[str, Any] = {
            "stamp": f"{TOKENS_ENTRY_FORMAT}/{fingerprint}/{key}".encode(),
            "sizes": np.diff(tokens.bounds),
            "gaps": gaps(tokens.bounds, tokens.starts, tokens.ends),
            "orths": orths,
            "sentence": np.asarray(tokens.sentence_starts, dtype=np.bool_),
        }
        # A lemma per string when each string has one (the lookup lemmatizer's
        # tokens), else per token (a model's).
        lemma_of = np.full(len(strings), -1, dtype=np.int64)
        lemma_of[orths] = lemmas
        if np.array_equal(lemma_of[orths], lemmas):
            arrays["lemma_of"] = lemma_of
        else:
            arrays["lemmas"] = lemmas
        arrays["strings"] = _SEPARATOR.join(strings).encode("utf-8", "surrogatepass")
        _write_entry(self.path(fingerprint, key), pack(arrays))


def _load_hits(entry: Path, key: str, lengths: npt.NDArray[np.int64]) -> dict[str, CodeHits]:
    """Return the stored columns of each code key, or {} when the entry is unusable."""
    import numpy as np

    from qca.packed import unpack

    try:
        data = json.loads(bytes(unpack(entry.read_bytes())["json"]))
        if data["stamp"] != f"{HITS_ENTRY_FORMAT}/{key}":
            return {}
        codes: dict[str, CodeHits] = data["codes"]
        offsets: list[list[int]] = [[], [], []]
        for columns in codes.values():
            if len(columns) != len(HIT_FIELDS):
                return {}
            size = len(columns[0])
            if any(len(column) != size for column in columns):
                return {}
            offsets[0] += columns[0]
            offsets[1] += columns[4]
            offsets[2] += columns[5]
        if offsets[0]:
            segment, start, end = (np.asarray(o) for o in offsets)
            if any(a.dtype.kind != "i" for a in (segment, start, end)):
                return {}
            if segment.min() < 0 or segment.max() >= len(lengths):
                return {}
            if np.any(start < 0) or np.any(end <= start) or np.any(end > lengths[segment]):
                return {}
    except Exception:  # noqa: BLE001 - any unreadable entry is a miss
        return {}
    return codes


def _load_tokens(
    entry: Path, key: str, pipeline: Pipeline, lengths: npt.NDArray[np.int64]
) -> Tokens | None:
    import numpy as np

    from qca.packed import PackError, starts_from_gaps, unpack

    try:
        data = entry.read_bytes()
    except OSError:
        return None
    try:
        arrays = unpack(data)
        stamp = bytes(arrays["stamp"]).decode("utf-8")
        if stamp != f"{TOKENS_ENTRY_FORMAT}/{pipeline.fingerprint}/{key}":
            return None
        joined = bytes(arrays["strings"]).decode("utf-8", "surrogatepass")
        sizes, steps, orths, flags = (
            np.asarray(arrays[name]) for name in ("sizes", "gaps", "orths", "sentence")
        )
        lemma_of = arrays.get("lemma_of")
        per_token = arrays.get("lemmas")
    except (PackError, KeyError, UnicodeDecodeError):
        return None  # corrupt or foreign
    strings = joined.split(_SEPARATOR) if joined else []
    n = len(orths)
    if len(sizes) != len(lengths) or len(steps) != n or len(flags) != n:
        return None
    if n and (int(orths.min()) < 0 or int(orths.max()) >= len(strings)):
        return None
    if lemma_of is not None:
        lemma_of = np.asarray(lemma_of)
        if len(lemma_of) != len(strings):
            return None
        lemmas = lemma_of[orths]
    elif per_token is not None:
        lemmas = np.asarray(per_token)
        if len(lemmas) != n:
            return None
    else:
        return None
    if n and (int(lemmas.min()) < 0 or int(lemmas.max()) >= len(strings)):
        return None
    bounds = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=bounds[1:])
    if (len(sizes) and int(sizes.min()) < 0) or int(bounds[-1]) != n:
        return None
    widths = np.fromiter(map(len, strings), dtype=np.int64, count=len(strings))[orths]
    starts = starts_from_gaps(bounds, steps, widths)
    ends = starts + widths
    if n and (int(starts.min()) < 0 or np.any(ends > np.repeat(lengths, sizes))):
        return None
    ids = _intern(pipeline, strings)
    return Tokens(
        bounds.astype(np.int32),
        starts.astype(np.int32),
        ends.astype(np.int32),
        flags.astype(np.bool_),
        ids[orths],
        ids[lemmas],
        pipeline.lexicon,
    )


def _intern(pipeline: Pipeline, strings: list[str]) -> npt.NDArray[np.int32]:
    """Return the lexicon ids of *strings*, as ``lexicon.intern(strings)`` would.

    The strings the lexicon knows (most of them, after the first few entries) are
    looked up in one C-level pass; only the new ones go through ``intern``, in the
    same order, so they get the same ids.
    """
    import numpy as np

    lexicon = pipeline.lexicon
    found = list(map(lexicon.ids.get, strings))
    if None in found:
        lexicon.intern(list(compress(strings, map(operator.is_, found, repeat(None)))))
        return np.fromiter(map(lexicon.ids.__getitem__, strings), np.int32, len(strings))
    return np.array(found, dtype=np.int32)


def _write_entry(entry: Path, data: bytes) -> bool:
    """Write a token or hits entry atomically; return False when the folder cannot be written.

    A temporary file renamed over the entry, without ``fsync``: both kinds check
    themselves when read (a packed blob has a CRC-32, a hits entry's JSON must
    parse and carry its stamp), so one torn by a power cut is rebuilt, and the
    warm re-code of issue #9 rewrites every hits entry (an fsync costs ~4 ms each).
    The store only saves time: a folder we cannot write is not an error.
    """
    try:
        entry.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{entry.name}.", suffix=".tmp", dir=entry.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(temp, entry)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        return False
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise
    return True
