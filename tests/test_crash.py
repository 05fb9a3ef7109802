"""No traceback anywhere (#19): known failures are one line, a bug one line plus a report."""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd
import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.models import CODE, CODINGS_FILE, HITS_FILE, RUN_FILE, SEGMENT_ID


def _raise(exc: BaseException) -> Any:
    def boom(*args: Any, **kwargs: Any) -> NoReturn:
        raise exc

    return boom


@pytest.fixture
def crash_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QCA_CRASH_DIR", str(tmp_path / "crashes"))
    monkeypatch.delenv("QCA_DEBUG", raising=False)
    return tmp_path / "crashes"


def test_crash_bug_prints_one_line_and_a_report(
    crash_dir: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a plain themes table streams the folder (read_manifest), other readers read it whole
    monkeypatch.setattr("qca.outputs_manifest.read_manifest", _raise(ValueError("boom")))
    result = runner.invoke(app, ["themes", "-d", "out"])
    reports = list(crash_dir.iterdir())
    assert len(reports) == 1
    assert result.exit_code == 1
    assert result.output == (
        "qca hit an unexpected error (ValueError: boom); please report it with the crash "
        f"report {reports[0].as_posix()} (QCA_DEBUG=1 shows the stack)\n"
    )
    text = reports[0].read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in text
    assert "ValueError: boom" in text


def test_crash_debug_shows_the_stack(
    crash_dir: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QCA_DEBUG", "1")
    monkeypatch.setattr("qca.outputs_manifest.read_manifest", _raise(ValueError("boom")))
    result = runner.invoke(app, ["themes", "-d", "out"])
    assert isinstance(result.exception, ValueError)
    assert not crash_dir.exists()


@pytest.mark.parametrize(
    ("exc", "line"),
    [
        (
            OSError(errno.ENOSPC, "No space left on device", "out/hits.csv"),
            "out/hits.csv: the disk is full (No space left on device); free some space and "
            "run the command again",
        ),
        (
            PermissionError(errno.EACCES, "Permission denied", "out"),
            "out: permission denied (Permission denied); choose a folder you can write, or "
            "fix its permissions",
        ),
        (
            RecursionError("maximum recursion depth exceeded"),
            "the input is nested too deeply to read; flatten it (fewer levels of lists, "
            "mappings or XML elements)",
        ),
        (
            LookupError("unknown encoding: usf-8"),
            "unknown encoding: usf-8; use a codec name such as utf-8, cp1252 or latin-1",
        ),
    ],
)
def test_crash_known_failures_are_one_line(
    crash_dir: Path,
    runner: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    exc: BaseException,
    line: str,
) -> None:
    monkeypatch.setattr("qca.outputs_manifest.read_manifest", _raise(exc))
    result = runner.invoke(app, ["themes", "-d", "out"])
    assert (result.exit_code, result.output) == (1, line + "\n")
    assert not crash_dir.exists()


@pytest.fixture
def coded(crash_dir: Path, runner: CliRunner) -> Path:
    (crash_dir.parent / "tr").mkdir()
    (crash_dir.parent / "tr" / "a.txt").write_text(
        "Interviewer: Were you motivated?\n\nAnna: I was motivated. We had an idea.\n",
        encoding="utf-8",
    )
    (crash_dir.parent / "cb.yaml").write_text(
        "name: T\nlanguage: en\nthemes:\n  will:\n    codes:\n      motivation:\n"
        "        definition: d\n        terms: [motivate]\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["code", "tr", "-c", "cb.yaml", "-d", "out"])
    assert result.exit_code == 0, result.output
    return crash_dir.parent / "out"


@pytest.mark.parametrize(("key", "said"), [("codes", "a list"), ("counts", "a mapping")])
def test_crash_damaged_run_json_types(coded: Path, runner: CliRunner, key: str, said: str) -> None:
    manifest = json.loads((coded / RUN_FILE).read_text(encoding="utf-8"))
    manifest[key] = 5
    (coded / RUN_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    result = runner.invoke(app, ["themes", "-d", "out"])
    assert (result.exit_code, result.output) == (
        1,
        f"out/run.json: {key}: should be {said}; the file was damaged; run: qca code "
        "TRANSCRIPTS -c CODEBOOK -d out\n",
    )


def test_crash_hits_naming_an_unknown_code(coded: Path, runner: CliRunner) -> None:
    hits = pd.read_parquet(coded / HITS_FILE)
    hits[CODE] = "ghost"
    hits.to_parquet(coded / HITS_FILE, index=False)
    manifest = json.loads((coded / RUN_FILE).read_text(encoding="utf-8"))
    del manifest["outputs"]  # a folder written by hand: read without hashes
    (coded / RUN_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    result = runner.invoke(app, ["themes", "-d", "out"])
    assert (result.exit_code, result.output) == (
        1,
        "out/hits.parquet: names code(s) not in run.json: ghost; the folder was damaged; "
        "run: qca code TRANSCRIPTS -c CODEBOOK -d out\n",
    )


@pytest.mark.parametrize("name", [HITS_FILE, CODINGS_FILE])
def test_crash_table_naming_an_unknown_segment(coded: Path, runner: CliRunner, name: str) -> None:
    table = pd.read_parquet(coded / name)
    table[SEGMENT_ID] = table[SEGMENT_ID].where(table.index < len(table) - 1, "a#ghost")
    table.to_parquet(coded / name, index=False)
    manifest = json.loads((coded / RUN_FILE).read_text(encoding="utf-8"))
    del manifest["outputs"]  # a folder written by hand: read without hashes
    (coded / RUN_FILE).write_text(json.dumps(manifest), encoding="utf-8")
    result = runner.invoke(app, ["themes", "-d", "out"])
    assert (result.exit_code, result.output) == (
        1,
        f"out/{name}: names segment(s) not in segments.parquet, e.g. a#ghost; the folder was "
        "damaged; run: qca code TRANSCRIPTS -c CODEBOOK -d out\n",
    )


def test_crash_full_disk_in_override_add_says_so(
    crash_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qca.errors import OverrideError
    from qca.overrides import Decision, add_decisions

    monkeypatch.setattr(
        "qca.overrides.yamlfile.atomic_write_text",
        _raise(OSError(errno.ENOSPC, "No space left on device")),
    )
    with pytest.raises(OverrideError) as caught:
        add_decisions("overrides.yaml", [Decision("a:t0001", "motivation", "add")])
    assert caught.value.lines() == [
        "overrides.yaml: cannot write the overrides file (No space left on device); free "
        "some space (nothing was changed)"
    ]


def test_crash_qdc_with_entities_is_refused(crash_dir: Path, runner: CliRunner) -> None:
    case = Path(__file__).parent / "cases" / "fuzz-qdc-entities" / "input.d.qdc"
    (crash_dir.parent / "x.qdc").write_bytes(case.read_bytes())
    result = runner.invoke(app, ["codebook", "convert", "x.qdc", "-o", "x.yaml"])
    assert (result.exit_code, result.output) == (
        1,
        "x.qdc:1:1: refusing unsafe XML (EntitiesForbidden: entities or a DTD); export the "
        "codebook again without them\n",
    )
