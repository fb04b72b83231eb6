"""Sent: how one case goes on the wire — its payload and its envelope — so it can be sent again.

Shrinking re-sends variations of a failing case in the same envelope. A Sent may hold a credential
(an auth probe's header): it lives in memory only and is never written anywhere.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from conformance.strategies import RawBody

from ._operation import Operation


@dataclass(frozen=True)
class Sent:
    payload: Any  # a JSON value, or a RawBody sent verbatim
    headers: Mapping[str, str | None] | None = None  # applied last; None drops a header
    authenticate: bool | str = True  # the Target's credentials, none, or a wrong bearer token
    chunked: bool = False
    query: Mapping[str, str] | None = None
    content_type: str | None = None  # overrides the payload's media type (e.g. text/plain)
    repeat: Mapping[str, str] | None = None  # field lines sent besides the request's own of that name

    def with_payload(self, payload: Any) -> Sent:
        return dataclasses.replace(self, payload=payload)

    @property
    def size(self) -> int:
        """Bytes of the body: what "smallest" means when choosing a reproduction."""
        if isinstance(self.payload, RawBody):
            return len(self.payload.content or b"")
        return len(json.dumps(self.payload, ensure_ascii=False).encode("utf-8", "surrogatepass"))

    def case(self, operation: Operation) -> tuple[Any, dict[str, Any]]:
        """A schemathesis Case of `operation` (the run's `POST /hooks`) and the Sender's keyword
        arguments that put this on the wire."""
        how: dict[str, Any] = {}
        if isinstance(self.payload, RawBody):
            case = operation.Case(media_type=self.payload.content_type)
            how.update(body=self.payload.content, content_type=self.payload.content_type)
        else:
            case = operation.Case(body=self.payload, media_type="application/json")
        if self.content_type is not None:
            how["content_type"] = self.content_type
            if "body" not in how:
                how["body"] = json.dumps(self.payload).encode()
        if self.query:
            case.query = dict(self.query)
        if self.authenticate is not True:
            how["authenticate"] = self.authenticate
        if self.headers:
            how["headers"] = dict(self.headers)
        if self.repeat:
            how["repeat"] = dict(self.repeat)
        if self.chunked:
            how["chunked"] = True
        return case, how
