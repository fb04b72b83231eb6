"""What a strategy hands to the suite: a JSON value, or raw bytes when the body is not JSON at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class RawBody:
    """A request body sent verbatim: `content=None` means no body at all.

    >>> RawBody(b"{not json", "application/json")
    RawBody(content=b'{not json', content_type='application/json')
    """

    content: bytes | None
    content_type: str | None = "application/json"


# A payload is either a JSON-serialisable value (sent as application/json) or a RawBody.
Payload = Any
