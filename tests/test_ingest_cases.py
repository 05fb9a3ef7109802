"""Golden cases: every tests/cases/ingest-*/ folder is ingested and compared with expected.csv.

A folder holds transcripts, ``args.txt`` (one CLI argument per line; paths relative to the
folder) and ``expected.csv`` (the segments table) and ``expected.stderr`` (the summary).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app

CASES = sorted(p for p in (Path(__file__).parent / "cases").glob("ingest-*") if p.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_ingest_cases_golden(
    runner: CliRunner, case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)
    args = (case / "args.txt").read_text(encoding="utf-8").split("\n")
    inputs = sorted(
        p.name
        for p in case.iterdir()
        if p.suffix not in (".csv", ".stderr")
        and p.name != "args.txt"
        and not p.name.startswith(".")
    )
    result = runner.invoke(app, ["ingest", *inputs, *[a for a in args if a]])
    if os.environ.get("QCA_REGENERATE_GOLDEN"):
        (case / "expected.csv").write_text(result.stdout, encoding="utf-8")
        (case / "expected.stderr").write_text(result.stderr, encoding="utf-8")
    assert result.exit_code == 0
    assert result.stdout == (case / "expected.csv").read_text(encoding="utf-8")
    assert result.stderr == (case / "expected.stderr").read_text(encoding="utf-8")
