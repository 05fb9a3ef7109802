"""``--jobs N``: worker processes that read and code runs of files (#16, #19).

The files are cut into runs of consecutive files of about the same size (surveys
alone); each worker reads a run into one group, codes it with the engine it
inherited, writes the segments as one Arrow part and sends back the hits and
counts. The parent claims doc_ids in input order, as a serial run does, and
codes again itself any run whose doc_ids it cannot claim (rare). Workers die
with the parent (a parent-death signal on Linux, a watch on the parent elsewhere).
"""

from __future__ import annotations

import dataclasses
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.ingest.base import Batch
from qca.ingest.groups import GROUP_CHARS, Claims, Group, file_size, groupable, plan_groups
from qca.models import DOC_ID, WORDS
from qca.run.batches import match_batch, slim, speakers_as_per_file, token_store
from qca.run.memory import give_back
from qca.run.parts import Written, write_part

if TYPE_CHECKING:
    import pandas as pd

    from qca.engine.hits import Engine
    from qca.ingest import Sources
    from qca.options import CodeOptions

_WORKER: dict[str, Any] = {}

#: What the run gets for each batch or group: it, its hits (None: not coded yet),
#: and the part a worker wrote its segments to (None: the segments are in it).
Coded = tuple["Batch | Group", "pd.DataFrame | None", "Written | None"]


def die_with_parent(parent: int) -> None:
    """End this process when process *parent* ends (call it first thing in a worker)."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # pragma: no cover - not glibc or musl
            _watch_parent(parent)
    else:  # pragma: no cover - no parent-death signal there
        _watch_parent(parent)
    if os.getppid() != parent:  # the parent ended before the signal was set
        os._exit(1)


def _watch_parent(parent: int) -> None:  # pragma: no cover - only where prctl is missing
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _init_worker(
    engine: Engine,
    options: CodeOptions,
    sources: Sources,
    cache_dir: Path | None,
    temp: Path | None,
    language: str,
    parent: int,
) -> None:
    die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C: the parent stops the workers
    use_worker_state(worker_state(engine, options, sources, cache_dir, temp, language))


def worker_state(
    engine: Engine,
    options: CodeOptions,
    sources: Sources,
    cache_dir: Path | None,
    temp: Path | None,
    language: str,
) -> dict[str, Any]:
    """What a worker process holds for its runs: the engine, stores, options, parts folder."""
    from qca.ingest.store import SourceCache

    return {
        "engine": engine,
        "options": options,
        "sources": sources,
        "store": token_store(cache_dir),
        "source_cache": SourceCache(cache_dir if options.cache else None),
        "temp": temp,
        "language": language,
    }


def use_worker_state(state: dict[str, Any]) -> None:
    """Make *state* (from :func:`worker_state`) the one this process's worker functions use."""
    _WORKER.clear()
    _WORKER.update(state)


def _code_segments(segments: pd.DataFrame, files: list[list[str]]) -> pd.DataFrame:
    """Code *segments* of one file, or of several (*files*: each one's doc_ids)."""
    files = files or [segments[DOC_ID].tolist()]
    files_of = {doc_id: n for n, ids in enumerate(files) for doc_id in ids}
    hits = match_batch(slim(segments), _WORKER["engine"], _WORKER["options"], _WORKER["store"])
    give_back()  # as the serial run does after each batch
    return speakers_as_per_file(hits, files_of)


def _write(segments: pd.DataFrame, name: str) -> Written | None:
    """Write *segments* as a part in the run's temporary folder (None: no folder)."""
    from qca.engine.selection import segment_languages

    temp: Path | None = _WORKER["temp"]
    if temp is None:
        return None
    part = temp / name
    return Written(
        part,
        write_part(part, segments),
        len(segments),
        int(segments[WORDS].sum()) if WORDS in segments else 0,
        frozenset(segment_languages(segments, _WORKER["language"])),
    )


def _code_run(index: int, paths: tuple[Path, ...]) -> list[Coded]:
    """Read and code one run of files (in a worker process).

    With an output folder, the segments are written as a part here and left out
    of what is sent back (the frames keep their columns, no rows).
    """
    from qca.ingest.groups import read_group

    options: CodeOptions = _WORKER["options"]
    sources: Sources = _WORKER["sources"]
    if len(paths) == 1 and (options.cache or not groupable(paths[0])):
        return _code_file(index, paths[0])
    group = read_group(paths, options.ingest, sources)
    segments = group.segments
    if segments.empty:
        return [(group, None, None)]
    hits = _code_segments(segments, group.doc_ids())
    written = _write(segments, f"part-{index:06d}.arrow")
    if written is None:
        return [(group, hits, None)]
    slimmed = Group(group.files, group.documents[[DOC_ID]], segments.iloc[:0], {}, group.clean)
    return [(slimmed, hits, written)]


