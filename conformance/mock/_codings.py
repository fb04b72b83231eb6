"""Content codings the mock compresses with, and the choice among those a request accepts.

RFC 9110 §12.5.3: the client's `q` weights rank the codings it names (`q=0` refuses one); among
equally weighted ones the server picks, here in the order its Framing lists them.

>>> choose("gzip, br;q=0.5", ("br", "gzip"))
'gzip'
>>> choose("gzip, br", ("br", "gzip"))
'br'
>>> choose("identity", ("br", "gzip")) is None
True
"""

from __future__ import annotations

import gzip
import importlib
from collections.abc import Callable

# Imported when first used: brotli and zstandard are dependencies, but a mock without them still serves.
COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": lambda body: gzip.compress(body, mtime=0),
    "br": lambda body: bytes(importlib.import_module("brotli").compress(body)),
    "zstd": lambda body: bytes(importlib.import_module("zstandard").ZstdCompressor().compress(body)),
}


def _weights(accept: str) -> dict[str, float]:
    weights: dict[str, float] = {}
    for item in accept.split(","):
        coding, *parameters = (part.strip() for part in item.split(";"))
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0  # an unreadable weight: not an invitation
        if coding:
            weights[coding.lower()] = weight
    return weights


def choose(accept: str | None, offered: tuple[str, ...]) -> str | None:
    """The coding to answer with, or None: identity (no header names one this server offers)."""
    if not accept or not offered:
        return None
    weights = _weights(accept)
    wildcard = weights.get("*", 0.0)
    ranked = [(weights.get(coding, wildcard), -index, coding) for index, coding in enumerate(offered)]
    weight, _, coding = max(ranked)
    return coding if weight > 0 else None
