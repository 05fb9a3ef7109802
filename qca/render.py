"""Build rich renderables from tables. Never prints: the CLI prints what this returns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from rich.console import Group
    from rich.text import Text

    from qca.excerpts import Excerpts
    from qca.explain import Explanation


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    return escape(str(value))


def render_frame(frame: pd.DataFrame, *, title: str = "") -> Table:
    """A rich Table with one column per frame column; numbers right-aligned."""
    table = Table(title=title or None, show_lines=False)
    for column in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[column]) and not pd.api.types.is_bool_dtype(
            frame[column]
        )
        table.add_column(str(column), justify="right" if numeric else "left")
    for row in frame.itertuples(index=False):
        table.add_row(*(_cell(v) for v in row))
    return table


BAR_WIDTH = 8

#: Terminal headers of the measures (csv, json etc. keep the column names); they wrap at spaces.
MEASURE_HEADERS = {
    "mentions": "mentions",
    "segments": "segments",
    "documents": "docs",
    "speakers": "speakers",
    "pct_segments": "% of segments",
    "per_1000_words": "per 1,000 words",
}


def _bar(value: float, largest: float) -> str:
    if largest <= 0 or value <= 0:
        return ""
    return "█" * min(BAR_WIDTH, max(1, round(BAR_WIDTH * value / largest)))


def _header_width(header: str) -> int:
    return max(len(word) for word in header.split())


def render_theme_table(
    frame: pd.DataFrame, *, bar: str | None = None, by: str | None = None, title: str = ""
) -> Table | Group:
    """A theme table: theme rows in bold, their codes indented under them, an inline bar.

    With *by*, a cross-tab per measure instead: one column per group, then the total
    (the long table that csv/json get does not fit a terminal).

    Args:
        frame: The output of :func:`qca.themes.theme_table` (``theme, code, [by], measures``).
        bar: The measure the bar shows (default: the first measure).
        by: The group column, when the table was made with ``by``.
        title: The table's title.
    """
    from qca.models import CODE, THEME

    measures = [c for c in frame.columns if c not in (THEME, CODE, by)]
    if by is not None:
        return _render_crosstabs(frame, by=by, measures=measures, title=title)
    bar = bar if bar in measures else (measures[0] if measures else None)
    table = Table(title=title or None, show_lines=False)
    # Labels, numbers and bars never wrap or crop (a cropped bar would misstate the scale);
    # on a narrow terminal the measure headers wrap at spaces instead.
    table.add_column("theme / code", no_wrap=True)
    for measure in measures:
        header = MEASURE_HEADERS.get(str(measure), str(measure))
        widest = max((len(_cell(v)) for v in frame[measure]), default=1)
        table.add_column(header, justify="right", min_width=max(widest, _header_width(header)))
    if bar is not None:
        table.add_column("", no_wrap=True, min_width=BAR_WIDTH)
        largest = float(frame[bar].max()) if len(frame) else 0.0
    for row in frame.to_dict("records"):
        cells = [_theme_label(row)]
        cells += [_cell(row[m]) for m in measures]
        if bar is not None:
            cells.append(_bar(float(row[bar]), largest))
        table.add_row(*cells, style="bold" if not row[CODE] else None)
    return table


def _theme_label(row: Mapping[Any, Any]) -> str:
    from qca.models import CODE, THEME

    return escape(str(row[THEME])) if not row[CODE] else "  " + escape(str(row[CODE]))


def _render_crosstabs(frame: pd.DataFrame, *, by: str, measures: list[str], title: str) -> Group:
    from rich.console import Group

    from qca.models import CODE, THEME, TOTAL_GROUP

    groups = [g for g in dict.fromkeys(frame[by]) if g != TOTAL_GROUP]
    groups.append(TOTAL_GROUP)
    rows = list(dict.fromkeys(zip(frame[THEME], frame[CODE], strict=True)))
    values = {
        (t, c, g): row
        for t, c, g, row in zip(
            frame[THEME], frame[CODE], frame[by], frame.to_dict("records"), strict=True
        )
    }
    tables = []
    for measure in measures:
        header = MEASURE_HEADERS.get(str(measure), str(measure))
        table = Table(title=f"{title}: {header} by {by}".lstrip(": "), show_lines=False)
        table.add_column("theme / code", no_wrap=True)
        for group in groups:
            label = escape(str(group))
            table.add_column(label, justify="right", min_width=_header_width(label))
        for theme, code in rows:
            cells = [_theme_label({THEME: theme, CODE: code})]
            for group in groups:
                row = values.get((theme, code, group))
                cells.append(_cell(row[measure]) if row is not None else "")
            table.add_row(*cells, style="bold" if not code else None)
        tables.append(table)
    return Group(*tables)


def render_quotes(frame: pd.DataFrame, *, title: str = "quotes") -> Group:
    """Exemplar quotes as readable blocks: a heading line per quote, then its text indented.

    Args:
        frame: The output of :func:`qca.themes.quotes`.
        title: The heading above the blocks.
    """
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    from qca.models import (
        CODE,
        DISTINCT_MATCHES,
        MATCHES,
        RANK,
        SEGMENT_COLUMNS,
        SEGMENT_ID,
        SPEAKER,
        TEXT,
        THEME,
    )

    attributes = [
        c
        for c in frame.columns
        if c not in (*SEGMENT_COLUMNS, THEME, CODE, RANK, DISTINCT_MATCHES, MATCHES)
    ]
    parts: list[Any] = [Text(title, style="bold")]
    for row in frame.to_dict("records"):
        extra = ", ".join(
            f"{a}={row[a]}" for a in attributes if row[a] is not None and row[a] == row[a]
        )
        heading = Text()
        heading.append(f"{row[THEME]} / {row[CODE]} #{row[RANK]}", style="bold")
        heading.append(f"  {row[SEGMENT_ID]}  {row[SPEAKER]}")
        if extra:
            heading.append(f" ({extra})")
        heading.append(f"  [{row[DISTINCT_MATCHES]}: {row[MATCHES]}]", style="dim")
        parts.append(heading)
        parts.append(Padding(Text(str(row[TEXT])), (0, 0, 0, 4)))
    return Group(*parts)


def highlight(text: str, spans: list[tuple[int, int]], *, style: str = "bold reverse") -> Text:
    """The segment text with each matched span styled (overlapping spans merge)."""
    from rich.text import Text

    result = Text(text)
    for start, end in spans:
        result.stylize(style, start, end)
    return result


def render_excerpts(excerpts: Excerpts) -> Group:
    """Coded segments as blocks: a heading (segment, speaker, codes), then the highlighted text.

    Context segments (no codes) are dimmed. With ``by``, a heading opens each group.
    """
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    from qca.models import CODES, MATCHES, SEGMENT_ID, SPEAKER, TEXT

    parts: list[Any] = []
    group: object = None
    for row in excerpts.table.to_dict("records"):
        if excerpts.by is not None and row[excerpts.by] != group:
            group = row[excerpts.by]
            parts.append(Text(f"{excerpts.by} = {group}", style="bold underline"))
        heading = Text()
        if row[CODES]:
            heading.append(f"{row[SEGMENT_ID]}  {row[SPEAKER]}", style="bold")
            heading.append(f"  [{row[CODES]}: {row[MATCHES]}]", style="dim")
            body = highlight(str(row[TEXT]), excerpts.spans.get(str(row[SEGMENT_ID]), []))
        else:
            heading.append(f"{row[SEGMENT_ID]}  {row[SPEAKER]}", style="dim")
            body = Text(str(row[TEXT]), style="dim")
        parts += [heading, Padding(body, (0, 0, 0, 4))]
    if not parts:
        parts.append(Text("no coded segments"))
    return Group(*parts)


def render_kwic(frame: pd.DataFrame) -> Table:
    """Keywords in context: left context right-aligned | match | right context."""
    from qca.models import CODE, LEFT, MATCH, RIGHT, SEGMENT_ID

    table = Table(show_header=True, box=None, pad_edge=False)
    table.add_column(SEGMENT_ID, no_wrap=True)
    table.add_column(CODE, no_wrap=True)
    table.add_column(LEFT, justify="right", no_wrap=True)
    table.add_column(MATCH, style="bold", no_wrap=True)
    table.add_column(RIGHT, no_wrap=True)
    for row in frame.to_dict("records"):
        table.add_row(*(escape(str(row[c])) for c in (SEGMENT_ID, CODE, LEFT, MATCH, RIGHT)))
    return table


def render_explanation(explanation: Explanation) -> Group:
    """A segment's text, its hits (rule, matched words, negation cue) and a verdict per code."""
    from rich.console import Group
    from rich.padding import Padding
    from rich.text import Text

    from qca.excerpts import quoted, segment_attributes
    from qca.models import (
        CODE,
        DOC_ID,
        END,
        MATCH,
        NEGATED,
        NEGATION_CUE,
        REASON,
        RULE,
        RULE_KIND,
        SEGMENT_ID,
        SOURCE,
        SPEAKER,
        START,
        TEXT,
        THEME,
    )

    segment = explanation.segment
    attributes = segment_attributes(segment)
    heading = Text(f"{segment[SEGMENT_ID]}  {segment[SPEAKER]}", style="bold")
    heading.append(f"  document {segment[DOC_ID]}")
    if attributes:
        heading.append(" (" + ", ".join(f"{k}={v}" for k, v in attributes.items()) + ")")
    spans = list(explanation.spans)
    parts: list[Any] = [heading, Padding(highlight(str(segment[TEXT]), spans), (0, 0, 0, 4))]
    parts.append(Text(f"hits ({len(explanation.hits)}):", style="bold"))
    for hit in explanation.hits.to_dict("records"):
        line = (
            f"  {hit[THEME]} / {hit[CODE]}: {quoted(hit[MATCH])} at {hit[START]}-{hit[END]} "
            f"by {hit[RULE_KIND]} {quoted(hit[RULE])}"
        )
        if hit[NEGATED]:
            cue = f" (cue {quoted(hit[NEGATION_CUE])})" if hit[NEGATION_CUE] else ""
            line += f"; negated{cue}"
        parts.append(Text(line))
    if len(explanation.codings):
        parts.append(Text("codings:", style="bold"))
        for coding in explanation.codings.to_dict("records"):
            parts.append(Text(f"  {coding[THEME]} / {coding[CODE]}: source {coding[SOURCE]}"))
    parts.append(Text("codes:", style="bold"))
    for verdict in explanation.verdicts.to_dict("records"):
        parts.append(Text(f"  {verdict[THEME]} / {verdict[CODE]}: {verdict[REASON]}"))
    for note in explanation.notes:
        parts.append(Text(f"note: {note}", style="dim"))
    return Group(*parts)


