"""Coded output as integer arrays, and the counts of ``qca themes`` taken on them.

``qca themes`` on a million survey comments meets ~1.5M hits and ~1M segments. Joining
and de-duplicating them as strings (``isin``, ``merge``, ``drop_duplicates`` on text
columns) costs tens of seconds and gigabytes; here every string column is factorized
once (hashing in C), and the rest is integer arithmetic in numpy: a hit becomes
(codable segment, code), a coded unit the same, and a count is a ``bincount`` over
``key * groups + group``. The definitions are the ones in :mod:`qca.themes`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qca.models import (
    CODE,
    DOC_ID,
    DOCUMENTS,
    IS_INTERVIEWER,
    MENTIONS,
    NEGATED,
    SEGMENT_ID,
    SEGMENTS,
    SOURCE,
    SPEAKER,
    SPEAKERS,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    IntArray = npt.NDArray[np.int64]
    BoolArray = npt.NDArray[np.bool_]

#: Python's ``round(x, 2)`` and numpy's can differ only this close to a half cent.
_HALF_CENT_SLACK = 1e-6


def factorize(parts: Sequence[pd.Series]) -> list[IntArray]:
    """Return one integer code array per series, equal values sharing a code across them.

    Missing values get ``-1``. Codes are numbered in order of first appearance, so the
    first series' values have the smallest codes. Arrow-backed string columns (pandas'
    ``str``) are encoded by pyarrow chunk by chunk, without copying the strings.
    """
    import numpy as np
    import pandas as pd

    if not parts:
        return []
    if all(_arrow_strings(p) for p in parts):
        import pyarrow as pa
        import pyarrow.compute as pc

        # Hits of one segment are neighbours: encode only the first of each run.
        chunks: list[pa.Array] = []
        runs: list[IntArray | None] = []
        for part in parts:
            for chunk in pa.chunked_array(part.array.__arrow_array__()).chunks:
                chunk = chunk.cast(pa.large_string())
                starts = np.ones(len(chunk), dtype=bool)
                if len(chunk) > 1:
                    change = pc.not_equal(chunk.slice(1), chunk.slice(0, len(chunk) - 1))
                    starts[1:] = pc.fill_null(change, True).to_numpy(zero_copy_only=False)
                if starts.sum() < 0.9 * len(chunk):
                    chunks.append(chunk.filter(pa.array(starts)))
                    runs.append(np.cumsum(starts) - 1)
                else:
                    chunks.append(chunk)
                    runs.append(None)
        encoded = pc.dictionary_encode(pa.chunked_array(chunks, type=pa.large_string()))
        found = np.concatenate(
            [
                np.zeros(0, dtype=np.int32),
                *(
                    (pc.fill_null(c.indices, -1) if c.null_count else c.indices).to_numpy()
                    for c in encoded.chunks
                ),
            ]
        )
        # Back to one code per input row: split by the encoded chunks, expand the runs.
        ends = np.cumsum([len(c) for c in chunks])
        pieces = np.split(found, ends[:-1]) if chunks else []
        indices = [
            piece if run is None else piece[run] for piece, run in zip(pieces, runs, strict=True)
        ]
        codes = np.concatenate([np.zeros(0, dtype=np.int32), *indices])
    else:
        joined = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
        codes = np.asarray(pd.factorize(joined)[0])
    bounds = np.cumsum([0, *(len(p) for p in parts)])
    return [codes[bounds[i] : bounds[i + 1]] for i in range(len(parts))]


def _arrow_strings(values: pd.Series) -> bool:
    """Whether *values* is a pandas string column stored by pyarrow."""
    import pandas as pd

    dtype = values.dtype
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def lookup(values: pd.Series, keys: Sequence[str]) -> np.ndarray:
    """Return the position of each value in *keys* (strings), ``-1`` when absent or missing."""
    import numpy as np
    import pandas as pd

    if isinstance(values.dtype, pd.CategoricalDtype):
        codes, uniques = values.cat.codes.to_numpy(), values.cat.categories
    else:
        codes, uniques = pd.factorize(values)
    where = {key: i for i, key in enumerate(keys)}
    found = [where.get(u, -1) if isinstance(u, str) else -1 for u in uniques]
    table = np.array([*found, -1], dtype=np.int64)  # code -1 (missing) takes the last
    return table[codes]


def isin(values: pd.Series, allowed: pd.Series | pd.Index) -> np.ndarray:
    """Return ``values.isin(allowed)`` as a bool array, hashing each string once."""
    import pandas as pd

    allowed_series = pd.Series(allowed) if isinstance(allowed, pd.Index) else allowed
    if not len(allowed_series):
        return pd.Series(values).isna().to_numpy() & False
    left, right = factorize([allowed_series.dropna(), values])
    if not len(left):
        return right < -1
    return (right >= 0) & (right <= int(left.max()))


def flags(values: pd.Series) -> np.ndarray:
    """Return a bool column as a numpy array, a missing value as False."""
    import numpy as np

    return np.asarray(values.fillna(False).astype(bool), dtype=bool)


def distinct(*columns: np.ndarray) -> list[np.ndarray]:
    """Return the distinct rows of the integer *columns* (each >= 0), as columns again."""
    import numpy as np
    import pandas as pd

    if not len(columns[0]):
        return [c[:0] for c in columns]
    sizes = [int(c.max()) + 1 for c in columns]
    bound = 1
    for size in sizes:
        bound *= size
    if bound < 2**62:
        key = np.zeros(len(columns[0]), dtype=np.int64)
        for column, size in zip(columns, sizes, strict=True):
            key = key * size + column
        if bound <= max(8 * len(key), 1 << 22):
            seen = np.zeros(bound, dtype=bool)  # a byte per possible row beats hashing
            seen[key] = True
            key = np.flatnonzero(seen)
        else:
            key = pd.unique(key)
        out: list[np.ndarray] = []
        for size in reversed(sizes):
            out.append(key % size)
            key = key // size
        return out[::-1]
    frame = pd.DataFrame({str(i): c for i, c in enumerate(columns)}).drop_duplicates()
    return [frame[str(i)].to_numpy() for i in range(len(columns))]


def round2(values: np.ndarray) -> np.ndarray:
    """Return ``round(v, 2)`` for each float, exactly as Python rounds (numpy's way, checked)."""
    import numpy as np

    out = np.round(values, 2)
    scaled = values * 100.0
    near = np.abs(scaled - np.floor(scaled) - 0.5) < _HALF_CENT_SLACK
    if near.any():
        out[near] = [round(float(v), 2) for v in values[near]]
    return out


@dataclass(frozen=True)
class Coded:
    """Hits and coded units over the codable segments, as integer arrays.

    Attributes:
        base: Row positions (in the segments frame) of the codable segments.
        hit_segment: Per used hit, the index of its segment in ``base``.
        hit_code: Per used hit, the index of its code in ``code_ids``.
        unit_segment: Per distinct coded (segment, code), the segment's index in ``base``.
        unit_code: Its code's index in ``code_ids``.
        code_ids: Code ids, codebook order.
    """

    base: IntArray
    hit_segment: IntArray
    hit_code: IntArray
    unit_segment: IntArray
    unit_code: IntArray
    code_ids: tuple[str, ...]
    hit_rows: IntArray


def encode(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    code_ids: Sequence[str],
    *,
    exclude_negated: bool = False,
    include_interviewer: bool = False,
) -> Coded:
    """Return the used hits and the coded units of :func:`qca.themes.theme_table` as integers.

    A hit is used when its segment is codable and its code is one of *code_ids* (and,
    with *exclude_negated*, it is not negated). The coded units come from *codings* when
    given (an automatic coding without a used hit goes under *exclude_negated*), else
    from the used hits.
    """
    import numpy as np

    n = len(segments)
    if include_interviewer or IS_INTERVIEWER not in segments.columns:
        base = np.arange(n, dtype=np.int64)
    else:
        base = np.flatnonzero(~flags(segments[IS_INTERVIEWER])).astype(np.int64)
    parts = [segments[SEGMENT_ID], hits[SEGMENT_ID]]
    if codings is not None:
        parts.append(codings[SEGMENT_ID])
    ids = factorize(parts)
    # A segment id's code -> the index in base of its (first) codable segment, else -1;
    # the last slot answers code -1 (a missing id).
    width = int(max((int(c.max()) for c in ids if len(c)), default=-1)) + 2
    where = np.full(width, -1, dtype=np.int64)
    codable = ids[0][base]
    known = codable >= 0
    where[codable[known][::-1]] = np.flatnonzero(known)[::-1]
    keys = tuple(code_ids)
    k = max(len(keys), 1)

    hit_segment = where[ids[1]]
    hit_code = lookup(hits[CODE], keys)
    keep = (hit_segment >= 0) & (hit_code >= 0)
    if exclude_negated:
        keep &= ~flags(hits[NEGATED])
    hit_rows = np.flatnonzero(keep)
    hit_segment, hit_code = hit_segment[keep], hit_code[keep]

    if codings is None:
        unit_segment, unit_code = hit_segment, hit_code
    else:
        unit_segment = where[ids[2]]
        unit_code = lookup(codings[CODE], keys)
        keep = (unit_segment >= 0) & (unit_code >= 0)
        if exclude_negated:
            pairs = unit_segment * k + unit_code
            supported = isin_int(pairs, hit_segment * k + hit_code)
            manual = np.asarray((codings[SOURCE] != "auto").fillna(True), dtype=bool)
            keep &= manual | supported
        unit_segment, unit_code = unit_segment[keep], unit_code[keep]
    unit_segment, unit_code = distinct(unit_segment, unit_code)
    return Coded(base, hit_segment, hit_code, unit_segment, unit_code, keys, hit_rows)


def isin_int(values: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Return whether each integer of *values* is in *allowed* (hashing, not sorting)."""
    import numpy as np
    import pandas as pd

    if not len(allowed):
        return np.zeros(len(values), dtype=bool)
    return np.asarray(pd.Index(pd.unique(allowed)).get_indexer(values) >= 0)


def column_codes(values: pd.Series) -> IntArray:
    """Return ``pd.factorize(values)[0]``; a sorted arrow string column by its runs (no hashing).

    Segments are written document by document, so their ``doc_id`` column is usually
    sorted: then a value's code is the number of changes before it.
    """
    import numpy as np
    import pandas as pd

    if _arrow_strings(values) and len(values) > 1:
        import pyarrow as pa
        import pyarrow.compute as pc

        arrow = pa.chunked_array(values.array.__arrow_array__())
        if arrow.null_count == 0:
            head, tail = arrow.slice(0, len(arrow) - 1), arrow.slice(1)
            if pc.all(pc.less_equal(head, tail)).as_py():
                changes = pc.not_equal(head, tail).to_numpy(zero_copy_only=False)
                return np.concatenate([[0], np.cumsum(changes, dtype=np.int64)])
    return np.asarray(pd.factorize(values)[0], dtype=np.int64)


def segment_keys(segments: pd.DataFrame, base: IntArray) -> tuple[IntArray, IntArray]:
    """Per codable segment: its document's code, and its speaker's (document, speaker) code.

    A segment without a speaker (missing or empty) gets speaker code ``-1``.
    """
    import numpy as np
    import pandas as pd

    documents = column_codes(segments[DOC_ID])[base]
    documents = np.where(documents < 0, int(documents.max(initial=0)) + 1, documents)
    column = segments[SPEAKER]
    if _arrow_strings(column):
        empty = column.isna().to_numpy(dtype=bool) | column.eq("").to_numpy(dtype=bool)
    else:
        empty = column.isna().to_numpy(dtype=bool) | column.astype(str).eq("").to_numpy()
    none = empty[base]
    speakers = np.where(none, -1, column_codes(column)[base])
    if _one_each(speakers):
        return documents, speakers  # one speaker per segment: its own (document, speaker)
    pairs = documents * (int(speakers.max(initial=0)) + 2) + speakers + 1
    pair_codes = np.asarray(pd.factorize(pairs)[0], dtype=np.int64)
    return documents, np.where(none, -1, pair_codes)


def counts(
    coded: Coded,
    key_of_code: np.ndarray,
    n_keys: int,
    group: np.ndarray,
    n_groups: int,
    segment_keys: tuple[np.ndarray, np.ndarray] | None,
) -> Mapping[str, np.ndarray]:
    """Mentions, segments, documents and speakers per (key, group), each ``(n_keys, n_groups)``.

    Args:
        coded: The encoded hits and units.
        key_of_code: Per code index, its key (itself for codes, its theme for themes).
        n_keys: How many keys.
        group: Per codable segment, its group (0 without ``by``).
        n_groups: How many groups.
        segment_keys: Document and speaker codes per codable segment
            (:func:`segment_keys`); ``None`` leaves documents and speakers at zero.
    """
    import numpy as np

    size = n_keys * n_groups

    def tally(keys: np.ndarray, groups: np.ndarray) -> np.ndarray:
        flat = np.bincount(keys * n_groups + groups, minlength=size)
        return np.asarray(flat[:size], dtype=np.int64).reshape(n_keys, n_groups)

    found: dict[str, Any] = {}
    found[MENTIONS] = tally(key_of_code[coded.hit_code], group[coded.hit_segment])
    if np.array_equal(key_of_code, np.arange(len(key_of_code))):
        segment, key = coded.unit_segment, coded.unit_code  # codes: units are distinct
    else:
        segment, key = distinct(coded.unit_segment, key_of_code[coded.unit_code])
    found[SEGMENTS] = tally(key, group[segment])
    if segment_keys is None:
        found[DOCUMENTS] = found[SPEAKERS] = np.zeros((n_keys, n_groups), dtype=np.int64)
        return found
    documents, speakers = segment_keys
    for measure, owner in ((DOCUMENTS, documents), (SPEAKERS, speakers)):
        if _one_each(owner):
            # Every codable segment has its own document (a survey): counts are the same.
            found[measure] = found[SEGMENTS]
            continue
        has = owner[segment] >= 0
        _, k, g = distinct(owner[segment][has], key[has], group[segment][has])
        found[measure] = tally(k, g)
    return found


def _one_each(owner: IntArray) -> bool:
    """Whether every codable segment has an owner code of its own (none missing)."""
    import numpy as np

    if not len(owner) or int(owner.min()) < 0:
        return False
    seen = np.zeros(int(owner.max()) + 1, dtype=bool)
    seen[owner] = True
    return int(seen.sum()) == len(owner)


def code_index(codes: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Code id -> its index in the code order of :func:`encode` (first listing wins)."""
    return {code: i for i, code in enumerate(dict.fromkeys(str(c[CODE]) for c in codes))}
