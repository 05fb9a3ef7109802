"""No transcript text in qca's messages or in overrides.yaml (issue #21).

Runs the commands a researcher runs, including the ones that warn (stale and moved
overrides, a text before the first label, a file that cannot be read), and greps
everything they print on stderr, and the overrides file, for any four consecutive
words of the transcripts. A matched phrase (a codebook term) is at most two words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app

CODEBOOK = """\
name: Tiny
language: en
themes:
  will:
    codes:
      motivation:
        terms: [motivate]
  ideas:
    codes:
      idea:
        terms: [idea]
"""
TRANSCRIPT = (
    "A preamble sentence sits above the labels here.\n\n"
    "Interviewer: Tell me about the change programme at the surgery.\n\n"
    "Anna: We were motivated to improve the waiting room for everyone.\n\n"
    "Bo: The idea came from Esther who waited three hours last March.\n\n"
    "Anna: I had an idea and felt motivated after the second workshop.\n\n"
    "Bo: Nothing to add from the pharmacy side today.\n"
)
EDITED = TRANSCRIPT.replace("last March", "last April, in the rain").replace(
    "Interviewer: Tell", "Interviewer: Hello.\n\nInterviewer: Tell"
)


def _grams(text: str, size: int = 4) -> set[str]:
    words = re.findall(r"\w+", text.lower())
    return {" ".join(words[i : i + size]) for i in range(len(words) - size + 1)}


def _leaks(printed: str) -> list[str]:
    seen = _grams(printed)
    return sorted((_grams(TRANSCRIPT) | _grams(EDITED)) & seen)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QCA_CODER", "ann")
    (tmp_path / "tr").mkdir()
    (tmp_path / "tr" / "a.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (tmp_path / "tr" / "b.txt").write_bytes(b"\x00\x01binary")
    (tmp_path / "cb.yaml").write_text(CODEBOOK, encoding="utf-8")
    return tmp_path


def test_privacy_messages_print_no_transcript_text(project: Path, runner: CliRunner) -> None:
    steps = [
        ["ingest", "tr"],
        ["code", "tr", "-c", "cb.yaml"],
        ["override", "remove", "a:t0004", "idea"],
        ["override", "add", "a:t0006", "motivation"],
        ["override", "accept", "a:t0005", "motivation"],
        ["themes"],
    ]
    printed = []
    for step in steps:
        printed.append(runner.invoke(app, step).stderr)
    (project / "tr" / "a.txt").write_text(EDITED, encoding="utf-8")
    for step in (["code", "tr", "-c", "cb.yaml"], ["override", "check"], ["override", "list"]):
        result = runner.invoke(app, step)
        printed.append(result.stderr)
    everything = "\n".join(printed)
    # the warnings this test is about were printed
    assert "stale: the segment's text changed since the decision (was characters" in everything
    assert "moved to a:t0007" in everything
    assert "b.txt" in everything
    assert _leaks(everything) == []
    stored = (project / "overrides.yaml").read_text(encoding="utf-8")
    assert _leaks(stored) == []
    assert "excerpt" not in stored
    assert re.search(r"start: '\d+'\n  end: '\d+'", stored)


def test_privacy_messages_pseudonymise_prints_no_transcript_text(
    project: Path, runner: CliRunner
) -> None:
    (project / "tr" / "b.txt").unlink()
    result = runner.invoke(app, ["pseudonymise", "tr", "--key", "k.key", "-o", "out"])
    assert result.exit_code == 0, result.stderr
    reverse = runner.invoke(
        app, ["pseudonymise", "out", "--key", "k.key", "-o", "back", "--reverse"]
    )
    assert _leaks(result.stderr + reverse.stderr) == []
