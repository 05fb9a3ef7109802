"""The whole coding run: transcripts + codebook -> segments, hits, codings and run.json.

``code(paths, codebook, outdir=...)`` streams batches from ingest (one per
source file), tokenises the segments to code (through the token cache), matches
the compiled codebook, and writes every output atomically: all files go to a
temporary folder next to the output folder and are renamed into place at the
end, so an interrupted run leaves the previous outputs as they were.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca import __version__
from qca.errors import Problem
from qca.ingest.base import Batch
from qca.models import RUN_FORMAT, SEGMENT_ID, SEGMENTS_FILE
from qca.options import CodeOptions as CodeOptions  # the run's options (qca.rerun reads them too)
from qca.options import options_manifest
from qca.progress import ByteProgress, ProgressState, chunk_bytes
from qca.rematch import record_corpus, save_corpus
from qca.run.batches import BATCH_CHARS as BATCH_CHARS
from qca.run.batches import Chunk, match_batch, speakers_as_per_file, token_store
from qca.run.codings import codings_from_hits
from qca.run.memory import give_back, release_memory
from qca.run.parts import HitParts, SegmentParts
from qca.run.totals import Totals
from qca.run.write import (
    cache_dir as run_cache_dir,
)
from qca.run.write import (
    codebook_manifest,
    pipeline_manifest,
    prepare_outdir,
    write_outputs,
)

if TYPE_CHECKING:
    import pandas as pd

    from qca.codebook.model import Codebook
    from qca.ingest import Sources
    from qca.ingest.groups import Group
    from qca.run.parts import Written
    from qca.run.pool import Coded

#: Called after each batch read and coded with how far the run is (see :mod:`qca.progress`).
Progress = Callable[[ProgressState], None]


@dataclass
class CodeResult:
    """What a coding run gave: the tables, the manifest and every problem."""

    hits: pd.DataFrame
    codings: pd.DataFrame
    manifest: dict[str, Any]
    problems: tuple[Problem, ...]
    outdir: Path | None = None
    _segments: pd.DataFrame | None = None

    @property
    def segments(self) -> pd.DataFrame:
        """Every segment (interviewer turns too), read back from the output folder if written."""
        if self._segments is None:
            import pandas as pd

            assert self.outdir is not None
            self._segments = pd.read_parquet(self.outdir / SEGMENTS_FILE)
        return self._segments

    @property
    def skipped(self) -> bool:
        """Whether any input file was skipped (the CLI exits 1 then)."""
        return any(p.is_error for p in self.problems)


def code_batches(
    batches: Iterable[Batch],
    codebook: Codebook,
    *,
    outdir: Path | None = None,
    options: CodeOptions | None = None,
    progress: Progress | None = None,
    batch_chars: int = BATCH_CHARS,
) -> CodeResult:
    """Code ingested *batches* with *codebook*; write the outputs to *outdir* if given.

    This is :func:`code` after ingest; tests and other front ends can feed batches directly.
    The batches are coded in this process (``options.jobs`` is not used).

    Raises:
        CodingError: When the pipeline cannot be loaded.
        OutputError: When *outdir* is a file or cannot be written.
    """
    tracker = ByteProgress({}) if progress is not None else None
    return _code(
        batches, None, codebook, outdir, options or CodeOptions(), progress, batch_chars, tracker
    )


def _code(
    batches: Iterable[Batch | Group],
    sources: Sources | None,
    codebook: Codebook,
    outdir: Path | None,
    options: CodeOptions,
    progress: Progress | None,
    batch_chars: int = BATCH_CHARS,
    tracker: ByteProgress | None = None,
    notify: Callable[[str], None] | None = None,
) -> CodeResult:
    """Code *batches*, or with *sources* let the worker processes read and code the files."""

    from qca.engine.hits import Engine, empty_hits, sort_hits
    from qca.engine.pipeline import spacy_version
    from qca.ingest.groups import Group
    from qca.rerun import run_stamps
    from qca.run.pool import coded_runs, start_pool, stop_pool

    started = datetime.now(UTC).isoformat(timespec="seconds")
    engine = Engine.from_codebook(codebook, model=options.model, count_nested=options.count_nested)
    cache_dir = run_cache_dir(options, outdir)
    temp = prepare_outdir(outdir) if outdir is not None else None
    try:
        parts = SegmentParts(temp)
        hit_parts = HitParts(temp)
        totals = Totals(codebook.language)
        counts = totals.counts
        found_hits = 0

        def report() -> None:
            if progress is not None and tracker is not None:
                progress(tracker.state(segments=counts["segments"], hits=found_hits))

        def collect(hits: pd.DataFrame) -> None:
            nonlocal found_hits
            if not hits.empty:
                hit_parts.add(hits)
            found_hits += len(hits)
            give_back()  # the batch's frames are freed: keep the heap from growing
            report()

        chunk = Chunk(batch_chars)

        def flush(engine: Engine) -> None:
            """Code the segments gathered from consecutive files as one batch."""
            files = chunk.files
            gathered = chunk.take()
            if gathered is not None:
                found = match_batch(gathered, engine, options, store)
                collect(speakers_as_per_file(found, files))

        store = token_store(cache_dir)
        record_corpus(store, options)  # one token file for edited re-runs (qca.rematch)
        pool: Any = None
        planned = options
        if options.scheduler and sources is not None:  # a Dask cluster (#23)
            from qca.run.cluster import start_cluster

            pool, planned = start_cluster(
                options.scheduler, engine, options, sources, cache_dir, temp, codebook.language
            )
            if notify is not None and pool.dashboard is not None:
                notify(f"Dask dashboard: {pool.dashboard}")
        elif options.jobs > 1 and sources is not None:
            pool = start_pool(engine, options, sources, cache_dir, temp, codebook.language)
        pairs: Iterable[Coded] = (
            _uncoded(batches)
            if sources is None or pool is None
            else coded_runs(pool, sources, planned, cache_dir)
        )

        def take(
            engine: Engine, item: Batch | Group, coded: pd.DataFrame | None, written: Written | None
        ) -> None:
            """Count, write and code what one file (or group of files) gave."""
            segments = item.segments
            files: list[list[str]] = []
            if isinstance(item, Group):
                totals.group(item)
                files = item.doc_ids()
            else:
                totals.batch(item, written.segments if written else len(segments))
            if tracker is not None:
                _track(tracker, item)
            if written is not None:  # a worker wrote the segments
                totals.written(written.segments, written.words, written.languages)
                parts.register(written.part, written.schema)
                assert coded is not None  # a worker writes the segments it coded
                collect(coded)
                return
            if segments.empty:
                return
            totals.segments(segments)
            parts.add(segments)
            if coded is not None:
                collect(coded)
            elif chunk.add(segments, files):
                flush(engine)
            else:
                report()

        failed = True
        try:
            for one in pairs:
                take(engine, *one)
                del one  # the file's frames go before the next is read (not held twice)
            flush(engine)
            if tracker is not None:
                tracker.finish()
                report()
            failed = False
        finally:
            if pool is not None:
                stop_pool(pool, failed)
        if store is None or store.corpus is None:  # every batch is coded: free the strings
            engine.bound_lexicons(0)
        give_back()
        problems = totals.problems
        inputs = totals.inputs
        languages = totals.languages
        pipelines = pipeline_manifest(engine, languages)
        del engine  # its caches grow with the words seen (#19): free them before writing
        release_memory(counts["words"])
        if temp is not None:  # before the hits are joined: one of them in memory at a time
            parts.write(temp / SEGMENTS_FILE)
        joined = hit_parts.join()
        hits = sort_hits(joined) if joined is not None else empty_hits()
        del joined
        give_back()
        codings = codings_from_hits(hits)
        give_back()
        if options.overrides is not None:  # manual decisions (qca override, issue #6)
            from qca.overrides import apply_overrides_file

            codings, found = apply_overrides_file(
                options.overrides,
                codings,
                parts.parts if parts.folder is not None else parts.frame(),
                {c.id: c.theme for c in codebook.codes()},
            )
            problems.extend(found)
        codebook_info, themes, codes = codebook_manifest(codebook)
        manifest: dict[str, Any] = {
            "format": RUN_FORMAT,
            "qca_version": __version__,
            "spacy_version": spacy_version(),
            "pipeline": pipelines,
            "codebook": codebook_info,
            "themes": themes,
            "codes": codes,
            "inputs": [inputs[path] for path in sorted(inputs)],
            "options": options_manifest(options),
            "counts": {
                **counts,
                "coded_segments": int(codings[SEGMENT_ID].nunique()),
                "hits": len(hits),
            },
            "problems": [str(p) for p in problems],
            "outputs": {},  # filled in as the files are written
            "rerun": run_stamps(options, codebook, inputs, problems),
            "started": started,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        result = CodeResult(hits, codings, manifest, tuple(problems), outdir)
        if temp is None or outdir is None:
            result._segments = parts.frame()
            return result
        write_outputs(temp, outdir, hits, codings, manifest)
        save_corpus(store, outdir, counts["segments"])
        return result
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def code(
    paths: Sequence[str | Path],
    codebook: Codebook | str | Path,
    *,
    outdir: str | Path | None = None,
    options: CodeOptions | None = None,
    progress: Progress | None = None,
    batch_chars: int = BATCH_CHARS,
    notify: Callable[[str], None] | None = None,
) -> CodeResult:
    """Code transcripts with a codebook; return segments, hits and codings.

    Args:
        paths: Transcript files or folders (as ``qca ingest`` takes them).
        codebook: A :class:`~qca.codebook.model.Codebook` or the path of a YAML codebook.
        outdir: Write ``segments.parquet``, ``hits.parquet``, ``codings.parquet``,
            ``hits.csv``, ``codings.csv`` and ``run.json`` there (atomically); None writes nothing.
        options: See :class:`CodeOptions`.
        progress: Called after each batch with a :class:`~qca.progress.ProgressState`:
            bytes of input read of the total, files done, segments, hits and time.
        batch_chars: Code consecutive files together in batches of about this many
            characters of text (the outputs do not depend on it).
        notify: Called with a line for the user while the run goes on: with
            ``options.scheduler``, the link to the Dask dashboard when it has one.

    Returns:
        A :class:`CodeResult`; files that could not be read are in its ``problems``.

    Raises:
        CodebookError: When the codebook has errors (nothing else is done).
        CodingError: When the pipeline cannot be loaded.
        OutputError: When *outdir* is a file or cannot be written.

    Examples:
        >>> result = qca.code(["transcripts"], "codebooks/esther.yaml", outdir="qca-out")  # doctest: +SKIP
        >>> result.hits.groupby("theme").size()  # doctest: +SKIP
    """
    from qca.codebook import Codebook, read_codebook
    from qca.ingest import find_sources
    from qca.ingest.groups import GROUP_CHARS, iter_groups
    from qca.ingest.store import SourceCache

    if not isinstance(codebook, Codebook):
        codebook = read_codebook(Path(codebook))
    options = options or CodeOptions()
    ingest = dataclasses.replace(options.ingest, unit=options.unit or codebook.unit)
    ingest = ingest.excluding(
        codebook.exclude_speakers, include_interviewer=options.include_interviewer
    )
    options = dataclasses.replace(options, ingest=ingest, unit=ingest.unit)
    files = [Path(p) for p in paths]
    target = Path(outdir) if outdir is not None else None
    if options.scheduler:  # before anything is read: without Dask, say how to install it
        from qca.run.scheduler import require_dask

        require_dask()
    tracker = _tracker(files, ingest.participants) if progress is not None else None
    if options.jobs > 1 or options.scheduler:  # workers read the files too
        sources = find_sources(files, ingest)
        return _code((), sources, codebook, target, options, progress, batch_chars, tracker, notify)
    # Small files are read in groups of about 1 MB; through the cache, one by one.
    read = SourceCache(run_cache_dir(options, target)).batches if options.cache else None
    batches = iter_groups(files, ingest, limit=min(batch_chars, GROUP_CHARS), read=read)
    return _code(batches, None, codebook, target, options, progress, batch_chars, tracker)


def _uncoded(batches: Iterable[Batch | Group]) -> Iterator[Coded]:
    """Yield each of *batches* as not coded yet, holding none while the next one is read."""
    for batch in batches:
        yield batch, None, None
        del batch


def _tracker(files: list[Path], participants: Path | None) -> ByteProgress:
    """A :class:`ByteProgress` over the sizes of the files the run will read."""
    from qca.ingest.files import find_files

    found, _, _ = find_files(files, participants)
    sizes: dict[str, int] = {}
    for path in found:
        try:
            sizes[str(path)] = path.stat().st_size
        except OSError:  # gone since: the reader reports it
            sizes[str(path)] = 0
    return ByteProgress(sizes)


def _track(tracker: ByteProgress, item: Batch | Group) -> None:
    """Count what *item* read: each file of a group in full, a survey by its chunk."""
    from qca.ingest.groups import Group

    if isinstance(item, Group):
        for file in item.files:
            tracker.read(str(file.source))
    elif item.input:
        tracker.read(str(item.source), chunk_bytes(item))
