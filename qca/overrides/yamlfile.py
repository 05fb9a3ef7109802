"""Reading and appending to ``overrides.yaml``: checked, locked, atomic, comments kept."""

from __future__ import annotations

import difflib
import errno
import io
import warnings
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OverrideError, Problem
from qca.io import atomic_write_text
from qca.models import (
    ACTION,
    ACTIONS,
    NOTE,
    OVERRIDE_COLUMNS,
    SEGMENT,
)
from qca.overrides.decisions import HEADER, LOCK_TIMEOUT, REQUIRED_KEYS, Decision, Overrides

if TYPE_CHECKING:
    pass


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
