"""Hits and codings rewritten with pyarrow and the ``csv`` module, as the full run writes them.

The full run writes its tables with pandas (``DataFrame.to_parquet``, ``to_csv``);
an edited re-run (:mod:`qca.rematch`) must not import pandas (about a second), yet
write the same bytes. So here:

- the parquet files keep the schema of the files they replace (the same Arrow
  types and the same pandas metadata, which holds no row count) and are written
  with ``pyarrow.parquet.write_table``'s defaults, as pandas calls it;
- the CSVs are written by ``csv.writer`` with pandas' settings (``,``, minimal
  quoting, ``\\n``), booleans as ``True``/``False`` (:mod:`qca.outputs_csv`);
- hits are sorted by doc_id, segment_id, start, code, end (:func:`qca.engine.hits.sort_hits`;
  pyarrow compares strings by their UTF-8 bytes, which is the order of their code
  points, as pandas sorts them); codings count hits per segment, theme and code,
  sorted by segment, code, theme (:func:`qca.run.codings.codings_from_hits`).

Tests compare every file with a cold run's (``tests/test_rematch.py``).

Readers check that hits and codings name segments the folder has with pyarrow too
(:func:`first_missing`): pandas' ``isin`` on Arrow strings is slow at a million rows.
"""

from __future__ import annotations

import bisect
import itertools
import json
import shutil
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from operator import is_not
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError
from qca.models import (
    CODE,
    CODING_COLUMNS,
    CODINGS_CSV,
    CODINGS_FILE,
    DOC_ID,
    END,
    HIT_COLUMNS,
    HITS,
    HITS_CSV,
    HITS_FILE,
    MATCH,
    NEGATED,
    NEGATION_CUE,
    RULE,
    RULE_KIND,
    RUN_FILE,
    SEGMENT_ID,
    SOURCE,
    SPEAKER,
    START,
    TEXT,
    THEME,
)
from qca.outputs_csv import rewrite_csv
from qca.outputs_merge import merge_rows, numbers

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa


@dataclass(frozen=True)
class NewHits:
    """The changed codes' hits as columns: rows of the segments table given, then the hit fields."""

    rows: list[int]
    theme: list[str]
    code: list[str]
    kind: list[str]
    rule: list[str]
    start: list[int]
    end: list[int]
    negated: list[bool]
    cue: list[str]


_REWRITTEN = (HITS_FILE, CODINGS_FILE, HITS_CSV, CODINGS_CSV)
#: What :func:`rewrite_hits` gives: hits, coded segments, hits per code and theme, temp folder.
Written = tuple[int, int, dict[str, int], dict[str, int], Path]


def _array(values: list[Any], kind: pa.DataType) -> pa.Array:
    """Return *values* (strings or None, integers, booleans) as an Arrow array of *kind*.

    Built from buffers: ``pa.array`` on a list imports pandas (to ask whether the
    list is a pandas object), which costs an edited re-run about a second.
    """
    import numpy as np
    import pyarrow as pa

    count = len(values)
    nulls = values.count(None)
    bitmap = None
    if nulls:
        valid = np.fromiter(map(is_not, values, repeat(None)), dtype=np.bool_, count=count)
        bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    if pa.types.is_boolean(kind):
        bits = np.fromiter((bool(v) for v in values), dtype=np.bool_, count=count)
        data = pa.py_buffer(np.packbits(bits, bitorder="little"))
        return pa.Array.from_buffers(kind, count, [bitmap, data], null_count=nulls)
    if pa.types.is_signed_integer(kind):
        width = np.dtype(f"<i{kind.bit_width // 8}")
        numbers = np.fromiter((v or 0 for v in values), dtype=width, count=count)
        return pa.Array.from_buffers(kind, count, [bitmap, pa.py_buffer(numbers)], null_count=nulls)
    if pa.types.is_null(kind) and not nulls - count:
        return pa.nulls(count)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise TypeError(f"no Arrow array of {kind} here")
    texts = [v if v is not None else "" for v in values] if nulls else values
    data = "".join(texts).encode("utf-8")
    if len(data) == sum(map(len, texts)):  # ASCII: a character is a byte
        sizes = np.fromiter(map(len, texts), dtype=np.int64, count=count)
    else:
        sizes = np.fromiter((len(v.encode("utf-8")) for v in texts), dtype=np.int64, count=count)
    offsets = np.zeros(count + 1, dtype=np.int64 if pa.types.is_large_string(kind) else np.int32)
    np.cumsum(sizes, out=offsets[1:])
    buffers = [bitmap, pa.py_buffer(offsets), pa.py_buffer(data)]
    return pa.Array.from_buffers(kind, count, buffers, null_count=nulls)


