"""`qca cache info` and `qca cache prune` (qca.cachedir, issue #16)."""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from qca.cachedir import cache_info, default_cache_dir, prune_cache
from qca.cli import app
from qca.coding import CodeOptions, code

PIPELINE = "730f57dca70660e8"
KEY_A = "a" * 64
KEY_B = "b" * 64
KEY_C = "c" * 64
OLD = 1767225600  # 2026-01-01T00:00:00 UTC
NEW = OLD + 40 * 86400  # 2026-02-10T00:00:00 UTC


def _file(root: Path, relative: str, size: int, when: float) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (when, when))


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A cache folder with every kind of file, and an output folder that uses it."""
    monkeypatch.chdir(tmp_path)
    root = tmp_path / ".qca-cache"
    _file(root, f"{PIPELINE}/aa/{KEY_A}.npz", 100, OLD)
    _file(root, f"{PIPELINE}/aa/{KEY_A}.hits.json", 10, NEW)  # used later than its tokens
    _file(root, f"{PIPELINE}/bb/{KEY_B}.npz", 200, OLD)
    _file(root, f"{PIPELINE}/bb/{KEY_B}.hits.json", 20, OLD)
    _file(root, f"sources/cc/{KEY_C}.0", 300, OLD)
    _file(root, f"sources/cc/{KEY_C}.done", 3, OLD)
    _file(root, f"sources/cc/.{KEY_C}.0.x1y2.tmp", 5, OLD)
    _file(root, "notes.txt", 7, OLD)  # not qca's
    (tmp_path / "qca-out").mkdir()
    manifest = {
        "options": {"cache": True, "cache_dir": None},
        "pipeline": {"en": {"fingerprint": PIPELINE + "0" * 48}},
        "counts": {"documents": 3, "words": 6826},
    }
    (tmp_path / "qca-out" / "run.json").write_text(json.dumps(manifest), encoding="utf-8")
    return root


def invoke(runner: CliRunner, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["cache", *args])
    return result.exit_code, result.stdout, result.stderr


def test_cachedir_info_csv(cache: Path, runner: CliRunner) -> None:
    assert invoke(runner, "info", "--format", "csv") == (
        0,
        "kind,pipeline,entries,bytes,last_used,outputs,documents,words\n"
        "tokens,730f57dca70660e8,2,300,2026-01-01T00:00:00,qca-out,3,6826\n"
        "hits,730f57dca70660e8,2,30,2026-02-10T00:00:00,qca-out,3,6826\n"
        "sources,,1,303,2026-01-01T00:00:00,qca-out,3,6826\n"
        "temporary,,1,5,2026-01-01T00:00:00,qca-out,3,6826\n"
        "other,,1,7,2026-01-01T00:00:00,qca-out,3,6826\n",
        ".qca-cache: 7 entries, 645 bytes\n",
    )


def test_cachedir_info_json(cache: Path, runner: CliRunner) -> None:
    code_, stdout, _ = invoke(runner, "info", "--format", "json")
    assert code_ == 0
    assert json.loads(stdout)[0] == {
        "kind": "tokens",
        "pipeline": PIPELINE,
        "entries": 2,
        "bytes": 300,
        "last_used": "2026-01-01T00:00:00",
        "outputs": "qca-out",
        "documents": 3,
        "words": 6826,
    }


def test_cachedir_info_no_folder_yet(
    tmp_path: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert invoke(runner, "info", "--format", "csv") == (
        0,
        "kind,pipeline,entries,bytes,last_used,outputs,documents,words\n",
        ".qca-cache: no cache folder yet; qca code makes one\n",
    )


@pytest.mark.parametrize("command", ["info", "prune"])
def test_cachedir_missing_folder_named(cache: Path, runner: CliRunner, command: str) -> None:
    assert invoke(runner, command, "--cache-dir", "nope") == (
        1,
        "",
        "nope: no such cache folder; check the path, or leave out --cache-dir for the one "
        "qca code uses\n",
    )


def _left(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def test_cachedir_prune_older_than(cache: Path, runner: CliRunner) -> None:
    now = NEW + 5 * 86400
    pruned = prune_cache(cache, older_than_days=10, now=now)
    assert (pruned.removed, pruned.removed_bytes, pruned.kept, pruned.kept_bytes) == (
        4,
        528,
        2,
        110,
    )
    # The tokens of KEY_A stay with their hits (used 5 days ago); others' files stay.
    assert _left(cache) == [
        PIPELINE,
        f"{PIPELINE}/aa",
        f"{PIPELINE}/aa/{KEY_A}.hits.json",
        f"{PIPELINE}/aa/{KEY_A}.npz",
        "notes.txt",
    ]


def test_cachedir_prune_cli_default_keeps_recent(cache: Path, runner: CliRunner) -> None:
    for path in cache.rglob("*.hits.json"):
        os.utime(path)  # used just now
    assert invoke(runner, "prune") == (
        0,
        "",
        "removed 2 entries unused for 30 days (308 bytes) from .qca-cache; kept 4 (330 bytes)\n",
    )


def test_cachedir_prune_cli_all(cache: Path, runner: CliRunner) -> None:
    assert invoke(runner, "prune", "--all") == (
        0,
        "",
        "removed 6 entries (638 bytes) from .qca-cache; kept 0 (0 bytes)\n",
    )
    assert _left(cache) == ["notes.txt"]
    assert invoke(runner, "info", "-f", "csv")[1:] == (
        "kind,pipeline,entries,bytes,last_used,outputs,documents,words\n"
        "other,,1,7,2026-01-01T00:00:00,qca-out,3,6826\n",
        ".qca-cache: 1 entries, 7 bytes\n",
    )


def test_cachedir_prune_missing_folder(tmp_path: Path) -> None:
    pruned = prune_cache(tmp_path / "none")
    assert (pruned.removed, pruned.kept) == (0, 0)


CODEBOOK = (
    "name: Tiny\nlanguage: en\nthemes:\n  will:\n    codes:\n      m:\n        terms: [motivate]\n"
)


@pytest.mark.parametrize("again", [True, False])
def test_cachedir_a_run_marks_what_it_reads(tmp_path: Path, again: bool) -> None:
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "a.txt").write_text("Anna: I was motivated.\n", encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    outdir = tmp_path / "qca-out"
    code([tmp_path / "tr"], tmp_path / "cb.yaml", outdir=outdir, options=CodeOptions())
    folder = default_cache_dir(outdir)
    for path in folder.rglob("*"):
        if path.is_file():
            os.utime(path, (OLD, OLD))
    if again:  # reads the sources and hits entries; the tokens stay with their hits
        code([tmp_path / "tr"], tmp_path / "cb.yaml", outdir=outdir, options=CodeOptions())
    kinds = cache_info(folder)[["kind", "entries"]].values.tolist()
    # the run also saves the corpus token file of its segments.parquet (qca.rematch)
    assert kinds == [["tokens", 1], ["hits", 1], ["corpus", 1], ["sources", 1]]
    pruned = prune_cache(folder, older_than_days=1, now=time.time())
    assert (pruned.removed, pruned.kept) == ((0, 4) if again else (4, 0))


_PARTS = st.sampled_from(
    [PIPELINE, "sources", "aa", "zz", "A" * 16, KEY_A, "notes", ".hidden", "0" * 15]
)
_NAMES = st.sampled_from(
    [
        f"{KEY_A}.npz",
        f"{KEY_A}.hits.json",
        f"{KEY_A}.done",
        f"{KEY_A}.0",
        f"{KEY_A}.12",
        f".{KEY_A}.npz.x.tmp",
        f"{KEY_A}.NPZ",
        f"{KEY_A[:-1]}.npz",
        "a.npz",
        "x.done",
        "y.tmp",
        f"{KEY_A}.npz.bak",
        f"{KEY_A}.-1",
    ]
)
_ENTRY = re.compile(
    rf"{PIPELINE}/aa/{KEY_A}\.(?:npz|hits\.json)"
    rf"|sources/aa/{KEY_A}\.(?:done|[0-9]+)"
    rf"|(?:{PIPELINE}|sources)/aa/\.{KEY_A}\.npz\.x\.tmp"
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.lists(_PARTS, max_size=3), _NAMES), max_size=8))
def test_cachedir_prune_all_removes_only_entries(
    tmp_path_factory: pytest.TempPathFactory, files: list[tuple[list[str], str]]
) -> None:
    root = tmp_path_factory.mktemp("cache")
    made = set()
    for parts, name in files:
        relative = "/".join([*parts, name])
        if any(relative.startswith(m + "/") or m.startswith(relative + "/") for m in made):
            continue  # a file where a folder is wanted
        _file(root, relative, 1, OLD)
        made.add(relative)
    prune_cache(root, everything=True)
    left = {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}
    # Only lower-case hex folders are qca's: "AAAA..." (16) is someone else's.
    assert left == {m for m in made if not _ENTRY.fullmatch(m)}
