"""Request and Reply: the mock's view of one HTTP exchange."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

JSON = "application/json"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names; a header sent twice holds its first line, as Node and Go read it
    body: bytes | None
    repeated: frozenset[str] = frozenset()  # lower-cased names sent on more than one line

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def query(self, name: str) -> list[str]:
        return parse_qs(urlsplit(self.path).query).get(name, [])

    def with_body(self, body: bytes | None) -> Request:
        return replace(self, body=body)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    content_type: str | None = JSON
    headers: dict[str, str] = field(default_factory=dict)
    # Seconds to wait before answering; `float("inf")` holds the request until the client gives up.
    delay: float = 0.0
    # Close the connection without answering (a crash mid-request, as a client sees it).
    drop: bool = False

    def with_(self, **changes: Any) -> Reply:
        return replace(self, **changes)

    def json(self) -> Any:
        return json.loads(self.body)


def json_reply(status: int, value: Any) -> Reply:
    # ASCII with `\u` escapes: a lone surrogate (legal JSON text, `"\ud800"`) that was stored or is
    # echoed in an error message has no UTF-8 encoding and would crash the answer.
    return Reply(status, json.dumps(value, ensure_ascii=True).encode("ascii"))


def error_reply(status: int, error: str, description: str) -> Reply:
    """An `Error` as the contract documents it: `{"error": ..., "description": ...}`."""
    return json_reply(status, {"error": error, "description": description})
