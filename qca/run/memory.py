"""Freed memory handed back to the operating system (#16, #19)."""

from __future__ import annotations

import ctypes
import gc
import sys


def give_back() -> None:
    """Return freed heap pages to the OS: pyarrow's pool, then glibc's ``malloc_trim``.

    A batch's frames, token arrays and hits are freed when the next one starts, but
    both allocators keep the pages for reuse. Interleaved with the long-lived
    lexicon and doc_ids, glibc's heap then grows batch after batch: on 10M words
    of survey comments the process held ~130 MB more between batches without this
    (#16). Costs about a millisecond; does nothing where ``malloc_trim`` is missing.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    if sys.platform.startswith("linux"):
        trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
        if trim is not None:  # glibc (not musl)
            trim(0)


#: Below this many words a run's caches are small, and a full collection (0.1-0.3 s with
#: spaCy and pandas loaded) would cost more than it frees.
COLLECT_WORDS = 50_000


def release_memory(words: int) -> None:
    """Free unreachable objects after a run of *words*, then :func:`give_back` the freed heap.

    The engine's caches hold reference cycles, so they are freed only by the
    collector. After coding a 50 MB one-line transcript this gave back about
    180 MB before ``segments.parquet`` was written (#19).
    """
    if words >= COLLECT_WORDS:
        gc.collect()
    give_back()
