"""Retrieve coded segments: ``show`` (segments with matches), ``kwic`` and ``explain``.

Everything here returns data; ``qca/render.py`` and the CLI turn it into text.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem, suggest
from qca.models import (
    CODE,
    CODES,
    DOC_ID,
    END,
    IS_INTERVIEWER,
    LEFT,
    MATCH,
    MATCHES,
    NEGATED,
    NEGATION_CUE,
    REASON,
    RIGHT,
    RULE,
    RULE_KIND,
    SEGMENT_COLUMNS,
    SEGMENT_ID,
    SOURCE,
    SPEAKER,
    START,
    TEXT,
    THEME,
)
from qca.themes import (
    check_attribute,
    codable_segments,
    code_themes,
    coded_units,
    used_hits,
)

if TYPE_CHECKING:
    import pandas as pd

    from qca.codebook.model import Codebook
    from qca.outputs import CodedOutput

#: A character span inside a segment's text.
Span = tuple[int, int]


def resolve_target(name: str, codes: Sequence[Mapping[str, Any]]) -> list[str]:
    """Return the code ids *name* stands for: one code, or every code of a theme.

    Raises:
        OutputError: Naming the codes and themes that exist, the closest first.
    """
    code_ids = [str(c[CODE]) for c in codes]
    if name in code_ids:
        return [name]
    of_theme = [str(c[CODE]) for c in codes if str(c[THEME]) == name]
    if of_theme:
        return of_theme
    themes = list(dict.fromkeys(str(c[THEME]) for c in codes))
    raise OutputError(
        problems=[
            Problem(
                "",
                f"unknown code or theme {name!r}; use one of: {suggest(name, [*code_ids, *themes])}",
            )
        ]
    )


def locate(text: str, segment_start: int, start: int, end: int, match: str) -> Span | None:
    """Return where a hit lies in its segment's text.

    Hit offsets are document offsets; a hit whose offsets do not fit (an older writer,
    or segment-relative offsets) is found by its matched words instead.
    """
    wanted = match.casefold()
    candidates = [(start - segment_start, end - segment_start), (start, end)]
    for s, e in candidates:
        if 0 <= s <= e <= len(text) and text[s:e].casefold() == wanted:
            return (s, e)
    found = text.casefold().find(wanted) if wanted else -1
    if found >= 0:
        return (found, found + len(match))
    return None


def _spans(hits: pd.DataFrame, segments: pd.DataFrame) -> dict[str, list[Span]]:
    starts = dict(zip(segments[SEGMENT_ID], segments[START], strict=True))
    texts = dict(zip(segments[SEGMENT_ID], segments[TEXT], strict=True))
    spans: dict[str, list[Span]] = {}
    for segment_id, start, end, match in zip(
        hits[SEGMENT_ID], hits[START], hits[END], hits[MATCH], strict=True
    ):
        if segment_id not in texts:
            continue
        span = locate(
            str(texts[segment_id]), int(starts[segment_id]), int(start), int(end), str(match)
        )
        if span is not None:
            spans.setdefault(str(segment_id), []).append(span)
    return {k: sorted(set(v)) for k, v in spans.items()}


@dataclass(frozen=True)
class Excerpts:
    """Coded segments of a code or theme, for ``qca show``.

    Attributes:
        table: ``doc_id, segment_id, speaker, [by], codes, matches, text``; context
            segments (``context``) have empty ``codes``.
        spans: Per segment id, the spans of its matched words in ``text``.
        by: The grouping column, if any.
    """

    table: pd.DataFrame
    spans: Mapping[str, list[Span]] = field(default_factory=dict)
    by: str | None = None


def _selection(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    target: str,
    exclude_negated: bool,
    include_interviewer: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return (codable segments, coded units of *target*, hits of those units)."""
    import pandas as pd

    wanted = resolve_target(target, codes)
    code_theme = {k: v for k, v in code_themes(codes).items() if k in wanted}
    base = codable_segments(segments, include_interviewer=include_interviewer)
    base_ids = pd.Index(base[SEGMENT_ID])
    used = used_hits(hits, base_ids, code_theme, exclude_negated)
    units = coded_units(used, codings, base_ids, code_theme, exclude_negated)
    pairs = pd.MultiIndex.from_frame(units[[SEGMENT_ID, CODE]])
    used = used[pd.MultiIndex.from_frame(used[[SEGMENT_ID, CODE]]).isin(pairs)]
    return base, units, used


