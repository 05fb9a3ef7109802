"""The token cache: re-coding after a codebook edit skips tokenisation.

Each entry holds the token arrays (:class:`qca.matching.Tokens`) of one batch of
segment texts, as an ``.npz`` file (no pickles) named by the sha256 of the texts
and filed under the pipeline's fingerprint::

    .qca-cache/<fingerprint[:16]>/<key[:2]>/<key>.npz

The archive has one uint8 member, ``entry``: the int32 token arrays, a stamp
(format, pipeline, key) and the entry's strings, so a load parses one header
and only strings new to this process go through ``Lexicon.intern``.

Beside each entry, ``<key>.hits.json`` keeps the hits of each code on those
texts under the code's key (:meth:`qca.matching.Rules.code_keys`), one list per
:class:`qca.matching.HitColumns` column, so that re-coding after an edit matches
only the codes whose rules changed and joins the others' columns whole (#9).

Entries are written atomically (a temporary file renamed). An entry that is
corrupt, truncated, foreign (another key, pipeline or format inside) or
inconsistent with its texts is ignored and rebuilt; a cache folder that cannot
be written is used read-only or not at all. Deleting the folder is always safe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
import operator
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain, compress, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import QcaError
from qca.io import atomic_write_bytes

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from qca.ingest import IngestOptions, SourceBatch, Sources
    from qca.matching import HitColumns, Pipeline, Rules, Tokens

_SEPARATOR = "\x00"

#: Bump when the layout of a token entry (``.npz``) changes; older entries are misses.
_TOKENS_FORMAT = 3
#: Bump when the layout of a hits entry (``.hits.json``) changes; older entries are misses.
_HITS_FORMAT = 2
#: The columns of :class:`qca.matching.HitColumns` kept per code, in this order.
_HIT_FIELDS = ("segment", "order", "kind", "rule", "start", "end", "token", "negated")


def texts_key(fingerprint: str, texts: Sequence[str]) -> str:
    """Return the cache key of *texts* tokenised by the pipeline with *fingerprint*."""
    import numpy as np

    # The lengths (in code points) and the joined text decide the texts: one
    # hash update for the lot instead of two per text.
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    digest = hashlib.sha256(fingerprint.encode("utf-8"))
    digest.update(f"{len(texts)}:".encode())
    digest.update(lengths.astype("<i8").tobytes())
    digest.update("".join(texts).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def _text_lengths(texts: Sequence[str]) -> npt.NDArray[np.int64]:
    import numpy as np

    return np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))


@dataclass
class TokenCache:
    """Token arrays on disk under *folder*; ``None`` disables the cache.

    ``hits`` and ``misses`` count lookups (for the run summary and tests).
    """

    folder: Path | None
    hits: int = 0
    misses: int = 0
    _subsets: dict[tuple[int, tuple[int, ...]], tuple[Rules, Rules]] = field(
        default_factory=dict, repr=False
    )
    _keys: dict[tuple[int, str, str], tuple[Rules, list[str]]] = field(
        default_factory=dict, repr=False
    )

    def path(self, fingerprint: str, key: str) -> Path:
        """Return the file of the entry *key* of the pipeline with *fingerprint*."""
        assert self.folder is not None
        return self.folder / fingerprint[:16] / key[:2] / f"{key}.npz"

    def tokens_for(self, pipeline: Pipeline, texts: Sequence[str]) -> Tokens:
        """Return the tokens of *texts*, from the cache when a valid entry exists."""
        from qca.matching import tokenize

        if self.folder is None:
            return tokenize(pipeline, texts)
        return self._tokens(pipeline, texts, texts_key(pipeline.fingerprint, texts), None)

    def _tokens(
        self,
        pipeline: Pipeline,
        texts: Sequence[str],
        key: str,
        lengths: npt.NDArray[np.int64] | None,
    ) -> Tokens:
        from qca.matching import tokenize

        entry = self.path(pipeline.fingerprint, key)
        if lengths is None:
            lengths = _text_lengths(texts)
        tokens = self._load(entry, key, pipeline, lengths)
        if tokens is not None:
            touch(entry)
            self.hits += 1
            return tokens
        self.misses += 1
        tokens = tokenize(pipeline, texts)
        self._store(entry, key, pipeline.fingerprint, tokens)
        return tokens

    def hits_for(
        self, rules: Rules, pipeline: Pipeline, language: str, texts: Sequence[str]
    ) -> HitColumns:
        """Return the hits of *rules* on *texts*, matching only codes with no stored hits."""
        from qca.matching import HitColumns, match_tokens, tokenize

        if self.folder is None:
            return match_tokens(rules, pipeline, language, texts, tokenize(pipeline, texts))
        key = texts_key(pipeline.fingerprint, texts)
        entry = self.path(pipeline.fingerprint, key).with_suffix(".hits.json")
        keys = self._code_keys(rules, language, pipeline.fingerprint)
        lengths = _text_lengths(texts)
        stored = self._load_hits(entry, key, lengths)
        if stored:
            touch(entry)
        missing = [n for n, code_key in enumerate(keys) if code_key not in stored]
        if missing:
            tokens = self._tokens(pipeline, texts, key, lengths)
            fresh = match_tokens(self._only(rules, missing), pipeline, language, texts, tokens)
            rows: dict[int, list[int]] = {n: [] for n in missing}
            for n, code in enumerate(fresh.code):
                rows[code].append(n)
            columns = [getattr(fresh, name) for name in _HIT_FIELDS]
            for code in missing:
                picked = rows[code]
                stored[keys[code]] = [[column[n] for n in picked] for column in columns]
            self._store_hits(entry, key, {k: stored[k] for k in keys})
        # One column at a time, code after code (as the codes were matched).
        parts = [stored[k] for k in keys]
        joined = [list(chain.from_iterable(p[f] for p in parts)) for f in range(len(_HIT_FIELDS))]
        segment, order, kind, rule, start, end, token, negated = joined
        code_column = list(chain.from_iterable([n] * len(p[0]) for n, p in enumerate(parts)))
        return HitColumns(
            segment=segment,
            code=code_column,
            order=order,
            kind=kind,
            rule=rule,
            start=start,
            end=end,
            token=token,
            negated=negated,
        )

    def _code_keys(self, rules: Rules, language: str, fingerprint: str) -> list[str]:
        """Return ``rules.code_keys(language, fingerprint)``, computed once per rules object."""
        key = (id(rules), language, fingerprint)
        found = self._keys.get(key)
        if found is None or found[0] is not rules:
            found = self._keys[key] = (rules, rules.code_keys(language, fingerprint))
        return found[1]

    def _only(self, rules: Rules, codes: list[int]) -> Rules:
        """Return ``rules.only(codes)``, the same object each time (compiled matchers are kept)."""
        key = (id(rules), tuple(codes))
        found = self._subsets.get(key)
        if found is None or found[0] is not rules:
            found = self._subsets[key] = (rules, rules.only(codes))
        return found[1]

    @staticmethod
    def _load_hits(
        entry: Path, key: str, lengths: npt.NDArray[np.int64]
    ) -> dict[str, list[list[Any]]]:
        """Return the stored columns of each code key, or {} when the entry is unusable."""
        import numpy as np

        try:
            data = json.loads(entry.read_bytes())
            if data["stamp"] != f"{_HITS_FORMAT}/{key}":
                return {}
            codes: dict[str, list[list[Any]]] = data["codes"]
            offsets: list[list[int]] = [[], [], []]
            for columns in codes.values():
                if len(columns) != len(_HIT_FIELDS):
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
        except Exception:  # noqa: BLE001 - any unreadable entry is rebuilt
            return {}
        return codes

    @staticmethod
    def _store_hits(entry: Path, key: str, codes: dict[str, list[list[Any]]]) -> None:
        text = json.dumps(
            {"stamp": f"{_HITS_FORMAT}/{key}", "codes": codes},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        _write_entry(entry, text.encode("utf-8"))

    @staticmethod
    def _load(
        entry: Path, key: str, pipeline: Pipeline, lengths: npt.NDArray[np.int64]
    ) -> Tokens | None:
        import numpy as np

        from qca.matching import Tokens

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
            if stamp != f"{_TOKENS_FORMAT}/{pipeline.fingerprint}/{key}":
                return None
            ints = raw[16:at].view("<i4")
            joined = raw[at + length :].tobytes().decode("utf-8")
        except Exception:  # noqa: BLE001 - any unreadable entry is rebuilt
            return None  # corrupt or foreign: rebuild
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

    @staticmethod
    def _store(entry: Path, key: str, fingerprint: str, tokens: Tokens) -> None:
        import numpy as np

        # Only the strings this entry uses, numbered afresh (ids are per process).
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
        stamp = f"{_TOKENS_FORMAT}/{fingerprint}/{key}".encode()
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
        _write_entry(entry, buffer.getvalue())


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


def touch(entry: Path) -> None:
    """Mark *entry* used now: ``qca cache prune`` removes entries unused for long."""
    with contextlib.suppress(OSError):
        os.utime(entry)


def _write_entry(entry: Path, data: bytes) -> bool:
    """Write a token or hits entry atomically; return False when the folder cannot be written.

    A temporary file renamed over the entry, without ``fsync``: both kinds check
    themselves when read (an ``.npz`` member has a CRC-32, a ``.hits.json`` must
    parse and carry its stamp), so one torn by a power cut is rebuilt, and the
    warm re-code of issue #9 rewrites every hits entry (an fsync costs ~4 ms each).
    The cache only saves time: a folder we cannot write is not an error.
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


