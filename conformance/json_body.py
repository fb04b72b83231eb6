"""Strict JSON, the one reading every part of the suite shares (judge, sender, mock, SDK gate).

RFC 8259 only: UTF-8, no NaN or Infinity (Python's `json` accepts both by default). Escaped lone
surrogates (`"\\ud800"`) are legal JSON text and parse to a lone surrogate. No text nested deeper
than `MAX_NESTING` reaches a recursive parser (see there).

>>> strict_json(b'{"a": NaN}') is MISSING
True
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_NESTING", "MISSING", "check_nesting", "deeper_than", "parse", "shallow_json", "strict_json"]

MAX_NESTING = 128
"""How deep containers may nest before the suite reads a text as too deep for it (serde_json's own
default limit), found without recursing. Python's `json` and `json5` recurse, and the recursion
limit is the process's: a thread of the mock or the sender deep in a 5,000-deep body when the main
thread lowers it (Hypothesis does, each time it ends a draw) ends the whole process with "Cannot
recover from stack overflow" (an abort: CI lost xdist workers so). Below this bound no parse of a
thread comes near any limit, and the answer to a deep body no longer depends on what the limit was."""

# A JSON string (its brackets are not structure) or one bracket.
_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')

MISSING: Any = object()  # what `strict_json` returns for a body that is not JSON


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def deeper_than(text: str | bytes, limit: int = MAX_NESTING) -> bool:
    """Whether `text` nests containers more than `limit` deep; brackets inside strings do not count.
    Bytes are read one character a byte (the brackets and quotes of UTF-8 and UTF-16 alike).

    >>> deeper_than('[[["]]]]"]]]', 2)
    True
    >>> deeper_than('{"a": "[[[["}', 1)
    False
    """
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    if text.count("[") + text.count("{") <= limit:  # most texts: no scan at all
        return False
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token == "[" or token == "{":
            depth += 1
            if depth > limit:
                return True
        elif token == "]" or token == "}":
            depth -= 1
    return False


def check_nesting(text: str | bytes, limit: int = MAX_NESTING) -> None:
    """RecursionError, as a recursive parser's own, if `text` nests deeper than `limit`: what reads
    a request body calls this first, and so never recurses that deep."""
    if deeper_than(text, limit):
        raise RecursionError(f"JSON nested deeper than {limit} levels")


def parse(text: str) -> Any:
    """`text` as strict JSON; ValueError when it is not, RecursionError when it nests past `MAX_NESTING`."""
    check_nesting(text)
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
