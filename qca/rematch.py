"""An edited codebook re-coded from the corpus token file: only the changed codes, no spaCy (#16).

``qca code`` after an edit of the codebook alone (:attr:`qca.rerun.OutputState.codebook_only`)
calls :func:`rematch`. It tells the changed codes from run.json's per-code digests
(:func:`qca.rerun.code_digests`), compiles their terms with the tokenizer rules kept
in the token file (:mod:`qca.engine.corpus_tokens`), matches them on the file's
tokens with numpy, puts their hits in place of the old ones and writes hits,
codings and run.json as the full run would, byte for byte, with pyarrow and the
``csv`` module (:mod:`qca.outputs_arrow`): neither spaCy nor pandas is imported.

Anything it cannot do exactly so returns the reason, and the caller codes as a
full run: no token file for the folder's ``segments.parquet``, every code changed
(so the codebook's language, unit or negation may differ), a changed code with a
token pattern that needs spaCy's Matcher, a new term whose chunks the kept rules
cannot split (:mod:`qca.engine.corpus_rules`), overrides, ``--model``, or a document whose hits all lack a speaker (the full
run's hits table would hold the speakers as objects, not strings).

:func:`record_corpus` and :func:`save_corpus` are the full run's side: it records
the tokens as it matches and saves the token file once its outputs are in place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.models import SEGMENTS_FILE

if TYPE_CHECKING:
    from qca.engine.batch import HitColumns
    from qca.engine.corpus_tokens import CorpusTokens
    from qca.engine.rules import Rules
    from qca.engine.store import TokenStore
    from qca.options import CodeOptions
    from qca.outputs_arrow import NewHits
    from qca.rerun import OutputState


def record_corpus(store: TokenStore | None, options: CodeOptions) -> None:
    """Have *store* record the corpus's tokens when the run codes every batch in this process."""
    from qca.engine.corpus_tokens import CorpusRecorder

    if store is not None and options.jobs == 1 and options.model is None:
        store.corpus = CorpusRecorder()


def save_corpus(store: TokenStore | None, outdir: Path, segments: int) -> None:
    """Save the recorded tokens as the token file of *outdir*'s ``segments.parquet``."""
    if store is not None and store.corpus is not None:
        store.corpus.write(store.folder, outdir / SEGMENTS_FILE, segments)
        store.corpus = None


@dataclass(frozen=True)
class Rematched:
    """What an edited re-run wrote: the new run.json and hits per code and theme."""

    outdir: Path
    manifest: dict[str, Any]
    per_code: dict[str, int]
    per_theme: dict[str, int]
    matched: int


def _cache_dir(options: CodeOptions, outdir: Path) -> Path:
    from qca.cachedir import default_cache_dir

    return options.cache_dir or default_cache_dir(outdir)


def rematch(codebook_path: str | Path, state: OutputState, options: CodeOptions) -> Rematched | str:
    """Re-code *state*'s output folder after an edit of the codebook at *codebook_path*.

    *state* must say ``codebook_only`` (:func:`qca.rerun.check_outputs`). Returns what
    was written, or why the edit needs a full run (then nothing was written).

    Raises:
        CodebookError: When the codebook has errors (as a full run would).
        OutputError: When the output folder cannot be written.
    """
    with _system_memory():
        return _rematch(codebook_path, state, options)


@contextmanager
def _system_memory() -> Iterator[None]:
    """Have pyarrow allocate with the C library's malloc while re-matching (restored after).

    Its default allocator (mimalloc) gives freed pages back and faults them in again:
    on the VM of docs/performance.md an edit at 10M words (shape C) spent 1.5 CPU s in
    the kernel with it, 0.5 s with malloc (3.84 -> 2.48 CPU s, 4 interleaved pairs).
    Buffers keep the allocator they came from, so restoring the default is safe.
    """
    import pyarrow as pa

    before = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(before)


