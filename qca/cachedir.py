"""The cache folder (``.qca-cache``): what it holds, and removing entries not used for long.

``qca code`` keeps four kinds of entry there (see :mod:`qca.engine.store` and
:mod:`qca.ingest.store`), under the pipeline's fingerprint (its first 16 hex digits)
or ``sources``::

    <fingerprint[:16]>/<key[:2]>/<key>.tok        tokens of a batch of texts (.npz before)
    <fingerprint[:16]>/<key[:2]>/<key>.hits       hits of each code on those texts (.hits.json before)
    <fingerprint[:16]>/corpus/<key>.tokens        the tokens of one output folder's segments
                                                  (key: sha256 of its segments.parquet)
    sources/<key[:2]>/<key>.<n>, <key>.done       a file as ingest read it

An entry's **last use** is its files' newest modification time: a run sets it on
each entry it reads (:func:`qca.io.touch`) and writes new ones. A token entry
and the hits entry of the same texts are one entry for pruning (a run that reuses
the hits does not read the tokens, yet needs them when a code changes).
Left-over temporary files (``.<name>.<random>.tmp``) are entries of their own.
Anything else in the folder is listed as ``other`` and never removed, so a
mistyped ``--cache-dir`` cannot delete someone's files.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from qca.errors import OutputError
from qca.models import (
    BYTES,
    CACHE_DIR,
    CACHE_INFO_COLUMNS,
    DOCUMENTS,
    ENTRIES,
    KIND,
    LAST_USED,
    OUTPUTS,
    PIPELINE,
    RUN_FILE,
    WORDS,
)

if TYPE_CHECKING:
    import pandas as pd

#: The kinds of file in a cache folder, in the order ``cache_info`` lists them.
CACHE_KINDS: tuple[str, ...] = ("tokens", "hits", "corpus", "sources", "temporary", "other")
_HEX16 = "[0-9a-f]{16}"
_KEY = "[0-9a-f]{2}/(?P<key>[0-9a-f]{64})"
_PATTERNS = (
    ("tokens", re.compile(rf"(?P<pipeline>{_HEX16})/{_KEY}\.(?:tok|npz)")),  # npz: before #16
    ("hits", re.compile(rf"(?P<pipeline>{_HEX16})/{_KEY}\.hits(?:\.json)?")),
    ("corpus", re.compile(rf"(?P<pipeline>{_HEX16})/corpus/(?P<key>[0-9a-f]{{64}})\.tokens")),
    ("sources", re.compile(rf"sources/{_KEY}\.(?:done|\d+)")),
    ("temporary", re.compile(rf"(?:{_HEX16}|sources)/(?:[0-9a-f]{{2}}|corpus)/\.[^/]+\.tmp")),
)
_DAY = 86400.0


def default_cache_dir(outdir: str | Path) -> Path:
    """Return the cache folder ``qca code`` uses for the output folder *outdir*.

    Examples:
        >>> default_cache_dir("results/qca-out").as_posix()
        'results/.qca-cache'
    """
    return Path(outdir).parent / CACHE_DIR


@dataclass(frozen=True)
class _File:
    kind: str
    pipeline: str
    group: str  # files of one group are pruned together
    path: Path
    size: int
    used: float


def _files(folder: Path) -> Iterator[_File]:
    """Yield every file under *folder* with its kind (sorted, so results are stable)."""
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(root, name)
            relative = path.relative_to(folder).as_posix()
            try:
                stat = path.stat()
            except OSError:
                continue  # removed meanwhile (another run, another prune)
            for kind, pattern in _PATTERNS:
                found = pattern.fullmatch(relative)
                if found is not None:
                    fields = found.groupdict()
                    pipeline = fields.get("pipeline") or ""
                    group = f"{pipeline or kind}/{fields.get('key') or relative}"
                    break
            else:
                kind, pipeline, group = "other", "", relative
            yield _File(kind, pipeline, group, path, stat.st_size, stat.st_mtime)


def _check_folder(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise OutputError(
            f"{folder.as_posix()}: the cache folder is a file; name a folder with --cache-dir"
        )


def _served(folder: Path) -> list[dict[str, Any]]:
    """Return the run.json of each output folder beside *folder* that uses it as its cache."""
    runs = []
    target = folder.resolve()
    for run in sorted(folder.parent.glob(f"*/{RUN_FILE}")):
        try:
            manifest = json.loads(run.read_bytes())
            options = manifest.get("options") or {}
            if not options.get("cache", True):
                continue
            given = options.get("cache_dir")
            used = Path(given) if given else default_cache_dir(run.parent)
            if used.resolve() == target:
                runs.append({**manifest, "folder": run.parent})
        except (OSError, ValueError, AttributeError):
            continue  # not a run manifest: it serves nothing we know of
    return runs


def cache_info(folder: str | Path) -> pd.DataFrame:
    """Return what the cache folder holds: one row per kind of entry and pipeline.

    Columns (``CACHE_INFO_COLUMNS``): ``kind`` (tokens, hits, sources, temporary,
    other), ``pipeline`` (the fingerprint's first 16 hex digits; "" for the others),
    ``entries``, ``bytes``, ``last_used`` (the newest use, ISO 8601 UTC), and from the
    run.json of output folders beside the cache folder that use it: ``outputs``
    (their names), ``documents`` and ``words`` (their sums; 0 when none is found).
    A missing folder holds nothing.

    Raises:
        OutputError: When *folder* is a file.

    Examples:
        >>> cache_info(".qca-cache")  # doctest: +SKIP
             kind          pipeline  entries  bytes            last_used outputs  documents  words
        0  tokens  730f57dca70660e8        3  96120  2026-12-03T15:36:16  qca-out          3   6826
    """
    import pandas as pd

    folder = Path(folder)
    _check_folder(folder)
    rows: dict[tuple[int, str], dict[str, Any]] = {}
    groups: dict[tuple[int, str], set[str]] = {}
    for file in _files(folder) if folder.is_dir() else ():
        index = (CACHE_KINDS.index(file.kind), file.pipeline)
        row = rows.setdefault(index, {BYTES: 0, LAST_USED: 0.0})
        groups.setdefault(index, set()).add(file.group)
        row[BYTES] += file.size
        row[LAST_USED] = max(row[LAST_USED], file.used)
    runs = _served(folder) if rows else []
    records = []
    for (kind, pipeline), row in sorted(rows.items()):
        serving = [
            run
            for run in runs
            if CACHE_KINDS[kind] in ("sources", "temporary", "other")
            or any(
                str(p.get("fingerprint", "")).startswith(pipeline)
                for p in (run.get("pipeline") or {}).values()
            )
        ]
        counts = [run.get("counts") or {} for run in serving]
        records.append(
            {
                KIND: CACHE_KINDS[kind],
                PIPELINE: pipeline,
                ENTRIES: len(groups[(kind, pipeline)]),
                BYTES: row[BYTES],
                LAST_USED: _when(row[LAST_USED]),
                OUTPUTS: ", ".join(run["folder"].name for run in serving),
                DOCUMENTS: sum(int(c.get("documents", 0)) for c in counts),
                WORDS: sum(int(c.get("words", 0)) for c in counts),
            }
        )
    if not records:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in CACHE_INFO_COLUMNS}).astype(
            {ENTRIES: "int64", BYTES: "int64", DOCUMENTS: "int64", WORDS: "int64"}
        )
    return pd.DataFrame.from_records(records, columns=list(CACHE_INFO_COLUMNS))


def _when(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").removesuffix("+00:00")


@dataclass(frozen=True)
class Pruned:
    """What :func:`prune_cache` removed and kept (entries as ``cache_info`` counts them)."""

    folder: Path
    removed: int
    removed_bytes: int
    kept: int
    kept_bytes: int


def prune_cache(
    folder: str | Path,
    *,
    older_than_days: float = 30.0,
    everything: bool = False,
    now: float | None = None,
) -> Pruned:
    """Remove the entries of the cache folder not used for *older_than_days* days.

    Only files laid out as cache entries are removed (``other`` files stay), then the
    folders left empty. Removing an entry a run still wants only costs that run the
    time to make it again.

    Args:
        folder: The cache folder (``.qca-cache``).
        older_than_days: Remove entries last used longer ago than this.
        everything: Remove every entry, however recently used.
        now: The time to measure ages from (seconds since the epoch); default now.

    Raises:
        OutputError: When *folder* is a file.

    Examples:
        >>> prune_cache(".qca-cache", older_than_days=7)  # doctest: +SKIP
        Pruned(folder=PosixPath('.qca-cache'), removed=12, removed_bytes=401320, kept=3, kept_bytes=96120)
    """
    folder = Path(folder)
    _check_folder(folder)
    if not folder.is_dir():
        return Pruned(folder, 0, 0, 0, 0)
    groups: dict[str, list[_File]] = {}
    for file in _files(folder):
        if file.kind != "other":
            groups.setdefault(file.group, []).append(file)
    cutoff = (time.time() if now is None else now) - older_than_days * _DAY
    removed = removed_bytes = kept = kept_bytes = 0
    for files in groups.values():
        size = sum(file.size for file in files)
        entries = len({file.kind for file in files})  # tokens + hits of the same texts: 2
        if everything or max(file.used for file in files) < cutoff:
            for file in files:
                try:
                    file.path.unlink()
                except FileNotFoundError:
                    pass  # another prune or run got there first
                except OSError as exc:
                    raise OutputError(
                        f"{file.path.as_posix()}: cannot remove it ({exc.strerror or exc}); "
                        "check the cache folder's permissions"
                    ) from None
            removed, removed_bytes = removed + entries, removed_bytes + size
        else:
            kept, kept_bytes = kept + entries, kept_bytes + size
    for root, _, _ in sorted(os.walk(folder), key=lambda item: -len(item[0])):
        if Path(root) != folder:
            try:
                os.rmdir(root)  # only an empty folder goes
            except OSError:
                pass
    return Pruned(folder, removed, removed_bytes, kept, kept_bytes)