def _new_table(segments: pa.Table, new: NewHits, schema: pa.Schema) -> pa.Table:
    """Return the new hits as a table of *schema*, with their *segments*' columns."""
    import pyarrow as pa

    wanted = sorted(set(new.rows))
    columns = [DOC_ID, SEGMENT_ID, SPEAKER, START, TEXT]
    table = segments
    picked = table.take(_array(wanted, pa.int64()))
    at = {row: n for n, row in enumerate(wanted)}
    values = {name: picked.column(name).to_pylist() for name in columns}
    where = [at[row] for row in new.rows]
    speakers = [values[SPEAKER][n] for n in where]
    base = [values[START][n] for n in where]
    texts = values[TEXT]
    data: dict[str, list[Any]] = {
        DOC_ID: [values[DOC_ID][n] for n in where],
        SEGMENT_ID: [values[SEGMENT_ID][n] for n in where],
        SPEAKER: speakers,
        THEME: new.theme,
        CODE: new.code,
        RULE_KIND: new.kind,
        RULE: new.rule,
        MATCH: [texts[n][s:e] for n, s, e in zip(where, new.start, new.end, strict=True)],
        START: [b + s for b, s in zip(base, new.start, strict=True)],
        END: [b + e for b, e in zip(base, new.end, strict=True)],
        NEGATED: new.negated,
        NEGATION_CUE: new.cue,
    }
    arrays = [_array(data[field.name], field.type) for field in schema]
    return pa.Table.from_arrays(arrays, schema=schema)


def rewrite_hits(
    outdir: Path,
    dropped: set[str],
    new: NewHits,
    segments: pa.Table | None,
) -> Written | str:
    """Write hits and codings with the hits of *dropped* codes replaced by *new* into a temp folder.

        *segments*: the rows of segments.parquet's doc_id, segment_id, speaker, start and
        text that ``new.rows`` number (None when there are no new hits). hits.parquet is
        written from one chunk per column, as the full run writes it
        (:func:`qca.run.write.write_hits_parquet`). The kept codes' rows of both tables, and their CSV
    lines, are taken as they are; only the new rows are formatted.

        Returns what :data:`Written` says, or why the files could not be written as the
        full run would (nothing is left behind then).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    old = pq.ParquetFile(outdir / HITS_FILE, memory_map=True).read()
    if old.num_rows == 0 or old.column_names != list(HIT_COLUMNS):
        return "no hits before the edit"  # an empty table has other dtypes
    old_codings = pq.ParquetFile(outdir / CODINGS_FILE, memory_map=True).read()
    if old_codings.column_names != list(CODING_COLUMNS):
        return "codings.parquet has other columns"
    fresh = None
    if new.rows:
        assert segments is not None
        fresh = _new_table(segments, new, old.schema)
    keys = (DOC_ID, SEGMENT_ID, START, CODE, END)
    hits, source = merge_rows(old, _kept(old, dropped), fresh, keys)
    if hits.num_rows == 0:
        return "no hits after the edit"
    if not _speakers_as_strings(hits):
        return "a document's hits all lack a speaker"
    # codings: the kept codes' rows as they were, a row per (segment, code) of the new hits
    counts: Counter[tuple[Any, Any, Any]] = Counter()
    if fresh is not None:
        names = (SEGMENT_ID, CODE, THEME)
        counts.update(zip(*(fresh.column(n).to_pylist() for n in names), strict=True))
    ordered = sorted(counts)
    codings = {
        SEGMENT_ID: [k[0] for k in ordered],
        THEME: [k[2] for k in ordered],
        CODE: [k[1] for k in ordered],
        SOURCE: ["auto"] * len(ordered),
        HITS: [counts[k] for k in ordered],
    }
    schema = old_codings.schema
    arrays = [_array(codings[f.name], f.type) for f in schema]
    added = pa.Table.from_arrays(arrays, schema=schema) if ordered else None
    kept = _kept(old_codings, dropped)
    coding_table, coding_source = merge_rows(old_codings, kept, added, (SEGMENT_ID, CODE, THEME))
    temp = _temp_folder(outdir)
    try:
        pq.write_table(hits.combine_chunks(), temp / HITS_FILE, compression="snappy")
        pq.write_table(coding_table, temp / CODINGS_FILE, compression="snappy")
        parts = (old.num_rows, fresh, source, hits)
        rewrite_csv(outdir, temp, HITS_CSV, HIT_COLUMNS, parts)
        parts = (old_codings.num_rows, added, coding_source, coding_table)
        rewrite_csv(outdir, temp, CODINGS_CSV, CODING_COLUMNS, parts)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    per_code = _counts(hits.column(CODE))
    per_theme = _counts(hits.column(THEME))
    return (
        hits.num_rows,
        _distinct_sorted(coding_table.column(SEGMENT_ID)),
        per_code,
        per_theme,
        temp,
    )


def _distinct_sorted(column: pa.ChunkedArray) -> int:
    """Return how many distinct values sorted *column* holds (equal values are neighbours)."""
    import pyarrow.compute as pc

    count = len(column)
    if count < 2:
        return count
    differ = pc.not_equal(column.slice(1), column.slice(0, count - 1))
    return 1 + int(pc.sum(differ).as_py() or 0)


def _kept(table: pa.Table, dropped: set[str]) -> Any:
    """Return the numbers of *table*'s rows not of *dropped* codes (a numpy int64 array)."""
    import numpy as np
    import pyarrow.compute as pc

    if not dropped:
        return np.arange(table.num_rows, dtype=np.int64)
    gone = _array(sorted(dropped), table.schema.field(CODE).type)
    keep = pc.invert(pc.is_in(table.column(CODE), value_set=gone))
    return numbers(pc.indices_nonzero(keep))


