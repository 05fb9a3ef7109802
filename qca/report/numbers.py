"""The numbers behind ``qca report``: from the whole output folder, or window by window in
bounded memory (#23 item 5).

:func:`stream_numbers` walks the folder with :func:`qca.outputs_stream.iter_windows` (windows
of whole documents, as ``qca themes`` does) and keeps only what does not grow with the rows:
theme counts summed as :class:`qca.themes_stream.ThemeSum` does (so group tests run once on
the summed counts), co-occurrence counts per code pair, each code's top quotes so far, the
presence matrix while there are at most ``max_cases`` documents, and the first
``max_codelines`` transcripts by doc_id. A second pass reads the rows of the few documents
the page shows (Codelines, quoted transcripts). The page is the same as from
:func:`whole_numbers`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.models import CODE, DOC_ID, MEASURES, PCT_SEGMENTS, SEGMENT_ID, SEGMENTS, THEME

if TYPE_CHECKING:
    import pandas as pd

    from qca.outputs import CodedOutput
    from qca.report.sections import Flags, Frames
    from qca.themes_stream import ThemeSum


@dataclass(frozen=True)
class ReportOptions:
    """What ``qca report`` shows.

    Attributes:
        by: An attribute to compare groups by (heat map, Wilson intervals, tests); none: no
            group section.
        codebook: The codebook for definitions and rules; default: the one run.json names.
        agreement: A csv/json/tsv table written by ``qca agree``, shown as a section.
        quotes: Exemplar quotes per code.
        exclude_negated: Do not count negated hits.
        max_cases: Above this many documents the presence heat map is left out.
        max_codelines: At most this many Codelines (one per transcript).
    """

    by: str | None = None
    codebook: Path | None = None
    agreement: Path | None = None
    quotes: int = 3
    exclude_negated: bool = False
    max_cases: int = 100
    max_codelines: int = 60


@dataclass(frozen=True)
class Numbers:
    """What the sections of the report show.

    Attributes:
        themes: ``theme_table`` of every theme and code.
        groups: With ``by``: ``theme_table(by=...)`` with the group statistics.
        presence: The presence matrix; ``None`` above ``max_cases`` documents.
        cases: Documents with a codable segment (rows of the presence matrix).
        cooccur: ``cooccurrence(unit="segment")``.
        quotes: Exemplar quotes; ``None`` when none are asked.
        codelines: The rows (segments, hits, codings) of the transcripts drawn.
        codeline_documents: Those transcripts, sorted; at most ``max_codelines``.
        transcripts: Documents with two or more segments in all.
        quoted: The rows of the documents quotes come from.
    """

    themes: pd.DataFrame
    groups: pd.DataFrame | None
    presence: pd.DataFrame | None
    cases: int
    cooccur: pd.DataFrame
    quotes: pd.DataFrame | None
    codelines: CodedOutput
    codeline_documents: list[str]
    transcripts: int
    quoted: CodedOutput


def _groups_table(table: pd.DataFrame, found: pd.DataFrame, by: str) -> pd.DataFrame:
    from qca.stats import add_group_stats

    return add_group_stats(table, found, by=by)


def whole_numbers(
    out: CodedOutput, frames: Frames, flags: Flags, options: ReportOptions
) -> Numbers:
    """The report's numbers from an output folder read whole (:func:`qca.outputs.read_output`)."""
    from qca.cooccur import cooccurrence
    from qca.exemplars import quotes
    from qca.presence import presence_matrix
    from qca.report.sections import codeline_documents
    from qca.stats import group_stats
    from qca.themes import theme_table

    themes = [str(t[THEME]) for t in out.themes]
    by = options.by
    groups = None
    if by is not None:
        table = theme_table(
            *frames, by=by, themes=themes, measures=[SEGMENTS, PCT_SEGMENTS], **flags
        )
        groups = _groups_table(table, group_stats(*frames, by=by, themes=themes, **flags), by)
    matrix = presence_matrix(*frames, case="document", themes=themes, **flags)
    documents = codeline_documents(out.segments)
    return Numbers(
        themes=theme_table(*frames, themes=themes, **flags),
        groups=groups,
        presence=matrix if len(matrix) <= options.max_cases else None,
        cases=len(matrix),
        cooccur=cooccurrence(*frames, unit="segment", **flags),
        quotes=quotes(*frames, n=options.quotes, **flags) if options.quotes > 0 else None,
        codelines=out,
        codeline_documents=documents[: options.max_codelines],
        transcripts=len(documents),
        quoted=out,
    )


