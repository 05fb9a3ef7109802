"""The docs cannot drift from the CLI: every command is documented and has help text."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from qca.cli._docs import command_paths, help_text
from tests.conftest import ROOT

COMMANDS = [" ".join(words) for words in command_paths()]


def test_docs_cli_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", str(ROOT / "docs" / "cli-reference.md")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, (
        "docs/cli-reference.md is stale; run: .venv/bin/cog -r docs/cli-reference.md\n"
        + result.stdout
        + result.stderr
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_docs_every_command_in_cli_md(command: str) -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    assert re.search(rf"`qca {re.escape(command)}\b", text), (
        f"docs/cli.md does not mention qca {command}"
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_docs_every_command_has_help(command: str) -> None:
    text = help_text(command.split())
    lines = [line for line in text.splitlines() if line.strip()]
    # Usage line, then a one-line summary from the docstring.
    assert lines[0].startswith(f"Usage: qca {command}")
    assert len(lines) > 2 and not lines[1].lstrip().startswith(("Options", "╭"))
