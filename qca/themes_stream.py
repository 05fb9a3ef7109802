"""``qca themes`` counted window by window, in bounded memory (#23 item 5).

:func:`qca.outputs_stream.iter_windows` walks the three parquet files of an output
folder side by side in windows of whole documents; :func:`qca.theme_counts.theme_counts`
counts each window, and the counts add up: every measure counts segments, documents
or (document, speaker) pairs, and no document spans two windows. Only the counts per
theme, code and group stay in memory (and the group labels of ``by``), so memory does
not grow with the number of segments. A folder whose files are not in one order is
read whole, as before (:func:`stream_theme_table` returns ``None``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.models import MEASURES

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

    from qca.outputs import CodedOutput
    from qca.theme_counts import ThemeCounts


@dataclass
class ThemeSum:
    """Counts of the windows so far, groups in order of appearance (capacity grows).

    ``add`` each window's :func:`qca.theme_counts.theme_counts`; ``result`` is their sum.
    """

    labels: list[str] = field(default_factory=list)
    position: dict[str, int] = field(default_factory=dict)
    first: ThemeCounts | None = None
    base_n: Any = None
    base_words: Any = None
    total_n: int = 0
    total_words: float = 0.0
    totals: dict[str, dict[str, Any]] = field(default_factory=dict)
    by_group: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, counted: ThemeCounts) -> None:
        import numpy as np

        if self.first is None:
            self.first = counted
            self.base_n = np.zeros(0, dtype=np.int64)
            self.base_words = np.zeros(0, dtype=np.float64)
            for level, (grouped, total) in counted.found.items():
                self.totals[level] = {m: np.zeros_like(a) for m, a in total.items()}
                if grouped is not None:
                    self.by_group[level] = {
                        m: np.zeros((a.shape[0], 0), dtype=a.dtype) for m, a in grouped.items()
                    }
        for label in counted.groups:
            if label not in self.position:
                self.position[label] = len(self.labels)
                self.labels.append(label)
        index = np.array([self.position[g] for g in counted.groups], dtype=np.int64)
        self._grow(len(self.labels))
        self.base_n[index] += counted.base_n
        self.base_words[index] += counted.base_words
        self.total_n += counted.total_n
        self.total_words += counted.total_words
        for level, (grouped, total) in counted.found.items():
            for measure, values in total.items():
                self.totals[level][measure] += values
            if grouped is not None:
                for measure, values in grouped.items():
                    self.by_group[level][measure][:, index] += values

    def _grow(self, size: int) -> None:
        import numpy as np

        capacity = len(self.base_n)
        if size <= capacity:
            return
        more = max(size, 2 * capacity) - capacity
        self.base_n = np.concatenate([self.base_n, np.zeros(more, dtype=np.int64)])
        self.base_words = np.concatenate([self.base_words, np.zeros(more)])
        for level, measures in self.by_group.items():
            for measure, values in measures.items():
                pad = np.zeros((values.shape[0], more), dtype=values.dtype)
                self.by_group[level][measure] = np.concatenate([values, pad], axis=1)

    def result(self) -> ThemeCounts:
        from dataclasses import replace

        assert self.first is not None
        n = len(self.labels)
        found: dict[str, tuple[Mapping[str, np.ndarray] | None, Mapping[str, np.ndarray]]] = {}
        for level, total in self.totals.items():
            grouped = self.by_group.get(level)
            cut = None if grouped is None else {m: a[:, :n] for m, a in grouped.items()}
            found[level] = (cut, total)
        return replace(
            self.first,
            groups=list(self.labels),
            base_n=self.base_n[:n],
            base_words=self.base_words[:n],
            total_n=self.total_n,
            total_words=self.total_words,
            found=found,
        )


def stream_theme_table(
    folder: str | Path,
    *,
    by: str | None = None,
    measures: Sequence[str] = MEASURES,
    exclude_negated: bool = False,
    min_count: int = 0,
    check_project: bool = True,
    rows: int | None = None,
) -> tuple[pd.DataFrame, dict[str, Any]] | None:
    """Return :func:`qca.themes.theme_table` of the output *folder*, and its run.json,
    reading the files in record batches; ``None`` when they are not in one order.

    Args:
        folder: The output folder of ``qca code``.
        by, measures, exclude_negated, min_count: As :func:`qca.themes.theme_table`.
        check_project: As :func:`qca.outputs.read_output`.
        rows: Rows per record batch (default :data:`qca.outputs_stream.BATCH_ROWS`).

    Raises:
        OutputError: As :func:`qca.outputs.read_output` and :func:`qca.themes.theme_table` do.

    Examples:
        >>> table, manifest = stream_theme_table("qca-out", by="role")  # doctest: +SKIP
    """
    import pyarrow as pa

    from qca.outputs_stream import BATCH_ROWS, NotStreamable, iter_windows
    from qca.theme_counts import counts_frame, theme_counts
    from qca.themes import check_measures, theme_columns

    chosen = check_measures(measures)
    info = open_output(folder, by=by, check_project=check_project)
    if info is None:
        return None
    manifest = dict(info.manifest)
    codes, themes = info.codes, [str(t["theme"]) for t in info.themes]
    summed = ThemeSum()
    try:
        for window in iter_windows(
            info.folder, manifest, theme_columns(by=by), rows=rows or BATCH_ROWS
        ):
            counted = theme_counts(
                window.hits,
                window.codings,
                window.segments,
                codes,
                by=by,
                measures=chosen,
                exclude_negated=exclude_negated,
                include_interviewer=info.include_interviewer,
                themes=themes,
            )
            summed.add(counted)
    except (NotStreamable, pa.ArrowException, OSError):
        return None  # another order, or a damaged file (the whole read names it)
    if summed.first is None:
        return None  # no segments: the whole read knows the quirks of an empty folder (#18)
    table = counts_frame(
        summed.result().ordered(), codes, by=by, measures=chosen, min_count=min_count
    )
    return table, manifest


def open_output(
    folder: str | Path, *, by: str | None = None, check_project: bool = True
) -> CodedOutput | None:
    """Check the output *folder*'s run.json (and *by*) without reading its rows.

    Returns:
        A :class:`qca.outputs.CodedOutput` with empty frames that carries run.json and the
        segment columns (its codes, themes and flags), for :func:`iter_windows`; ``None``
        when segments.parquet cannot be opened (the whole read names the damage).

    Raises:
        OutputError: As :func:`qca.outputs.read_output` does for run.json, the project's
            codebook and an unknown *by*.
    """
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

    from qca.models import SEGMENTS_FILE
    from qca.outputs import CodedOutput
    from qca.outputs_manifest import check_manifest_codebook, read_manifest
    from qca.theme_groups import check_attribute

    folder = Path(folder)
    manifest = read_manifest(folder)
    try:
        names = tuple(pq.read_schema(folder / SEGMENTS_FILE).names)
    except (pa.ArrowException, OSError):
        return None  # a damaged file: the whole read says so, as it always did
    if check_project:
        check_manifest_codebook(folder, manifest)
    if by is not None:
        check_attribute(names, by)
    return CodedOutput(folder, pd.DataFrame(), pd.DataFrame(), None, manifest, names)
