"""Token arrays and per-code hits on disk: a dumb, content-addressed store.

It answers "what do I have, what is missing" for keys it is given, and stores
what it is handed; it never tokenises or matches (:func:`qca.engine.hits.code_batch`
does, and decides what to keep).

Each token entry holds the token arrays (:class:`qca.engine.pipeline.Tokens`)
of one batch of segment texts, as an ``.npz`` file (no pickles) named by the
sha256 of the texts (:func:`texts_key`) and filed under the pipeline's fingerprint::

    .qca-cache/<fingerprint[:16]>/<key[:2]>/<key>.npz

The archive has one uint8 member, ``entry``: the int32 token arrays, a stamp
(format, pipeline, key) and the entry's strings, so a load parses one header
and only strings new to the lexicon go through ``Lexicon.intern``.

Beside each entry, ``<key>.hits.json`` keeps the hits of each code on those
texts under the code's key (:meth:`qca.engine.rules.Rules.code_keys`), one list
per column of :data:`HIT_FIELDS`, so that re-coding after an edit matches only
the codes whose rules changed and joins the others' columns whole (#9).

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
import io
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

#: Bump when the layout of a token entry (``.npz``) changes; older entries are misses.
TOKENS_ENTRY_FORMAT = 3
#: Bump when the layout of a hits entry (``.hits.json``) changes; older entries are misses.
HITS_ENTRY_FORMAT = 3
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
        return self.folder / fingerprint[:16] / key[:2] / f"{key}.npz"

    def get_hits(
        self, fingerprint: str, key: str, code_keys: Sequence[str], lengths: npt.NDArray[np.int64]
    ) -> tuple[dict[str, CodeHits], list[int]]:
        """Return the stored hits of each of *code_keys* found, and the numbers of those missing."""
        entry = self.path(fingerprint, key).with_suffix(".hits.json")
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
        entry = self.path(fingerprint, key).with_suffix(".hits.json")
        _write_entry(entry, text.encode("utf-8"))

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

        # Only the strings this entry uses, numbered afresh (ids are per lexicon).
        used, inverse = np.unique(
            np.concatenate([tokens.orths, tokens.lemma_ids]), return_inverse=True
        )
        inverse = inverse.reshape(-1).astype(np.int32)
        strings = [tokens.strings[i] for i in used.tolist()]
        if any(_SEPARATOR in s for s in strings):
            return  # a NUL inside a token would not survive the join
        ints = np.concatenate(
            [
                tokens.bounds.astype("<i4"),
                tokens.starts.astype("<i4"),
                tokens.ends.astype("<i4"),
                tokens.sentence_starts.astype("<i4"),
                inverse.astype("<i4"),
            ]
        )
        stamp = f"{TOKENS_ENTRY_FORMAT}/{fingerprint}/{key}".encode()
        # One uint8 member: two little-endian uint64 (how many int32, the stamp's
        # length), the int32 (bounds, starts, ends, sentence starts, then the
        # orth and lemma string numbers), the stamp and the NUL-joined strings.
        raw = b"".join(
            [
                np.array([len(ints), len(stamp)], dtype="<u8").tobytes(),
                ints.tobytes(),
                stamp,
                _SEPARATOR.join(strings).encode("utf-8"),
            ]
        )
        buffer = io.BytesIO()
        np.savez(buffer, entry=np.frombuffer(raw, dtype=np.uint8))
        _write_entry(self.path(fingerprint, key), buffer.getvalue())


def _load_hits(entry: Path, key: str, lengths: npt.NDArray[np.int64]) -> dict[str, CodeHits]:
    """Return the stored columns of each code key, or {} when the entry is unusable."""
    import numpy as np

    try:
        data = json.loads(entry.read_bytes())
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

    try:
        data = entry.read_bytes()
    except OSError:
        return None
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as archive:
            raw = archive["entry"]  # one member: one header to parse, one CRC-32
        size, length = (int(v) for v in raw[:16].view("<u8"))
        at = 16 + 4 * size
        if raw.dtype != np.uint8 or raw.ndim != 1 or at + length > len(raw):
            return None
        stamp = raw[at : at + length].tobytes().decode("utf-8")
        if stamp != f"{TOKENS_ENTRY_FORMAT}/{pipeline.fingerprint}/{key}":
            return None
        ints = raw[16:at].view("<i4")
        joined = raw[at + length :].tobytes().decode("utf-8")
    except Exception:  # noqa: BLE001 - any unreadable entry is a miss
        return None  # corrupt or foreign
    count = len(lengths)
    n, rest = divmod(len(ints) - count - 1, 5)
    if n < 0 or rest:
        return None
    bounds = ints[: count + 1]
    starts, ends, flags, orths, lemma_ids = ints[count + 1 :].reshape(5, n)
    strings = joined.split(_SEPARATOR) if joined else []
    if int(bounds[0]) != 0 or int(bounds[-1]) != n:
        return None
    if n:
        sizes = np.diff(bounds)
        if np.any(sizes < 0) or np.any(starts < 0) or np.any(ends < starts):
            return None
        if np.any(ends > np.repeat(lengths, sizes)):
            return None
        ids = ints[count + 1 + 3 * n :]
        if int(ids.min()) < 0 or int(ids.max()) >= len(strings):
            return None
    ids = _intern(pipeline, strings)
    return Tokens(
        bounds.astype(np.int32),
        starts.astype(np.int32),
        ends.astype(np.int32),
        flags.astype(np.bool_),
        ids[orths],
        ids[lemma_ids],
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
    themselves when read (an ``.npz`` member has a CRC-32, a ``.hits.json`` must
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
