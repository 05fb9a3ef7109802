"""Golden cases: every tests/cases/code-*/ folder is coded through the CLI; hits.csv must match.

A case folder holds ``codebook.yaml``, transcript files, ``expected_hits.csv``
(written by hand) and optionally ``args.txt`` (extra CLI options, one per line).
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app

CASES = Path(__file__).parent / "cases"
CODE_CASES = sorted(p for p in CASES.glob("code-*") if p.is_dir())
NOT_TRANSCRIPTS = {"codebook.yaml", "expected_hits.csv", "args.txt", "README.md"}


@pytest.mark.parametrize("case", CODE_CASES, ids=[p.name for p in CODE_CASES])
def test_coding_golden_case(case: Path, runner: CliRunner, tmp_path: Path) -> None:
    transcripts = sorted(str(p) for p in case.iterdir() if p.name not in NOT_TRANSCRIPTS)
    args_file = case / "args.txt"
    extra = shlex.split(args_file.read_text(encoding="utf-8")) if args_file.is_file() else []
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["code", *transcripts, "-c", str(case / "codebook.yaml"), "-d", str(out), *extra]
    )
    assert result.exit_code == 0, result.stderr
    expected = (case / "expected_hits.csv").read_text(encoding="utf-8")
    assert (out / "hits.csv").read_text(encoding="utf-8") == expected


def test_coding_golden_cases_exist() -> None:
    assert len(CODE_CASES) >= 8
