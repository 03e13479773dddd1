"""The code's shape stays as ARCHITECTURE.md draws it: no import cycles, small modules, one way to run work.

These are checked on the source (its AST), so they hold for every import, including
those made inside functions and under ``TYPE_CHECKING``: a cycle hidden there
still ties the modules together for whoever reads or moves them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import heaptui

PACKAGE = Path(heaptui.__file__).resolve().parent
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The heaptui modules ``name`` imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            candidates = [prefix] + [f"{prefix}.{alias.name}" for alias in node.names]
        else:
            continue
        for candidate in candidates:
            if candidate in modules and candidate != name:
                targets.add(candidate)
    return targets


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def _parents(name: str) -> set[str]:
    """A package's ``__init__`` runs before its modules: importing a.b.c imports a and a.b too."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_no_import_cycles():
    modules = _modules()
    # A module importing its own package (``from . import limits``) adds nothing: Python has run the package's
    # __init__ before the module. A package re-exporting its modules does count: a module elsewhere that imports
    # the package and is imported back by one of those modules is a cycle.
    graph = {name: {t for t in _imports(name, path, modules) if t not in _parents(name)}
             for name, path in modules.items()}
    assert _cycles(graph) == []


def test_no_module_over_500_lines():
    long = {name: n for name, path in _modules().items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_the_app_starts_threads_in_one_place():
    tui = PACKAGE / "tui"
    starting = sorted(str(p.relative_to(PACKAGE)) for p in tui.rglob("*.py")
                      if "Thread(" in p.read_text() and p.name != "work.py")
    assert starting == []


def test_the_app_reads_no_raw_engine_arrays():
    """The app asks a Snapshot's questions (child_count, has_timeline, ...) instead of reading its CSR arrays."""
    raw = re.compile(r"first_edge|first_retainer|\._instances\b|human_size|snapshot\.samples|trace_function_infos")
    reads = sorted(f"{p.relative_to(PACKAGE)}: {m.group()}" for p in (PACKAGE / "tui").rglob("*.py")
                   for m in raw.finditer(p.read_text()))
    assert reads == []
