"""The token cache: re-coding after a codebook edit skips tokenisation.

Each entry holds the token arrays (:class:`qca.matching.Tokens`) of one batch of
segment texts, as an ``.npz`` file (no pickles) named by the sha256 of the texts
and filed under the pipeline's fingerprint::

    .qca-cache/<fingerprint[:16]>/<key[:2]>/<key>.npz

Beside each entry, ``<key>.hits.json`` keeps the hits of each code on those
texts under the code's key (:meth:`qca.matching.Rules.code_keys`), so that
re-coding after an edit matches only the codes whose rules changed.

Entries are written atomically. An entry that is corrupt, truncated, foreign
(another key or pipeline inside) or inconsistent with its texts is ignored and
rebuilt; a cache folder that cannot be written is used read-only or not at all.
Deleting the folder is always safe.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import QcaError
from qca.io import atomic_write_bytes

if TYPE_CHECKING:
    import pandas as pd

    from qca.ingest import IngestOptions, SourceBatch, Sources
    from qca.matching import HitColumns, Pipeline, Rules, Tokens

_SEPARATOR = "\x00"


def texts_key(fingerprint: str, texts: Sequence[str]) -> str:
    """Return the cache key of *texts* tokenised by the pipeline with *fingerprint*."""
    digest = hashlib.sha256(fingerprint.encode("utf-8"))
    for text in texts:
        data = text.encode("utf-8", "surrogatepass")
        digest.update(f"{len(data)}:".encode())
        digest.update(data)
    return digest.hexdigest()


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

    def path(self, fingerprint: str, key: str) -> Path:
        """Return the file of the entry *key* of the pipeline with *fingerprint*."""
        assert self.folder is not None
        return self.folder / fingerprint[:16] / key[:2] / f"{key}.npz"

    def tokens_for(self, pipeline: Pipeline, texts: Sequence[str]) -> Tokens:
        """Return the tokens of *texts*, from the cache when a valid entry exists."""
        from qca.matching import tokenize

        if self.folder is None:
            return tokenize(pipeline, texts)
        key = texts_key(pipeline.fingerprint, texts)
        entry = self.path(pipeline.fingerprint, key)
        tokens = self._load(entry, key, pipeline, texts)
        if tokens is not None:
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
        keys = rules.code_keys(language, pipeline.fingerprint)
        stored = self._load_hits(entry, key, texts)
        missing = [n for n, code_key in enumerate(keys) if code_key not in stored]
        out = HitColumns()
        if missing:
            tokens = self.tokens_for(pipeline, texts)
            fresh = match_tokens(self._only(rules, missing), pipeline, language, texts, tokens)
            for n in range(len(fresh.segment)):
                stored.setdefault(keys[fresh.code[n]], []).append(
                    [
                        fresh.segment[n],
                        fresh.order[n],
                        fresh.kind[n],
                        fresh.rule[n],
                        fresh.start[n],
                        fresh.end[n],
                        fresh.token[n],
                        fresh.negated[n],
                    ]
                )
            for n in missing:
                stored.setdefault(keys[n], [])
            self._store_hits(entry, key, {k: stored[k] for k in keys})
        for code, code_key in enumerate(keys):
            for segment, order, kind, rule, start, end, token, negated in stored[code_key]:
                out.add(segment, (code, order, kind, rule), (start, end, token))
                out.negated.append(negated)
        return out

    def _only(self, rules: Rules, codes: list[int]) -> Rules:
        """Return ``rules.only(codes)``, the same object each time (compiled matchers are kept)."""
        key = (id(rules), tuple(codes))
        found = self._subsets.get(key)
        if found is None or found[0] is not rules:
            found = self._subsets[key] = (rules, rules.only(codes))
        return found[1]

    @staticmethod
    def _load_hits(entry: Path, key: str, texts: Sequence[str]) -> dict[str, list[list[Any]]]:
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
            if data["stamp"] != key:
                return {}
            codes: dict[str, list[list[Any]]] = data["codes"]
            for rows in codes.values():
                for segment, _, _, _, start, end, _, _ in rows:
                    if not 0 <= start < end <= len(texts[segment]):
                        return {}
        except Exception:  # noqa: BLE001 - any unreadable entry is rebuilt
            return {}
        return codes

    @staticmethod
    def _store_hits(entry: Path, key: str, codes: dict[str, list[list[Any]]]) -> None:
        text = json.dumps({"stamp": key, "codes": codes}, ensure_ascii=False)
        with contextlib.suppress(OSError, QcaError):
            entry.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(entry, text.encode("utf-8"))

    @staticmethod
    def _load(entry: Path, key: str, pipeline: Pipeline, texts: Sequence[str]) -> Tokens | None:
        import numpy as np

        from qca.matching import Tokens

        try:
            data = entry.read_bytes()
        except OSError:
            return None
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                stamp = archive["stamp"].tobytes().decode("utf-8")
                bounds = archive["bounds"].astype(np.int32)
                starts = archive["starts"].astype(np.int32)
                ends = archive["ends"].astype(np.int32)
                sentence_starts = archive["sentence_starts"].astype(np.bool_)
                orths = archive["orths"].astype(np.int32)
                lemma_ids = archive["lemma_ids"].astype(np.int32)
                joined = archive["strings"].tobytes().decode("utf-8")
        except Exception:  # noqa: BLE001 - any unreadable entry is rebuilt
            return None  # corrupt or foreign: rebuild
        strings = joined.split(_SEPARATOR) if joined else []
        if stamp != f"{pipeline.fingerprint}/{key}":
            return None
        n = len(starts)
        if len(bounds) != len(texts) + 1 or int(bounds[-1]) != n or int(bounds[0]) != 0:
            return None
        if len(ends) != n or len(sentence_starts) != n or len(orths) != n or len(lemma_ids) != n:
            return None
        if n and (np.any(np.diff(bounds) < 0) or np.any(ends < starts) or np.any(starts < 0)):
            return None
        ids = np.concatenate([orths, lemma_ids])
        if n and (int(ids.min()) < 0 or int(ids.max()) >= len(strings)):
            return None
        for k, text in enumerate(texts):
            if bounds[k + 1] > bounds[k] and int(ends[bounds[k + 1] - 1]) > len(text):
                return None
        ids = pipeline.lexicon.intern(strings)
        return Tokens(
            bounds, starts, ends, sentence_starts, ids[orths], ids[lemma_ids], pipeline.lexicon
        )

    @staticmethod
    def _store(entry: Path, key: str, fingerprint: str, tokens: Tokens) -> None:
        import numpy as np

        # Only the strings this entry uses, numbered afresh (ids are per process).
        used, inverse = np.unique(
            np.concatenate([tokens.orths, tokens.lemma_ids]), return_inverse=True
        )
        inverse = inverse.reshape(-1).astype(np.int32)
        n = len(tokens.orths)
        strings = [tokens.strings[i] for i in used.tolist()]
        if any(_SEPARATOR in s for s in strings):
            return  # a NUL inside a token would not survive the join
        buffer = io.BytesIO()
        np.savez(
            buffer,
            stamp=np.frombuffer(f"{fingerprint}/{key}".encode(), dtype=np.uint8),
            bounds=tokens.bounds,
            starts=tokens.starts,
            ends=tokens.ends,
            sentence_starts=tokens.sentence_starts,
            orths=inverse[:n],
            lemma_ids=inverse[n:],
            strings=np.frombuffer(_SEPARATOR.join(strings).encode("utf-8"), dtype=np.uint8),
        )
        # The cache only saves time: a folder we cannot write is not an error.
        with contextlib.suppress(OSError, QcaError):
            entry.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(entry, buffer.getvalue())


# --- ingested files ------------------------------------------------------------

#: Bump when the layout of a source entry changes.
_SOURCE_FORMAT = 1
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
        header = json.dumps(
            {
                "stamp": key,
                "n": n,
                "sizes": [len(b) for b in blobs],
                "source": str(batch.source),
                "problems": [
                    [p.path, p.message, p.line, p.col, p.where, p.severity] for p in batch.problems
                ],
                "turn_counts": list(batch.turn_counts.items()),
                "problem_keys": list(batch.problem_keys),
                "document_keys": list(batch.document_keys),
                "wheres": list(batch.wheres),
                "attribute_names": [sorted(names) for names in batch.attribute_names],
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
            frames = []
            at += size
            for length in head["sizes"]:
                buffer = pa.py_buffer(data[at : at + length])
                frames.append(pa.ipc.open_file(buffer).read_all().to_pandas())
                at += length
            if at != len(data) or len(frames) != 2:
                return None
            return SourceBatch(
                Path(head["source"]),
                frames[0],
                frames[1],
                tuple(Problem(*p) for p in head["problems"]),
                dict(head["turn_counts"]),
                problem_keys=tuple(head["problem_keys"]),
                document_keys=tuple(head["document_keys"]),
                wheres=tuple(head["wheres"]),
                attribute_names=tuple(frozenset(a) for a in head["attribute_names"]),
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
