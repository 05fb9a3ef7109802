"""Review a code's rule hits one segment at a time (``qca review``), recording each decision.

The session logic lives here, without a terminal: :func:`review_items` lists the
segments a code's rules found, in document order, with their matches, the rules
that fired and the turns around them; :class:`ReviewSession` takes one key at a
time and appends each decision to the overrides file at once, so a killed session
loses nothing and the next one resumes at the first segment without a decision.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError, Problem
from qca.models import CODE, DOC_ID, END, MATCH, RULE, RULE_KIND, SEGMENT_ID, SPEAKER, START, TEXT
from qca.models_diagnostics import SCORE
from qca.overrides import (
    Decision,
    Overrides,
    add_decisions,
    effective_decisions,
    new_decision,
    read_overrides,
    resolve_overrides,
)

if TYPE_CHECKING:
    from qca.outputs import CodedOutput

#: The keys of a review session, and what they do.
KEYS: dict[str, str] = {
    "a": "accept",
    "r": "reject",
    "s": "skip",
    "n": "note",
    "b": "back",
    "q": "quit",
}
KEY_HELP = "[a]ccept [r]eject [s]kip [n]ote [b]ack [q]uit"


@dataclass(frozen=True)
class ReviewItem:
    """One segment a code's rules found, as the reviewer sees it.

    Attributes:
        segment: The segments row (``doc_id, segment_id, speaker, text, ...``).
        spans: The matched words, as (start, end) inside the segment's text.
        rules: ``rule_kind 'rule'`` of every rule that fired, sorted.
        before: The turn before it in the same document (``speaker``, ``text``), if any.
        after: The turn after it, if any.
        suggested: Why a model queued it (``qca suggest --segments``), when it did.
    """

    segment: Mapping[str, Any]
    spans: tuple[tuple[int, int], ...]
    rules: tuple[str, ...]
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None
    suggested: str = ""

    @property
    def segment_id(self) -> str:
        """The segment id."""
        return str(self.segment[SEGMENT_ID])


def review_items(output: CodedOutput, code: str) -> list[ReviewItem]:
    """Return the segments the rules of *code* found, in document order.

    Raises:
        OutputError: When *code* is not in the run's codebook.

    Examples:
        >>> items = review_items(read_output("qca-out"), "motivation")  # doctest: +SKIP
    """
    return _all_items(output, code, hits_only=True)


def _all_items(output: CodedOutput, code: str, *, hits_only: bool) -> list[ReviewItem]:
    from qca.errors import suggest
    from qca.excerpts import locate

    if code not in output.code_ids:
        raise OutputError(
            problems=[
                Problem(
                    "",
                    f"unknown code {code!r}; use one of: {suggest(code, output.code_ids)}",
                )
            ]
        )
    hits = output.hits[output.hits[CODE] == code]
    segments = output.segments.reset_index(drop=True)
    ordered = segments.assign(_pos=range(len(segments))).sort_values(
        [DOC_ID, START, "_pos"], kind="stable"
    )
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in r.items()} for r in ordered.to_dict("records")
    ]
    by_doc: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        by_doc.setdefault(str(row[DOC_ID]), []).append(index)
    hit_groups = {str(k): v for k, v in hits.groupby(SEGMENT_ID, sort=False)}
    items: list[ReviewItem] = []
    for index, row in enumerate(rows):
        segment_id = str(row[SEGMENT_ID])
        own = hit_groups.get(segment_id)
        if own is None and hits_only:
            continue
        text = str(row[TEXT])
        spans = set()
        rules: tuple[str, ...] = ()
        if own is not None:
            for start, end, match in zip(own[START], own[END], own[MATCH], strict=True):
                span = locate(text, int(row[START]), int(start), int(end), str(match))
                if span is not None:
                    spans.add(span)
            rules = tuple(
                sorted({f"{k} {r!r}" for k, r in zip(own[RULE_KIND], own[RULE], strict=True)})
            )
        siblings = by_doc[str(row[DOC_ID])]
        at = siblings.index(index)
        before = _context(rows[siblings[at - 1]]) if at > 0 else None
        after = _context(rows[siblings[at + 1]]) if at + 1 < len(siblings) else None
        segment = {k: v for k, v in row.items() if k != "_pos"}
        items.append(ReviewItem(segment, tuple(sorted(spans)), rules, before, after))
    return items


def read_queue(path: str | Path) -> list[tuple[str, str, str]]:
    """Read a review queue (``qca suggest --segments``): (code, segment id, score) rows in order.

    Raises:
        OutputError: When the file cannot be read or has no ``code``/``segment_id`` column.
    """
    import pandas as pd

    shown = Path(path).as_posix()
    try:
        if Path(path).suffix.lower() == ".json":
            frame = pd.read_json(path, orient="records", dtype=False)
        else:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        why = (
            exc.strerror if isinstance(exc, OSError) and exc.strerror else "not a CSV or JSON table"
        )
        message = f"cannot read this review queue ({why}); write it with qca suggest --segments"
        raise OutputError(problems=[Problem(shown, message)]) from exc
    if frame.empty and not len(frame.columns):
        return []  # an empty JSON queue: []
    missing = [c for c in (CODE, SEGMENT_ID) if c not in frame.columns]
    if missing:
        message = f"no {missing[0]} column; a review queue is what qca suggest --segments writes"
        raise OutputError(problems=[Problem(shown, message)])
    score = frame[SCORE].astype(str) if SCORE in frame.columns else [""] * len(frame)
    return list(zip(frame[CODE].astype(str), frame[SEGMENT_ID].astype(str), score, strict=True))


def queue_items(
    output: CodedOutput, code: str, queue: Sequence[tuple[str, str, str]], *, shown: str = "queue"
) -> list[ReviewItem]:
    """Return the queued segments of *code* as review items, in queue order (no matches: a model
    suggested them, no rule found them).

    Raises:
        OutputError: When *code* is unknown, or the queue names another code or a segment
            the folder does not have.
    """
    by_id = {
        str(item.segment[SEGMENT_ID]): item for item in _all_items(output, code, hits_only=False)
    }
    items: list[ReviewItem] = []
    for line, (queued_code, segment, score) in enumerate(queue, start=2):
        if queued_code != code:
            message = f"this queue is for {queued_code!r}, not {code!r}; review it as qca review {queued_code}"
            raise OutputError(problems=[Problem(shown, message, line=line)])
        item = by_id.get(segment)
        if item is None:
            message = f"segment {segment!r} is not in {output.folder.as_posix()}; write the queue again from this folder"
            raise OutputError(problems=[Problem(shown, message, line=line)])
        why = f"by the model, score {score}" if score else "by the model"
        items.append(replace(item, spans=(), rules=(), suggested=why))
    return items


def _context(row: Mapping[str, Any]) -> dict[str, Any]:
    return {SPEAKER: row[SPEAKER], TEXT: row[TEXT], SEGMENT_ID: row[SEGMENT_ID]}


@dataclass
class ReviewSession:
    """A review of one code's hits: one key at a time, each decision written at once.

    Args:
        path: The overrides file.
        code: The code under review.
        items: The segments to review (see :func:`review_items`).
        coder: Who decides.
        overrides: The file's decisions when the session starts.
        only_unreviewed: Leave out the segments that already have a decision.
        clock: Returns the ``date`` of a new decision (tests fix it).

    Examples:
        >>> session = ReviewSession.start("overrides.yaml", "motivation", items, coder="ann")  # doctest: +SKIP
        >>> session.press("a")  # doctest: +SKIP
    """

    path: Path
    code: str
    items: list[ReviewItem]
    coder: str
    decisions: dict[str, Decision] = field(default_factory=dict)
    position: int = 0
    pending_note: str = ""
    finished: bool = False
    clock: Callable[[], str] | None = None
    accept_action: str = "accept"

    @classmethod
    def start(
        cls,
        path: str | Path,
        code: str,
        items: Sequence[ReviewItem],
        *,
        coder: str,
        segments: Any = None,
        only_unreviewed: bool = False,
        clock: Callable[[], str] | None = None,
        accept_action: str = "accept",
    ) -> ReviewSession:
        """Open a session that resumes at the first segment without a decision.

        Args:
            segments: The run's segments (``doc_id, segment_id, text``), to re-anchor
                earlier decisions on moved text; default: the items' segments.
            accept_action: What ``a`` writes: ``accept`` (a rule's coding is right) or
                ``add`` (code a suggested segment no rule coded).

        Raises:
            OverrideError: When the overrides file is malformed.
        """
        import pandas as pd

        path = Path(path)
        overrides = read_overrides(path)
        frame = (
            segments
            if segments is not None
            else pd.DataFrame([dict(i.segment) for i in items], columns=[DOC_ID, SEGMENT_ID, TEXT])
        )
        decided = _decided(overrides, frame, code)
        chosen = list(items)
        if only_unreviewed:
            chosen = [i for i in chosen if i.segment_id not in decided]
        session = cls(path, code, chosen, coder, decided, clock=clock, accept_action=accept_action)
        session.position = session.first_open()
        return session

    def first_open(self) -> int:
        """Return the index of the first item without a decision (0 when all have one)."""
        for index, item in enumerate(self.items):
            if item.segment_id not in self.decisions:
                return index
        return 0

    @property
    def current(self) -> ReviewItem | None:
        """The item under review, or None when the session is over."""
        if self.finished or not 0 <= self.position < len(self.items):
            return None
        return self.items[self.position]

    @property
    def reviewed(self) -> int:
        """How many of the items have a decision."""
        return sum(1 for i in self.items if i.segment_id in self.decisions)

    def decision(self, item: ReviewItem) -> Decision | None:
        """Return the decision that counts for *item*, if any."""
        return self.decisions.get(item.segment_id)

    def press(self, key: str, note: str | None = None) -> Decision | None:
        """Handle one key; return the decision written, if any.

        ``a`` accepts the rule's coding (or adds the suggested one), ``r`` rejects it (a ``remove`` decision), ``s``
        skips, ``n`` attaches *note* to this segment's decision (written now when it
        already has one, else with the next ``a``/``r``), ``b`` goes back, ``q`` quits.

        Raises:
            ValueError: For a key not in :data:`KEYS`.
            OverrideError: When the overrides file cannot be written.
        """
        key = key.strip().lower()[:1]
        if key not in KEYS:
            raise ValueError(key)
        item = self.current
        if key == "q" or item is None:
            self.finished = True
            return None
        if key == "b":
            self.position = max(0, self.position - 1)
            self.pending_note = ""
            return None
        if key == "s":
            self._advance()
            return None
        if key == "n":
            self.pending_note = (note or "").strip()
            earlier = self.decision(item)
            if earlier is None or not self.pending_note:
                return None
            return self._write(item, earlier.action, advance=False)
        return self._write(item, self.accept_action if key == "a" else "remove", advance=True)

    def _write(self, item: ReviewItem, action: str, *, advance: bool) -> Decision:
        decision = new_decision(
            item.segment,
            self.code,
            action,
            coder=self.coder,
            note=self.pending_note,
            date=self.clock() if self.clock is not None else None,
        )
        add_decisions(self.path, [decision])
        self.decisions[item.segment_id] = decision
        self.pending_note = ""
        if advance:
            self._advance()
        return decision

    def _advance(self) -> None:
        self.pending_note = ""
        self.position += 1
        if self.position >= len(self.items):
            self.finished = True


def _decided(overrides: Overrides, segments: Any, code: str) -> dict[str, Decision]:
    resolutions = resolve_overrides(overrides, segments)
    return {
        segment: resolution.decision
        for (segment, decided_code), resolution in effective_decisions(resolutions).items()
        if decided_code == code
    }
