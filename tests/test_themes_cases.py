"""Golden cases: tests/cases/themes-*/ hold a hand-made output folder, args.txt and expected.csv.

The expected tables were counted by hand (see docs/themes.md for the definitions).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from tests.test_outputs import CASES, write_output

THEME_CASES = sorted(CASES.glob("themes-*"))


@pytest.mark.parametrize("case", THEME_CASES, ids=lambda p: p.name)
def test_themes_golden_case(
    case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: CliRunner
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_output(case / "input", tmp_path / "qca-out")
    args = shlex.split((case / "args.txt").read_text(encoding="utf-8"))
    result = runner.invoke(app, ["themes", "-d", str(folder), *args])
    assert result.stderr == ""
    assert result.exit_code == 0
    assert result.stdout == (case / "expected.csv").read_text(encoding="utf-8")


def test_themes_golden_cases_exist() -> None:
    assert len(THEME_CASES) >= 7