@dataclass
class _Tally:
    """What the windows add up to, none of it growing with the rows."""

    themes: ThemeSum
    groups: ThemeSum | None
    presence: list[pd.DataFrame]
    cases: int = 0
    cooccur: pd.DataFrame | None = None
    quotes: pd.DataFrame | None = None
    transcripts: int = 0
    first: tuple[str, ...] = ()  # the first max_codelines transcripts by doc_id
    empty: tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame] | None = None  # no rows


def stream_numbers(
    folder: str | Path,
    options: ReportOptions,
    *,
    check_project: bool = True,
    rows: int | None = None,
) -> tuple[CodedOutput, Numbers] | None:
    """The report's numbers of *folder* read window by window, and its run.json with the
    segment columns (as :func:`qca.themes_stream.open_output`); ``None`` when its files are
    not in one order (or cannot be opened): read it whole then.

    Raises:
        OutputError: As :func:`qca.outputs.read_output` does.
    """
    import pyarrow as pa

    from qca.outputs_stream import BATCH_ROWS, NotStreamable
    from qca.themes_stream import ThemeSum, open_output

    info = open_output(folder, by=options.by, check_project=check_project)
    if info is None:
        return None
    flags: Flags = {
        "exclude_negated": options.exclude_negated,
        "include_interviewer": info.include_interviewer,
    }
    tally = _Tally(ThemeSum(), ThemeSum() if options.by is not None else None, [])
    size = rows or BATCH_ROWS
    try:
        for window in _windows(info, size):
            _add(tally, info, window, flags, options)
        if tally.themes.first is None:
            return None  # no segments: the whole read knows an empty folder's quirks (#18)
        chosen = set(tally.first)
        quoted = set() if tally.quotes is None else {str(d) for d in tally.quotes[DOC_ID]}
        assert tally.empty is not None
        codelines, texts = _documents(info, size, chosen, quoted, tally.empty)
    except (NotStreamable, pa.ArrowException, OSError):
        return None  # another order, or a damaged file (the whole read names it)
    return info, _finish(tally, info, options, codelines, texts)


def _windows(info: CodedOutput, rows: int) -> Any:
    from qca.models import CODING_COLUMNS, HIT_COLUMNS
    from qca.outputs import Columns
    from qca.outputs_stream import iter_windows

    columns = Columns(segments=None, hits=HIT_COLUMNS, codings=CODING_COLUMNS)
    return iter_windows(Path(info.folder), dict(info.manifest), columns, rows=rows)


def _add(
    tally: _Tally, info: CodedOutput, window: Any, flags: Flags, options: ReportOptions
) -> None:
    """Add one window of whole documents to *tally*."""
    import heapq

    from qca.cooccur import cooccurrence, sum_cooccurrence
    from qca.exemplars import merge_quotes, quotes
    from qca.presence import presence_matrix
    from qca.report.sections import codeline_documents
    from qca.theme_counts import theme_counts

    frames = (window.hits, window.codings, window.segments, info.codes)
    if tally.empty is None:
        codings = None if window.codings is None else window.codings.iloc[:0]
        tally.empty = (window.hits.iloc[:0], codings, window.segments.iloc[:0])
    themes = [str(t[THEME]) for t in info.themes]
    tally.themes.add(theme_counts(*frames, themes=themes, **flags))
    if tally.groups is not None:
        measures = [SEGMENTS, PCT_SEGMENTS]
        tally.groups.add(
            theme_counts(*frames, by=options.by, measures=measures, themes=themes, **flags)
        )
    matrix = presence_matrix(*frames, case="document", themes=themes, **flags)
    tally.cases += len(matrix)
    tally.presence = [*tally.presence, matrix] if tally.cases <= options.max_cases else []
    found = cooccurrence(*frames, unit="segment", **flags)
    tally.cooccur = found if tally.cooccur is None else sum_cooccurrence([tally.cooccur, found])
    if options.quotes > 0:
        picked = quotes(*frames, n=options.quotes, **flags)
        tally.quotes = (
            picked
            if tally.quotes is None
            else merge_quotes([tally.quotes, picked], info.codes, n=options.quotes)
        )
    documents = codeline_documents(window.segments)
    tally.transcripts += len(documents)
    tally.first = tuple(heapq.nsmallest(options.max_codelines, [*tally.first, *documents]))


