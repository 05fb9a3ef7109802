"""A compact set of doc_ids, each with the file that claimed it.

A corpus of short survey answers has as many doc_ids as rows; a ``dict`` of them
costs about 100 bytes per id (a ``str`` object and a table slot), and it grows with
the corpus. :class:`DocIds` keeps no Python object per id: a hash table from each
id's hash to its number, the ids' UTF-8 bytes (to tell two ids with one hash apart)
and each id's owner as a number into one list of paths. About 40 bytes per id.
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from itertools import accumulate
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    import numpy as np


def _utf8(doc_id: str) -> bytes:
    return doc_id.encode("utf-8", "surrogatepass")


class DocIds:
    """The doc_ids claimed so far and the path that claimed each.

    Answers what :func:`qca.ingest.claim_doc_ids` asks of a ``dict`` (doc_id -> path):
    ``get``, ``in``, item assignment, ``isdisjoint`` and :meth:`claim` for a whole batch.

    Examples:
        >>> ids = DocIds()
        >>> ids.claim(["a", "b"], "one.csv")
        >>> ids.get("b"), ids.get("c"), len(ids)
        ('one.csv', None, 2)
    """

    def __init__(self) -> None:
        from pandas._libs.hashtable import Int64HashTable

        self._table: Any = Int64HashTable()  # hash(doc_id) -> number
        self._bytes = bytearray()  # every id's UTF-8, in number order
        self._offsets = array("q", [0])  # id n is _bytes[_offsets[n] : _offsets[n + 1]]
        self._owners = array("i")  # id n's path is _sources[_owners[n]]
        self._sources: list[str] = []
        self._numbers: dict[str, int] = {}  # path -> its index in _sources
        #: Ids whose hash an earlier, different id has (about never): id -> number.
        self._extra: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._owners)

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._find(doc_id, hash(doc_id)) >= 0

    @overload
    def get(self, doc_id: str) -> str | None: ...
    @overload
    def get(self, doc_id: str, default: str) -> str: ...
    def get(self, doc_id: str, default: str | None = None) -> str | None:
        """Return the path that claimed *doc_id*, or *default*."""
        number = self._find(doc_id, hash(doc_id))
        return self._sources[self._owners[number]] if number >= 0 else default

    def __setitem__(self, doc_id: str, source: str) -> None:
        """Claim *doc_id* for *source* (it must not be claimed yet)."""
        self._store([doc_id], source)
        self._index(doc_id, hash(doc_id), len(self) - 1)

    def add(self, doc_id: str) -> None:
        """Claim *doc_id* without a path (a set of ids)."""
        self[doc_id] = ""

    def isdisjoint(self, ids: Sequence[str]) -> bool:
        """Return whether no id in *ids* is claimed."""
        if not ids or not len(self):
            return True
        hashes = self._hashes(ids)
        found = self._table.lookup(hashes)
        hits = (found >= 0).nonzero()[0]
        if not len(hits):
            return not self._extra or self._extra.keys().isdisjoint(ids)
        return not any(self._find(ids[i], int(hashes[i])) >= 0 for i in hits.tolist())

    def claim(self, ids: Sequence[str], source: str) -> None:
        """Claim every id in *ids* for *source*; none may be claimed yet."""
        if not ids:
            return
        import numpy as np

        start = len(self)
        self._store(ids, source)
        hashes = self._hashes(ids)
        count = len(ids)
        taken = self._table.lookup(hashes) >= 0 if start else np.zeros(count, dtype=np.bool_)
        unique, first, counts = np.unique(hashes, return_index=True, return_counts=True)
        if taken.any() or len(unique) != count:
            clean = first[(counts == 1) & ~taken[first]]
            numbers = np.arange(start, start + count, dtype=np.int64)
            self._table.map_keys_to_values(hashes[clean], numbers[clean])
            rest = np.ones(count, dtype=np.bool_)
            rest[clean] = False
            for i in rest.nonzero()[0].tolist():  # shared hashes: one by one, in order
                self._index(ids[i], int(hashes[i]), start + i)
        else:
            self._table.map_keys_to_values(hashes, np.arange(start, start + count, dtype=np.int64))

    def update(self, ids: Sequence[str]) -> None:
        """Claim every id in *ids* without a path (a set of ids)."""
        self.claim(ids, "")

    # --- inside ----------------------------------------------------------------------

    @staticmethod
    def _hashes(ids: Sequence[str]) -> np.ndarray[Any, Any]:
        import numpy as np

        return np.fromiter(map(hash, ids), dtype=np.int64, count=len(ids))

    def _store(self, ids: Sequence[str], source: str) -> None:
        number = self._numbers.get(source)
        if number is None:
            number = self._numbers[source] = len(self._sources)
            self._sources.append(source)
        encoded = [_utf8(doc_id) for doc_id in ids]
        base = len(self._bytes)
        self._bytes += b"".join(encoded)
        self._offsets.extend([base + end for end in accumulate(map(len, encoded))])
        self._owners.extend([number] * len(ids))

    def _is(self, number: int, doc_id: str) -> bool:
        start, end = self._offsets[number], self._offsets[number + 1]
        return self._bytes[start:end] == _utf8(doc_id)

    def _find(self, doc_id: str, key: int) -> int:
        """Return the number of *doc_id* (whose hash is *key*), or -1."""
        try:
            number = int(self._table.get_item(key))
        except KeyError:
            return -1
        if self._is(number, doc_id):
            return number
        return self._extra.get(doc_id, -1)

    def _index(self, doc_id: str, key: int, number: int) -> None:
        """Make *doc_id* (stored as *number*) findable, unless it already is."""
        try:
            other = int(self._table.get_item(key))
        except KeyError:
            self._table.set_item(key, number)
            return
        if not self._is(other, doc_id):
            self._extra.setdefault(doc_id, number)