def render_group_stats(frame: pd.DataFrame, *, by: str, title: str = "statistics") -> Table:
    """``qca themes --by --stats`` on a terminal: per theme/code and group the percent of
    segments coded with its 95% Wilson interval, then the test, Holm-adjusted p and Cramér's V.
    """
    from qca.models import CI_HIGH, CI_LOW, CODE, CRAMERS_V, P_HOLM, PROPORTION, TEST, THEME
    from qca.models import TOTAL_GROUP as TOTAL

    groups = [g for g in dict.fromkeys(frame[by]) if g != TOTAL] + [TOTAL]
    table = Table(title=f"{title}: % of segments coded (95% Wilson interval) by {by}")
    table.add_column("theme / code", no_wrap=True)
    for group in groups:
        table.add_column(escape(str(group)), justify="right", no_wrap=True)
    for header in ("test", "p (Holm)", "V"):
        table.add_column(header, justify="right", no_wrap=True)
    cells: dict[tuple[str, str], list[str]] = {}
    tests: dict[tuple[str, str], list[str]] = {}
    for row in frame.to_dict("records"):
        key = (str(row[THEME]), str(row[CODE]))
        share = row[PROPORTION]
        shown = (
            ""
            if share != share
            else (f"{100 * share:.1f} ({100 * row[CI_LOW]:.1f}-{100 * row[CI_HIGH]:.1f})")
        )
        cells.setdefault(key, []).append(shown)
        if row[by] == TOTAL:
            short = {
                "chi-square": "chi2",
                "fisher-exact": "Fisher",
                "fisher-monte-carlo": "Fisher MC",
            }
            test = short.get(str(row[TEST]), str(row[TEST]))
            tests[key] = [test, _cell(row[P_HOLM]), _cell(row[CRAMERS_V])]
    for (theme, code), row_cells in cells.items():
        label = _theme_label({THEME: theme, CODE: code})
        table.add_row(
            label,
            *row_cells,
            *tests.get((theme, code), ["", "", ""]),
            style="bold" if not code else None,
        )
    return table


