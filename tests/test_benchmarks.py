"""benchmarks/run.py runs end to end at a tiny size and prints every row (no timings asserted)."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

RUN = ROOT / "benchmarks" / "run.py"
ROWS = [
    r"  1 spaCy floor \(whole process",
    r"  2 qca code cold --no-cache --jobs 1 ",
    r"  3 qca code again, nothing changed",
    r"  4 qca code after a terms-only edit",
    r"  5 qca code cold --no-cache --jobs 2 ",
    r"  6 PhraseMatcher script",
    r"  7 pandas script",
    r" 8a qca code cold, 10 one-line files ",
    r" 8b qca code cold, one file of the same lines ",
    r"  8 per-file overhead: -?[\d.]+ ms CPU, -?[\d.]+ ms wall per file",
    r" 5b qca code cold --no-cache --scheduler \(Dask\) +[\d.]+ +[\d.]+",
    r"  9 peak RSS of \(2\) at 5,\d\d\d words +[\d.]+ +[\d.]+ +\d+ +1",
    r"  9 peak RSS of \(2\) at \d\d\d words +[\d.]+ +[\d.]+ +\d+ +1",
    r" 10 cache on disk after rows 3 and 4: [\d.]+ MB = [\d.]+x the corpus text",
    r" 11 qca themes on the output of \(2\) ",
    r"  A phrasematcher +[\d,]+ hits vs qca [\d,]+ \([\d,]+ not negated\)",
    r"  A pandas +[\d,]+ hits vs qca [\d,]+",
    r"  \[(met   |missed)\] cold --jobs 1 >= 0.8x the spaCy floor \(floor / qca\): A [\d.]+x ",
    r"  \[(met   |missed)\] cold --jobs 1 >= 2x faster than both peers .*: A [\d.]+x/[\d.]+x ",
    r"  \[(met   |missed)\] nothing changed <= 0.5 s: A [\d.]+ s \([\d.]+ s wall\) ",
    r"  \[(met   |missed)\] terms-only edit >= 10x faster than cold \(cold / edit\): A ",
    r"  \[(met   |missed)\] per-file overhead <= 0.5 ms: F -?[\d.]+ ms ",
    r"  \[(met   |missed)\] --jobs 2 >= 1.7x --jobs 1 in wall time .*: A [\d.]+x wall, ",
    r"  \[(met   |missed)\] peak RSS at --words <= 1.2x at a tenth of it.*: A \d+/\d+ MB",
    r"  \[n/a   \] qca themes on the survey shape < 3 s and < 500 MB: not measured",
]


def test_benchmarks_run_prints_every_row(tmp_path: Path) -> None:
    command = [sys.executable, str(RUN), "--words", "5000", "--repeat", "1", "--shapes", "A"]
    command += ["--files", "10", "--work", str(tmp_path), "--scheduler", "local:2"]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    for row in ROWS:
        assert re.search(row, done.stdout), f"no row {row!r} in:\n{done.stdout}"
    runs = tmp_path / "runs" / "A"
    for name in ("hits.csv", "codings.csv", "segments.parquet"):  # row 5b codes on Dask
        assert (runs / "out-dask" / name).read_bytes() == (runs / "out-cold" / name).read_bytes()
    with (tmp_path / "runs" / "A" / "bench" / "counts.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 40  # every code of the generated codebook
    for column in ("qca terms", "qca not negated", "phrasematcher", "pandas"):
        assert sum(int(row[column]) for row in rows) > 0, column


def test_benchmarks_run_rejects_an_unknown_step(tmp_path: Path) -> None:
    command = [sys.executable, str(RUN), "--only", "cold,warm", "--work", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1].endswith(
        "error: --only takes steps 1-11 or their names: floor, cold, same, edit, jobs2, "
        "phrasematcher, pandas, perfile, rss, cache, themes"
    )


def test_benchmarks_peer_reader_leaves_out_excluded_speakers() -> None:
    sys.path.insert(0, str(ROOT / "benchmarks" / "peers"))
    try:
        from texts import turns  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(ROOT / "benchmarks" / "peers"))
    text = "Interviewer: How was it?\n\nP0001: Fine, really.\nAnd a second line.\n\nP0001: Yes.\n"
    assert list(turns(text, frozenset({"Interviewer"}))) == [
        "Fine, really.\nAnd a second line.",
        "Yes.",
    ]
