"""JSON Pointers (RFC 6901): the one place tokens are escaped, unescaped, joined and resolved."""

from __future__ import annotations

from typing import Any


def escape(token: object) -> str:
    """A raw key or index as a pointer token (``a/b`` -> ``a~1b``)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def join(pointer: str, *tokens: object) -> str:
    """``pointer`` extended by raw (unescaped) tokens."""
    return pointer + "".join("/" + escape(t) for t in tokens)


def tokens(pointer: str) -> list[str]:
    """The raw tokens of a pointer or a same-document ``$ref`` (``#/a/b~1c`` -> ``["a", "b/c"]``)."""
    return [unescape(t) for t in pointer.removeprefix("#").split("/")[1:]]


def resolve(document: Any, pointer: str) -> Any:
    """The value ``pointer`` (or ``#/...``) names in ``document`` (KeyError/IndexError if none)."""
    node = document
    for token in tokens(pointer):
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node
