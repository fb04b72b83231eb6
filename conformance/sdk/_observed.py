"""What the gate sees of one SDK call: the request it asked for, the driver's answer, and every
exchange that crossed the wire to a mock that records them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from conformance.mock import MockServer, Reply, Request


@dataclass
class Observed:
    """One register call: what the gate asked, what the driver answered, what crossed the wire."""

    webhook: dict[str, Any]
    request: dict[str, Any]
    answer: dict[str, Any]
    wire: list[tuple[Request, Reply]]
    base_path: str
    server: str

    @property
    def posts(self) -> list[tuple[Request, Reply]]:
        return [(req, rep) for req, rep in self.wire if req.method == "POST"]

    @property
    def reply(self) -> Reply | None:
        posts = self.posts
        return posts[0][1] if posts else None


class RecordingMock(MockServer):
    """The reference mock, also remembering the reply it gave to each request."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exchanges: list[tuple[Request, Reply]] = []

    def respond(self, request: Request) -> Reply:
        reply = super().respond(request)
        self.exchanges.append((request, reply))
        return reply
