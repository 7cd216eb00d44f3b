"""The package's shape: no import cycles between its modules, and no private name imported across modules."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "policyscan"

#: Modules exempt from the rules below (none: the PDF engines' package has landed).
PENDING: tuple[str, ...] = ()


def _pending(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in PENDING)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module imported, names imported from it) for every import of the package's own modules in one file."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
            target = f"{base}.{node.module}" if node.module else base
            names = [a.name for a in node.names]
            if node.module is None:  # from . import x: x may be a module
                found += [
                    (f"{base}.{n}", []) for n in names if (PACKAGE.parent / f"{base}.{n}".replace(".", "/")).with_suffix(".py").exists()
                ]
                names = [n for n in names if not (PACKAGE.parent / f"{base}.{n}".replace(".", "/")).with_suffix(".py").exists()]
            found.append((target, names))
        elif isinstance(node, ast.ImportFrom | ast.Import):
            for module in [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]:
                if module and module.split(".")[0] == "policyscan":
                    found.append((module, []))
    return found


def _graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports; the package's __init__ (the public API, re-exporting all) is left out."""
    graph = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        if name == "policyscan":
            continue
        graph[name] = {target for target, _ in _imports(path) if target != "policyscan" and target != name}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle, or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        state[node] = 2
        stack.pop()
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycles_between_modules():
    graph = {name: targets for name, targets in _graph().items() if not _pending(name)}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_no_private_names_imported_across_modules():
    offending = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if _pending(_module_name(path)):
            continue
        for target, names in _imports(path):
            offending += [f"{_module_name(path)}: from {target} import {n}" for n in names if n.startswith("_") and n != "__version__"]
    assert offending == []


def test_the_checks_see_a_cycle_and_a_private_import(tmp_path):
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None
    graph = _graph()
    assert "policyscan.cli.learn" in graph and "policyscan.training" in graph["policyscan.cli.learn"]
