"""The whole coding run: transcripts + codebook -> segments, hits, codings and run.json.

``code(paths, codebook, outdir=...)`` streams batches from ingest (one per
source file), tokenises the segments to code (through the token cache), matches
the compiled codebook, and writes every output atomically: all files go to a
temporary folder next to the output folder and are renamed into place at the
end, so an interrupted run leaves the previous outputs as they were.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca import __version__
from qca.errors import OutputError, Problem
from qca.ingest.base import Batch
from qca.models import (
    CODE,
    CODING_COLUMNS,
    CODINGS_CSV,
    CODINGS_FILE,
    DOC_ID,
    FORMAT,
    HITS,
    HITS_CSV,
    HITS_FILE,
    IS_INTERVIEWER,
    LANGUAGE,
    RUN_FILE,
    RUN_FORMAT,
    SEGMENT_ID,
    SEGMENTS_FILE,
    SOURCE,
    SPEAKER,
    START,
    TEXT,
    THEME,
    WORDS,
)
from qca.options import CodeOptions as CodeOptions  # the run's options (qca.rerun reads them too)
from qca.options import options_manifest

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from qca.codebook.model import Codebook
    from qca.engine.hits import Engine
    from qca.engine.store import TokenStore
    from qca.ingest import DocIds, Sources

#: Called after each source file: (files done, segments so far, hits so far).
Progress = Callable[[int, int, int], None]


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


def codings_from_hits(hits: pd.DataFrame) -> pd.DataFrame:
    """Return one row per (segment, code) with its number of hits and source ``auto``.

    Examples:
        >>> codings_from_hits(hits).columns.tolist()  # doctest: +SKIP
        ['segment_id', 'theme', 'code', 'source', 'hits']
    """
    import pandas as pd

    if hits.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in CODING_COLUMNS})
        return frame.astype({HITS: "int64"})
    counts = hits.groupby([SEGMENT_ID, THEME, CODE], sort=True).size().reset_index(name=HITS)
    counts[SOURCE] = "auto"
    counts = counts.sort_values([SEGMENT_ID, CODE], kind="stable").reset_index(drop=True)
    return counts.astype({HITS: "int64"})[list(CODING_COLUMNS)]


# --- workers -------------------------------------------------------------------

_WORKER: dict[str, Any] = {}
_SEGMENT_FIELDS = (DOC_ID, SEGMENT_ID, SPEAKER, IS_INTERVIEWER, START, TEXT, LANGUAGE)


def _init_worker(
    engine: Engine, options: CodeOptions, cache_dir: Path | None, temp: Path | None, language: str
) -> None:
    from qca.ingest.store import SourceCache

    source_cache = SourceCache(cache_dir if options.cache else None)
    _WORKER.update(
        engine=engine,
        options=options,
        store=_token_store(cache_dir),
        sources=source_cache,
        temp=temp,
        language=language,
    )


@dataclass(frozen=True)
class _Written:
    """What a worker sends back instead of a batch's segments: it wrote them as a part.

    Pickling whole segment frames (the transcripts' text) back to the parent cost
    the workers and the parent about as much as writing them where they are (#9).
    """

    part: Path
    schema: pa.Schema
    segments: int
    words: int
    languages: frozenset[str]


def _token_store(cache_dir: Path | None) -> TokenStore | None:
    from qca.engine.store import TokenStore

    return TokenStore(cache_dir) if cache_dir is not None else None


def _match_batch(
    segments: pd.DataFrame, engine: Engine, options: CodeOptions, store: TokenStore | None
) -> pd.DataFrame:
    from qca.engine.hits import code_batch

    return code_batch(
        segments,
        engine,
        include_interviewer=options.include_interviewer,
        store=store,
        sort=False,
    )


def _work(segments: pd.DataFrame) -> pd.DataFrame:
    return _match_batch(segments, _WORKER["engine"], _WORKER["options"], _WORKER["store"])


#: A file's batch as a worker returns it: the batch (its segments left out when
#: written as a part), its hits, and the part written.
_Coded = tuple[Batch, "pd.DataFrame | None", "_Written | None"]


def _work_file(path: Path, sources: Sources, index: int) -> list[_Coded]:
    """Read one source file and code its batches (in a worker process).

    With an output folder, each batch's segments are written as a part here and
    left out of the batch sent back (``segments`` keeps the columns, no rows).
    """
    from qca.engine.hits import segment_languages

    options: CodeOptions = _WORKER["options"]
    temp: Path | None = _WORKER["temp"]
    coded: list[_Coded] = []
    for number, batch in enumerate(_WORKER["sources"].batches(path, options.ingest, sources)):
        segments = batch.segments
        if segments.empty:
            coded.append((batch, None, None))
            continue
        hits = _work(segments)
        if temp is None:
            coded.append((batch, hits, None))
            continue
        part = temp / f"part-{index:06d}-{number:06d}.arrow"
        written = _Written(
            part,
            _write_part(part, segments),
            len(segments),
            int(segments[WORDS].sum()) if WORDS in segments else 0,
            frozenset(segment_languages(segments, _WORKER["language"])),
        )
        coded.append((dataclasses.replace(batch, segments=segments.iloc[:0]), hits, written))
    return coded


#: Text (in characters) gathered from consecutive files into one coding batch.
BATCH_CHARS = 4_000_000


class _Chunk:
    """Segments of consecutive files gathered into one coding batch of about *limit* characters.

    Coding a batch has a fixed cost (a token-store entry, pandas frames, a hits
    frame) that dominates on small files; one batch per ~4 MB of text pays it
    once instead of once per file (#16). Only the columns the engine reads are
    kept, as lists, and joined into one frame when the batch is coded.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.columns: dict[str, list[Any]] = {c: [] for c in _SEGMENT_FIELDS}
        self.dtypes: dict[str, Any] = {}
        self.files: dict[Any, int] = {}  # doc_id -> the number of its file in the batch
        self.rows = 0
        self.chars = 0

    def add(self, segments: pd.DataFrame) -> bool:
        """Add *segments*; return whether the batch is full (code it then)."""
        count = len(segments)
        for name, values in self.columns.items():
            if name in segments.columns:
                values.extend(segments[name].tolist())
                dtype = segments[name].dtype  # kept when every file has it alike
                if self.dtypes.setdefault(name, dtype) != dtype:
                    self.dtypes[name] = object  # as pd.concat would join them
            else:
                values.extend([None] * count)
                self.dtypes[name] = object
        self.rows += count
        number = len(self.files) and max(self.files.values()) + 1
        self.files.update(dict.fromkeys(segments[DOC_ID].tolist(), number))
        self.chars += sum(map(len, self.columns[TEXT][-count:])) if count else 0
        return self.chars >= self.limit

    def take(self) -> pd.DataFrame | None:
        """Return the gathered segments as one frame (None when empty) and start afresh."""
        import pandas as pd

        if not self.rows:
            return None
        columns = {
            name: pd.Series(values, dtype=self.dtypes.get(name))
            for name, values in self.columns.items()
            if any(x is not None for x in values)
        }
        frame = pd.DataFrame(columns)
        self.dtypes = {}
        self.files = {}
        self.columns = {c: [] for c in _SEGMENT_FIELDS}
        self.rows = self.chars = 0
        return frame


def _speakers_as_per_file(hits: pd.DataFrame, files: dict[Any, int]) -> pd.DataFrame:
    """Give *hits*' speaker column the dtype joining one hits frame per file would give.

    A file whose hits all lack a speaker makes an object column, and joining it
    with the others' string columns makes them object too (hits.parquet's type).
    """
    if hits.empty or hits[SPEAKER].dtype == object:
        return hits
    missing = hits[SPEAKER].isna()
    if missing.any() and missing.groupby(hits[DOC_ID].map(files).to_numpy()).all().any():
        hits[SPEAKER] = hits[SPEAKER].astype(object)
    return hits


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


def _coded_files(pool: Any, sources: Sources, options: CodeOptions) -> Iterator[_Coded]:
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


def _slim(segments: pd.DataFrame) -> pd.DataFrame:
    """Return the columns a worker needs (no attributes to pickle)."""
    return segments[[c for c in _SEGMENT_FIELDS if c in segments.columns]]


# --- the run -------------------------------------------------------------------


def _prepare_outdir(outdir: Path) -> Path:
    """Create *outdir* if needed; return a fresh temporary folder beside it."""
    if outdir.exists() and not outdir.is_dir():
        raise OutputError(
            f"{outdir}: the output folder is a file; remove it or choose another folder with -d"
        )
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{outdir.name}.", suffix=".tmp", dir=outdir.parent))
    except OSError as exc:
        raise OutputError(
            f"{outdir}: cannot write the output folder ({exc.strerror or exc}); "
            "choose a writable folder with -o"
        ) from None


class _SegmentParts:
    """Segments written batch by batch as Arrow IPC parts, joined into one parquet file.

    A part is one batch as an uncompressed Arrow IPC file (``pa.Table.from_pandas``,
    the same Arrow types a parquet round trip gives back): cheap to write, and read
    back memory-mapped without decoding. Only one part is in memory at a time, so a
    run's memory stays flat however many segments it writes.
    """

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.parts: list[Path] = []
        self.frames: list[pd.DataFrame] = []
        self._names: set[str] = set()
        self._types: dict[str, pa.DataType] = {}

    def add(self, segments: pd.DataFrame) -> None:
        """Write *segments* as the next part (keep them in memory when nothing is written)."""
        if self.folder is None:
            self.frames.append(segments)
            return
        part = self.folder / f"part-{len(self.parts):06d}.arrow"
        self.register(part, _write_part(part, segments))

    def register(self, part: Path, schema: pa.Schema) -> None:
        """Add *part*, written by :func:`_write_part` (e.g. in a worker), as the next part."""
        import pyarrow as pa

        self.parts.append(part)
        for name in schema.names:
            self._names.add(name)
            kind = schema.field(name).type
            if pa.types.is_null(kind):
                continue
            if name in self._types and self._types[name] != kind:
                self._types[name] = pa.string()
            else:
                self._types.setdefault(name, kind)

    def frame(self) -> pd.DataFrame:
        """Return all segments in memory (only when nothing is written)."""
        import pandas as pd

        from qca.models import SEGMENT_COLUMNS

        if not self.frames:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in SEGMENT_COLUMNS})
        return pd.concat(self.frames, ignore_index=True)

    def write(self, path: Path) -> None:
        """Join the parts into *path*, one row group each.

        Columns: SEGMENT_COLUMNS, then attributes by name. A column's type is its
        first non-null type among the parts; columns whose types differ between
        parts become strings, as do columns that are null in every part; a part
        without a column gets nulls.
        """
        import pyarrow as pa
        import pyarrow.parquet as pq

        from qca.models import SEGMENT_COLUMNS

        columns = [c for c in SEGMENT_COLUMNS if c in self._names or not self.parts]
        columns += sorted(self._names - set(SEGMENT_COLUMNS))
        target = pa.schema([(c, self._types.get(c, pa.string())) for c in columns])
        with pq.ParquetWriter(path, target) as writer:
            for part in self.parts:
                with pa.memory_map(str(part)) as source:
                    table = pa.ipc.open_file(source).read_all()
                    arrays = []
                    for column in target:
                        if column.name in table.column_names:
                            array = table.column(column.name)
                            if array.type != column.type:
                                array = array.cast(column.type)
                            arrays.append(array)
                        else:
                            arrays.append(pa.nulls(table.num_rows, column.type))
                    writer.write_table(pa.Table.from_arrays(arrays, schema=target))
                    del table, arrays
            if not self.parts:
                writer.write_table(target.empty_table())
        pa.default_memory_pool().release_unused()  # give the parts' buffers back to the OS


def _write_part(part: Path, segments: pd.DataFrame) -> pa.Schema:
    """Write *segments* to *part* as an uncompressed Arrow IPC file; return its schema."""
    import pyarrow as pa

    table = pa.Table.from_pandas(segments, preserve_index=False)
    with pa.OSFile(str(part), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return table.schema


def _pipeline_manifest(engine: Engine, languages: Iterable[str]) -> dict[str, Any]:
    manifest: dict[str, Any] = {}
    for language in sorted(set(languages) | {engine.rules.language}):
        pipeline = engine.pipelines.get(language)
        manifest[language] = {
            "name": pipeline.model or f"blank:{pipeline.nlp.lang}",
            "model": pipeline.model,
            "components": ["tokenizer", *pipeline.components, "lemma_lookup", "sentence_rule"],
            "fingerprint": pipeline.fingerprint,
        }
    return manifest


def _codebook_manifest(codebook: Codebook) -> tuple[dict[str, Any], list[Any], list[Any]]:
    info = {
        "path": str(codebook.path) if codebook.path else None,
        "sha256": codebook.sha256,
        "name": codebook.name,
        "version": codebook.version,
        "language": codebook.language,
    }
    themes = [{"theme": t.id, "label": t.label} for t in codebook.themes]
    codes = [
        {"theme": c.theme, "code": c.id, "label": c.label, "parent": c.parent}
        for c in codebook.codes()
    ]
    return info, themes, codes


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

    Raises:
        CodingError: When the pipeline cannot be loaded.
        OutputError: When *outdir* is a file or cannot be written.
    """
    return _code(batches, None, codebook, outdir, options or CodeOptions(), progress, batch_chars)


def _cache_dir(options: CodeOptions, outdir: Path | None) -> Path | None:
    """Return the cache folder, or None with ``cache=False``."""
    if not options.cache:
        return None
    return options.cache_dir or (outdir.parent if outdir is not None else Path(".")) / ".qca-cache"


def _code(
    batches: Iterable[Batch],
    sources: Sources | None,
    codebook: Codebook,
    outdir: Path | None,
    options: CodeOptions,
    progress: Progress | None,
    batch_chars: int = BATCH_CHARS,
) -> CodeResult:
    """Code *batches*, or with *sources* let the worker processes read and code each file."""
    import pandas as pd

    from qca.engine.hits import Engine, empty_hits, segment_languages, sort_hits
    from qca.engine.pipeline import spacy_version
    from qca.ingest.store import file_sha256
    from qca.rerun import run_stamps

    started = datetime.now(UTC).isoformat(timespec="seconds")
    engine = Engine.from_codebook(codebook, model=options.model)
    cache_dir = _cache_dir(options, outdir)
    temp = _prepare_outdir(outdir) if outdir is not None else None
    try:
        parts = _SegmentParts(temp)
        hit_frames: list[pd.DataFrame] = []
        problems: list[Problem] = []
        inputs: dict[str, dict[str, Any]] = {}
        counts = {"documents": 0, "segments": 0, "words": 0, "skipped_files": 0}
        found_hits = 0
        languages: set[str] = set()

        def collect(batch: Batch | None, hits: pd.DataFrame) -> None:
            nonlocal found_hits
            if not hits.empty:
                hit_frames.append(hits)
            found_hits += len(hits)
            if progress is not None:
                progress(len(inputs), counts["segments"], found_hits)

        chunk = _Chunk(batch_chars)

        def flush() -> None:
            """Code the segments gathered from consecutive files as one batch."""
            files = chunk.files
            gathered = chunk.take()
            if gathered is not None:
                found = _match_batch(gathered, engine, options, store)
                collect(None, _speakers_as_per_file(found, files))

        pending: deque[tuple[Batch, Any]] = deque()
        store = _token_store(cache_dir)
        pool = None
        if options.jobs > 1:
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
                initargs=(engine, options, cache_dir, temp, codebook.language),
            )
            pool.submit(int).result()
        pairs: Iterable[_Coded] = (
            ((batch, None, None) for batch in batches)
            if sources is None or pool is None
            else _coded_files(pool, sources, options)
        )
        try:
            for batch, coded, written in pairs:
                problems.extend(batch.problems)
                if batch.skipped:
                    counts["skipped_files"] += 1
                documents, segments = batch.documents, batch.segments
                source = str(batch.source)
                if source not in inputs:  # one entry per file, however many batches it gives
                    inputs[source] = {
                        "path": source,
                        "sha256": file_sha256(batch.source),
                        "format": None,
                        "documents": 0,
                    }
                if inputs[source]["format"] is None and FORMAT in documents.columns:
                    inputs[source]["format"] = next(iter(documents[FORMAT].tolist()), None)
                inputs[source]["documents"] += len(documents)
                if written is not None:  # a worker wrote the segments
                    counts["documents"] += len(documents)
                    counts["segments"] += written.segments
                    counts["words"] += written.words
                    languages.update(written.languages)
                    parts.register(written.part, written.schema)
                    assert coded is not None  # a worker writes the segments it coded
                    collect(batch, coded)
                    continue
                if segments.empty:
                    continue
                counts["documents"] += len(documents)
                counts["segments"] += len(segments)
                counts["words"] += int(segments[WORDS].sum()) if WORDS in segments else 0
                languages.update(segment_languages(segments, codebook.language))
                parts.add(segments)
                if coded is not None:
                    collect(batch, coded)
                    continue
                if pool is None:
                    if chunk.add(segments):
                        flush()
                    elif progress is not None:
                        progress(len(inputs), counts["segments"], found_hits)
                    continue
                pending.append((batch, pool.submit(_work, _slim(segments))))
                while len(pending) >= 2 * options.jobs:
                    done_batch, future = pending.popleft()
                    collect(done_batch, future.result())
            flush()
            while pending:
                done_batch, future = pending.popleft()
                collect(done_batch, future.result())
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        if temp is not None:  # before the hits are joined: one of them in memory at a time
            parts.write(temp / SEGMENTS_FILE)
        joined = pd.concat(hit_frames, ignore_index=True) if hit_frames else None
        hit_frames.clear()  # the batches' frames are in *joined* now: free them
        hits = sort_hits(joined) if joined is not None else empty_hits()
        del joined
        codings = codings_from_hits(hits)
        if options.overrides is not None:  # manual decisions (qca override, issue #6)
            from qca.overrides import apply_overrides_file

            codings, found = apply_overrides_file(
                options.overrides,
                codings,
                parts.parts if parts.folder is not None else parts.frame(),
                {c.id: c.theme for c in codebook.codes()},
            )
            problems.extend(found)
        codebook_info, themes, codes = _codebook_manifest(codebook)
        manifest: dict[str, Any] = {
            "format": RUN_FORMAT,
            "qca_version": __version__,
            "spacy_version": spacy_version(),
            "pipeline": _pipeline_manifest(engine, languages),
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
        _write_outputs(temp, outdir, hits, codings, manifest)
        return result
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


def _write_outputs(
    temp: Path,
    outdir: Path,
    hits: pd.DataFrame,
    codings: pd.DataFrame,
    manifest: dict[str, Any],
) -> None:
    """Write the tables into *temp*, then rename each into *outdir* (run.json last).

    ``segments.parquet`` is already in *temp*.
    """
    from qca.rerun import output_stamps

    hits.to_parquet(temp / HITS_FILE, index=False)
    codings.to_parquet(temp / CODINGS_FILE, index=False)
    hits.to_csv(temp / HITS_CSV, index=False, lineterminator="\n")
    codings.to_csv(temp / CODINGS_CSV, index=False, lineterminator="\n")
    names = (SEGMENTS_FILE, HITS_FILE, CODINGS_FILE, HITS_CSV, CODINGS_CSV, RUN_FILE)
    for name in names[:-1]:
        with (temp / name).open("rb") as handle:
            os.fsync(handle.fileno())
    manifest["outputs"] = output_stamps(temp, names[:-1])  # a rename keeps size and mtime
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    (temp / RUN_FILE).write_text(text, encoding="utf-8")
    with (temp / RUN_FILE).open("rb") as handle:
        os.fsync(handle.fileno())
    try:
        for name in names:
            os.replace(temp / name, outdir / name)
    except OSError as exc:
        raise OutputError(
            f"{outdir}: cannot write the outputs ({exc.strerror or exc}); "
            "choose a writable folder with -o"
        ) from None


def code(
    paths: Sequence[str | Path],
    codebook: Codebook | str | Path,
    *,
    outdir: str | Path | None = None,
    options: CodeOptions | None = None,
    progress: Progress | None = None,
    batch_chars: int = BATCH_CHARS,
) -> CodeResult:
    """Code transcripts with a codebook; return segments, hits and codings.

    Args:
        paths: Transcript files or folders (as ``qca ingest`` takes them).
        codebook: A :class:`~qca.codebook.model.Codebook` or the path of a YAML codebook.
        outdir: Write ``segments.parquet``, ``hits.parquet``, ``codings.parquet``,
            ``hits.csv``, ``codings.csv`` and ``run.json`` there (atomically); None writes nothing.
        options: See :class:`CodeOptions`.
        progress: Called after each source file.
        batch_chars: Code consecutive files together in batches of about this many
            characters of text (the outputs do not depend on it).

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
    from qca.ingest import find_sources, iter_corpus
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
    if options.jobs > 1:  # workers read the files too
        sources = find_sources(files, ingest)
        return _code((), sources, codebook, target, options, progress, batch_chars)
    read = SourceCache(_cache_dir(options, target)).batches
    batches = iter_corpus(files, ingest, read=read)
    return _code(batches, None, codebook, target, options, progress, batch_chars)
