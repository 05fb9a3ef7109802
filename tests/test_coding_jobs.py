"""`qca code --jobs N` workers: they die with their parent, and Ctrl-C stops them (#19)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.signals import sigint_default

CODEBOOK = """\
name: Tiny
language: en
themes:
  will:
    label: Will
    codes:
      motivation:
        terms: [motivate, idea]
        regex: ['\\bmoti\\w+']
"""

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads /proc to find the workers"
)


def _children(pid: int) -> set[int]:
    """Return the ids of the live (not zombie) processes whose parent is *pid*."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text(encoding="utf-8")
        except OSError:
            continue
        state, parent = stat.rpartition(")")[2].split()[:2]
        if int(parent) == pid and state != "Z":
            found.add(int(entry.name))
    return found


def _alive(pids: set[int]) -> set[int]:
    alive = set()
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8")
        except OSError:
            continue
        if stat.rpartition(")")[2].split()[0] != "Z":
            alive.add(pid)
    return alive


@pytest.fixture
def started(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], set[int]]]:
    """`qca code --jobs 2` on 300 files, caught while its two workers run."""
    folder = tmp_path / "tr"
    folder.mkdir()
    turn = "I was motivated by a new idea, and then another idea came along. " * 4
    for n in range(300):
        text = "".join(f"P{n}: {turn} {m}\n\nInterviewer: And?\n\n" for m in range(60))
        (folder / f"f{n:03d}.txt").write_text(text, encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    command = [sys.executable, "-m", "qca", "code", "tr", "-c", "cb.yaml", "-d", "out"]
    process = subprocess.Popen(
        [*command, "--jobs", "2", "--no-cache"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=sigint_default,  # noqa: PLW1509 - no threads in this test process
    )
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while len(workers) < 2 and process.poll() is None and time.monotonic() < deadline:
        workers = _children(process.pid)
        time.sleep(0.01)
    assert len(workers) == 2, "the workers were not seen while the run went on"
    yield process, workers
    if process.poll() is None:  # pragma: no cover - only when an assertion failed
        process.kill()
        process.wait()
    for pid in _alive(workers):  # pragma: no cover - only when an assertion failed
        os.kill(pid, signal.SIGKILL)


def _gone_within(workers: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while _alive(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    return _alive(workers)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_coding_jobs_workers_die_with_their_parent(
    started: tuple[subprocess.Popen[bytes], set[int]], sig: signal.Signals
) -> None:
    process, workers = started
    process.send_signal(sig)
    assert process.wait(timeout=30) == -sig
    assert _gone_within(workers, 5) == set()


def test_coding_jobs_ctrl_c_stops_the_workers(
    started: tuple[subprocess.Popen[bytes], set[int]], tmp_path: Path
) -> None:
    process, workers = started
    process.send_signal(signal.SIGINT)  # to the parent alone: it must stop the workers itself
    assert process.wait(timeout=30) == 130
    assert _gone_within(workers, 5) == set()
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    assert not list(tmp_path.glob(".out.*"))  # the temporary folder is removed
