"""The layers of docs/architecture.md, checked on every module's imports (lazy ones too)."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: Layers from the bottom up: a module may import its own layer and those below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("qca", "qca.errors", "qca.models", "qca.io", "qca.packed", "qca.folders", "qca.yamlbounds")
    + ("qca.crash", "qca.models_diagnostics"),
    ("qca.codebook",),
    ("qca.ingest",),
    ("qca.engine",),
    (
        "qca.coding",
        "qca.run",
        "qca.options",
        "qca.rerun",
        "qca.cachedir",
        "qca.project",
        "qca.settings",
        "qca.templates",
        "qca.outputs",
        "qca.overrides",
        "qca.rematch",
        "qca.outputs_arrow",
        "qca.outputs_merge",
        "qca.outputs_stream",
        "qca.outputs_manifest",
        "qca.outputs_csv",
        "qca.progress",
    ),
    (
        "qca.themes",
        "qca.theme_groups",
        "qca.theme_counts",
        "qca.themes_stream",
        "qca.tally",
        "qca.presence",
        "qca.exemplars",
        "qca.excerpts",
        "qca.explain",
        "qca.review",
    )
    + ("qca.cooccur", "qca.stats")
    + ("qca.agreement", "qca.export", "qca.refi", "qca.pseudonymise", "qca.diagnostics"),
    ("qca.render", "qca.report"),
    ("qca.cli", "qca.__main__"),
)
#: What the engine may import: itself, the codebook it compiles, errors, column names, file io.
ENGINE_MAY_IMPORT = (
    "qca.engine",
    "qca.codebook",
    "qca.errors",
    "qca.models",
    "qca.io",
    "qca.packed",
)
ENGINE_MAX_LINES = 400
#: Calls that make a mutable container (or a memo table) when run at module level.
MUTABLE_CALLS = frozenset({"dict", "list", "set", "defaultdict", "OrderedDict", "Counter", "deque"})
MEMO_DECORATORS = frozenset({"cache", "lru_cache", "cached"})


def _name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(p): p for p in sorted((ROOT / "qca").rglob("*.py"))}
ENGINE = sorted(m for m in MODULES if m.startswith("qca.engine"))


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _layer(module: str) -> int:
    found = [
        (len(prefix), n)
        for n, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if module == prefix or (prefix != "qca" and _within(module, prefix))
    ]
    assert found, f"{module} is in no layer; add it to LAYERS and docs/architecture.md"
    return max(found)[1]


def _module_of(name: str) -> str:
    """Return the qca module that *name* (a module or a name inside one) lives in."""
    while name not in MODULES:
        name = name.rpartition(".")[0]
    return name


@cache
def _imports(module: str) -> tuple[tuple[str, str, int], ...]:
    """Return (imported module, imported name or "", line) for every qca import of *module*."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _within(alias.name, "qca"):
                    found.append((_module_of(alias.name), "", node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            if not _within(base, "qca"):
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if full in MODULES:  # a submodule
                    found.append((full, "", node.lineno))
                else:
                    found.append((_module_of(base), alias.name, node.lineno))
    return tuple(found)


def _graph() -> dict[str, set[str]]:
    return {m: {t for t, _, _ in _imports(m) if t != m} for m in MODULES}


@pytest.mark.parametrize("module", sorted(MODULES))
def test_architecture_no_upward_imports(module: str) -> None:
    own = _layer(module)
    for target, _, line in _imports(module):
        assert _layer(target) <= own, (
            f"{MODULES[module].relative_to(ROOT)}:{line}: {module} (layer {own}) imports "
            f"{target} (layer {_layer(target)}); imports point down (docs/architecture.md)"
        )


@pytest.mark.parametrize("module", sorted(MODULES))
def test_architecture_no_private_names_from_other_modules(module: str) -> None:
    for target, name, line in _imports(module):
        private = name.startswith("_") and not name.startswith("__")
        assert not (private and target != module), (
            f"{MODULES[module].relative_to(ROOT)}:{line}: imports {name} from {target}; "
            "make it public there or keep it where it is used"
        )


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Return the modules that import each other in a loop (Tarjan's strong components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for target in sorted(graph[module]):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == module:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return circles


def test_architecture_no_import_circles() -> None:
    assert _circles(_graph()) == []


def test_architecture_finds_a_circle_and_a_private_name() -> None:
    tree = ast.parse("from qca.engine.match import _x\nimport qca.coding\n")
    names = [
        a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for a in node.names
    ]
    assert names == ["_x"]
    assert _layer("qca.coding") > _layer("qca.engine") > _layer("qca.ingest")
    with pytest.raises(AssertionError, match="in no layer"):
        _layer("qca.new_module")  # the package's own layer is not a catch-all
    assert _module_of("qca.engine.hits.Engine") == "qca.engine.hits"
    assert ("qca.engine.pipeline", "Tokens") in {(t, n) for t, n, _ in _imports("qca.engine.store")}


@pytest.mark.parametrize("module", ENGINE)
def test_architecture_engine_imports_only_what_is_below_it(module: str) -> None:
    for target, _, line in _imports(module):
        assert any(_within(target, allowed) for allowed in ENGINE_MAY_IMPORT), (
            f"{MODULES[module].relative_to(ROOT)}:{line}: the engine imports {target}"
        )


@pytest.mark.parametrize("module", ENGINE)
def test_architecture_engine_modules_are_short(module: str) -> None:
    lines = MODULES[module].read_text(encoding="utf-8").count("\n")
    assert lines < ENGINE_MAX_LINES, f"{module} has {lines} lines; split it"


def _mutable_state(tree: ast.Module) -> list[str]:
    """Return what in *tree* is mutable state at module level (containers, memo tables, globals)."""
    found: list[tuple[int, str]] = []
    for node in tree.body:
        value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)) else None
        if isinstance(
            value, (ast.Dict, ast.List, ast.Set, ast.DictComp, ast.ListComp, ast.SetComp)
        ):
            found.append((node.lineno, f"a {type(value).__name__}"))
        elif isinstance(value, ast.Call):
            func = value.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in MUTABLE_CALLS:
                found.append((node.lineno, f"{called}()"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found.append((node.lineno, f"global {', '.join(node.names)}"))
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                target = decorator.func if isinstance(decorator, ast.Call) else decorator
                name = (
                    target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
                )
                if name in MEMO_DECORATORS and node.col_offset == 0:
                    found.append((node.lineno, f"@{name} on {node.name}"))
    return [f"line {line}: {what}" for line, what in sorted(found)]


@pytest.mark.parametrize("module", ENGINE)
def test_architecture_engine_keeps_no_module_level_state(module: str) -> None:
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    assert _mutable_state(tree) == [], f"{module}: keep state in an object (Engine, Matcher)"


def test_architecture_state_check_finds_each_kind() -> None:
    source = (
        "import functools\nA = {}\nB: list[int] = []\nC = dict()\nD = frozenset()\n"
        "E = collections.defaultdict(list)\n"
        "@functools.cache\ndef f(): pass\n"
        "def g():\n    global A\n"
    )
    assert _mutable_state(ast.parse(source)) == [
        "line 2: a Dict",
        "line 3: a List",
        "line 4: dict()",
        "line 6: defaultdict()",
        "line 8: @cache on f",
        "line 10: global A",
    ]
