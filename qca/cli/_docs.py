"""Build the CLI reference (docs/cli-reference.md) from every command's --help."""

from __future__ import annotations

import os

import typer
from typer.main import get_command
from typer.testing import CliRunner

from qca.cli import app


def command_paths() -> list[list[str]]:
    """Every command as a list of words after ``qca`` (groups and their subcommands), sorted."""
    root = get_command(app)
    paths: list[list[str]] = []

    def walk(command: object, prefix: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if not subcommands:
            return
        for name in sorted(subcommands):
            paths.append([*prefix, name])
            walk(subcommands[name], [*prefix, name])

    walk(root, [])
    return paths


def help_text(words: list[str]) -> str:
    """The --help output of ``qca WORDS...`` at a fixed width, without colour."""
    env = {"COLUMNS": "100", "TERM": "unknown", "NO_COLOR": "1"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        result = CliRunner().invoke(app, [*words, "--help"], prog_name="qca")
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if result.exit_code != 0:
        raise typer.BadParameter(f"qca {' '.join(words)} --help failed: {result.output}")
    return result.stdout


def reference() -> str:
    """The Markdown body of docs/cli-reference.md."""
    parts = ["\n## qca\n\n```\n" + help_text([]).rstrip() + "\n```\n"]
    for words in command_paths():
        title = " ".join(["qca", *words])
        parts.append(f"\n## {title}\n\n```\n" + help_text(words).rstrip() + "\n```\n")
    return "".join(parts)
