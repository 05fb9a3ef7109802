"""Run every ```python block of the docs, so the examples cannot rot."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from tests.conftest import ROOT

PAGES = ["README.md", "docs/python-api.md"]


def _blocks(page: str) -> list[str]:
    text = (ROOT / page).read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


@pytest.mark.parametrize("page", PAGES)
def test_docs_python_examples_run(
    page: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocks = _blocks(page)
    assert blocks, f"{page} has no python examples"
    # Run in a scratch folder that sees the repository's demo corpus and codebooks,
    # so nothing (e.g. a token cache) is written into the checkout.
    for name in ("transcripts", "codebooks"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        exec(compile(block, page, "exec"), {})


def _section(page: str, heading: str) -> str:
    text = (ROOT / page).read_text(encoding="utf-8")
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def test_docs_rerun_commands_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, runner: CliRunner
) -> None:
    """The commands of coding.md's "Re-runs" run, and the second prints what the page shows."""
    section = _section("docs/coding.md", "## Re-runs")
    commands = re.findall(r"```sh\n(.*?)```", section, flags=re.S)[0].splitlines()
    shown = re.findall(r"```text\n(.*?)```", section, flags=re.S)[0]
    for name in ("transcripts", "codebooks"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    printed = []
    for command in commands:
        words = shlex.split(command)
        assert words[0] == "qca"
        result = runner.invoke(app, words[1:])
        assert result.exit_code == 0, (command, result.stderr)
        printed.append(result.stderr)
    assert [c.split()[1:3] for c in commands] == [
        ["code", "transcripts/"],
        ["code", "transcripts/"],
        ["code", "transcripts/"],
        ["cache", "info"],
        ["cache", "prune"],
    ]
    assert printed[1] == shown
    assert "up to date" not in printed[2]
