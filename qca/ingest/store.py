"""Ingested batches on disk, keyed by each file's sha256 and the ingest options.

A re-run after a codebook edit reads unchanged files from here instead of
parsing them again (see :class:`SourceCache`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import QcaError
from qca.io import atomic_write_bytes, json_plain, touch
from qca.models import DOC_ID, END, START, TEXT

if TYPE_CHECKING:
    import pandas as pd

    from qca.ingest import IngestOptions, SourceBatch, Sources

#: Bump when the layout of a source entry changes, or what a file reads as
#: (3: legacy code pages and BOM-less UTF-16/32 are detected, #15).
#: 4: one zstd frame, documents' texts less their segments (#16).
_SOURCE_FORMAT = 4
_MAGIC = b"QCASRC2\n"


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


@dataclass
class SourceCache:
    """What :func:`qca.ingest.read_source` made of each file, on disk under *folder*.

    An entry is keyed by the file's path and sha256, the ingest options (with the
    sha256 of a ``--participants`` file) and the versions of qca, pandas and
    pyarrow, so a re-run after a codebook edit skips reading unchanged files::

        .qca-cache/sources/<key[:2]>/<key>.<n>    one batch (n = 0, 1, ...)
        .qca-cache/sources/<key[:2]>/<key>.done   how many batches, written last

    A batch is one zstd frame (:func:`qca.packed.pack`) of a JSON header and the
    two frames as Arrow IPC streams; a document's text keeps only what its
    segments do not hold (:func:`_cut_texts`). A batch is kept only when its
    frames come back from Arrow equal, with the same dtypes; a file that changes
    while it is read is not kept. ``None`` disables it.
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

        fields = {k: json_plain(v) for k, v in dataclasses.asdict(options).items()}
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

        from qca.packed import pack

        blobs = []
        documents, cut = _cut_texts(batch.documents, batch.segments)
        try:
            for frame, original in ((documents, batch.documents), (batch.segments, None)):
                table = pa.Table.from_pandas(frame, preserve_index=False)
                back = table.to_pandas()
                if original is not None and cut:
                    back = _paste_texts(back, batch.segments)
                if not _same_frame(original if original is not None else frame, back):
                    return False
                sink = pa.BufferOutputStream()
                with pa.ipc.new_stream(sink, table.schema) as writer:
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
                "cut": cut,
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
        # One zstd frame for the lot (#16: the cache at most twice the corpus text):
        # the schemas and the header compress with the text.
        data = pack({"header": header, "documents": blobs[0], "segments": blobs[1]})
        return self._write(base.with_suffix(f".{n}"), _MAGIC + data)

    @staticmethod
    def _load(base: Path, key: str, n: int) -> SourceBatch | None:
        import pyarrow as pa

        from qca.errors import Problem
        from qca.ingest import SourceBatch
        from qca.packed import unpack

        try:
            data = base.with_suffix(f".{n}").read_bytes()
            if not data.startswith(_MAGIC):
                return None
            parts = unpack(memoryview(data)[len(_MAGIC) :])
            head = json.loads(bytes(parts["header"]).decode("utf-8"))
            if head["stamp"] != key or head["n"] != n:
                return None
            names, which = head["attribute_names"]
            sets = [frozenset(a) for a in names]
            frames = [
                pa.ipc.open_stream(pa.py_buffer(bytes(parts[name]))).read_all().to_pandas()
                for name in ("documents", "segments")
            ]
            if head["cut"]:
                frames[0] = _paste_texts(frames[0], frames[1])
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


def _spans(documents: pd.DataFrame, segments: pd.DataFrame) -> list[list[tuple[int, int, str]]]:
    """Return each document's segments as (start, end, text), in order (a ValueError if odd)."""
    ids = documents[DOC_ID].tolist()
    rows: dict[Any, list[tuple[int, int, str]]] = {d: [] for d in ids}
    if len(rows) != len(ids):
        raise ValueError("a doc_id twice")
    columns = (segments[c].tolist() for c in (DOC_ID, START, END, TEXT))
    for doc, start, end, text in zip(*columns, strict=True):
        rows[doc].append((int(start), int(end), text))
    return [rows[d] for d in ids]


def _cut_texts(documents: pd.DataFrame, segments: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """Return *documents* with each text less its segments' texts, and whether it was cut.

    A segment's text is its document's text from ``start`` to ``end``, so the
    document keeps only what lies between its segments (speaker labels, line
    breaks): the text is not stored twice. Not cut when that does not hold.
    """
    import pandas as pd

    if TEXT not in documents.columns or DOC_ID not in documents.columns or documents.empty:
        return documents, False
    try:
        spans = _spans(documents, segments)
        rests = []
        for text, found in zip(documents[TEXT].tolist(), spans, strict=True):
            if not isinstance(text, str):
                return documents, False
            pieces, at = [], 0
            for start, end, piece in found:
                if start < at or text[start:end] != piece:
                    return documents, False
                pieces.append(text[at:start])
                at = end
            pieces.append(text[at:])
            rests.append("".join(pieces))
    except (ValueError, TypeError, KeyError):
        return documents, False
    cut = documents.copy()
    cut[TEXT] = pd.Series(rests, index=documents.index, dtype=documents[TEXT].dtype)
    return cut, True


def _paste_texts(documents: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Return *documents* (cut by :func:`_cut_texts`) with their whole texts back."""
    import pandas as pd

    texts = []
    for rest, found in zip(documents[TEXT].tolist(), _spans(documents, segments), strict=True):
        pieces, at, taken = [], 0, 0
        for start, end, piece in found:
            pieces += [rest[taken : taken + start - at], piece]
            taken += start - at
            at = end
        pieces.append(rest[taken:])
        texts.append("".join(pieces))
    documents[TEXT] = pd.Series(texts, index=documents.index, dtype=documents[TEXT].dtype)
    return documents


def _same_frame(frame: pd.DataFrame, back: pd.DataFrame) -> bool:
    """Whether *back* is *frame* with the same columns, dtypes, index and values."""
    return (
        list(frame.columns) == list(back.columns)
        and list(frame.dtypes) == list(back.dtypes)
        and frame.index.equals(back.index)
        and frame.equals(back)
    )
