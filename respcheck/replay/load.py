"""Find recordings on disk and turn them into Exchanges, whatever their format.

Unreadable input never raises: each bad file or line becomes a ``LoadError`` that names
it, and the readable rest is still yielded.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from respcheck.exchange import Exchange
from respcheck.replay import har, jsonl, vcr

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".har": "har", ".yaml": "vcr", ".yml": "vcr"}


@dataclass(frozen=True, slots=True)
class LoadError:
    source: str  # "file" or "file:line" or "file: entry N"
    message: str
    outside: bool = False  # a readable entry outside the Responses API (skipped unless --strict)

    def __str__(self) -> str:
        return f"{self.source}: {self.message}"


def iter_files(paths: list[Path]) -> Iterator[Path | LoadError]:
    """Recording files under the given paths (folders are searched recursively, sorted)."""
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES)
            if not found:
                yield LoadError(str(path), "no recordings (.jsonl, .har, .yaml) in this folder")
            yield from found
        elif path.is_file():
            yield path
        else:
            yield LoadError(str(path), "no such file or folder")


def load(paths: list[Path]) -> Iterator[Exchange | LoadError]:
    for item in iter_files(paths):
        if isinstance(item, LoadError):
            yield item
            continue
        yield from load_file(item)


def load_file(path: Path) -> Iterator[Exchange | LoadError]:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        yield LoadError(str(path), "unknown recording format (expected .jsonl, .har, .yaml or .yml)")
        return
    if kind == "jsonl":
        yield from _jsonl(path)
        return
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        yield LoadError(str(path), f"cannot read: {exc}")
        return
    if kind == "har":
        yield from har.load(str(path), text, LoadError)
    else:
        yield from vcr.load(str(path), text, LoadError)


def _jsonl(path: Path) -> Iterator[Exchange | LoadError]:
    """One exchange per line, read line by line (the whole text is never held, nor split into a copy).

    Lines end at "\n" only (binary lines): str.splitlines would also cut at U+2028, U+2029 and
    U+0085, which JSON leaves unescaped inside strings (respcheck's own exchanges.jsonl writes them raw).
    """
    try:
        with path.open("rb") as lines:
            for number, raw in enumerate(lines, start=1):
                if raw.strip():
                    yield _jsonl_line(path, number, raw)
    except OSError as exc:
        yield LoadError(str(path), f"cannot read: {exc}")


def _jsonl_line(path: Path, number: int, raw: bytes) -> Exchange | LoadError:
    try:
        exchange = jsonl.loads_line(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        return LoadError(f"{path}:{number}", f"not UTF-8 ({exc.reason} at byte {exc.start})")
    except jsonl.RecordError as exc:
        return LoadError(f"{path}:{number}", str(exc))
    if not exchange.id:
        exchange.id = f"{path.name}#{number}"
    return exchange
