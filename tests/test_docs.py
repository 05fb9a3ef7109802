"""The docs cannot drift from the CLI: every command is documented and has help text."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from qca.cli._docs import command_paths, flag_uses, help_text
from tests.conftest import ROOT

COMMANDS = [" ".join(words) for words in command_paths()]


@pytest.mark.parametrize("page", ["cli-reference.md", "cli.md"])
def test_docs_cli_reference_is_current(page: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", str(ROOT / "docs" / page)],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, (
        f"docs/{page} is stale; run: .venv/bin/cog -r docs/{page}\n" + result.stdout + result.stderr
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


#: The shared vocabulary of #18: each spelling, the one parameter it sets everywhere.
VOCABULARY = {"-c": "codebook", "-d": "outdir", "--code": "code", "-f": "fmt", "-o": "output"}


def test_docs_no_flag_has_two_meanings() -> None:
    """A flag spelling sets the same parameter in every command (issue #18: -c was --code)."""
    names: dict[str, set[str]] = {}
    for spellings, uses in flag_uses().items():
        for spelling in spellings:
            names.setdefault(spelling, set()).update(name for _, name, _ in uses)
    assert {s: n for s, n in names.items() if len(n) > 1} == {}
    assert {s: names[s] for s in VOCABULARY} == {s: {n} for s, n in VOCABULARY.items()}


@pytest.mark.parametrize(("flag", "folder"), [("-o", False), ("-d", True)])
def test_docs_output_is_a_file_and_outdir_a_folder(flag: str, folder: bool) -> None:
    """-o/--output always names a file, -d/--outdir always a folder (issue #18)."""
    from typer.main import get_command

    from qca.cli import app

    kinds = set()
    for words in command_paths():
        command = get_command(app)
        for word in words:
            command = command.commands[word]  # type: ignore[attr-defined]
        for param in command.params:
            if flag in getattr(param, "opts", ()) and not getattr(param, "hidden", False):
                info = param.type_descriptor.parameter_info  # typer's own record of the option
                okay = info.metavar == "DIR" if folder else not info.dir_okay
                kinds.add((" ".join(words), okay))
    assert kinds and all(ok for _, ok in kinds), sorted(kinds)
