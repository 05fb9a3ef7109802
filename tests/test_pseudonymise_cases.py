"""Golden cases: every tests/cases/pseudonymise-*/ folder is pseudonymised and reversed.

A folder holds ``input/`` (the files), ``args.txt`` (extra CLI arguments, one per line,
paths relative to the folder), ``secret.txt`` (the key's secret, hex, so the pseudonyms
are fixed), ``expected/`` (the copies) and ``expected.stderr``. The copies must equal
``expected/`` byte for byte, and ``--reverse`` must give back ``input/`` byte for byte.
Regenerate with QCA_REGENERATE_GOLDEN=1.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app

CASES = sorted(p for p in (Path(__file__).parent / "cases").glob("pseudonymise-*") if p.is_dir())


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def _key(path: Path, secret: str) -> None:
    key = {"format": 1, "secret": secret.strip(), "pseudonyms": {}, "files": {}}
    path.write_text(json.dumps(key), encoding="utf-8")
    path.chmod(0o600)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_pseudonymise_cases_golden(
    runner: CliRunner, case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(case)
    key = tmp_path / "study.key"
    _key(key, (case / "secret.txt").read_text(encoding="utf-8"))
    args = [a for a in (case / "args.txt").read_text(encoding="utf-8").split("\n") if a]
    out = tmp_path / "out"
    result = runner.invoke(app, ["pseudonymise", "input", "--key", str(key), "-o", str(out), *args])
    stderr = result.stderr.replace(str(tmp_path), "TMP")
    if os.environ.get("QCA_REGENERATE_GOLDEN"):
        shutil.rmtree(case / "expected", ignore_errors=True)
        shutil.copytree(out, case / "expected")
        (case / "expected.stderr").write_text(stderr, encoding="utf-8")
    assert result.exit_code == 0
    assert stderr == (case / "expected.stderr").read_text(encoding="utf-8")
    assert _files(out) == _files(case / "expected")
    back = tmp_path / "back"
    reverse = runner.invoke(
        app, ["pseudonymise", str(out), "--key", str(key), "-o", str(back), "--reverse"]
    )
    assert reverse.exit_code == 0, reverse.stderr
    count = len(_files(out))
    files = "file" if count == 1 else "files"
    assert reverse.stderr == f"restored {count} {files} into {back.as_posix()}\n"
    assert _files(back) == _files(case / "input")
