"""Recorded response bodies: Content-Encoding undone, capped in decoded bytes like a live body.

A 1.4 MB gzip body can expand to 1 GiB, and a body may be wrapped twice (``gzip, gzip``). Each
layer is inflated incrementally and stops at the cap (every layer counts), so a recording costs
at most the cap in memory, as a live exchange does (``max_body_bytes``, 8 MiB by default); the
cut body is judged like a cut live one (``broken``).
"""

from __future__ import annotations

import zlib

from respcheck.config import DEFAULT_MAX_BODY_BYTES

_GZIP_MAGIC = b"\x1f\x8b"
_AUTO_HEADER = 32 + zlib.MAX_WBITS  # zlib's "gzip or zlib header, whichever it is"
_RAW_DEFLATE = -zlib.MAX_WBITS  # some servers send "deflate" without the zlib header
_INFLATED = ("gzip", "x-gzip", "deflate")


def cap_exceeded(cap: int) -> str:
    """The ``broken`` text of a body cut at the cap (the live client's words)."""
    return f"the body exceeded max_body_bytes ({cap} bytes); respcheck stopped reading it"


def decode_body(
    data: bytes, content_encoding: str = "", cap: int = DEFAULT_MAX_BODY_BYTES
) -> tuple[bytes, str | None]:
    """The body with every Content-Encoding layer undone, at most ``cap`` bytes, and why it was cut.

    A gzip body recorded without its header (VCR.py drops it at times) is recognised by its
    magic bytes. Raises EOFError (truncated), zlib.error (corrupt) or ValueError (an encoding
    respcheck cannot undo) for a body that cannot be read.
    """
    named = (e.strip().lower() for e in content_encoding.split(","))
    layers = [e for e in named if e not in ("", "identity")]
    if not layers and data[:2] == _GZIP_MAGIC:
        layers = ["gzip"]
    cut = False
    for layer in reversed(layers):  # the last encoding listed was applied last
        if layer not in _INFLATED:
            raise ValueError(f"Content-Encoding {layer!r} is not one respcheck can decode (gzip, deflate)")
        data, layer_cut = _inflate(data, cap, complete=not cut, raw_deflate=layer == "deflate")
        cut = cut or layer_cut
    if len(data) > cap:
        data, cut = data[:cap], True
    return data, cap_exceeded(cap) if cut else None


def _inflate(data: bytes, cap: int, *, complete: bool, raw_deflate: bool) -> tuple[bytes, bool]:
    """One layer inflated up to ``cap + 1`` bytes: (the bytes, whether the cap cut them).

    ``complete``: the input is the whole layer, so ending early is a truncated body (EOFError);
    after a cut layer it cannot be whole and what inflates is kept.
    """
    out = bytearray()
    while data:
        inflater = zlib.decompressobj(_AUTO_HEADER)
        try:
            out += inflater.decompress(data, cap + 1 - len(out))
        except zlib.error:
            if not (raw_deflate and not out):
                raise
            inflater = zlib.decompressobj(_RAW_DEFLATE)
            out += inflater.decompress(data, cap + 1 - len(out))
        if len(out) > cap:
            return bytes(out[:cap]), True
        if not inflater.eof:
            if complete:
                raise EOFError("compressed data ended before the end-of-stream marker")
            break
        data = inflater.unused_data if inflater.unused_data[:2] == _GZIP_MAGIC else b""  # next gzip member
    return bytes(out), False
