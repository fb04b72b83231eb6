"""Kind: what the contract demands of a case, decided from what was actually sent.

Labels are never trusted blindly: a payload is re-labelled by validating it against the run's
Webhook schema (the contract passed in), so a schemathesis "negative" case whose body happens to be valid is judged as
valid, and a family member is judged by what it is, not by what it was meant to be. Whether a
valid Webhook is realistic or exotic is decided by its values (`_realism`), not by its generator.
"""

from __future__ import annotations

import enum
import json
from typing import Any

from conformance.contract import Contract
from conformance.json_body import MISSING, shallow_json, strict_json

from ._realism import exotic


class Kind(enum.StrEnum):
    VALID = "valid"  # realistic Webhook: must be registered (200 + WebhookId)
    VALID_EDGE = "valid-edge"  # schema-valid but exotic (e.g. empty target): rejecting it is a warn
    INVALID = "invalid"  # JSON that breaks the Webhook schema: must be rejected (400 + Error)
    NOT_JSON = "not-json"  # a body that is not JSON and holds no valid Webhook in any reading
    LENIENT = "lenient"  # not JSON, but an extension form (JSON5, bad UTF-8 in a string) of a valid Webhook
    NO_BODY = "no-body"  # no request body: the spec does not require one, but nothing can be registered
    WRONG_MEDIA_TYPE = "wrong-media-type"  # a valid Webhook sent as text/plain
    NO_CREDENTIALS = "no-credentials"  # no Authorization header
    WRONG_CREDENTIALS = "wrong-credentials"  # a bearer token the server never issued
    REFUSED_CREDENTIALS = "refused-credentials"  # a credential that must be refused (empty, other scheme, ...)
    CREDENTIALS_VARIANT = "credentials-variant"  # the right token in a form RFC 7235 permits (`bearer`)
    # Inputs real stacks refuse before any validation (their family says which, `Family.kind`):
    OVER_LIMITS = "over-limits"  # no valid Webhook, past a common limit (a body over 64 KB, a foreign media type)
    LIMITS_ENVELOPE = "limits-envelope"  # a valid Webhook in an envelope past common limits (huge headers)
    REPEATED_HEADER = "repeated-header"  # a valid Webhook with a header that may appear once sent twice

    @property
    def rejects(self) -> bool:
        return self not in (Kind.VALID, Kind.VALID_EDGE, Kind.CREDENTIALS_VARIANT, Kind.LIMITS_ENVELOPE)

    @property
    def credentials(self) -> bool:
        """Kinds that probe authentication: their 401/403 answers are not the contract's to shape."""
        return self in (Kind.NO_CREDENTIALS, Kind.WRONG_CREDENTIALS, Kind.REFUSED_CREDENTIALS, Kind.CREDENTIALS_VARIANT)


def lenient_readings(raw: bytes) -> list[Any]:
    """What lenient parsers make of a body that is not JSON: JSON5 forms (comments, trailing commas,
    single quotes, unquoted keys) and ill-formed UTF-8 read as U+FFFD (Express) or as a lone
    surrogate (Python's `json.loads(bytes)`, as Starlette calls it)."""
    import json5  # only bodies that are not JSON get here

    readings = []
    for text in {raw.decode("utf-8", "replace"), raw.decode("utf-8", "surrogateescape")}:
        for parse in (json.loads, json5.loads):
            try:
                readings.append(parse(text))
                break
            except Exception:  # noqa: BLE001, S112 - json5 raises several types; a failed reading is no reading
                continue
    return readings


def classify(body: Any, contract: Contract, *, raw: bool = False) -> Kind:
    """The Kind of a request body under `contract`: a JSON value, or (`raw=True`) the bytes sent, None for no body."""
    size = None
    if raw:
        if body is None:
            return Kind.NO_BODY
        size = len(body)
        value = strict_json(body)
        if value is MISSING:  # too deep for Python, not for V8 or Go: judged by what its top breaks
            value = shallow_json(body)
        if value is MISSING:
            lenient = any(contract.is_valid("Webhook", v) for v in lenient_readings(body))
            return Kind.LENIENT if lenient else Kind.NOT_JSON
        body = value
    if not contract.is_valid("Webhook", body):
        return Kind.INVALID
    return Kind.VALID_EDGE if exotic(body, size) else Kind.VALID
