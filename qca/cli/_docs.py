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


def _leaf_commands() -> list[tuple[str, object]]:
    """(``qca WORDS``, click command) for every command that runs (not the groups)."""
    root = get_command(app)
    leaves = []
    for words in command_paths():
        command: object = root
        for word in words:
            command = getattr(command, "commands", {})[word]
        if not getattr(command, "commands", None):
            leaves.append((" ".join(words), command))
    return leaves


def flag_uses() -> dict[tuple[str, ...], list[tuple[str, str, str]]]:
    """Every visible option: its spellings -> (command, parameter name, help) per command."""
    uses: dict[tuple[str, ...], list[tuple[str, str, str]]] = {}
    for name, command in _leaf_commands():
        for param in getattr(command, "params", []):
            if param.param_type_name != "option" or getattr(param, "hidden", False):
                continue
            spellings = tuple(sorted([*param.opts, *param.secondary_opts], key=len, reverse=True))
            help_text = " ".join((getattr(param, "help", None) or "").split())
            uses.setdefault(spellings, []).append((name, str(param.name), help_text))
    return uses


def flag_table() -> str:
    """The Markdown table of docs/cli.md: every flag, its meaning, the commands that take it."""
    rows = ["| flag | meaning | commands |", "|---|---|---|"]
    for spellings, uses in sorted(flag_uses().items(), key=lambda item: item[0][0].lstrip("-")):
        helps = [h for _, _, h in uses]
        meaning = max(set(helps), key=lambda h: (helps.count(h), -len(h))) if helps else ""
        commands = ", ".join(sorted({c for c, _, _ in uses}))
        flag = "`" + "`, `".join(spellings) + "`"
        rows.append(f"| {flag} | {meaning.replace('|', '/')} | {commands} |")
    return "\n".join(rows) + "\n"
