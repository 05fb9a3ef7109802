"""Tests of qca.review and `qca review` (issue #6): CliRunner keys, SIGKILL safety, a real pty."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.outputs import read_output
from qca.overrides import read_overrides
from qca.review import ReviewSession, review_items
from tests.conftest import ROOT
from tests.test_overrides import CODEBOOK, TRANSCRIPT

PROMPT = "  [a]ccept [r]eject [s]kip [n]ote [b]ack [q]uit > \n"
FIRST = (
    "\n[1/2] a:t0002  Anna\n"
    "  before  Interviewer: Tell me about change.\n"
    "  > We were motivated to improve.\n"
    "  after   Bo: The idea came from Esther.\n"
    "  rules: term 'motivate'\n"
)
SECOND = (
    "\n[2/2] a:t0004  Anna\n"
    "  before  Bo: The idea came from Esther.\n"
    "  > I had an idea and felt motivated.\n"
    "  after   Bo: Nothing to add.\n"
    "  rules: term 'motivate'\n"
)


@pytest.fixture
def coded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner) -> Path:
    """A tiny corpus coded into qca-out/, in a fresh working folder; $QCA_CODER is ann."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QCA_CODER", "ann")
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "a.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    result = runner.invoke(app, ["code", "tr", "-c", "cb.yaml"])
    assert result.exit_code == 0, result.stderr
    return tmp_path


def test_review_cli_keys_write_decisions_and_resume(coded: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["review", "motivation"], input="a\nx\nn\nnot drive\nq\n")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout == (
        "motivation: 2 segments to review, 0 with a decision; decisions go to overrides.yaml\n"
        + FIRST
        + PROMPT
        + SECOND
        + PROMPT
        + "  unknown key 'x'; use [a]ccept [r]eject [s]kip [n]ote [b]ack [q]uit\n"
        + SECOND
        + PROMPT
        + SECOND
        + "  note (kept with your decision): not drive\n"
        + PROMPT
        + "motivation: 1 of 2 segments have a decision; re-run qca code to update the tables\n"
    )
    decisions = read_overrides(coded / "overrides.yaml").decisions
    assert [(d.segment, d.code, d.action, d.coder) for d in decisions] == [
        ("a:t0002", "motivation", "accept", "ann")
    ]
    # A later session resumes at the first segment without a decision.
    result = runner.invoke(app, ["review", "motivation", "--coder", "bo"], input="r\n")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "motivation: 2 segments to review, 1 with a decision; decisions go to overrides.yaml\n"
        + SECOND
        + PROMPT
        + "motivation: 2 of 2 segments have a decision; re-run qca code to update the tables\n"
    )
    decisions = read_overrides(coded / "overrides.yaml").decisions
    assert [(d.segment, d.action, d.coder) for d in decisions][1] == ("a:t0004", "remove", "bo")
    # All decided: start at the first; back stays there and shows the decision; EOF quits.
    result = runner.invoke(app, ["review", "motivation"], input="b\n")
    assert result.stdout.count("  decision: accepted by ann\n") == 2
    assert result.stdout.endswith(
        "2 of 2 segments have a decision; re-run qca code to update the tables\n"
    )
    status = runner.invoke(app, ["code", "tr", "-c", "cb.yaml"])
    assert status.exit_code == 0
    lines = (coded / "qca-out" / "codings.csv").read_text(encoding="utf-8").splitlines()
    assert lines[1:] == [
        "a:t0002,will,motivation,reviewed,1",
        "a:t0003,ideas,idea,auto,1",
        "a:t0004,ideas,idea,auto,1",
    ]


def test_review_cli_only_unreviewed_and_unknown_code(coded: Path, runner: CliRunner) -> None:
    runner.invoke(app, ["override", "remove", "a:t0002", "motivation"])
    result = runner.invoke(app, ["review", "motivation", "--only-unreviewed"], input="s\n")
    assert result.exit_code == 0
    assert result.stdout == (
        "motivation: 1 segments to review, 0 with a decision; decisions go to overrides.yaml\n"
        + SECOND.replace("[2/2]", "[1/1]")
        + PROMPT
        + "motivation: 0 of 1 segments have a decision; re-run qca code to update the tables\n"
    )
    result = runner.invoke(app, ["review", "motivaton"])
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == "unknown code 'motivaton'; use one of: motivation, idea\n"


def test_review_session_note_on_decided_item_rewrites_it(coded: Path) -> None:
    output = read_output("qca-out")
    items = review_items(output, "idea")
    session = ReviewSession.start(
        "overrides.yaml", "idea", items, coder="ann", clock=lambda: "2026-01-01T00:00:00+00:00"
    )
    assert [i.segment_id for i in items] == ["a:t0003", "a:t0004"]
    assert items[0].spans == ((4, 8),)
    session.press("r")
    session.press("b")
    written = session.press("n", "a place")
    assert written is not None and (written.action, written.note) == ("remove", "a place")
    with pytest.raises(ValueError):
        session.press("z")
    assert [(d.action, d.note) for d in read_overrides("overrides.yaml").decisions] == [
        ("remove", ""),
        ("remove", "a place"),
    ]


def _wait_for(path: Path, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if path.exists() and len(read_overrides(path).decisions) >= count:
            return
        assert process.poll() is None, "qca review exited early"
        time.sleep(0.05)
    raise AssertionError(f"no decision {count} within 30 s")


def test_review_sigkill_between_keys_keeps_every_decision(coded: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "qca", "review", "motivation"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=coded,
        env=env,
    )
    assert process.stdin is not None
    path = coded / "overrides.yaml"
    try:
        process.stdin.write(b"a\n")
        process.stdin.flush()
        _wait_for(path, 1, process)
        process.stdin.write(b"r\n")
        process.stdin.flush()
        _wait_for(path, 2, process)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        process.stdin.close()
    assert process.returncode == -signal.SIGKILL
    decisions = read_overrides(path).decisions
    assert [(d.segment, d.action) for d in decisions] == [
        ("a:t0002", "accept"),
        ("a:t0004", "remove"),
    ]
    assert sorted(p.name for p in coded.iterdir() if p.name.endswith(".tmp")) == []


def test_review_real_terminal_single_keys(coded: Path) -> None:
    pexpect = pytest.importorskip("pexpect")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1", "TERM": "dumb"}
    child = pexpect.spawn(
        sys.executable,
        ["-m", "qca", "review", "motivation"],
        cwd=str(coded),
        env=env,
        encoding="utf-8",
        timeout=30,
    )
    try:
        child.expect_exact("[1/2] a:t0002")
        child.expect_exact("[q]uit > ")
        child.send("a")
        child.expect_exact("[2/2] a:t0004")
        child.expect_exact("[q]uit > ")
        child.send("q")
        child.expect_exact("1 of 2 segments have a decision")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0
    decisions = read_overrides(coded / "overrides.yaml").decisions
    assert [(d.segment, d.action) for d in decisions] == [("a:t0002", "accept")]
