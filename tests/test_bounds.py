"""Bounded work on hostile YAML (issue #19): alias bombs and deep nesting fail with one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.yamlbounds import check_yaml

#: 9 anchors, each a list of 9 aliases of the one before: 9^9 nodes in about 550 bytes.
BOMB = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9)
)
EXPANDS = (
    "aliases expand this document past 1,000,000 nodes; write the values out instead of "
    "repeating anchors (*name) inside each other"
)
DEEP = "[" * 500 + "]" * 500 + "\n"


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_bounds_codebook_alias_bomb(here: Path, runner: CliRunner) -> None:
    (here / "cb.yaml").write_text("name: Bomb\n" + BOMB, encoding="utf-8")
    result = runner.invoke(app, ["codebook", "check", "cb.yaml"])
    assert (result.exit_code, result.output) == (1, f"cb.yaml:8:10: {EXPANDS}\n")


def test_bounds_codebook_too_deep(here: Path, runner: CliRunner) -> None:
    (here / "cb.yaml").write_text(DEEP, encoding="utf-8")
    result = runner.invoke(app, ["codebook", "check", "cb.yaml"])
    assert (result.exit_code, result.output) == (
        1,
        "cb.yaml:1:101: nested deeper than 100 levels; flatten the lists and mappings\n",
    )


def test_bounds_overrides_alias_bomb(here: Path, runner: CliRunner) -> None:
    (here / "overrides.yaml").write_text(BOMB, encoding="utf-8")
    result = runner.invoke(app, ["override", "list"])
    assert (result.exit_code, result.output) == (
        1,
        f"overrides.yaml:7:10: {EXPANDS} (nothing was changed)\n",
    )


def test_bounds_project_file_alias_bomb(here: Path, runner: CliRunner) -> None:
    (here / "qca.yaml").write_text(BOMB, encoding="utf-8")
    result = runner.invoke(app, ["themes"])
    assert (result.exit_code, result.output) == (1, f"qca.yaml:7:10: {EXPANDS}\n")


def test_bounds_front_matter_alias_bomb(here: Path, runner: CliRunner) -> None:
    (here / "fm.txt").write_text(f"---\n{BOMB}---\nAnna: hello there\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "fm.txt"])
    assert result.exit_code == 1
    assert result.output == f"fm.txt:8:10: front matter: {EXPANDS}\n"


def test_bounds_plain_anchors_still_load() -> None:
    assert check_yaml("base: &b [motivate, drive]\nother: *b\n") is None
    assert check_yaml("a: [1, 2\n") is None  # not YAML: the reader says so