def show_segments(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    target: str,
    *,
    by: str | None = None,
    limit: int | None = None,
    context: int = 0,
    exclude_negated: bool = False,
    include_interviewer: bool = False,
) -> Excerpts:
    """Return the segments coded with a code (or any code of a theme).

    Args:
        target: A code id or a theme id.
        by: Group (and sort) the segments by this column of *segments*.
        limit: At most this many coded segments (per group with *by*).
        context: Also return this many segments before and after each coded
            segment, from the same document (interviewer turns included).

    Raises:
        OutputError: For an unknown code, theme or attribute.

    Examples:
        >>> show_segments(out.hits, out.codings, out.segments, out.codes, "will")  # doctest: +SKIP
    """
    if by is not None:
        check_attribute(segments, by)
    base, units, used = _selection(
        hits, codings, segments, codes, target, exclude_negated, include_interviewer
    )
    coded_codes = units.sort_values(CODE).groupby(SEGMENT_ID)[CODE].agg(lambda s: ", ".join(s))
    matches = (
        used.assign(_m=used[MATCH].astype(str).str.lower())
        .drop_duplicates([SEGMENT_ID, "_m"])
        .sort_values("_m")
        .groupby(SEGMENT_ID)["_m"]
        .agg(lambda s: "; ".join(s))
    )
    order = segments.reset_index(drop=True)
    order = order.assign(_pos=range(len(order)))
    coded = order[order[SEGMENT_ID].isin(coded_codes.index)].copy()
    group_key = [by] if by is not None else []
    if by is not None:
        from qca.themes import group_labels, group_order

        coded[by] = group_labels(coded[by])
        rank = {g: i for i, g in enumerate(group_order(coded[by]))}
        coded["_group"] = coded[by].map(rank)
    coded = coded.sort_values([*(["_group"] if by else []), DOC_ID, START, "_pos"])
    if limit is not None:
        coded = coded.groupby(group_key).head(limit) if by else coded.head(limit)
    rows = []
    for row in coded.to_dict("records"):
        if context:
            same = order[order[DOC_ID] == row[DOC_ID]].sort_values([START, "_pos"])
            ids = list(same[SEGMENT_ID])
            at = ids.index(row[SEGMENT_ID])
            window = same.iloc[max(0, at - context) : at + context + 1].to_dict("records")
        else:
            window = [row]
        for item in window:
            is_coded = item[SEGMENT_ID] == row[SEGMENT_ID]
            rows.append(
                {
                    DOC_ID: item[DOC_ID],
                    SEGMENT_ID: item[SEGMENT_ID],
                    SPEAKER: item[SPEAKER],
                    **({by: row[by]} if by is not None else {}),
                    CODES: coded_codes.get(item[SEGMENT_ID], "") if is_coded else "",
                    MATCHES: matches.get(item[SEGMENT_ID], "") if is_coded else "",
                    TEXT: item[TEXT],
                }
            )
    import pandas as pd

    columns = [DOC_ID, SEGMENT_ID, SPEAKER, *group_key, CODES, MATCHES, TEXT]
    table = pd.DataFrame(rows, columns=columns)
    shown = set(coded[SEGMENT_ID])
    spans = {k: v for k, v in _spans(used, base).items() if k in shown}
    return Excerpts(table, spans, by)


def kwic(
    hits: pd.DataFrame,
    codings: pd.DataFrame | None,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    target: str,
    *,
    window: int = 5,
    limit: int | None = None,
    exclude_negated: bool = False,
    include_interviewer: bool = False,
) -> pd.DataFrame:
    """Return keywords in context: one row per hit, *window* words either side.

    Returns:
        ``doc_id, segment_id, speaker, code, left, match, right`` in document order.

    Examples:
        >>> kwic(out.hits, out.codings, out.segments, out.codes, "motivation")  # doctest: +SKIP
    """
    import pandas as pd

    base, _units, used = _selection(
        hits, codings, segments, codes, target, exclude_negated, include_interviewer
    )
    info = base.set_index(SEGMENT_ID)
    rows = []
    ordered = used.merge(base[[SEGMENT_ID]].assign(_pos=range(len(base))), on=SEGMENT_ID)
    for hit in ordered.sort_values(["_pos", START, CODE], kind="stable").to_dict("records"):
        segment = info.loc[hit[SEGMENT_ID]]
        text = str(segment[TEXT])
        span = locate(text, int(segment[START]), int(hit[START]), int(hit[END]), str(hit[MATCH]))
        if span is None:
            continue
        left = " ".join(text[: span[0]].split()[-window:]) if window else ""
        right = " ".join(text[span[1] :].split()[:window]) if window else ""
        rows.append(
            [
                hit[DOC_ID],
                hit[SEGMENT_ID],
                segment[SPEAKER],
                hit[CODE],
                left,
                text[span[0] : span[1]],
                right,
            ]
        )
    table = pd.DataFrame(rows, columns=[DOC_ID, SEGMENT_ID, SPEAKER, CODE, LEFT, MATCH, RIGHT])
    return table.head(limit) if limit is not None else table


