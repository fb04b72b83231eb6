"""Exchange: one request the suite sent and what came back (or why nothing did)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conformance.json_body import MISSING, strict_json

UNREADABLE = MISSING  # the one strict reading's sentinel: a body that is not JSON


@dataclass
class Exchange:
    method: str
    url: str
    request_headers: dict[str, str]
    request_body: bytes | None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    response_body: bytes = b""
    elapsed: float = 0.0
    # Transport failure: "timeout", "connect", "protocol", or None when a response arrived.
    error: str | None = None
    error_detail: str = ""
    # Headers a client adds by default that this request deliberately did not send (lower case).
    removed_headers: tuple[str, ...] = ()
    # time.monotonic() when the request (its last try) left: what the server had seen of the run by then.
    sent_at: float | None = None
    # Bytes the server sent past this answer (a second answer, or one to a body it left unread): this
    # request put the connection out of step, so it was closed and no later request reads them.
    overrun: int = 0
    # The request sent just before this one on the same keep-alive connection (`Sender.submit_in_order`).
    after: Exchange | None = field(default=None, repr=False, compare=False)

    @property
    def refused_unread(self) -> bool:
        """Bytes came behind a refusal of a request with a body: most likely the server's answer to
        that body, which it left unread and then read as a request (`keep-alive` check)."""
        refused = self.status is not None and not 200 <= self.status < 300
        return bool(self.overrun) and refused and bool(self.request_body)

    @property
    def out_of_step(self) -> bool:
        """Sent right after a refusal on the same connection, and not answered 200: the answer may be
        the server's to the refused request's body, read as the next request (`keep-alive` check)."""
        before = self.after
        refused = before is not None and before.status is not None and not 200 <= before.status < 300
        return refused and self.error is None and self.status != 200

    @property
    def media_type(self) -> str:
        return self.response_headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def request_media_type(self) -> str:
        """The media type the request declared (its first Content-Type line), lower case; "" for none."""
        declared = next((v for k, v in self.request_headers.items() if k.lower() == "content-type"), "")
        return declared.split(";")[0].strip().lower()

    @property
    def registered_id(self) -> str | None:
        """The id a 2xx answer carries: what cleanup must delete (whatever the case was meant to do)."""
        if self.status is None or not 200 <= self.status < 300:
            return None
        body = self.response_json()
        return body["id"] if isinstance(body, dict) and isinstance(body.get("id"), str) else None

    def response_json(self) -> Any:
        """The parsed response body, or UNREADABLE (strict RFC 8259: no NaN)."""
        return strict_json(self.response_body)
