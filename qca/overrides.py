"""Manual coding decisions that survive every re-run: ``overrides.yaml`` (issue #6).

The file is a YAML list of decisions, each naming a segment, a code and an action
(``add``, ``remove`` or ``accept``), who decided and when, and the segment's text
hash and character offsets at the time: no transcript text, since the file is kept
under version control (issue #21; files with an older ``excerpt`` key still read). ``qca code`` applies them on top of the rule
hits (:func:`apply_overrides`); ``qca override`` and ``qca review`` append to it.

Segment ids are positional (``doc:t0042``), so a decision is re-anchored by its
text hash when a turn was inserted or removed before it (status ``moved``). A
decision whose segment text changed, whose segment is gone or whose code left the
codebook is *stale*: it is not applied and it is reported, never dropped.

Writes are atomic (temporary file, fsync, rename) under a lock, and keep the
comments and layout of a hand-edited file.
"""

from __future__ import annotations

import difflib
import errno
import io
import os
import warnings
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OverrideError, Problem
from qca.io import atomic_write_text
from qca.models import (
    ACCEPTED,
    ACTION,
    ACTIONS,
    ADDED,
    CHECK_COLUMNS,
    CODE,
    CODER,
    DATE,
    DOC_ID,
    END,
    EXCERPT,
    HASH,
    HITS,
    NOTE,
    OVERRIDE_COLUMNS,
    OVERRIDE_STATS_COLUMNS,
    OVERRIDES_FILE,
    PRECISION,
    REJECTED,
    REVIEWED,
    SEGMENT,
    SEGMENT_ID,
    SEGMENTS,
    SOURCE,
    START,
    TEXT,
    THEME,
    text_hash,
)

if TYPE_CHECKING:
    import pandas as pd

    from qca.outputs import CodedOutput

#: Characters of a segment's text stored with a decision (transcripts are sensitive: keep it short).
EXCERPT_CHARS = 60
#: Seconds to wait for another qca writing the same overrides file.
LOCK_TIMEOUT = 10.0
REQUIRED_KEYS: tuple[str, ...] = (SEGMENT, CODE, ACTION)
HEADER = (
    "# Manual coding decisions (added and removed codings), recorded by `qca override`\n"
    "# and `qca review`. Each entry names a segment, a code and a decision; keep this\n"
    "# file under version control. Later entries for the same segment and code win.\n"
)
STALE_STATUSES: tuple[str, ...] = ("changed", "gone", "unknown_code")


@dataclass(frozen=True)
class Decision:
    """One manual decision on one (segment, code).

    Attributes:
        segment: The segment id at decision time, e.g. ``fg-coaches:t0042``.
        code: The code id.
        action: ``add`` (code it), ``remove`` (reject the rule's coding) or ``accept``
            (confirm the rule's coding).
        coder: Who decided.
        date: When (ISO 8601, UTC).
        note: Why, in the coder's words.
        hash: :func:`qca.models.text_hash` of the segment's text at decision time.
        start: The segment's start offset in its document at decision time.
        end: The segment's end offset.
        excerpt: The first words of the segment, in files written before offsets.
        line: The 1-based line of the entry in the file (None for a new decision).
        col: The 1-based column of the entry.
    """

    segment: str
    code: str
    action: str
    coder: str = ""
    date: str = ""
    note: str = ""
    hash: str = ""
    start: str = ""
    end: str = ""
    excerpt: str = ""
    line: int | None = None
    col: int | None = None

    @property
    def doc_id(self) -> str:
        """The document part of the segment id."""
        return self.segment.rsplit(":", 1)[0]

    def as_row(self) -> dict[str, str]:
        """Return the decision as it is stored (the keys of ``OVERRIDE_COLUMNS``)."""
        return {
            SEGMENT: self.segment,
            CODE: self.code,
            ACTION: self.action,
            CODER: self.coder,
            DATE: self.date,
            NOTE: self.note,
            HASH: self.hash,
            START: self.start,
            END: self.end,
            EXCERPT: self.excerpt,
        }


