"""The live suites' tests as plain callables, so the selftest can run them without pytest.

``cases("suites/test_x.py::test_y[param-id]")`` imports the suite module and expands the
test's ``@pytest.mark.parametrize`` marks the way pytest does (ids joined with ``-``, the
decorator nearest the function first), giving one ``Case`` per parametrisation. A case is
called with the fixtures the suites use: ``client``, ``models``, ``conforms`` and ``expect``.
Hypothesis-driven tests (``@given``) are not cases: they are left to ``respcheck run``.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import inspect
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

from respcheck.resources import suites_root

SUITES_DIR = suites_root()
FIXTURES = ("client", "models", "conforms", "expect")


class UnknownScenario(LookupError):
    pass


@dataclass(frozen=True)
class Case:
    nodeid: str  # suites/test_x.py::test_y[id]
    func: Callable[..., Any]
    params: dict[str, Any] = field(default_factory=dict)

    def __call__(self, **fixtures: Any) -> None:
        wanted = inspect.signature(self.func).parameters
        self.func(**{k: v for k, v in fixtures.items() if k in wanted}, **self.params)


@cache
def _module(relpath: str) -> ModuleType:
    path = SUITES_DIR / Path(relpath).name  # node ids say suites/test_x.py; installed, it is _suites/
    if not path.is_file():
        raise UnknownScenario(f"no suite file {relpath} (looked in {SUITES_DIR})")
    name = "suites." + path.stem
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _value_id(name: str, value: Any, index: int) -> str:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return str(value)
    return f"{name}{index}"


def _expand(mark: Any) -> list[tuple[str, dict[str, Any]]]:
    """One parametrize mark -> [(id, {argname: value})]."""
    names, values = mark.args[0], mark.args[1]
    argnames = [n.strip() for n in names.split(",")] if isinstance(names, str) else list(names)
    ids = mark.kwargs.get("ids")
    out = []
    for index, value in enumerate(values):
        explicit = getattr(value, "id", None)
        values_of = getattr(value, "values", None)
        row = tuple(values_of) if values_of is not None else (value,) if len(argnames) == 1 else tuple(value)
        params = dict(zip(argnames, row, strict=True))
        if explicit is not None:
            case_id = explicit
        elif ids is not None:
            case_id = str(ids[index])
        else:
            case_id = "-".join(_value_id(n, v, index) for n, v in params.items())
        out.append((case_id, params))
    return out


def _uses_hypothesis(func: Any, module: Any) -> bool:
    """A ``@given`` test, or one marked ``hypothesis`` (examples drawn ahead, as the generated suite does)."""
    if getattr(func, "is_hypothesis_test", False) or hasattr(func, "hypothesis"):
        return True
    module_marks = getattr(module, "pytestmark", [])
    if not isinstance(module_marks, list):
        module_marks = [module_marks]
    return any(m.name == "hypothesis" for m in [*getattr(func, "pytestmark", []), *module_marks])


def cases(selector: str) -> list[Case]:
    """The cases a selector names: ``path::test`` (every parametrisation) or ``path::test[id]``.

    The id may be a glob (``[*-json]``)."""
    relpath, _, rest = selector.partition("::")
    name, _, wanted = rest.partition("[")
    wanted = wanted[:-1] if wanted.endswith("]") else wanted
    module = _module(relpath)
    func = getattr(module, name, None)
    if func is None or not callable(func):
        raise UnknownScenario(f"{selector}: no test {name!r} in {relpath}")
    if _uses_hypothesis(func, module):
        raise UnknownScenario(f"{selector}: a hypothesis test; the selftest runs plain scenarios only")
    marks = [m for m in getattr(func, "pytestmark", []) if m.name == "parametrize"]
    expanded = [_expand(m) for m in marks]
    found = []
    for combo in itertools.product(*expanded) if expanded else [()]:
        case_id = "-".join(c[0] for c in combo)
        params: dict[str, Any] = {}
        for _, p in combo:
            params.update(p)
        nodeid = f"{relpath}::{name}" + (f"[{case_id}]" if combo else "")
        if not wanted or fnmatch.fnmatchcase(case_id, wanted):
            found.append(Case(nodeid, func, params))
    if not found:
        raise UnknownScenario(f"{selector}: no parametrisation with id {wanted!r}")
    return found
