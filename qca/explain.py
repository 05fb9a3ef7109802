"""Why a code is, or is not, on one segment: ``qca explain``.

Returns data (:class:`Explanation`); ``qca/render.py`` and the CLI turn it into text.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem
from qca.excerpts import locate, quoted, resolve_target
from qca.models import (
    CODE,
    END,
    IS_INTERVIEWER,
    MATCH,
    NEGATED,
    NEGATION_CUE,
    REASON,
    RULE,
    RULE_KIND,
    SEGMENT_ID,
    SOURCE,
    START,
    TEXT,
    THEME,
)
from qca.theme_groups import code_themes

if TYPE_CHECKING:
    import pandas as pd

    from qca.codebook.model import Codebook
    from qca.outputs import CodedOutput


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
    from qca.outputs_manifest import file_sha256

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
