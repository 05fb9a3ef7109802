"""Golden cases: every tests/cases/override-*/ folder is coded with its overrides.yaml.

A case folder holds ``codebook.yaml``, ``transcripts/``, ``overrides.yaml`` (decisions
recorded against an earlier version of the transcripts or codebook), and the
expected ``codings.csv`` (``expected_codings.csv``) and ``qca override check``
stderr (``expected_check.txt``; exit code 1 when it reports a stale decision).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app

CASES = Path(__file__).parent / "cases"
OVERRIDE_CASES = sorted(p for p in CASES.glob("override-*") if p.is_dir())


@pytest.mark.parametrize("case", OVERRIDE_CASES, ids=[p.name for p in OVERRIDE_CASES])
def test_overrides_golden_case(
    case: Path, runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / case.name
    shutil.copytree(case, work)
    monkeypatch.chdir(work)
    original = (work / "overrides.yaml").read_text(encoding="utf-8")
    result = runner.invoke(app, ["code", "transcripts", "-c", "codebook.yaml"])
    assert result.exit_code == 0, result.stderr
    expected = (case / "expected_codings.csv").read_text(encoding="utf-8")
    assert (work / "qca-out" / "codings.csv").read_text(encoding="utf-8") == expected
    check = runner.invoke(app, ["override", "check"])
    expected_check = (case / "expected_check.txt").read_text(encoding="utf-8")
    assert check.stderr == expected_check
    assert check.exit_code == (0 if expected_check.endswith(" 0 stale\n") else 1)
    assert check.stdout == ""
    # Stale decisions are reported, never dropped: the file is as it was.
    assert (work / "overrides.yaml").read_text(encoding="utf-8") == original


def test_overrides_golden_cases_exist() -> None:
    assert len(OVERRIDE_CASES) >= 2
