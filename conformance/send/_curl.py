"""A curl line that replays an Exchange, secrets as shell variables (`$FAXPLUS_TOKEN`)."""

from __future__ import annotations

import shlex

from ._exchange import Exchange
from ._redact import Redactor

# Headers every client adds by itself; leaving them out keeps the line readable.
NOISE = {"accept-encoding", "connection", "user-agent", "host", "content-length", "x-schemathesis-testcaseid"}


def _quote(value: str) -> str:
    """Shell-quote; a value holding a placeholder is double-quoted so the shell expands it."""
    if "$FAXPLUS_" in value:
        escaped = value.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`")
        return f'"{escaped}"'
    return shlex.quote(value)


def _quote_bytes(body: bytes) -> str:
    """Printable UTF-8 is single-quoted; anything else uses bash's $'\\xNN' quoting."""
    try:
        text = body.decode("utf-8")
        if text.isprintable() or all(c.isprintable() or c == " " for c in text):
            return shlex.quote(text)
    except UnicodeDecodeError:
        pass
    escaped = "".join(chr(b) if 32 <= b < 127 and chr(b) not in "\\'" else f"\\x{b:02x}" for b in body)
    return f"$'{escaped}'"


def curl(exchange: Exchange, redactor: Redactor) -> str:
    parts = ["curl", "-sS", "-i", "-X", exchange.method, _quote(redactor.text(exchange.url))]
    for name, value in redactor.headers(exchange.request_headers).items():
        if name.lower() in NOISE or (name.lower() == "accept" and value == "*/*"):
            continue  # `Accept: */*` is curl's own default too
        parts += ["-H", _quote(f"{name}: {value}")]
    for name in exchange.removed_headers:
        parts += ["-H", shlex.quote(f"{name}:")]  # `-H 'Name:'` stops curl sending its own default
    if exchange.request_body is not None:
        parts += ["--data-binary", _quote_bytes(redactor.bytes(exchange.request_body))]
    return " ".join(parts)
