"""
The house rules about imports, read from the source with C{ast} (imports inside
functions count too, and so does everything a module imports in turn within
C{openclaw}):

- C{openclaw.protocol} imports neither Twisted nor autobahn: it is plain functions.
- C{openclaw.cli} never reaches C{openclaw.gateway}: it is a protocol client like any
  other. The one exception is the foreground runner, C{openclaw gateway}, which runs
  the gateway itself (C{openclaw/cli/gateway/run.py}).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "openclaw"
#: The CLI module allowed to import the gateway (it runs it in the foreground).
FOREGROUND_RUNNER = "openclaw.cli.gateway.run"


def module_name(path: Path, root: Path = PACKAGE) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, isPackage: bool) -> set[str]:
    """Every module C{source} imports anywhere in it (relative imports made absolute)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if isPackage else 0)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            found.add(stem)
            found.update(f"{stem}.{alias.name}" for alias in node.names)  # `from pkg import submodule`
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) == "import_module":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def import_graph(root: Path = PACKAGE) -> dict[str, set[str]]:
    graph = {}
    for path in root.rglob("*.py"):
        name = module_name(path, root)
        graph[name] = imported_modules(path.read_text(encoding="utf-8"), name, path.name == "__init__.py")
    return graph


def reached(graph: dict[str, set[str]], start: str, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """Every module reachable from C{start} (ours followed, others as leaves) → the module importing it."""
    via: dict[str, str] = {}
    todo = [start]
    while todo:
        current = todo.pop()
        for imported in graph.get(current, ()):
            if imported not in via and imported not in skip:
                via[imported] = current
                todo.append(imported)
    return via


def violations(graph: dict[str, set[str]], package: str, forbidden: tuple[str, ...], allowed: frozenset[str] = frozenset()) -> list[str]:
    """C{"a imports b (via c)"} for every module of C{package} that reaches a C{forbidden} prefix."""
    found = []
    for module in sorted(m for m in graph if (m == package or m.startswith(package + ".")) and m not in allowed):
        via = reached(graph, module, skip=allowed)
        for imported, importer in sorted(via.items()):
            if any(imported == f or imported.startswith(f + ".") for f in forbidden):
                found.append(f"{module} reaches {imported} (imported by {importer})")
    return found


def test_the_protocol_package_imports_no_twisted():
    assert violations(import_graph(), "openclaw.protocol", ("twisted", "autobahn", "txaio")) == []


def test_the_cli_never_imports_the_gateway_outside_the_foreground_runner():
    graph = import_graph()
    assert FOREGROUND_RUNNER in graph, "the foreground runner moved: update FOREGROUND_RUNNER"
    assert violations(graph, "openclaw.cli", ("openclaw.gateway",), frozenset({FOREGROUND_RUNNER})) == []


def test_the_checker_sees_imports_inside_functions_and_through_other_modules(tmp_path):
    root = tmp_path / "openclaw"
    (root / "protocol").mkdir(parents=True)
    (root / "cli").mkdir()
    for init in (root, root / "protocol", root / "cli"):
        (init / "__init__.py").write_text("")
    (root / "protocol" / "frames.py").write_text("def later():\n    from twisted.internet import reactor\n")
    (root / "cli" / "helper.py").write_text("from ..gateway import service\n")
    (root / "cli" / "main.py").write_text("import importlib\ndef run():\n    from . import helper\n")
    graph = import_graph(root)
    assert violations(graph, "openclaw.protocol", ("twisted",)) == [
        "openclaw.protocol.frames reaches twisted.internet (imported by openclaw.protocol.frames)",
        "openclaw.protocol.frames reaches twisted.internet.reactor (imported by openclaw.protocol.frames)",
    ]
    cli = violations(graph, "openclaw.cli", ("openclaw.gateway",))
    assert "openclaw.cli.main reaches openclaw.gateway (imported by openclaw.cli.helper)" in cli
    assert violations(graph, "openclaw.cli", ("openclaw.gateway",), frozenset({"openclaw.cli.helper"})) == []
