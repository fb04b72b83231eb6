"""Strict JSON, the one reading every part of the suite shares (judge, sender, mock, SDK gate).

RFC 8259 only: UTF-8, no NaN or Infinity (Python's `json` accepts both by default). Escaped lone
surrogates (`"\\ud800"`) are legal JSON text and parse to a lone surrogate.

>>> strict_json(b'{"a": NaN}') is MISSING
True
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["MISSING", "parse", "shallow_json", "strict_json"]

MISSING: Any = object()  # what `strict_json` returns for a body that is not JSON


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse(text: str) -> Any:
    """`text` as strict JSON; ValueError when it is not."""
    return json.loads(text, parse_constant=_reject_constant)


def strict_json(raw: bytes) -> Any:
    """`raw` as strict JSON, or MISSING."""
    try:
        return parse(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return MISSING


_CLOSERS = {"[": "]", "{": "}"}


def shallow_json(raw: bytes, depth: int = 64) -> Any:
    """`raw` as strict JSON with every container deeper than `depth` read as an empty one, or MISSING.

    Python's parser stops at its recursion limit; V8's, Go's and Jackson's (unlimited, or 1,000+)
    read a body nested 5,000 deep. What such a body breaks (an unknown key holding it, an array
    where an object must be) shows at the top, so this reading tells which rule it breaks. The part
    read as empty is only checked for balanced brackets outside strings.

    >>> shallow_json(b'{"x": [[[[1]]]]}', depth=2)
    {'x': [[]]}
    >>> shallow_json(b'[[[[1]]]', depth=2) is MISSING
    True
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return MISSING
    out: list[str] = []
    openers: list[str] = []
    kept, quoted, i = 0, False, 0  # kept: where the text still to copy starts
    while i < len(text):
        char = text[i]
        if quoted:
            if char == "\\":
                i += 1
            elif char == '"':
                quoted = False
        elif char == '"':
            quoted = True
        elif char in _CLOSERS:
            openers.append(char)
            if len(openers) == depth + 1:
                out.append(text[kept : i + 1])  # up to and with the opener; its content is dropped
        elif char in "]}":
            if not openers or _CLOSERS[openers.pop()] != char:
                return MISSING
            if len(openers) == depth:
                kept = i  # the closer is copied with what follows
        i += 1
    if quoted or openers:
        return MISSING
    out.append(text[kept:])
    try:
        return parse("".join(out))
    except (ValueError, RecursionError):
        return MISSING
