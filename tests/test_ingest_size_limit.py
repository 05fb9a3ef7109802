"""The per-file size limit: --max-file-mb, max_file_mb in qca.yaml, QCA_MAX_FILE_MB (#19)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qca.cli import app
from qca.ingest.files import megabytes

CODEBOOK = """\
name: t
themes:
  will:
    codes:
      motivation:
        terms: [change]
"""
TOO_BIG = (
    "big.txt: is 2 MB, more than qca reads in one document (1 MB); split it, or raise the "
    "limit with --max-file-mb 3 (max_file_mb in qca.yaml)"
)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("QCA_MAX_FILE_MB", raising=False)
    (tmp_path / "big.txt").write_text("Anna: change " + "quiet " * 350_000, encoding="utf-8")
    (tmp_path / "small.txt").write_text("Anna: We want to change.\n", encoding="utf-8")
    (tmp_path / "codebook.yaml").write_text(CODEBOOK, encoding="utf-8")
    return tmp_path


def test_ingest_size_limit_option_skips_the_file_and_goes_on(
    folder: Path, runner: CliRunner
) -> None:
    result = runner.invoke(
        app, ["ingest", "big.txt", "small.txt", "--max-file-mb", "1", "-o", "s.csv"]
    )
    assert result.exit_code == 1
    assert TOO_BIG in result.stderr.splitlines()
    assert "small" in (folder / "s.csv").read_text(encoding="utf-8")
    assert "big" not in (folder / "s.csv").read_text(encoding="utf-8")
    result = runner.invoke(app, ["ingest", "big.txt", "--max-file-mb", "3", "-o", "s.csv"])
    assert result.exit_code == 0, result.output


def test_ingest_size_limit_from_qca_yaml_and_the_environment(
    folder: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    (folder / "qca.yaml").write_text("max_file_mb: 1\n", encoding="utf-8")
    result = runner.invoke(app, ["ingest", "big.txt", "-o", "s.csv"])
    assert result.exit_code == 1
    assert TOO_BIG in result.stderr.splitlines()
    monkeypatch.setenv("QCA_MAX_FILE_MB", "3")  # the environment wins over qca.yaml
    assert runner.invoke(app, ["ingest", "big.txt", "-o", "s.csv"]).exit_code == 0
    # and the option over the environment
    result = runner.invoke(app, ["ingest", "big.txt", "--max-file-mb", "1", "-o", "s.csv"])
    assert result.exit_code == 1
    assert TOO_BIG in result.stderr.splitlines()


def test_code_size_limit_option_skips_the_file_and_codes_the_rest(
    folder: Path, runner: CliRunner
) -> None:
    args = ["code", "big.txt", "small.txt", "-c", "codebook.yaml", "-d", "out", "--no-cache"]
    result = runner.invoke(app, [*args, "--max-file-mb", "1"])
    assert result.exit_code == 1
    assert TOO_BIG in result.stderr.splitlines()
    hits = (folder / "out" / "hits.csv").read_text(encoding="utf-8")
    assert "small" in hits and "big" not in hits
    result = runner.invoke(app, [*args, "--max-file-mb", "3"])
    assert result.exit_code == 0, result.output
    assert "big" in (folder / "out" / "hits.csv").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("setting", "line"),
    [
        ("max_file_mb: 0", "qca.yaml:1:14: max_file_mb: "),
        ("max_file_mb: '2e3'", "qca.yaml:1:14: max_file_mb: "),
        ("max_file_mb: true", "qca.yaml:1:14: max_file_mb: "),
    ],
)
def test_code_size_limit_bad_qca_yaml_setting(
    folder: Path, runner: CliRunner, setting: str, line: str
) -> None:
    (folder / "qca.yaml").write_text(setting + "\n", encoding="utf-8")
    result = runner.invoke(app, ["code", "small.txt", "-c", "codebook.yaml", "-d", "out"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        line + "expected a whole number of megabytes above 0, e.g. 200"
    ]


def test_code_size_limit_bad_environment_variable(
    folder: Path, runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QCA_MAX_FILE_MB", "lots")
    result = runner.invoke(app, ["code", "small.txt", "-c", "codebook.yaml", "-d", "out"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "QCA_MAX_FILE_MB=lots: expected a whole number of megabytes above 0, e.g. 200"
    ]


def test_code_size_limit_option_must_be_above_zero(folder: Path, runner: CliRunner) -> None:
    result = runner.invoke(app, ["ingest", "small.txt", "--max-file-mb", "0"])
    assert result.exit_code == 2
    assert (
        "Error: Invalid value for '--max-file-mb': Input should be greater than or equal to 1"
    ) in result.stderr.splitlines()


def test_ingest_size_limit_megabytes_parses_only_whole_numbers_above_zero() -> None:
    assert [megabytes(v) for v in (1, "7", " 30 ", 0, -1, "1.5", 2.0, None, "٣")] == [
        1,
        7,
        30,
        None,
        None,
        None,
        None,
        None,
        None,
    ]
