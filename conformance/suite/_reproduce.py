"""Reproduction: all that replays one exchange, secrets already replaced by placeholders."""

from __future__ import annotations

import base64

from conformance.judge import Reproduction
from conformance.send import Exchange, Redactor, curl

__all__ = ["reproduce"]


def reproduce(exchange: Exchange, r: Redactor) -> Reproduction:
    """All that replays `exchange`, secrets already replaced by placeholders."""
    return Reproduction(
        curl=curl(exchange, r),
        method=exchange.method,
        url=r.text(exchange.url),
        request_headers=r.headers(exchange.request_headers),
        request_body=r.text(exchange.request_body.decode("utf-8", "backslashreplace"))
        if exchange.request_body is not None
        else None,
        status=exchange.status,
        response_headers=r.headers(exchange.response_headers),
        response_body=r.text(_text(exchange.response_body) or ""),
        error=r.text(f"{exchange.error}: {exchange.error_detail}") if exchange.error else None,
        request_body_base64=_base64_unless_utf8(r.bytes(exchange.request_body)) if exchange.request_body else None,
    )


def _base64_unless_utf8(body: bytes) -> str | None:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return base64.b64encode(body).decode("ascii")
    return None


def _text(body: bytes | None) -> str | None:
    if body is None:
        return None
    return body.decode("utf-8", errors="backslashreplace")
