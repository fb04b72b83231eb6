"""Lenient parse stages: what permissive servers make of a body that is not JSON.

RFC 8259 §9 lets a parser accept extensions, so accepting their evident reading is a warn, not a
fail. Strict JSON is always tried first: a lenient parser differs only on bodies that are not JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from conformance.json_body import MAX_NESTING, deeper_than, parse

from ._behaviour import Context, parse_body
from ._reply import Reply, Request


def _read(ctx: Context, text: str, loads: Callable[[str], Any], strict: Reply) -> Reply | None:
    if deeper_than(text, MAX_NESTING // 2):  # json5 recurses in Python, several frames a level
        return strict
    try:
        ctx.body = loads(text)
    except Exception:  # noqa: BLE001 - json5 raises several types; no reading means the strict answer
        return strict
    return None


def json5_body(request: Request, ctx: Context) -> Reply | None:
    """JSON, else JSON5 (comments, trailing commas, single quotes, unquoted keys): what Node's
    `json5` or a `JSON5.parse` body parser accepts."""
    strict = parse_body(request, ctx)
    if strict is None or not request.body:
        return strict
    import json5  # only bodies that are not JSON get here

    try:
        text = request.body.decode("utf-8")
    except UnicodeDecodeError:
        return strict
    return _read(ctx, text, json5.loads, strict)


def replacing_utf8_body(request: Request, ctx: Context) -> Reply | None:
    """JSON read from UTF-8 with ill-formed bytes replaced by U+FFFD, as Express's body parser does."""
    strict = parse_body(request, ctx)
    if strict is None or not request.body:
        return strict
    text = request.body.decode("utf-8", "replace")
    return _read(ctx, text, parse, strict)
