"""The package's structure, enforced by walking its imports (read from the source, so an import
inside a function counts like any other and cannot hide a cycle):

- no import cycles between modules;
- the layers the package docstrings name: nothing below ``respcheck.session`` imports it or
  anything above it (reports, the pytest wiring, the CLI); the checks do no I/O.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "respcheck"

# Above the session: they may import it. Everything else in the package is below it.
ABOVE_SESSION = ("respcheck.session", "respcheck.reports", "respcheck.plugin", "respcheck.run",
                 "respcheck.run_tagged", "respcheck.cli", "respcheck.__main__", "respcheck.faults.selftest",
                 "respcheck.faults.harness")
# What a check must never import: the network, files, processes, the live side.
IO_MODULES = ("httpx", "socket", "sqlite3", "subprocess", "urllib.request", "respcheck.client",
              "respcheck.server", "respcheck.budget")


@cache
def modules() -> dict[str, Path]:
    found = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


@cache
def imports_of(name: str) -> frozenset[str]:
    """Every module ``name`` imports, anywhere in its source (an import of a package's own
    ancestors is Python's doing, not a dependency: left out)."""
    known = modules()
    found: set[str] = set()
    for node in ast.walk(ast.parse(modules()[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names
                         if f"{node.module}.{alias.name}" in known)
    return frozenset(m for m in found if m != name and not name.startswith(m + "."))


def internal_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: {m for m in imports_of(name) if m in known} for name in known}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycle() -> None:
    assert cycles(internal_graph()) == []


def test_nothing_below_the_session_imports_it_or_what_is_above_it() -> None:
    offenders = {
        (name, imported)
        for name in modules() if not _within(name, ABOVE_SESSION)
        for imported in imports_of(name) if _within(imported, ABOVE_SESSION)
    }
    assert offenders == set()


def test_the_checks_do_no_io() -> None:
    offenders = {
        (name, imported)
        for name in modules() if _within(name, ("respcheck.checks",))
        for imported in imports_of(name) if _within(imported, IO_MODULES)
    }
    assert offenders == set()


def test_every_package_says_what_it_owns() -> None:
    missing = [name for name, path in modules().items()
               if path.name == "__init__.py" and not ast.get_docstring(ast.parse(path.read_text()))]
    assert missing == []


def test_loading_the_pytest_plugin_loads_no_http_stack() -> None:
    """Every pytest run loads the plugin (a ``pytest11`` entry point): the HTTP client and the
    reference server's web stack wait until a live test needs them."""
    probe = ("import sys, respcheck.plugin; "
             "print(sorted(m for m in ('httpx', 'starlette', 'uvicorn', 'anyio') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60,
                          check=True)
    assert done.stdout.strip() == "[]"
