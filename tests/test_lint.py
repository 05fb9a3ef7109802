"""Layer rules (STYLE.md §1) and ruff, as tests so CI enforces them."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

MODULES = sorted((ROOT / "qca").rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_lint_layers(path: Path) -> None:
    relative = path.relative_to(ROOT).as_posix()
    imports = _imports(path)
    assert "click" not in imports, f"{relative} imports click; use typer"
    if not relative.startswith("qca/cli/"):
        assert "typer" not in imports, f"{relative} imports typer; only qca/cli/ may"
        if relative != "qca/render.py":
            assert "rich" not in imports, (
                f"{relative} imports rich; only qca/cli/ and render.py may"
            )


def test_lint_ruff_clean() -> None:
    ruff = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if ruff is None:
        pytest.fail("ruff is not installed in this environment; run make test (installs .[dev])")
    result = subprocess.run(
        [ruff, "check", "qca", "tests"], capture_output=True, text=True, cwd=ROOT
    )
    assert result.returncode == 0, result.stdout + result.stderr
