"""Time one whole process from outside: wall seconds, CPU seconds and peak RSS of the child.

The child is started with ``subprocess.Popen`` and reaped with ``os.wait4``, whose resource
usage is the operating system's own accounting of the finished child *and of every process
it waited for* (``--jobs 2`` workers included): CPU is ``ru_utime + ru_stime``. Wall time is
``time.monotonic`` just before the start and just after the reap. Peak is ``ru_maxrss``: the
largest single process of that tree, not their sum.

On Linux a child's ``ru_maxrss`` never reads below the peak of the process that spawned it
(exec keeps the old address space's high-water mark), so this module and ``run.py`` import
only the standard library and generate corpora in a subprocess: the benchmark stays a small
parent, and ``own_peak_mb()`` prints that floor.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Sample:
    """One finished process: wall and CPU seconds, peak resident set size in MB."""

    wall: float
    cpu: float
    peak_mb: float


class CommandError(Exception):
    """A measured command exited with an error."""


def run(command: list[str], *, cwd: Path, stdout: Path | None = None) -> Sample:
    """Run *command* to the end in *cwd*; return its Sample (its output goes to *stdout*).

    Raises CommandError with the end of its stderr when it exits non-zero.
    """
    with (
        open(stdout if stdout is not None else os.devnull, "wb") as out,
        tempfile.TemporaryFile() as err,
    ):
        started = time.monotonic()
        child = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err)
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace")[-3000:]
            raise CommandError(f"{' '.join(command)} exited {child.returncode}:\n{tail}")
    return Sample(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def median(samples: list[Sample]) -> Sample:
    """Return the median of each figure of *samples* (taken figure by figure)."""
    return Sample(
        statistics.median(s.wall for s in samples),
        statistics.median(s.cpu for s in samples),
        statistics.median(s.peak_mb for s in samples),
    )


def own_peak_mb() -> float:
    """Return this process's own peak RSS (VmHWM) in MB, 0 where /proc is absent."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0
