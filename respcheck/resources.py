"""Where the data respcheck ships lives: inside the wheel, or beside the package in a checkout.

A wheel carries the derived ``schemas/`` and the ``suites/`` as ``respcheck/_schemas`` and
``respcheck/_suites`` (pyproject's force-include); a checkout has them at the top level.
Nothing else (specs, recorded fixtures) is installed: those are for building and testing.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped(name: str) -> Path:
    """The shipped folder ``name`` (``schemas`` or ``suites``): the wheel's copy, else the checkout's."""
    packaged = _PACKAGE / f"_{name}"
    return packaged if packaged.is_dir() else _PACKAGE.parent / name


def schemas_root() -> Path:
    return shipped("schemas")


def suites_root() -> Path:
    return shipped("suites")
