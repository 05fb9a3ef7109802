"""An output folder is one run or the previous one (issue #19): kills, stale staging, checks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qca.cli import app
from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="kills forked runs (POSIX)")

WORDS = ("motivated", "idea", "tired", "coach", "zebra", "team", "plan", "goal")
CODEBOOK = """\
name: Kills
language: en
themes:
  will:
    label: Will
    codes:
      motivation:
        terms: [{first}]
      idea:
        terms: [{second}]
"""


def _corpus(work: Path, files: int = 60) -> None:
    (work / "tr").mkdir(parents=True)
    for number in range(files):
        lines = []
        for turn in range(40):
            words = " ".join(WORDS[(number + turn + k) % len(WORDS)] for k in range(12))
            lines.append(f"{'Interviewer' if turn % 2 == 0 else 'Anna'}: We {words}.\n")
        (work / "tr" / f"t{number:03d}.txt").write_text("\n".join(lines), encoding="utf-8")
    (work / "cb-a.yaml").write_text(CODEBOOK.format(first="motivate", second="idea"))
    (work / "cb-b.yaml").write_text(CODEBOOK.format(first="tired", second="plan"))


def _qdpx(path: Path, text: str, code: str) -> None:
    qde = f"""<?xml version="1.0" encoding="utf-8"?>
<Project xmlns="urn:QDA-XML:project:1.0" name="p">
  <Users><User guid="00000000-0000-0000-0000-00000000000A" name="alice"/></Users>
  <CodeBook><Codes>
    <Code guid="00000000-0000-0000-0000-0000000000C1" name="{code}" isCodable="true"/>
  </Codes></CodeBook>
  <Sources>
    <TextSource guid="00000000-0000-0000-0000-0000000000D1" name="interview.txt"
        plainTextPath="internal://00000000-0000-0000-0000-0000000000D1.txt">
      <PlainTextSelection guid="00000000-0000-0000-0000-0000000000E1"
          startPosition="0" endPosition="5">
        <Coding guid="00000000-0000-0000-0000-0000000000F1"
            creatingUser="00000000-0000-0000-0000-00000000000A">
          <CodeRef targetGUID="00000000-0000-0000-0000-0000000000C1"/>
        </Coding>
      </PlainTextSelection>
    </TextSource>
  </Sources>
</Project>
"""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("project.qde", qde)
        archive.writestr("Sources/00000000-0000-0000-0000-0000000000D1.txt", text)


def _kill_runs(work: Path, kind: str, timed: int) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "kill_runs.py"), str(work), kind, str(timed)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def _check(report: dict[str, Any], named: int) -> None:
    results = report["results"]
    for result in results:
        if result["exchange"] or result["manifest"]:
            assert result["state"] in {result["before"], result["run"]}, result
            assert result["consistent"], result
        else:  # the file-by-file fallback: no run.json, which every reader refuses
            assert not result["exchange"], result
        assert result["notes"], result
        assert len(result["staging"]) <= 2, result  # this run's and one it did not reach
    assert all(r["killed"] for r in results[:named]), results[:named]
    outcomes = {r["state"] == r["run"] for r in results}
    assert outcomes == {True, False}  # some kills left the old run, some the new
    assert report["final_staging"] == []
    assert report["final_state"] == report["final_run"]


def test_folders_kills_leave_the_old_or_the_new_run(tmp_path: Path) -> None:
    """6 named points with the atomic exchange, 5 in the file-by-file fallback, 39 timed kills."""
    _corpus(tmp_path, 6)
    report = _kill_runs(tmp_path, "code", 39)
    assert len(report["results"]) == 50
    _check(report, 11)


def test_folders_kills_during_import(tmp_path: Path) -> None:
    """5 named points of the exchange and 45 timed kills."""
    _qdpx(tmp_path / "p-a.qdpx", "hello there, first text", "joy")
    _qdpx(tmp_path / "p-b.qdpx", "other words in a second text", "anger")
    report = _kill_runs(tmp_path, "import", 45)
    assert len(report["results"]) == 50
    _check(report, 5)


@pytest.fixture
def two_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> Path:
    """Output folders ``a`` and ``b`` of two codebooks over the same corpus."""
    monkeypatch.chdir(tmp_path)
    _corpus(tmp_path, 2)
    for version in ("a", "b"):
        result = runner.invoke(app, ["code", "tr", "-c", f"cb-{version}.yaml", "-d", version])
        assert result.exit_code == 0, result.output
    return tmp_path


READERS = [
    ["themes", "-d", "a"],
    ["show", "motivation", "-d", "a"],
    ["explain", "t000:t0002", "-d", "a"],
    ["agree", "a", "b"],
    ["export", "qdpx", "-d", "a", "-o", "a.qdpx"],
]


@pytest.mark.parametrize("arguments", READERS, ids=[r[0] for r in READERS])
def test_folders_readers_refuse_a_mixed_folder(
    two_runs: Path, runner: CliRunner, arguments: list[str]
) -> None:
    shutil.copyfile(two_runs / "b" / "hits.parquet", two_runs / "a" / "hits.parquet")
    result = runner.invoke(app, arguments)
    assert result.exit_code == 1
    assert result.output == (
        "a/hits.parquet: has another size than recorded in run.json: the folder mixes two "
        "runs or was damaged; run: qca code TRANSCRIPTS -c CODEBOOK -d a\n"
    )


def test_folders_readers_refuse_a_damaged_file(two_runs: Path, runner: CliRunner) -> None:
    path = two_runs / "a" / "codings.parquet"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # same size, other content, new modification time
    path.write_bytes(bytes(data))
    result = runner.invoke(app, ["themes", "-d", "a"])
    assert result.exit_code == 1
    assert result.output == (
        "a/codings.parquet: has other content than recorded in run.json: the folder mixes "
        "two runs or was damaged; run: qca code TRANSCRIPTS -c CODEBOOK -d a\n"
    )


def test_folders_next_run_removes_stale_staging(two_runs: Path, runner: CliRunner) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = [two_runs / f".a.{dead.stdout.strip()}-deadbeef.tmp", two_runs / ".a.x1y2z3.tmp"]
    live = two_runs / f".a.{os.getpid()}-cafe.tmp"
    for folder in [*stale, live]:
        folder.mkdir()
        (folder / "segments.parquet").write_bytes(b"left by a killed run")
    os.utime(stale[1], (0, 0))  # an older qca's staging folder, untouched for long
    (two_runs / "a" / "notes.txt").write_text("mine\n", encoding="utf-8")
    result = runner.invoke(app, ["code", "tr", "-c", "cb-b.yaml", "-d", "a"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in two_runs.glob(".a.*.tmp")) == [live.name]
    assert (two_runs / "a" / "notes.txt").read_text(encoding="utf-8") == "mine\n"
    assert runner.invoke(app, ["themes", "-d", "a"]).exit_code == 0


def test_folders_symlinked_output_folder_stays_a_link(two_runs: Path, runner: CliRunner) -> None:
    (two_runs / "link").symlink_to(two_runs / "a", target_is_directory=True)
    result = runner.invoke(app, ["code", "tr", "-c", "cb-b.yaml", "-d", "link"])
    assert result.exit_code == 0, result.output
    assert (two_runs / "link").is_symlink()
    assert list(two_runs.glob(".*.tmp")) == []
    assert runner.invoke(app, ["themes", "-d", "a"]).exit_code == 0
