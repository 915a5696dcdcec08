"""JSON locations: pointers (RFC 6901), the one place tokens are escaped, unescaped, joined and
resolved; and ``dotted``, the one place a location is written as people read it (``input[0].content``,
OpenAI's ``param`` notation, the key paths of targets.yaml)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


def escape(token: object) -> str:
    """A raw key or index as a pointer token (``a/b`` -> ``a~1b``)."""
    text = token if type(token) is str else str(token)
    # Most tokens are plain keys and indexes: looking costs less than replacing
    return text.replace("~", "~0").replace("/", "~1") if "~" in text or "/" in text else text


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join(pointer: str, *tokens: object) -> str:
    """``pointer`` extended by raw (unescaped) tokens."""
    for token in tokens:  # usually one or two: a loop costs less than a generator joined
        pointer += "/" + escape(token)
    return pointer


def tokens(pointer: str) -> list[str]:
    """The raw tokens of a pointer or a same-document ``$ref`` (``#/a/b~1c`` -> ``["a", "b/c"]``)."""
    return [unescape(t) for t in pointer.removeprefix("#").split("/")[1:]]


def resolve(document: Any, pointer: str) -> Any:
    """The value ``pointer`` (or ``#/...``) names in ``document`` (KeyError/IndexError if none)."""
    node = document
    for token in tokens(pointer):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def dotted(path: Iterable[object], limit: int | None = None) -> str:
    """``("tools", 0, "name")`` -> ``tools[0].name``: an int is an index, anything else a key (a
    lone surrogate in it escaped, so the text can be encoded); clipped to ``limit`` characters."""
    text = ""
    for part in path:
        if isinstance(part, int) and not isinstance(part, bool):
            text += f"[{part}]"
        else:
            key = str(part).encode("utf-8", "backslashreplace").decode("utf-8")
            text += f".{key}" if text else key
    return text if limit is None or len(text) <= limit else text[: limit - 1] + "…"


def dotted_pointer(pointer: str) -> str:
    """``/input/0/content`` -> ``input[0].content`` (a token of digits read as an index)."""
    return dotted(int(t) if t.isdigit() else t for t in tokens(pointer))