def _counts(column: pa.ChunkedArray) -> dict[str, int]:
    """Return how many times each value of *column* occurs."""
    import pyarrow.compute as pc

    found = pc.value_counts(column)
    values = found.field("values").to_pylist()
    return dict(zip(values, found.field("counts").to_pylist(), strict=True))


def _speakers_as_strings(hits: pa.Table) -> bool:
    """Whether the full run's *hits* would hold speakers as strings, as the old file does.

    The full run makes the column ``object`` when a file's hits all lack a speaker
    (``qca.coding``); a document with a hit that has one rules that out for its file.
    """
    import pyarrow.compute as pc

    pandas = json.loads((hits.schema.metadata or {}).get(b"pandas", b"{}"))
    kinds = {c.get("name"): c.get("numpy_type") for c in pandas.get("columns", [])}
    if kinds.get(SPEAKER) != "str":
        return False
    silent = pc.is_null(hits.column(SPEAKER))
    if not pc.any(silent).as_py():
        return True
    docs = hits.column(DOC_ID)
    spoken = pc.unique(pc.filter(docs, pc.invert(silent)))
    return bool(pc.all(pc.is_in(pc.filter(docs, silent), value_set=spoken)).as_py())


def _temp_folder(outdir: Path) -> Path:
    from qca.folders import stage_folder

    return stage_folder(outdir)


def finish_outputs(temp: Path, outdir: Path, manifest: dict[str, Any]) -> None:
    """Write run.json beside the rewritten tables in *temp*, then swap *temp* in as *outdir*.

    As the full run does (:func:`qca.folders.switch_folder`): one atomic swap, so the
    folder is the old run or this one; ``segments.parquet`` and any other file of
    *outdir* is carried over as it is (its stamp in run.json too).
    """
    from datetime import UTC, datetime

    from qca.folders import switch_folder
    from qca.rerun import output_stamps

    try:
        manifest["outputs"].update(output_stamps(temp, _REWRITTEN))
        now = datetime.now(UTC).isoformat(timespec="seconds")
        manifest["started"] = manifest["finished"] = now
        text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
        (temp / RUN_FILE).write_text(text, encoding="utf-8")
        output_stamps(temp, (RUN_FILE,))  # fsync run.json too
        switch_folder(temp, outdir, RUN_FILE)
    except OSError as exc:
        raise OutputError(
            f"{outdir}: cannot write the outputs ({exc.strerror or exc}); "
            "choose a writable folder with -d"
        ) from None
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def first_missing(parts: Sequence[pd.Series], allowed: pd.Series) -> tuple[int, str] | None:
    """Return which of *parts* has a value not among *allowed*, and the first such value.

    Hashed by pyarrow in C: pandas' ``isin`` on Arrow strings makes a Python object of
    every allowed value (60 s for a million segments).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    def arrow(series: pd.Series) -> list[pa.Array]:
        data = pa.array(series.array, from_pandas=True)
        chunks = data.chunks if isinstance(data, pa.ChunkedArray) else [data]
        decoded = [c.dictionary_decode() if pa.types.is_dictionary(c.type) else c for c in chunks]
        return [c.cast(pa.large_string()) for c in decoded]

    pieces = [arrow(part) for part in parts]
    values = pa.chunked_array([c for piece in pieces for c in piece], pa.large_string())
    allowed_values = pa.chunked_array(arrow(allowed), pa.large_string()).combine_chunks()
    found = pc.is_in(values, value_set=allowed_values)
    if pc.all(found).as_py() is not False:
        return None
    position = pc.index(found, False).as_py()
    ends = list(itertools.accumulate(len(part) for part in parts))
    return bisect.bisect_right(ends, position), str(values[position].as_py())
