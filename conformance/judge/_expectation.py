"""Kind: what the contract demands of a case, decided from what was actually sent.

Labels are never trusted blindly: a payload is re-labelled by validating it against the vendored
Webhook schema, so a schemathesis "negative" case whose body happens to be valid is judged as
valid, and a family member is judged by what it is, not by what it was meant to be.
"""

from __future__ import annotations

import enum
import json
from typing import Any

from conformance.contract import CONTRACT


class Kind(enum.StrEnum):
    VALID = "valid"  # realistic Webhook: must be registered (200 + WebhookId)
    VALID_EDGE = "valid-edge"  # schema-valid but odd (e.g. empty target): rejecting it is a warn
    INVALID = "invalid"  # JSON that breaks the Webhook schema: must be rejected (400 + Error)
    NOT_JSON = "not-json"  # a body that is not JSON: must be rejected
    NO_BODY = "no-body"  # no request body: the spec does not require one, but nothing can be registered
    WRONG_MEDIA_TYPE = "wrong-media-type"  # a valid Webhook sent as text/plain
    NO_CREDENTIALS = "no-credentials"  # no Authorization header
    WRONG_CREDENTIALS = "wrong-credentials"  # a bearer token the server never issued

    @property
    def rejects(self) -> bool:
        return self not in (Kind.VALID, Kind.VALID_EDGE)


_MISSING = object()


def _strict_json(raw: bytes) -> Any:
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    except (UnicodeDecodeError, ValueError):
        return _MISSING


def classify(body: Any, *, realistic: bool, raw: bool = False) -> Kind:
    """The Kind of a JSON request body (`raw=True`: `body` is bytes or None as sent)."""
    if raw:
        if body is None:
            return Kind.NO_BODY
        body = _strict_json(body)
        if body is _MISSING:
            return Kind.NOT_JSON
    if not CONTRACT.is_valid("Webhook", body):
        return Kind.INVALID
    return Kind.VALID if realistic else Kind.VALID_EDGE