@dataclass(frozen=True)
class Explanation:
    """Why each code is, or is not, on one segment (``qca explain``).

    Attributes:
        segment: The segment's row (text, speaker, attributes...).
        hits: Its hits: ``theme, code, rule_kind, rule, match, start, end, negated,
            negation_cue``; start/end as stored in hits.csv (offsets in the document).
        codings: Its codings rows (``source`` tells automatic from manual).
        verdicts: ``theme, code, coded (bool), reason`` for every code asked about.
        notes: What the explanation could not use (e.g. the codebook changed).
    """

    segment: Mapping[str, Any]
    hits: pd.DataFrame
    codings: pd.DataFrame
    verdicts: pd.DataFrame
    notes: tuple[str, ...] = ()
    #: Where each hit is inside the segment's text (to highlight it), in ``hits`` order.
    spans: tuple[tuple[int, int], ...] = ()


def load_run_codebook(output: CodedOutput) -> tuple[Codebook | None, str]:
    """Re-read the run's codebook when it still exists unchanged; else say why not."""
    from qca.outputs import file_sha256

    recorded = output.manifest.get("codebook", {}) or {}
    path = Path(str(recorded.get("path", "") or ""))
    if not str(recorded.get("path", "") or "") or not path.is_file():
        return None, f"codebook {path.as_posix()} not found; vetoes are not shown"
    if file_sha256(path) != recorded.get("sha256"):
        return None, (
            f"codebook {path.as_posix()} changed since the run; re-run qca code for exact reasons"
        )
    try:
        from qca.codebook.read import read_codebook

        return read_codebook(path), ""
    except Exception as exc:  # an invalid codebook must not stop the explanation
        return None, f"codebook {path.as_posix()} cannot be read ({type(exc).__name__})"


def explain_segment(
    output: CodedOutput,
    segment_id: str,
    *,
    code: str | None = None,
    codebook: Codebook | None = None,
) -> Explanation:
    """Explain the coding of one segment: its hits, rules, negation and overrides.

    Args:
        output: The coded output (see :func:`qca.outputs.read_output`).
        segment_id: The segment, e.g. ``fg-coaches:t0042``.
        code: Only explain this code (or this theme's codes).
        codebook: The run's codebook, for vetoes (default: re-read it
            when it exists unchanged).

    Raises:
        OutputError: For an unknown segment id or code.

    Examples:
        >>> explain_segment(read_output("qca-out"), "fg-coaches:t0042")  # doctest: +SKIP
    """
    import pandas as pd

    segments = output.segments
    found = segments[segments[SEGMENT_ID] == segment_id]
    if found.empty:
        ids = [str(s) for s in segments[SEGMENT_ID]]
        close = ", ".join(difflib.get_close_matches(segment_id, ids, n=3, cutoff=0.0)) or "(none)"
        raise OutputError(
            problems=[
                Problem(
                    "",
                    f"unknown segment {segment_id!r}; closest: {close}; list them with qca show THEME",
                    where="segment_id",
                )
            ]
        )
    segment = {str(k): v for k, v in found.iloc[0].to_dict().items()}
    wanted = resolve_target(code, output.codes) if code is not None else output.code_ids
    notes: list[str] = []
    if codebook is None:
        codebook, note = load_run_codebook(output)
        if note:
            notes.append(note)
    text = str(segment[TEXT])
    hits = output.hits[output.hits[SEGMENT_ID] == segment_id].sort_values([START, CODE])
    rows = []
    spans = []
    # the cue as the run stored it (#18: explain recomputed it, in the codebook's language)
    recorded = NEGATION_CUE in hits.columns
    if not recorded and bool(hits[NEGATED].any()):
        notes.append("negation cues are not recorded in this output folder; re-run qca code")
    for hit in hits.to_dict("records"):
        span = locate(text, int(segment[START]), int(hit[START]), int(hit[END]), str(hit[MATCH]))
        local = span if span is not None else (int(hit[START]), int(hit[END]))
        stored_cue = hit[NEGATION_CUE] if recorded and bool(hit[NEGATED]) else ""
        cue = stored_cue if isinstance(stored_cue, str) else ""
        spans.append(local)
        # the offsets as hits.csv has them (#18: explain showed segment offsets)
        stored = (int(hit[START]), int(hit[END]))
        rows.append(
            [
                hit[THEME],
                hit[CODE],
                hit[RULE_KIND],
                hit[RULE],
                hit[MATCH],
                *stored,
                bool(hit[NEGATED]),
                cue,
            ]
        )
    hit_table = pd.DataFrame(
        rows, columns=[THEME, CODE, RULE_KIND, RULE, MATCH, START, END, NEGATED, NEGATION_CUE]
    )
    codings = output.codings
    coding_rows = (
        codings[codings[SEGMENT_ID] == segment_id].sort_values(CODE).reset_index(drop=True)
        if codings is not None
        else pd.DataFrame(columns=[SEGMENT_ID, THEME, CODE, SOURCE])
    )
    codable = output.include_interviewer or not bool(segment.get(IS_INTERVIEWER, False))
    decided = _override_decisions(output, segment_id)  # qca override (issue #6)
    verdicts = []
    code_theme = code_themes(output.codes)
    for code_id in wanted:
        coded, reason = _verdict(
            code_id, hit_table, coding_rows, codings is not None, codable, codebook, text
        )
        if code_id in decided:
            reason += f" [{decided[code_id]}]"
        verdicts.append([code_theme[code_id], code_id, coded, reason])
    verdict_table = pd.DataFrame(verdicts, columns=[THEME, CODE, "coded", REASON])
    return Explanation(
        segment, hit_table, coding_rows, verdict_table, tuple(notes), spans=tuple(spans)
    )