def _is_table(renderable: object) -> bool:
    from rich.console import Group

    if isinstance(renderable, Group):
        return all(_is_table(r) or isinstance(r, str) for r in renderable.renderables)
    return isinstance(renderable, Table)


def text_width(renderables: list[Any], default: int) -> int:
    """The width to lay *renderables* out at when the output is not a terminal (#18).

    Tables get the width they need, so a pipe or a file never crops or wraps a column;
    text wraps at *default* (the terminal's width, ``$COLUMNS`` or 80), or wider when one
    word needs it.
    """
    import io

    from rich.console import Console
    from rich.measure import Measurement

    probe = Console(width=100_000, file=io.StringIO(), color_system=None)
    width = default
    for renderable in renderables:
        measured = Measurement.get(probe, probe.options, renderable)
        width = max(width, measured.maximum if _is_table(renderable) else measured.minimum)
    return width


def render_text(renderables: list[Any], *, width: int) -> str:
    """The plain text (no colour or style codes) of *renderables* laid out at *width*."""
    import io

    from rich.console import Console

    console = Console(
        width=width,
        file=io.StringIO(),
        color_system=None,
        highlight=False,
        soft_wrap=False,
        emoji=False,
    )
    with console.capture() as captured:
        for renderable in renderables:
            console.print(renderable)
    return captured.get()