@dataclass(frozen=True)
class Overrides:
    """The decisions of one overrides file, in file order."""

    path: Path
    decisions: tuple[Decision, ...] = ()

    def problem(self, decision: Decision, message: str, *, warning: bool = False) -> Problem:
        """Return a diagnostic located at *decision*'s entry in the file."""
        return Problem(
            self.path.as_posix(),
            message,
            line=decision.line,
            col=decision.col,
            where=f"{decision.segment} {decision.code}",
            severity="warning" if warning else "error",
        )


def excerpt(text: str) -> str:
    """Return the short excerpt stored with a decision: the first words, whitespace collapsed.

    Examples:
        >>> excerpt("We   really wanted to make it better.")
        'We really wanted to make it better.'
    """
    flat = " ".join(str(text).split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[: EXCERPT_CHARS - 3].rstrip() + "..."


def default_coder() -> str:
    """Return ``$QCA_CODER``, else the operating-system user name."""
    name = os.environ.get("QCA_CODER", "").strip()
    if name:
        return name
    try:
        import getpass

        return getpass.getuser()
    except (OSError, KeyError, ImportError):
        return "unknown"


def now() -> str:
    """Return the current time as stored in ``date`` (ISO 8601, UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def default_overrides_path(directory: Path | None = None) -> Path:
    """Return the overrides file ``qca.yaml`` names, else ``overrides.yaml`` in *directory*."""
    from qca.project import find_project

    project = find_project(directory)
    if project is not None and project.overrides is not None:
        return project.overrides
    return (directory or Path(".")) / OVERRIDES_FILE


# --- reading ---------------------------------------------------------------------


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.indent(mapping=2, sequence=2, offset=0)
    yaml.width = 4096
    yaml.preserve_quotes = True
    return yaml


def _load(path: Path) -> tuple[str, Any, Overrides]:
    """Read *path*: its text, the round-trip tree and the checked decisions."""
    from ruamel.yaml.error import YAMLError

    shown = path.as_posix()
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise OverrideError(
            problems=[Problem(shown, f"cannot read the overrides file ({reason}); fix or move it")]
        ) from None
    from qca.yamlbounds import check_yaml

    limit = check_yaml(text)
    if limit is not None:
        raise OverrideError(
            problems=[
                Problem(
                    shown,
                    f"{limit.message} (nothing was changed)",
                    line=limit.line,
                    col=limit.col,
                )
            ]
        )
    try:
        with warnings.catch_warnings():  # a reused anchor is valid YAML: the last one wins
            warnings.simplefilter("ignore")
            tree = _yaml().load(text) if text.strip() else None
    except (AttributeError, TypeError, ValueError) as exc:  # ruamel on odd tags: `!!set x`
        raise OverrideError(
            problems=[
                Problem(
                    shown,
                    f"not valid YAML (cannot build a value: {type(exc).__name__}); remove "
                    "the tags (!!...) and fix the file by hand (nothing was changed)",
                )
            ]
        ) from None
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        what = str(getattr(exc, "problem", "") or "syntax error").strip()
        raise OverrideError(
            problems=[
                Problem(
                    shown,
                    f"not valid YAML ({what}); fix the file by hand (nothing was changed)",
                    line=mark.line + 1 if mark is not None else None,
                    col=mark.column + 1 if mark is not None else None,
                )
            ]
        ) from None
    return text, tree, Overrides(path, tuple(_check_tree(path, tree)))


def _position(container: Any, key: Any, *, value: bool = False) -> tuple[int | None, int | None]:
    lc = getattr(container, "lc", None)
    if lc is None:
        return None, None
    try:
        if isinstance(key, int):
            line, col = lc.item(key)
        else:
            line, col = lc.value(key) if value else lc.key(key)
    except (KeyError, IndexError, TypeError, AttributeError):
        return None, None
    return int(line) + 1, int(col) + 1


def _check_tree(path: Path, tree: Any) -> list[Decision]:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    shown = path.as_posix()
    if tree is None:
        return []
    if not isinstance(tree, CommentedSeq):
        found = getattr(getattr(tree, "lc", None), "line", None)  # None on a tagged scalar
        raise OverrideError(
            problems=[
                Problem(
                    shown,
                    "expected a list of decisions (- segment: ID, code: CODE, action: add); "
                    "put a '- ' before each entry",
                    line=found + 1 if isinstance(found, int) else 1,
                    col=1,
                )
            ]
        )
    problems: list[Problem] = []
    decisions: list[Decision] = []
    allowed = set(OVERRIDE_COLUMNS)
    for index, item in enumerate(tree):
        line, col = _position(tree, index)
        where = f"[{index}]"
        if not isinstance(item, CommentedMap):
            problems.append(
                Problem(
                    shown,
                    "expected a decision with keys segment, code and action",
                    line,
                    col,
                    where,
                )
            )
            continue
        values: dict[str, str] = {}
        for key, value in item.items():
            name = str(key)
            kline, kcol = _position(item, key)
            if name not in allowed:
                close = difflib.get_close_matches(name, OVERRIDE_COLUMNS, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                problems.append(
                    Problem(
                        shown,
                        f"unknown key {name!r}; {hint}use: {', '.join(OVERRIDE_COLUMNS)}",
                        kline,
                        kcol,
                        f"{where}.{name}",
                    )
                )
                continue
            if isinstance(value, (Mapping, list)):
                vline, vcol = _position(item, key, value=True)
                problems.append(
                    Problem(
                        shown,
                        "expected text, not a list or mapping",
                        vline,
                        vcol,
                        f"{where}.{name}",
                    )
                )
                continue
            values[name] = "" if value is None else str(value)
        missing = [k for k in REQUIRED_KEYS if not values.get(k, "").strip()]
        if missing:
            problems.append(
                Problem(
                    shown,
                    f"missing {', '.join(missing)}; every decision needs segment, code and action",
                    line,
                    col,
                    where,
                )
            )
            continue
        if values[ACTION] not in ACTIONS:
            vline, vcol = _position(item, ACTION, value=True)
            problems.append(
                Problem(
                    shown,
                    f"unknown action {values[ACTION]!r}; use add, remove or accept",
                    vline,
                    vcol,
                    f"{where}.action",
                )
            )
            continue
        if ":" not in values[SEGMENT]:
            vline, vcol = _position(item, SEGMENT, value=True)
            problems.append(
                Problem(
                    shown,
                    f"{values[SEGMENT]!r} is not a segment id (DOC:t0042); copy it from "
                    "qca show or qca explain",
                    vline,
                    vcol,
                    f"{where}.segment",
                )
            )
            continue
        decisions.append(
            Decision(
                **{k: v.strip() if k != NOTE else v for k, v in values.items()}, line=line, col=col
            )
        )
    if problems:
        raise OverrideError(problems=problems)
    return decisions


def read_overrides(path: str | Path) -> Overrides:
    """Read and check an overrides file; a missing file has no decisions.

    Raises:
        OverrideError: With ``file:line:col`` for every malformed entry (bad YAML,
            unknown keys, missing keys, unknown actions).

    Examples:
        >>> overrides = read_overrides("overrides.yaml")  # doctest: +SKIP
        >>> [d.action for d in overrides.decisions]  # doctest: +SKIP
        ['remove', 'add']
    """
    return _load(Path(path))[2]


# --- writing ---------------------------------------------------------------------


def _lock(path: Path) -> Any:
    from filelock import FileLock

    return FileLock(str(path.parent / f".{path.name}.lock"), timeout=LOCK_TIMEOUT)


def add_decisions(path: str | Path, decisions: Iterable[Decision]) -> Overrides:
    """Append *decisions* to the overrides file, atomically and under a lock.

    The file keeps its comments and layout; a missing file is created with a header.

    Returns:
        The file's decisions after the write.

    Raises:
        OverrideError: When the file is malformed (nothing is written then), locked
            by another qca for too long, or cannot be written.

    Examples:
        >>> add_decisions("overrides.yaml", [Decision("fg:t0042", "motivation", "remove")])  # doctest: +SKIP
    """
    from filelock import Timeout
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    from qca.errors import OutputError

    path = Path(path)
    new = list(decisions)
    if not path.parent.is_dir() and str(path.parent):
        raise OverrideError(f"{path.as_posix()}: folder {path.parent.as_posix()} does not exist")
    try:
        with _lock(path):
            text, tree, _ = _load(path)
            yaml = _yaml()
            entries = []
            for decision in new:
                row = CommentedMap()
                for key, value in decision.as_row().items():
                    if value or key in REQUIRED_KEYS:
                        row[key] = value
                entries.append(row)
            if tree is None:
                seq = CommentedSeq(entries)
                prefix = text.rstrip() + "\n" if text.strip() else HEADER
                kept = "\n".join(
                    line for line in prefix.splitlines() if line.strip() and line.strip() != "[]"
                )
                prefix = kept + "\n" if kept else ""
            else:
                seq = tree
                seq.fa.set_block_style()
                seq.extend(entries)
                prefix = ""
            buffer = io.StringIO()
            if len(seq):
                yaml.dump(seq, buffer)
            atomic_write_text(path, prefix + buffer.getvalue())
    except Timeout:
        raise OverrideError(
            f"{path.as_posix()}: another qca is writing this file; wait and retry, or delete "
            f"{path.parent.as_posix()}/.{path.name}.lock if no qca is running"
        ) from None
    except OutputError as exc:
        raise OverrideError(exc.message, exc.problems) from None
    except OSError as exc:
        full = exc.errno in (errno.ENOSPC, errno.EDQUOT)
        fix = "free some space" if full else "check the folder's permissions"
        raise OverrideError(
            f"{path.as_posix()}: cannot write the overrides file ({exc.strerror}); {fix} "
            "(nothing was changed)"
        ) from None
    return read_overrides(path)


def new_decision(
    segment: Mapping[str, Any],
    code: str,
    action: str,
    *,
    coder: str | None = None,
    note: str = "",
    date: str | None = None,
) -> Decision:
    """Return a decision on *segment* (a segments row) with its text hash and offsets."""
    text = str(segment[TEXT])
    start, end = segment.get(START), segment.get(END)
    return Decision(
        segment=str(segment[SEGMENT_ID]),
        code=code,
        action=action,
        coder=coder or default_coder(),
        date=date or now(),
        note=note,
        hash=text_hash(text),
        start="" if start is None else str(int(start)),
        end="" if end is None else str(int(end)),
    )


def find_segment(output: CodedOutput, segment_id: str, code: str) -> dict[str, Any]:
    """Return the segments row of *segment_id* after checking it and *code* against *output*.

    Raises:
        OverrideError: For an unknown segment (naming the closest ids) or code.
    """
    from qca.errors import suggest

    problems: list[Problem] = []
    if code not in output.code_ids:
        problems.append(
            Problem("", f"unknown code {code!r}; use one of: {suggest(code, output.code_ids)}")
        )
    segments = output.segments
    found = segments[segments[SEGMENT_ID] == segment_id]
    if found.empty:
        ids = [str(s) for s in segments[SEGMENT_ID]]
        close = ", ".join(difflib.get_close_matches(segment_id, ids, n=3, cutoff=0.0)) or "(none)"
        problems.append(
            Problem(
                "",
                f"unknown segment {segment_id!r} in {output.folder.as_posix()}; closest: {close}; "
                "find ids with qca show CODE",
            )
        )
    if problems:
        raise OverrideError(problems=problems)
    return {str(k): v for k, v in found.iloc[0].to_dict().items()}


# --- resolving decisions against the current segments ------------------------------


@dataclass(frozen=True)
class Resolution:
    """Where a decision applies in the current segments.

    Attributes:
        decision: The decision as recorded.
        status: One of ``OVERRIDE_STATUSES``.
        target: The segment it applies to (``ok``/``moved``), else None.
        nearest: For a stale decision, the current segment most like the old one.
        nearest_excerpt: The excerpt of *nearest*.
        document_missing: The decision's document is not in the segments at all.
    """

    decision: Decision
    status: str
    target: str | None = None
    nearest: str | None = None
    nearest_excerpt: str = ""
    document_missing: bool = False

    @property
    def stale(self) -> bool:
        """Whether the decision is not applied (text changed, segment gone, code unknown)."""
        return self.status in STALE_STATUSES


@dataclass
class _Document:
    ids: list[str]
    texts: list[str]
    hashes: list[str]
    starts: list[int]


def _index(segments: pd.DataFrame) -> tuple[dict[str, _Document], dict[str, tuple[str, int]]]:
    documents: dict[str, _Document] = {}
    where: dict[str, tuple[str, int]] = {}
    starts = segments[START] if START in segments.columns else [-1] * len(segments)
    for doc_id, segment_id, text, start in zip(
        segments[DOC_ID], segments[SEGMENT_ID], segments[TEXT], starts, strict=True
    ):
        doc = documents.setdefault(str(doc_id), _Document([], [], [], []))
        where[str(segment_id)] = (str(doc_id), len(doc.ids))
        doc.ids.append(str(segment_id))
        doc.texts.append(str(text))
        doc.hashes.append(text_hash(str(text)))
        doc.starts.append(int(start))
    return documents, where


def _nearest(doc: _Document, decision: Decision, anchor: int) -> tuple[str, str]:
    """Return the segment of *doc* most like the decision's excerpt, near *anchor*.

    Without an excerpt (files written since #21), the segment that now holds the
    decision's start offset is nearest, else the one at the same position.
    """
    if not doc.ids:
        return "", ""
    if not decision.excerpt and decision.start.isdigit() and min(doc.starts) >= 0:
        offset = int(decision.start)
        held = [i for i, start in enumerate(doc.starts) if start <= offset]
        best = held[-1] if held else 0
        return doc.ids[best], excerpt(doc.texts[best])
    old = decision.excerpt.removesuffix("...")

    def score(i: int) -> tuple[float, int]:
        current = excerpt(doc.texts[i]).removesuffix("...")
        similarity = difflib.SequenceMatcher(None, old, current).ratio() if old else 0.0
        # Only a clearly similar text beats position: else the segment where it was is nearest.
        return (-similarity if similarity >= 0.6 else 0.0, abs(i - anchor))

    best = min(range(len(doc.ids)), key=score)
    return doc.ids[best], excerpt(doc.texts[best])


def _ordinal(segment_id: str) -> int:
    tail = segment_id.rsplit(":", 1)[-1]
    digits = "".join(ch for ch in tail if ch.isdigit())
    return int(digits) if digits else 0


def resolve_overrides(
    overrides: Overrides | Sequence[Decision],
    segments: pd.DataFrame,
    codes: Collection[str] | None = None,
) -> list[Resolution]:
    """Find where each decision applies in *segments*, re-anchoring moved text by its hash.

    Args:
        overrides: The decisions, in file order.
        segments: ``doc_id, segment_id, text`` of the current run.
        codes: The codebook's code ids; a decision on another code is ``unknown_code``.
            None: do not check codes.

    Returns:
        One :class:`Resolution` per decision, in file order.
    """
    decisions = overrides.decisions if isinstance(overrides, Overrides) else tuple(overrides)
    documents, where = _index(segments)
    known = set(codes) if codes is not None else None
    resolved: list[Resolution] = []
    for decision in decisions:
        found = where.get(decision.segment)
        doc_id = found[0] if found else decision.doc_id
        doc = documents.get(doc_id)
        if known is not None and decision.code not in known:
            resolved.append(Resolution(decision, "unknown_code", document_missing=doc is None))
            continue
        if doc is None:
            resolved.append(Resolution(decision, "gone", document_missing=True))
            continue
        position = found[1] if found else None
        if found and (not decision.hash or doc.hashes[found[1]] == decision.hash):
            resolved.append(Resolution(decision, "ok", decision.segment))
            continue
        anchor = position if position is not None else min(_ordinal(decision.segment), len(doc.ids))
        same = [i for i, h in enumerate(doc.hashes) if h == decision.hash]
        if same:
            best = min(same, key=lambda i: abs(i - anchor))
            resolved.append(Resolution(decision, "moved", doc.ids[best]))
            continue
        nearest, nearest_text = _nearest(doc, decision, anchor)
        status = "changed" if found else "gone"
        resolved.append(Resolution(decision, status, None, nearest, nearest_text))
    return resolved


def effective_decisions(resolutions: Iterable[Resolution]) -> dict[tuple[str, str], Resolution]:
    """Return the decision that counts per (segment, code): the last applicable one in the file."""
    latest: dict[tuple[str, str], Resolution] = {}
    for resolution in resolutions:
        if resolution.target is not None:
            latest[(resolution.target, resolution.decision.code)] = resolution
    return latest


def describe(resolution: Resolution, overrides: Overrides) -> Problem | None:
    """Return the diagnostic of a moved or stale decision (None when it applies as recorded)."""
    decision = resolution.decision
    # Ids and offsets only: messages never show transcript text (issue #21).
    was = f" (was characters {decision.start}-{decision.end})" if decision.start else ""
    near = f"; nearest now: {resolution.nearest}" if resolution.nearest else ""
    again = "decide again (qca override add/remove or qca review), then delete this entry"
    if resolution.status == "moved":
        return overrides.problem(
            decision,
            f"moved to {resolution.target}: its text is unchanged but turns before it were "
            "added or removed; the decision applies there",
            warning=True,
        )
    if resolution.status == "changed":
        message = f"stale: the segment's text changed since the decision{was}{near}; {again}"
    elif resolution.status == "gone" and resolution.document_missing:
        message = (
            f"stale: document {decision.doc_id} is not in the output{was}; code it again, "
            "or delete this entry"
        )
    elif resolution.status == "gone":
        message = f"stale: the segment no longer exists{was}{near}; {again}"
    elif resolution.status == "unknown_code":
        message = (
            f"stale: code {decision.code!r} is not in the codebook; rename it here to a "
            "current code, or delete this entry"
        )
    else:
        return None
    return overrides.problem(decision, message)


def check_overrides(
    overrides: Overrides, segments: pd.DataFrame, codes: Collection[str] | None
) -> tuple[pd.DataFrame, list[Problem]]:
    """Check every decision against the current segments and codebook.

    Returns:
        A ``CHECK_COLUMNS`` table (one row per decision, file order) and a problem
        per moved (warning) or stale (error) decision.

    Examples:
        >>> table, problems = check_overrides(read_overrides("overrides.yaml"), out.segments, out.code_ids)  # doctest: +SKIP
    """
    import pandas as pd

    resolutions = resolve_overrides(overrides, segments, codes)
    # The excerpt is read from the transcript at hand, never stored (issue #21).
    texts = dict(zip(segments[SEGMENT_ID].astype(str), segments[TEXT].astype(str), strict=True))
    rows = []
    problems: list[Problem] = []
    for resolution in resolutions:
        decision = resolution.decision
        nearest = resolution.target if resolution.status == "moved" else resolution.nearest
        current = texts.get(resolution.target or resolution.nearest or "")
        rows.append(
            [
                decision.segment,
                decision.code,
                decision.action,
                resolution.status,
                nearest or "",
                excerpt(current) if current is not None else decision.excerpt,
            ]
        )
        problem = describe(resolution, overrides)
        if problem is not None:
            problems.append(problem)
    return pd.DataFrame(rows, columns=list(CHECK_COLUMNS)), problems


# --- applying ----------------------------------------------------------------------


def _apply(
    codings: pd.DataFrame,
    resolutions: Iterable[Resolution],
    themes: Mapping[str, str],
) -> pd.DataFrame:
    import pandas as pd

    latest = effective_decisions(resolutions)
    if not latest:
        return codings
    rows = {
        (str(s), str(c)): [str(s), t, str(c), str(src), int(h)]
        for s, t, c, src, h in zip(
            codings[SEGMENT_ID],
            codings[THEME],
            codings[CODE],
            codings[SOURCE],
            codings[HITS],
            strict=True,
        )
    }
    for (segment, code), resolution in sorted(latest.items()):
        action = resolution.decision.action
        row = rows.get((segment, code))
        if action == "remove":
            rows.pop((segment, code), None)
        elif action == "accept":
            # An accepted coding stays even when the rules no longer find it: the coder saw it.
            hits = row[4] if row is not None else 0
            rows[(segment, code)] = [segment, themes.get(code, ""), code, "reviewed", hits]
        else:
            hits = row[4] if row is not None else 0
            rows[(segment, code)] = [segment, themes.get(code, ""), code, "manual", hits]
    columns = list(codings.columns)
    frame = pd.DataFrame([rows[k] for k in sorted(rows)], columns=columns)
    if frame.empty:
        return codings.iloc[0:0].copy()
    return frame.astype({HITS: "int64"}).reset_index(drop=True)


def apply_overrides(
    codings: pd.DataFrame,
    overrides: Overrides | Sequence[Decision],
    *,
    segments: pd.DataFrame,
    themes: Mapping[str, str],
) -> pd.DataFrame:
    """Return *codings* with the manual decisions applied.

    ``accept`` keeps the coding with source ``reviewed``; ``remove`` drops it (its hits
    stay in the hits table); ``add`` codes the segment with source ``manual`` (hits 0,
    or the rule hits if the rules found it too). The last decision on a (segment, code)
    wins. Stale decisions are not applied (see :func:`check_overrides`).

    Args:
        codings: ``CODING_COLUMNS`` from the rule hits.
        overrides: The decisions.
        segments: ``doc_id, segment_id, text`` of the run (to re-anchor moved text).
        themes: Code id -> theme id of the codebook; decisions on other codes are stale.

    Examples:
        >>> apply_overrides(codings, read_overrides("overrides.yaml"), segments=segments,
        ...                 themes={"motivation": "will"})  # doctest: +SKIP
    """
    return _apply(codings, resolve_overrides(overrides, segments, themes.keys()), themes)


def _segment_texts(source: Sequence[Path] | pd.DataFrame, doc_ids: Collection[str]) -> pd.DataFrame:
    import pandas as pd

    columns = [DOC_ID, SEGMENT_ID, TEXT]
    if isinstance(source, pd.DataFrame):
        return source[columns]
    import pyarrow as pa
    import pyarrow.compute as pc

    wanted = sorted(doc_ids)
    frames: list[pd.DataFrame] = []
    for part in source:  # Arrow IPC files written by qca.coding, one per batch
        with pa.memory_map(str(part)) as handle:
            table = pa.ipc.open_file(handle).read_all().select(columns)
            ids = table.column(DOC_ID)
            keep = pc.is_in(ids, value_set=pa.array(wanted, type=ids.type))
            frames.append(table.filter(keep).to_pandas())
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
    return pd.concat(frames, ignore_index=True)


def apply_overrides_file(
    path: Path,
    codings: pd.DataFrame,
    segments: Sequence[Path] | pd.DataFrame,
    themes: Mapping[str, str],
) -> tuple[pd.DataFrame, list[Problem]]:
    """Apply the decisions of *path* to *codings* (the hook of ``qca code``).

    Args:
        path: The overrides file (a missing file has no decisions).
        codings: The codings from the rule hits.
        segments: The run's segments, or the Arrow IPC parts they were written to.
        themes: Code id -> theme id of the codebook.

    Returns:
        The codings after overrides, and a warning per stale decision (not applied).

    Raises:
        OverrideError: When the file is malformed.
    """
    overrides = read_overrides(path)
    if not overrides.decisions:
        return codings, []
    wanted = {d.doc_id for d in overrides.decisions}
    texts = _segment_texts(segments, wanted)
    resolutions = resolve_overrides(overrides, texts, themes.keys())
    problems: list[Problem] = []
    absent = 0
    for resolution in resolutions:
        if resolution.document_missing and resolution.status == "gone":
            absent += 1
            continue
        if resolution.stale:
            problem = describe(resolution, overrides)
            if problem is not None:
                problems.append(replace(problem, severity="warning"))
    if absent:
        problems.append(
            Problem(
                path.as_posix(),
                f"{absent} decision(s) name documents that are not in this run; they were "
                "not applied (qca override check lists them)",
                severity="warning",
            )
        )
    return _apply(codings, resolutions, themes), problems


# --- listing and statistics -------------------------------------------------------


def overrides_table(overrides: Overrides, *, code: str | None = None) -> pd.DataFrame:
    """Return the decisions as a ``OVERRIDE_COLUMNS`` table, in file order.

    Args:
        code: Only the decisions on this code.
    """
    import pandas as pd

    rows = [d.as_row() for d in overrides.decisions if code is None or d.code == code]
    return pd.DataFrame(rows, columns=list(OVERRIDE_COLUMNS))


def override_stats(
    hits: pd.DataFrame,
    segments: pd.DataFrame,
    codes: Sequence[Mapping[str, Any]],
    overrides: Overrides,
) -> pd.DataFrame:
    """Return per code how many auto-coded segments were reviewed, accepted, rejected, added.

    ``precision`` is accepted / reviewed: the codebook's measured precision on the
    reviewed hits (empty when none were reviewed).

    Args:
        hits: The run's hits (negated hits count as hits, as in the codings).
        segments: The run's segments.
        codes: The codebook's codes (``theme``, ``code``) in codebook order.
        overrides: The decisions.
    """
    import pandas as pd

    ids = [str(c[CODE]) for c in codes]
    latest = effective_decisions(resolve_overrides(overrides, segments, ids))
    auto = set(zip(hits[SEGMENT_ID].astype(str), hits[CODE].astype(str), strict=True))
    rows = []
    for item in codes:
        code = str(item[CODE])
        coded = {s for s, c in auto if c == code}
        accepted = rejected = added = 0
        for (segment, decided_code), resolution in latest.items():
            if decided_code != code:
                continue
            action = resolution.decision.action
            if segment in coded:
                if action == "remove":
                    rejected += 1
                else:
                    accepted += 1
            elif action != "remove":
                added += 1
        reviewed = accepted + rejected
        precision = round(accepted / reviewed, 3) if reviewed else float("nan")
        rows.append(
            [str(item[THEME]), code, len(coded), reviewed, accepted, rejected, added, precision]
        )
    frame = pd.DataFrame(rows, columns=list(OVERRIDE_STATS_COLUMNS))
    return frame.astype(
        {SEGMENTS: "int64", REVIEWED: "int64", ACCEPTED: "int64", REJECTED: "int64", ADDED: "int64"}
    ).astype({PRECISION: "float64"})


__all__ = [
    "Decision",
    "Overrides",
    "Resolution",
    "add_decisions",
    "apply_overrides",
    "apply_overrides_file",
    "check_overrides",
    "default_coder",
    "default_overrides_path",
    "effective_decisions",
    "excerpt",
    "new_decision",
    "override_stats",
    "overrides_table",
    "read_overrides",
    "resolve_overrides",
]
