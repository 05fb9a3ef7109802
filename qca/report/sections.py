"""The sections of ``qca report``: each computes its numbers with the library functions that
``qca themes`` / ``qca cooccur`` use, draws its chart and keeps the table beside it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from qca.models import (
    CODE,
    CODE_A,
    CODE_B,
    CRAMERS_V,
    DOC_ID,
    DOCUMENTS,
    END_SECONDS,
    JACCARD,
    MENTIONS,
    OVERLAP,
    P_HOLM,
    P_VALUE,
    PCT_SEGMENTS,
    PROPORTION,
    SEGMENT_ID,
    SEGMENTS,
    SPEAKER,
    SPEAKERS,
    START_SECONDS,
    STATISTIC,
    TEST,
    THEME,
    TOTAL_GROUP,
    UNITS_BOTH,
)
from qca.report.charts import OKABE_ITO, bar_chart, codeline, heat_map, to_svg
from qca.report.tables import Chart, Section, html_table

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from qca.outputs import CodedOutput

    #: Figures for ``--figures``: name -> (figure, the numbers it shows).
    Figures = dict[str, tuple[Figure, pd.DataFrame]]
    #: hits, codings, segments and codes of the output folder, in the order tables take them.
    Frames = tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame, list[dict[str, Any]]]


class Flags(TypedDict):
    """The counting options every table of the report shares."""

    exclude_negated: bool
    include_interviewer: bool


def _chart(figures: Figures, name: str, title: str, figure: Figure, numbers: pd.DataFrame) -> Chart:
    figures[name] = (figure, numbers)
    return Chart(name, title, to_svg(figure, name, title))


def frequencies(out: CodedOutput, table: pd.DataFrame, figures: Figures) -> Section:
    """Theme and code frequencies: bars of coded segments per code, the full table beside."""
    codes = table[table[CODE] != ""]
    order = list(dict.fromkeys(codes[THEME]))
    colours = [OKABE_ITO[order.index(t) % len(OKABE_ITO)] for t in codes[THEME]]
    measures = [MENTIONS, SEGMENTS, DOCUMENTS, SPEAKERS]
    figure = bar_chart(list(codes[CODE]), codes[measures], colours)
    title = "Mentions, coded segments, documents and speakers per code (bars coloured by theme)"
    chart = _chart(figures, "frequencies", title, figure, codes[[THEME, CODE, *measures]])
    return Section(
        "frequencies",
        "Theme and code frequencies",
        "Mentions (hits), coded segments, documents and speakers per theme and code, as "
        "qca themes counts them (docs/themes.md).",
        charts=(chart,),
        tables=(html_table(table, "themes", "qca themes: every theme and code"),),
    )


def groups(out: CodedOutput, table: pd.DataFrame, by: str, figures: Figures) -> Section:
    """Code x group heat map of the share of segments coded, with Wilson intervals and tests.

    *table* is ``theme_table(by=by, measures=[segments, pct_segments])`` with the
    :func:`qca.stats.group_stats` columns added.
    """
    codes = table[(table[CODE] != "") & (table[by] != TOTAL_GROUP)]
    matrix = codes.pivot(index=CODE, columns=by, values=PCT_SEGMENTS)
    matrix = matrix.loc[list(dict.fromkeys(codes[CODE])), list(dict.fromkeys(codes[by]))]
    tested = table[(table[CODE] != "") & (table[by] == TOTAL_GROUP)].set_index(CODE)
    notes = [_test_note(tested.loc[code]) for code in matrix.index]
    figure = heat_map(matrix, label="% of segments coded", notes=notes)
    title = (
        f"Percent of segments coded, per code and {by}; right: test, Holm-adjusted p, Cramér's V"
    )
    chart = _chart(
        figures, "groups", title, figure, codes[[THEME, CODE, by, SEGMENTS, PCT_SEGMENTS]]
    )
    digits = {
        PROPORTION: 4,
        "ci_low": 4,
        "ci_high": 4,
        STATISTIC: 3,
        P_VALUE: 4,
        P_HOLM: 4,
        "cramers_v": 3,
    }
    return Section(
        "groups",
        f"Codes by {by}",
        "Per code and group: segments coded out of n codable segments, the proportion with its "
        "95% Wilson interval; on each (total) row the test of independence (chi-square, or "
        "Fisher's exact test when an expected count is below 5), the Holm-adjusted p-value "
        "and Cramér's V (qca themes --by --stats; docs/themes.md).",
        charts=(chart,),
        tables=(html_table(table, "group-stats", f"qca themes --by {by} --stats", digits=digits),),
    )


def _test_note(row: Any) -> str:
    """The test of one code in a few characters: ``chi2 p=0.012 V=0.21``."""
    if not row[TEST]:
        return "no test"
    name = {"chi-square": "chi2", "fisher-exact": "Fisher", "fisher-monte-carlo": "Fisher MC"}
    return f"{name.get(row[TEST], row[TEST])} p={row[P_HOLM]:.3g} V={row[CRAMERS_V]:.2f}"


def presence(
    out: CodedOutput,
    matrix: pd.DataFrame | None,
    cases: int,
    max_cases: int,
    figures: Figures,
) -> Section:
    """The 0/1 code x case (document) matrix as a heat map; *matrix* is ``None`` (and left
    out) when there are more than *max_cases* *cases*."""
    themes = [str(t[THEME]) for t in out.themes]
    intro = "1 where a document has a segment coded with the code (qca themes --presence)."
    if matrix is None or cases > max_cases:
        return Section(
            "presence",
            "Codes by case",
            f"{intro} Left out: {cases} documents are more than {max_cases}; "
            "use qca themes --presence for the matrix.",
        )
    code_columns = [c for c in matrix.columns if c not in (DOC_ID, *themes)]
    shown = matrix.set_index(DOC_ID)[code_columns].T
    figure = heat_map(shown, label="", binary=True)
    title = "Codes (rows) present in each document (columns)"
    chart = _chart(figures, "presence", title, figure, matrix)
    return Section(
        "presence",
        "Codes by case",
        intro,
        charts=(chart,),
        tables=(html_table(matrix, "presence", "qca themes --presence"),),
    )


def cooccurrence(out: CodedOutput, table: pd.DataFrame, figures: Figures) -> Section:
    """Jaccard co-occurrence per segment (*table*: ``qca cooccur --unit segment``) as a code
    x code heat map."""
    from qca.cooccur import cooccurrence_matrix

    matrix = cooccurrence_matrix(table, out.code_ids, JACCARD)
    figure = heat_map(matrix, label="Jaccard", annotate=len(out.code_ids) <= 20, skip_zero=True)
    title = "Co-occurrence of codes in the same segment (Jaccard)"
    chart = _chart(figures, "cooccurrence", title, figure, table)
    met = table[table[UNITS_BOTH] > 0]
    note = f"{len(table) - len(met)} pairs never coded in the same segment are left out."
    return Section(
        "cooccurrence",
        "Co-occurrence",
        "Pairs of codes applied to the same segment: units with each, with both, Jaccard = both / "
        "(a + b - both) (ATLAS.ti's c-coefficient) and overlap = both / min(a, b) (qca cooccur; "
        "docs/cooccur.md).",
        charts=(chart,),
        tables=(html_table(met, "cooccur", "qca cooccur --unit segment", note=note),),
        extra={"columns": (CODE_A, CODE_B, JACCARD, OVERLAP)},
    )


def codelines(
    out: CodedOutput,
    frames: Frames,
    flags: Flags,
    max_documents: int,
    figures: Figures,
    *,
    documents: list[str] | None = None,
    total: int | None = None,
) -> Section:
    """One Codeline per transcript (a document of two or more segments): codes along the turns.

    *documents* (default: every such document of *frames*, sorted) are drawn, at most
    *max_documents*; *total* (default: their number) is how many there are in all.
    """
    import numpy as np
    import pandas as pd

    from qca.tally import encode
    from qca.theme_groups import code_themes

    segments = frames[2]
    coded = encode(
        frames[0],
        frames[1],
        frames[2],
        list(code_themes(out.codes)),
        exclude_negated=flags["exclude_negated"],
        include_interviewer=flags["include_interviewer"],
    )
    rows = coded.base[coded.unit_segment]
    units = pd.DataFrame(
        {"row": rows, CODE: np.array(coded.code_ids, dtype=object)[coded.unit_code]}
    )
    if documents is None:
        documents = codeline_documents(segments)
    total = len(documents) if total is None else total
    charts, tables = [], []
    names: set[str] = set()
    for doc_id in documents[:max_documents]:
        rows_of_doc = np.flatnonzero((segments[DOC_ID] == doc_id).to_numpy())
        part = segments.iloc[rows_of_doc]
        timed = START_SECONDS in part and part[START_SECONDS].notna().all() and END_SECONDS in part
        if timed:
            starts = part[START_SECONDS].to_numpy(dtype=float)
            ends = part[END_SECONDS].fillna(part[START_SECONDS]).to_numpy(dtype=float)
        else:
            starts = np.arange(len(part), dtype=float) + 0.5
            ends = starts + 1.0
        speaker = part[SPEAKER].fillna("").astype(str).to_numpy()
        bands = [
            (float(a), float(b), s or "(none)")
            for a, b, s in zip(starts, ends, speaker, strict=True)
        ]
        position = {row: i for i, row in enumerate(rows_of_doc)}
        here = units[units["row"].isin(position)]
        order = [c for c in out.code_ids if c in set(here[CODE])]
        if not order:
            continue
        x = [(starts[position[r]] + ends[position[r]]) / 2 for r in here["row"]]
        figure = codeline(x, list(here[CODE]), order, bands, xlabel="time (s)" if timed else "turn")
        name = f"codeline-{_slug(doc_id)}"
        name = name if name not in names else f"{name}-{len(names)}"  # "a b" and "a-b"
        names.add(name)
        numbers = pd.DataFrame(
            {
                "turn": [position[r] + 1 for r in here["row"]],
                SEGMENT_ID: segments[SEGMENT_ID].to_numpy()[here["row"]],
                SPEAKER: speaker[[position[r] for r in here["row"]]],
                CODE: here[CODE].to_numpy(),
            }
        ).sort_values(
            ["turn", CODE],
            key=lambda c: (
                c.map({k: i for i, k in enumerate(out.code_ids)}) if c.name == CODE else c
            ),
            kind="stable",
        )
        charts.append(
            _chart(
                figures,
                name,
                f"Codeline of {doc_id}: codes along the {'time' if timed else 'turns'}, speakers as bands",
                figure,
                numbers,
            )
        )
        tables.append(html_table(numbers, name, f"Coded turns of {doc_id}"))
    left = max(0, total - max_documents)
    intro = "One line per transcript: a mark where a turn is coded, on the row of its code; background bands show who speaks (x: turns, or seconds when the transcript has times)."
    if left:
        intro += f" {left} more transcripts are left out."
    if not total:
        intro = "No document has two or more segments (survey comments have no Codeline)."
    return Section("codelines", "Codelines", intro, charts=tuple(charts), collapsed=tuple(tables))


def codeline_documents(segments: pd.DataFrame) -> list[str]:
    """The documents of *segments* with two or more segments (transcripts), sorted."""
    sizes = segments.groupby(DOC_ID, sort=True).size()
    return [str(d) for d in sizes[sizes >= 2].index]


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "doc"