def _documents(
    info: CodedOutput,
    rows: int,
    codelines: set[str],
    quoted: set[str],
    empty: tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame],
) -> tuple[CodedOutput, CodedOutput]:
    """The rows of the documents drawn (*codelines*) and quoted, in a second pass."""
    import pandas as pd

    wanted = codelines | quoted
    hits: list[pd.DataFrame] = [empty[0]]
    codings: list[pd.DataFrame] = [] if empty[1] is None else [empty[1]]
    segments: list[pd.DataFrame] = [empty[2]]
    if wanted:
        for window in _windows(info, rows):
            keep = window.segments[DOC_ID].astype(str).isin(wanted).to_numpy()
            if not keep.any():
                continue
            segments.append(window.segments[keep])
            ids = window.segments[SEGMENT_ID][keep]
            hits.append(window.hits[window.hits[SEGMENT_ID].isin(ids).to_numpy()])
            if window.codings is not None:
                codings.append(window.codings[window.codings[SEGMENT_ID].isin(ids).to_numpy()])
    found = (
        pd.concat(hits, ignore_index=True),
        pd.concat(codings, ignore_index=True) if codings else None,
        pd.concat(segments, ignore_index=True),
    )
    return _subset(info, found, codelines), _subset(info, found, quoted)


def _subset(
    info: CodedOutput,
    found: tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame],
    documents: set[str],
) -> CodedOutput:
    """*info* holding the rows of *documents* only."""
    from dataclasses import replace

    hits, codings, segments = found
    segments = segments[segments[DOC_ID].astype(str).isin(documents).to_numpy()]
    ids = segments[SEGMENT_ID]
    return replace(
        info,
        segments=segments.reset_index(drop=True),
        hits=hits[hits[SEGMENT_ID].isin(ids).to_numpy()].reset_index(drop=True),
        codings=None
        if codings is None
        else codings[codings[SEGMENT_ID].isin(ids).to_numpy()].reset_index(drop=True),
    )


def _finish(
    tally: _Tally,
    info: CodedOutput,
    options: ReportOptions,
    codelines: CodedOutput,
    quoted: CodedOutput,
) -> Numbers:
    import pandas as pd

    from qca.stats import group_tests
    from qca.theme_counts import counts_frame

    codes, by = info.codes, options.by
    themes = counts_frame(tally.themes.result().ordered(), codes, by=None, measures=MEASURES)
    groups = None
    if by is not None and tally.groups is not None:
        counted = tally.groups.result().ordered()
        table = counts_frame(counted, codes, by=by, measures=[SEGMENTS, PCT_SEGMENTS])
        by_group = {level: counted.found[level][0] for level in (THEME, CODE)}
        found = group_tests(
            codes,
            counted.theme_ids,
            counted.code_ids,
            counted.groups,
            counted.base_n,
            by_group[THEME][SEGMENTS],  # type: ignore[index]
            by_group[CODE][SEGMENTS],  # type: ignore[index]
            by=by,
        )
        groups = _groups_table(table, found, by)
    presence = None
    if tally.cases <= options.max_cases and tally.presence:
        presence = pd.concat(tally.presence, ignore_index=True)
        presence = presence.sort_values(DOC_ID, kind="stable").reset_index(drop=True)
    assert tally.cooccur is not None
    return Numbers(
        themes=themes,
        groups=groups,
        presence=presence,
        cases=tally.cases,
        cooccur=tally.cooccur,
        quotes=tally.quotes,
        codelines=codelines,
        codeline_documents=list(tally.first),
        transcripts=tally.transcripts,
        quoted=quoted,
    )
