"""A compact set of doc_ids, each with the file that claimed it.

A corpus of short survey answers has as many doc_ids as rows; a ``dict`` of them
costs about 100 bytes per id (a ``str`` object and a table slot), and it grows with
the corpus. :class:`DocIds` keeps no Python object per id: the ids' hashes sorted
(with each id's number), the ids' UTF-8 bytes (to tell two ids with one hash apart)
and runs of numbers claimed by one path. About 30 bytes per id.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable, Sequence
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

    #: Ids claimed one at a time wait in a dict until there are this many.
    PENDING = 4096

    def __init__(self) -> None:
        import numpy as np

        self._keys = np.zeros(0, dtype=np.int64)  # hash(doc_id), sorted
        self._values = np.zeros(0, dtype=np.int64)  # the id's number, beside its hash
        self._pending: dict[str, int] = {}  # ids claimed one by one, not yet in _keys
        self._bytes = bytearray()  # every id's UTF-8, in number order
        self._offsets = array("q", [0])  # id n is _bytes[_offsets[n] : _offsets[n + 1]]
        self._run_starts = array("q")  # numbers from _run_starts[r] on were claimed by
        self._run_sources = array("i")  # _sources[_run_sources[r]]
        self._sources: list[str] = []
        self._numbers: dict[str, int] = {}  # path -> its index in _sources

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._find(doc_id) >= 0

    @overload
    def get(self, doc_id: str) -> str | None: ...
    @overload
    def get(self, doc_id: str, default: str) -> str: ...
    def get(self, doc_id: str, default: str | None = None) -> str | None:
        """Return the path that claimed *doc_id*, or *default*."""
        number = self._find(doc_id)
        if number < 0:
            return default
        return self._sources[self._run_sources[bisect_right(self._run_starts, number) - 1]]

    def __setitem__(self, doc_id: str, source: str) -> None:
        """Claim *doc_id* for *source* (it must not be claimed yet)."""
        self._pending.setdefault(doc_id, len(self))
        self._store([doc_id], source)
        if len(self._pending) >= self.PENDING:
            self._flush()

    def add(self, doc_id: str) -> None:
        """Claim *doc_id* without a path (a set of ids)."""
        self[doc_id] = ""

    def isdisjoint(self, ids: Sequence[str]) -> bool:
        """Return whether no id in *ids* is claimed."""
        if not ids or not len(self):
            return True
        if self._pending and not self._pending.keys().isdisjoint(ids):
            return False
        if not len(self._keys):
            return True
        hashes = self._hashes(ids)
        places = self._keys.searchsorted(hashes).clip(max=len(self._keys) - 1)
        hits = (self._keys[places] == hashes).nonzero()[0]
        return not any(self._find(ids[i]) >= 0 for i in hits.tolist())

    def claim(self, ids: Sequence[str], source: str) -> None:
        """Claim every id in *ids* for *source*; none may be claimed yet."""
        if not ids:
            return
        import numpy as np

        start = len(self)
        self._store(ids, source)
        self._merge(self._hashes(ids), np.arange(start, start + len(ids), dtype=np.int64))

    def claim_runs(self, ids: Sequence[str], runs: Sequence[tuple[str, int]]) -> None:
        """Claim *ids* in runs: the first ``count`` for the first source, and so on."""
        if not ids:
            return
        import numpy as np

        start = len(self)
        begin = 0
        for source, count in runs:
            if count:
                self._store(ids[begin : begin + count], source)
                begin += count
        self._merge(self._hashes(ids), np.arange(start, start + len(ids), dtype=np.int64))

    def update(self, ids: Sequence[str]) -> None:
        """Claim every id in *ids* without a path (a set of ids)."""
        self.claim(ids, "")

    # --- inside ----------------------------------------------------------------------

    @staticmethod
    def _hashes(ids: Iterable[str]) -> np.ndarray[Any, Any]:
        import numpy as np

        return np.fromiter(map(hash, ids), dtype=np.int64)

    def _merge(self, hashes: np.ndarray[Any, Any], numbers: np.ndarray[Any, Any]) -> None:
        """Add ids (their hashes and numbers) to the sorted arrays."""
        import numpy as np

        order = hashes.argsort(kind="stable")
        hashes, numbers = hashes[order], numbers[order]
        places = self._keys.searchsorted(hashes, side="right")
        self._keys = np.insert(self._keys, places, hashes)
        self._values = np.insert(self._values, places, numbers)

    def _flush(self) -> None:
        import numpy as np

        pending, self._pending = self._pending, {}
        numbers = np.fromiter(pending.values(), dtype=np.int64, count=len(pending))
        self._merge(self._hashes(pending), numbers)

    def _store(self, ids: Sequence[str], source: str) -> None:
        number = self._numbers.get(source)
        if number is None:
            number = self._numbers[source] = len(self._sources)
            self._sources.append(source)
        if not self._run_sources or self._run_sources[-1] != number:
            self._run_starts.append(len(self))
            self._run_sources.append(number)
        encoded = [_utf8(doc_id) for doc_id in ids]
        base = len(self._bytes)
        self._bytes += b"".join(encoded)
        self._offsets.extend([base + end for end in accumulate(map(len, encoded))])

    def _find(self, doc_id: str) -> int:
        """Return the number of *doc_id*, or -1."""
        number = self._pending.get(doc_id)
        if number is not None:
            return number
        key = hash(doc_id)
        keys = self._keys
        place = int(keys.searchsorted(key))
        if place == len(keys) or keys[place] != key:
            return -1
        encoded = _utf8(doc_id)
        offsets, data = self._offsets, self._bytes
        while place < len(keys) and keys[place] == key:  # ids sharing a hash: about never
            number = int(self._values[place])
            if data[offsets[number] : offsets[number + 1]] == encoded:
                return number
            place += 1
        return -1
