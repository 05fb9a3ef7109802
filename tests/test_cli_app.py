from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from qca import __version__
from qca.cli import app


@pytest.mark.parametrize("flag", ["--version"])
def test_cli_version(runner: CliRunner, flag: str) -> None:
    result = runner.invoke(app, [flag])
    assert result.exit_code == 0
    assert result.stdout == f"qca {__version__}\n"


def test_cli_no_args_shows_help(runner: CliRunner) -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 2
    assert "Usage: qca" in result.output


def test_cli_help_does_not_import_spacy() -> None:
    code = "import sys\nfrom qca.cli import app\nprint('spacy' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False False"


def test_cli_python_dash_m(tmp_path: object) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "qca", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout == f"qca {__version__}\n"