def _override_decisions(output: CodedOutput, segment_id: str) -> dict[str, str]:
    """Return per code the manual decision that counts on *segment_id*, described in words."""
    from qca.errors import QcaError
    from qca.overrides import effective_decisions, read_overrides, resolve_overrides

    options = output.manifest.get("options", {}) or {}
    path = options.get("overrides")
    if not path or not Path(str(path)).is_file():
        return {}
    try:
        overrides = read_overrides(Path(str(path)))
    except QcaError:
        return {}
    latest = effective_decisions(resolve_overrides(overrides, output.segments))
    words = {"add": "added", "remove": "removed", "accept": "accepted"}
    described = {}
    for (segment, code), resolution in latest.items():
        if segment != segment_id:
            continue
        decision = resolution.decision
        who = f" by {decision.coder}" if decision.coder else ""
        when = f" on {decision.date[:10]}" if decision.date else ""
        note = f": {decision.note}" if decision.note else ""
        where = f", {Path(str(path)).as_posix()}:{decision.line}" if decision.line else ""
        described[code] = f"{words[decision.action]}{who}{when}{note}{where}"
    return described


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _verdict(
    code_id: str,
    hits: pd.DataFrame,
    codings: pd.DataFrame,
    has_codings: bool,
    codable: bool,
    codebook: Codebook | None,
    text: str,
) -> tuple[bool, str]:
    """Whether *code_id* is on the segment, and the reason the data gives."""
    own = hits[hits[CODE] == code_id]
    negated = int(own[NEGATED].sum())
    rules = ", ".join(
        sorted({f"{k} {quoted(r)}" for k, r in zip(own[RULE_KIND], own[RULE], strict=True)})
    )
    coding = codings[codings[CODE] == code_id]
    if not codable:
        return False, "not coded: interviewer segments were not coded in this run"
    if has_codings and not coding.empty:
        source = str(coding.iloc[0][SOURCE])
        if source != "auto":
            return True, f"coded: source {source} (a manual decision)"
        extra = f" ({negated} negated)" if negated else ""
        return True, f"coded: {_plural(len(own), 'hit')}{extra} from {rules}"
    if not own.empty:
        if has_codings:
            return False, (
                f"not coded: {_plural(len(own), 'hit')} from {rules}, but no coding "
                "(removed by an override or dropped)"
            )
        if negated == len(own):
            return True, (
                f"coded, but every hit is negated ({_plural(negated, 'hit')}); "
                "--exclude-negated drops it"
            )
        extra = f" ({negated} negated)" if negated else ""
        return True, f"coded: {_plural(len(own), 'hit')}{extra} from {rules}"
    if codebook is not None:
        try:
            definition = codebook.code(code_id)
        except KeyError:
            return False, "not coded: the code is no longer in the codebook"
        if not definition.has_rules:
            return False, "not coded: the code has no rules (terms, patterns or regex)"
        lowered = text.casefold()
        vetoes = [p for p in definition.not_ if p.casefold() in lowered]
        if vetoes:
            return False, f"not coded: no hit; a hit may have been vetoed by not: {vetoes[0]!r}"
    return False, "not coded: no rule matched"


def segment_attributes(segment: Mapping[str, Any]) -> dict[str, Any]:
    """Return the attribute values of a segment row (the columns after SEGMENT_COLUMNS)."""
    return {
        str(k): v
        for k, v in segment.items()
        if k not in SEGMENT_COLUMNS and v is not None and v == v and str(v) != ""
    }


def quoted(text: object) -> str:
    """*text* in single quotes as written (a regex keeps one backslash: not ``repr``, #18)."""
    return f"'{text}'"