def _code_file(index: int, path: Path) -> list[Coded]:
    """Read one file alone (a survey, or through the cache) and code each of its batches."""
    options: CodeOptions = _WORKER["options"]
    coded: list[Coded] = []
    batches = _WORKER["source_cache"].batches(path, options.ingest, _WORKER["sources"])
    for number, batch in enumerate(batches):
        segments = batch.segments
        if segments.empty:
            coded.append((batch, None, None))
            continue
        hits = _code_segments(segments, [])
        written = _write(segments, f"part-{index:06d}-{number:06d}.arrow")
        if written is None:
            coded.append((batch, hits, None))
        else:
            coded.append((dataclasses.replace(batch, segments=segments.iloc[:0]), hits, written))
    return coded


def run_size(sources: Sources, jobs: int) -> int:
    """Return the bytes of files per run: about eight runs per worker, at most ``GROUP_CHARS``.

    Each run is one coding batch in a worker.
    """
    total = sum(file_size(path) for path in sources.files)
    return max(64_000, min(GROUP_CHARS, total // (8 * jobs) + 1))


def coded_runs(
    pool: Any, sources: Sources, options: CodeOptions, cache_dir: Path | None
) -> Iterator[Coded]:
    """Yield each file's batches (or each run's group) with their hits, in input order.

    The largest runs are started first; a survey is read here, in the parent, and
    its chunks coded by the workers, so that one big survey file is coded by all
    of them. Doc_ids are claimed here, in input order, as
    :func:`qca.ingest.iter_corpus` claims them. A run or batch whose doc_ids are
    not all new is read again here, file by file, and left for the caller to code.
    """
    from qca.ingest.corpus import problem_batches
    from qca.ingest.store import SourceCache

    for batch in problem_batches(sources, options.ingest.strict):
        yield batch, None, None
    reader = SourceCache(cache_dir).batches if options.cache else None
    claims = Claims(sources, options.ingest, reader)
    runs = plan_groups(sources.files, 0 if options.cache else run_size(sources, options.jobs))
    surveys = {n for n, run in enumerate(runs) if not groupable(run[0])}
    sizes = [sum(file_size(path) for path in run) for run in runs]
    order = sorted(range(len(runs)), key=lambda n: -sizes[n])
    futures = {n: pool.submit(_code_run, n, tuple(runs[n])) for n in order if n not in surveys}
    for n in range(len(runs)):
        if n in surveys:
            yield from _survey(pool, claims, runs[n][0], options.jobs)
            continue
        for number, (read, hits, written) in enumerate(futures.pop(n).result()):
            if isinstance(read, Group):
                for item in claims.group(read):
                    yield (item, hits, written) if item is read else (item, None, None)
                continue
            if written is not None and not _claims_all(read, claims):
                yield claims.again(runs[n][0], number), None, None
                continue
            batch = claims.batch(read)
            # Documents dropped for a used doc_id: code what is left again (rare).
            same = len(batch.segments) == len(read.segments)
            yield batch, hits if same else None, written if same else None


def _survey(pool: Any, claims: Claims, path: Path, jobs: int) -> Iterator[Coded]:
    """Read a survey here and have the workers code its chunks; yield them in order."""
    pending: deque[tuple[Batch, Any]] = deque()

    def done() -> Coded:
        batch, future = pending.popleft()
        return batch, (future.result() if future is not None else None), None

    for batch in claims.alone(path):
        segments = batch.segments
        future = None if segments.empty else pool.submit(_code_segments, slim(segments), [])
        pending.append((batch, future))
        while len(pending) > 2 * jobs:
            yield done()
    while pending:
        yield done()


def _claims_all(batch: Batch, claims: Claims) -> bool:
    """Whether :func:`qca.ingest.claim_doc_ids` would keep *batch* as it is."""
    from qca.ingest import SourceBatch

    if isinstance(batch, SourceBatch) and batch.duplicates:
        return False
    return claims.used.isdisjoint(batch.documents[DOC_ID].tolist())


def start_pool(
    engine: Engine,
    options: CodeOptions,
    sources: Sources,
    cache_dir: Path | None,
    temp: Path | None,
    language: str,
) -> Any:
    """Start ``options.jobs`` worker processes, each with its own copy of *engine*."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Fork (where safe) so workers start without re-importing spaCy or the
    # caller's script, sharing the loaded pipeline; start them now, before
    # ingest or pyarrow start threads.
    methods = multiprocessing.get_all_start_methods()
    method = "fork" if "fork" in methods and sys.platform != "darwin" else "spawn"
    pool = ProcessPoolExecutor(
        max_workers=options.jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(engine, options, sources, cache_dir, temp, language, os.getpid()),
    )
    for _ in range(options.jobs):  # start every worker now, while nothing else runs
        pool.submit(int)
    return pool


def stop_pool(pool: Any, failed: bool) -> None:
    """Shut *pool* down; when *failed* (an error or Ctrl-C), end its workers at once."""
    if failed:
        for process in list(getattr(pool, "_processes", {}).values()):
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)
