"""``--jobs N``: worker processes that read and code whole files."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.ingest.base import Batch
from qca.models import DOC_ID, WORDS
from qca.run.batches import match_batch, token_store
from qca.run.parts import Written, write_part

if TYPE_CHECKING:
    import pandas as pd

    from qca.engine.hits import Engine
    from qca.ingest import DocIds, Sources
    from qca.options import CodeOptions

_WORKER: dict[str, Any] = {}


def _init_worker(
    engine: Engine, options: CodeOptions, cache_dir: Path | None, temp: Path | None, language: str
) -> None:
    from qca.ingest.store import SourceCache

    source_cache = SourceCache(cache_dir if options.cache else None)
    _WORKER.update(
        engine=engine,
        options=options,
        store=token_store(cache_dir),
        sources=source_cache,
        temp=temp,
        language=language,
    )


def work(segments: pd.DataFrame) -> pd.DataFrame:
    return match_batch(segments, _WORKER["engine"], _WORKER["options"], _WORKER["store"])


#: A file's batch as a worker returns it: the batch (its segments left out when
#: written as a part), its hits, and the part written.
Coded = tuple[Batch, "pd.DataFrame | None", "Written | None"]


def _work_file(path: Path, sources: Sources, index: int) -> list[Coded]:
    """Read one source file and code its batches (in a worker process).

    With an output folder, each batch's segments are written as a part here and
    left out of the batch sent back (``segments`` keeps the columns, no rows).
    """
    from qca.engine.hits import segment_languages

    options: CodeOptions = _WORKER["options"]
    temp: Path | None = _WORKER["temp"]
    coded: list[Coded] = []
    for number, batch in enumerate(_WORKER["sources"].batches(path, options.ingest, sources)):
        segments = batch.segments
        if segments.empty:
            coded.append((batch, None, None))
            continue
        hits = work(segments)
        if temp is None:
            coded.append((batch, hits, None))
            continue
        part = temp / f"part-{index:06d}-{number:06d}.arrow"
        written = Written(
            part,
            write_part(part, segments),
            len(segments),
            int(segments[WORDS].sum()) if WORDS in segments else 0,
            frozenset(segment_languages(segments, _WORKER["language"])),
        )
        coded.append((dataclasses.replace(batch, segments=segments.iloc[:0]), hits, written))
    return coded


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _claims_all(batch: Batch, used: DocIds) -> bool:
    """Whether :func:`qca.ingest.claim_doc_ids` would keep *batch* as it is."""
    from qca.ingest import SourceBatch

    if isinstance(batch, SourceBatch) and batch.duplicates:
        return False
    return used.isdisjoint(batch.documents[DOC_ID].tolist())


def coded_files(pool: Any, sources: Sources, options: CodeOptions) -> Iterator[Coded]:
    """Yield each file's batches with their hits, read and coded by *pool*, in input order.

    The largest files are started first, so that one big survey file does not
    run alone at the end; doc_ids are claimed here, in input order, as
    :func:`qca.ingest.iter_corpus` claims them. A batch that loses documents to a
    used doc_id (rare) is read again here, whole, and coded again.
    """
    from qca.errors import IngestError
    from qca.ingest import DocIds, claim_doc_ids
    from qca.ingest.corpus import problem_batches

    for batch in problem_batches(sources, options.ingest.strict):
        yield batch, None, None
    order = sorted(range(len(sources.files)), key=lambda n: -_file_size(sources.files[n]))
    futures = {n: pool.submit(_work_file, sources.files[n], sources, n) for n in order}
    used = DocIds()
    for n in range(len(sources.files)):
        for number, (read, hits, written) in enumerate(futures[n].result()):
            if written is not None and not _claims_all(read, used):
                read, written = _read_again(sources, options, n, number), None
            batch = claim_doc_ids(read, used)
            if options.ingest.strict and batch.skipped:
                raise IngestError(problems=[p for p in batch.problems if p.is_error][:1])
            # Documents dropped for a used doc_id: code what is left again (rare).
            same = len(batch.segments) == len(read.segments)
            yield batch, hits if same else None, written


def _read_again(sources: Sources, options: CodeOptions, n: int, number: int) -> Batch:
    """Return batch *number* of file *n* as the worker read it, segments included."""
    from qca.ingest import read_source

    for found, batch in enumerate(read_source(sources.files[n], options.ingest, sources)):
        if found == number:
            return batch
    raise AssertionError("a file gave fewer batches on a second reading")  # pragma: no cover


def start_pool(
    engine: Engine, options: CodeOptions, cache_dir: Path | None, temp: Path | None, language: str
) -> Any:
    """Start ``options.jobs`` worker processes, each with its own copy of *engine*."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # Fork (where safe) so workers start without re-importing spaCy or the
    # caller's script; start them now, before ingest or pyarrow start threads.
    methods = multiprocessing.get_all_start_methods()
    method = "fork" if "fork" in methods and sys.platform != "darwin" else "spawn"
    pool = ProcessPoolExecutor(
        max_workers=options.jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(engine, options, cache_dir, temp, language),
    )
    pool.submit(int).result()
    return pool
