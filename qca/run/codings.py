"""The codings table of a run: one row per (segment, code) its hits coded.

Before overrides every coding is ``auto`` and counts the code's hits in the segment;
:mod:`qca.overrides` then adds or removes codings by hand, or marks them reviewed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qca.models import CODE, CODING_COLUMNS, HITS, SEGMENT_ID, SOURCE, THEME

if TYPE_CHECKING:
    import pandas as pd


def codings_from_hits(hits: pd.DataFrame) -> pd.DataFrame:
    """Return one row per (segment, code) with its number of hits and source ``auto``.

    Examples:
        >>> codings_from_hits(hits).columns.tolist()  # doctest: +SKIP
        ['segment_id', 'theme', 'code', 'source', 'hits']
    """
    import numpy as np
    import pandas as pd

    if hits.empty:
        frame = pd.DataFrame({c: pd.Series(dtype=object) for c in CODING_COLUMNS})
        return frame.astype({HITS: "int64"})
    keys = [SEGMENT_ID, THEME, CODE]
    if not all(isinstance(hits[k].dtype, pd.StringDtype) for k in keys):  # as it always was
        counts = hits.groupby(keys, sort=True).size().reset_index(name=HITS)
        counts[SOURCE] = "auto"
        counts = counts.sort_values([SEGMENT_ID, CODE], kind="stable").reset_index(drop=True)
        return counts.astype({HITS: "int64"})[list(CODING_COLUMNS)]
    # Numbered in string order and counted with numpy, which takes a fraction of the
    # memory a groupby on the three string columns took (#16).
    segments, segment_ids = pd.factorize(hits[SEGMENT_ID], sort=True)
    codes, code_ids = pd.factorize(hits[CODE], sort=True)
    themes, theme_ids = pd.factorize(hits[THEME], sort=True)
    width = len(code_ids)
    pairs, first, counts = np.unique(  # sorted by segment_id, then code
        segments.astype(np.int64) * width + codes, return_index=True, return_counts=True
    )
    frame = pd.DataFrame(
        {
            SEGMENT_ID: segment_ids.take(pairs // width),
            THEME: theme_ids.take(themes[first]),  # a code belongs to one theme
            CODE: code_ids.take(pairs % width),
        }
    )
    frame[SOURCE] = "auto"
    frame[HITS] = counts.astype(np.int64)
    return frame[list(CODING_COLUMNS)]