def _rematch(
    codebook_path: str | Path, state: OutputState, options: CodeOptions
) -> Rematched | str:
    import json

    from qca.codebook import read_codebook
    from qca.models import RUN_FILE
    from qca.rerun import code_digests

    outdir = state.outdir
    if not state.codebook_only:
        return "not an edit of the codebook alone"
    if options.overrides is not None or options.model is not None or not options.cache:
        return "overrides, --model or --no-cache"
    manifest = json.loads((outdir / RUN_FILE).read_bytes())
    codebook = read_codebook(Path(codebook_path))
    before = dict((manifest.get("rerun") or {}).get("code_digests") or {})
    after = code_digests(codebook)
    changed = {code for code, digest in after.items() if before.get(code) != digest}
    if any(code.fallback for code in codebook.codes()):
        return "a fallback code (it depends on every other code's hits)"
    if not any(before.get(code) == digest for code, digest in after.items()):
        return "no code kept its rules"
    removed = set(before) - set(after)
    pipelines = manifest.get("pipeline") or {}
    language = codebook.language
    if list(pipelines) != [language] or manifest["codebook"].get("language") != language:
        return "more than one language"
    corpus = _load(options, outdir, str(pipelines[language]["fingerprint"]), manifest)
    if isinstance(corpus, str):
        return corpus
    from qca.outputs_arrow import NewHits

    new = NewHits([], [], [], [], [], [], [], [], [])
    segments = None
    if changed:
        from qca.engine.conditions import apply_conditions
        from qca.engine.corpus_rules import NeedsSpacy, compile_without_spacy
        from qca.engine.corpus_screen import match_corpus

        numbers = [n for n, code in enumerate(codebook.codes()) if code.id in changed]
        read = _SegmentRows(outdir / SEGMENTS_FILE)
        try:
            nested = options.count_nested
            rules = compile_without_spacy(codebook, corpus.header, count_nested=nested)
            rules = rules.only(numbers)
            matched = match_corpus(corpus, rules, read.texts)
        except NeedsSpacy as exc:
            return f"{exc} needs spaCy"
        found = apply_conditions(matched.hits, rules, matched.texts)
        new = _new_hits(read.positions, found, rules)
        segments = read.table
        del matched, found
    del corpus  # its token arrays (~60 MB at 10M words) go before the tables are rewritten
    from qca.outputs_arrow import rewrite_hits

    written = rewrite_hits(outdir, changed | removed, new, segments)
    if isinstance(written, str):
        return written
    hits_count, coded, per_code, per_theme, temp = written
    from qca.run.write import codebook_manifest

    info, themes, codes = codebook_manifest(codebook)
    manifest.update(codebook=info, themes=themes, codes=codes)
    manifest["counts"].update(hits=hits_count, coded_segments=coded)
    manifest["rerun"]["code_digests"] = after
    from qca.outputs_arrow import finish_outputs

    finish_outputs(temp, outdir, manifest)
    return Rematched(outdir, manifest, per_code, per_theme, len(changed))


class _SegmentRows:
    """Some rows of segments.parquet's columns that new hits take, read one row group at a time.

    :meth:`texts` reads the rows asked for (the segments an edited code may hit) and
    returns their texts; :attr:`table` then holds those rows, ascending, and
    :attr:`positions` the row of the table of each row asked for, in the order asked.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.table: Any = None
        self.positions: list[int] = []

    def texts(self, rows: Any) -> list[str]:
        import numpy as np
        import pyarrow as pa
        import pyarrow.parquet as pq

        from qca.models import DOC_ID, SEGMENT_ID, SPEAKER, START, TEXT
        from qca.outputs_merge import indices

        wanted = np.unique(rows)
        source = pq.ParquetFile(self.path, memory_map=True)
        columns = [DOC_ID, SEGMENT_ID, SPEAKER, START, TEXT]
        parts = []
        first = 0
        for group in range(source.num_row_groups):
            last = first + source.metadata.row_group(group).num_rows
            low, high = np.searchsorted(wanted, [first, last])
            if high > low:
                table = source.read_row_group(group, columns=columns)
                parts.append(table.take(indices(wanted[low:high] - first)))
            first = last
        # (no empty table of the schema: Schema.empty_table imports pandas)
        self.table = pa.concat_tables(parts).combine_chunks() if parts else None
        self.positions = np.searchsorted(wanted, rows).tolist()
        texts: list[str] = self.table.column(TEXT).to_pylist() if parts else []
        return [texts[n] for n in self.positions]


def _load(
    options: CodeOptions, outdir: Path, fingerprint: str, manifest: dict[str, Any]
) -> CorpusTokens | str:
    from qca.engine.corpus_tokens import corpus_path, load_corpus
    from qca.rerun import file_sha256

    # check_outputs found segments.parquet of the size and mtime_ns run.json records,
    # so it is the file whose sha256 run.json records (as it trusts every output):
    # not hashed again (70 MB at 10M words).
    stamp = ((manifest.get("outputs") or {}).get(SEGMENTS_FILE)) or {}
    key = stamp.get("sha256") if isinstance(stamp, dict) else None
    if not isinstance(key, str) or not key:
        key = file_sha256(outdir / SEGMENTS_FILE)
    segments = int((manifest.get("counts") or {}).get("segments", -1))
    path = corpus_path(_cache_dir(options, outdir), fingerprint, key)
    corpus = load_corpus(path, fingerprint, key, segments)
    if corpus is None:
        return "no token file for these segments"
    from qca.io import touch

    touch(path)
    return corpus


def _new_hits(positions: list[int], fresh: HitColumns, rules: Rules) -> NewHits:
    from qca.outputs_arrow import NewHits

    names = rules.codes
    return NewHits(
        rows=[positions[k] for k in fresh.segment],
        theme=[names[c][0] for c in fresh.code],
        code=[names[c][1] for c in fresh.code],
        kind=list(fresh.kind),
        rule=list(fresh.rule),
        start=list(fresh.start),
        end=list(fresh.end),
        negated=list(fresh.negated),
        cue=list(fresh.cue),
    )
