"""Every runtime dependency declared in pyproject.toml is imported by qca (#15)."""

from __future__ import annotations

import ast
import re
import tomllib
from importlib.metadata import packages_distributions

from tests.conftest import ROOT


def _imported_top_level() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "qca").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
    return names


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_dependencies_all_imported() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    declared = {_normal(re.split(r"[<>=!~\[; ]", spec)[0]) for spec in project["dependencies"]}
    imported = _imported_top_level()
    providers: dict[str, set[str]] = {}
    for module, distributions in packages_distributions().items():
        for distribution in distributions:
            providers.setdefault(_normal(distribution), set()).add(module)
    unused = sorted(name for name in declared if not providers.get(name, set()) & imported)
    assert unused == []