# --- ingested files ------------------------------------------------------------

#: Bump when the layout of a source entry changes, or what a file reads as
#: (3: legacy code pages and BOM-less UTF-16/32 are detected, #15).
_SOURCE_FORMAT = 3
_MAGIC = b"QCASRC1\n"


def file_sha256(path: Path) -> str:
    """Return the sha256 of *path*'s bytes, or "" when it cannot be read."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return ""
    return digest.hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


@dataclass
class SourceCache:
    """What :func:`qca.ingest.read_source` made of each file, on disk under *folder*.

    An entry is keyed by the file's path and sha256, the ingest options (with the
    sha256 of a ``--participants`` file) and the versions of qca, pandas and
    pyarrow, so a re-run after a codebook edit skips reading unchanged files::

        .qca-cache/sources/<key[:2]>/<key>.<n>    one batch (n = 0, 1, ...)
        .qca-cache/sources/<key[:2]>/<key>.done   how many batches, written last

    A batch is kept only when its frames come back from Arrow equal, with the same
    dtypes; a file that changes while it is read is not kept. ``None`` disables it.
    """

    folder: Path | None
    hits: int = 0
    misses: int = 0

    def batches(
        self, path: Path, options: IngestOptions, sources: Sources
    ) -> Iterator[SourceBatch]:
        """Yield the batches of *path* as ``read_source(path, options, sources)`` does."""
        from qca.ingest import read_source

        digest = file_sha256(path) if self.folder is not None else ""
        if not digest:
            yield from read_source(path, options, sources)
            return
        key = self._key(path, digest, options)
        assert self.folder is not None
        base = self.folder / "sources" / key[:2] / key
        count = self._count(base, key)
        given = 0
        if count is not None:
            touch(base.with_suffix(".done"))
            self.hits += 1
            for n in range(count):
                batch = self._load(base, key, n)
                if batch is None:
                    break  # unreadable after all: read the file again from batch n
                given += 1
                yield batch
            if given == count:
                return
        else:
            self.misses += 1
        keep = count is None or given < count  # a broken entry is written again
        stored = given
        for n, batch in enumerate(read_source(path, options, sources)):
            if n < given:
                continue
            if keep:
                keep = self._store(base, key, n, batch)
                stored += keep
            yield batch
        if keep and file_sha256(path) == digest:  # unchanged while read
            self._write(base.with_suffix(".done"), {"stamp": key, "batches": stored})

    @staticmethod
    def _key(path: Path, digest: str, options: IngestOptions) -> str:
        import pandas as pd
        import pyarrow as pa

        from qca import __version__
        from qca.ingest.corpus import FAST_SURVEYS

        fields = {k: _plain(v) for k, v in dataclasses.asdict(options).items()}
        participants = file_sha256(options.participants) if options.participants else None
        stamp = {
            "format": _SOURCE_FORMAT,
            "versions": [__version__, pd.__version__, pa.__version__],
            "path": str(path),
            "sha256": digest,
            "options": fields,
            "participants": participants,
            "fast_surveys": FAST_SURVEYS,
        }
        return hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()

    @staticmethod
    def _write(entry: Path, data: dict[str, Any] | bytes) -> bool:
        payload = data if isinstance(data, bytes) else json.dumps(data).encode("utf-8")
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(entry, payload)
        except (OSError, QcaError):
            return False  # the cache only saves time: a folder we cannot write is no error
        return True

    @staticmethod
    def _count(base: Path, key: str) -> int | None:
        try:
            data = json.loads(base.with_suffix(".done").read_text(encoding="utf-8"))
            count = data["batches"]
            if data["stamp"] != key or not isinstance(count, int) or count < 1:
                return None
        except Exception:  # noqa: BLE001 - any unreadable entry is rebuilt
            return None
        return count

    def _store(self, base: Path, key: str, n: int, batch: SourceBatch) -> bool:
        """Write batch *n*; return False when it would not come back the same."""
        import pyarrow as pa

        blobs = []
        try:
            for frame in (batch.documents, batch.segments):
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if not _same_frame(frame, table.to_pandas()):
                    return False
                sink = pa.BufferOutputStream()
                with pa.ipc.new_file(sink, table.schema) as writer:
                    writer.write_table(table)
                blobs.append(sink.getvalue().to_pybytes())
        except (pa.ArrowException, ValueError, TypeError):
            return False  # e.g. a column of mixed types: not kept
        numbered: dict[frozenset[str], int] = {}
        which = [numbered.setdefault(names, len(numbered)) for names in batch.attribute_names]
        sets = list(numbered)
        header = json.dumps(
            {
                "stamp": key,
                "n": n,
                "sizes": [len(b) for b in blobs],
                "source": str(batch.source),
                "problems": [
                    [p.path, p.message, p.line, p.col, p.where, p.severity] for p in batch.problems
                ],
                # Two flat lists, and each distinct set of names once: a survey
                # batch has a row per comment, and small lists are slow to parse.
                "turn_counts": [list(batch.turn_counts), list(batch.turn_counts.values())],
                "problem_keys": list(batch.problem_keys),
                "document_keys": list(batch.document_keys),
                "wheres": list(batch.wheres),
                "attribute_names": [[sorted(names) for names in sets], which],
                "duplicates": [list(d) for d in batch.duplicates],
                "joined": [list(j) for j in batch.joined],
            },
            ensure_ascii=False,
        ).encode("utf-8")
        data = b"".join([_MAGIC, len(header).to_bytes(8, "little"), header, *blobs])
        return self._write(base.with_suffix(f".{n}"), data)

    @staticmethod
    def _load(base: Path, key: str, n: int) -> SourceBatch | None:
        import pyarrow as pa

        from qca.errors import Problem
        from qca.ingest import SourceBatch

        try:
            data = base.with_suffix(f".{n}").read_bytes()
            if not data.startswith(_MAGIC):
                return None
            at = len(_MAGIC) + 8
            size = int.from_bytes(data[len(_MAGIC) : at], "little")
            head = json.loads(data[at : at + size].decode("utf-8"))
            if head["stamp"] != key or head["n"] != n:
                return None
            names, which = head["attribute_names"]
            sets = [frozenset(a) for a in names]
            frames = []
            at += size
            view = memoryview(data)
            for length in head["sizes"]:
                buffer = pa.py_buffer(view[at : at + length])  # no copy
                frames.append(pa.ipc.open_file(buffer).read_all().to_pandas())
                at += length
            if at != len(data) or len(frames) != 2:
                return None
            return SourceBatch(
                Path(head["source"]),
                frames[0],
                frames[1],
                tuple(Problem(*p) for p in head["problems"]),
                dict(zip(*head["turn_counts"], strict=True)),
                problem_keys=tuple(head["problem_keys"]),
                document_keys=tuple(head["document_keys"]),
                wheres=tuple(head["wheres"]),
                attribute_names=tuple(map(sets.__getitem__, which)),
                duplicates=tuple((int(c), str(d), str(w)) for c, d, w in head["duplicates"]),
                joined=(tuple(head["joined"][0]), tuple(head["joined"][1])),
            )
        except Exception:  # noqa: BLE001 - any unreadable entry is rebuilt
            return None


def _same_frame(frame: pd.DataFrame, back: pd.DataFrame) -> bool:
    """Whether *back* is *frame* with the same columns, dtypes, index and values."""
    return (
        list(frame.columns) == list(back.columns)
        and list(frame.dtypes) == list(back.dtypes)
        and frame.index.equals(back.index)
        and frame.equals(back)
    )
