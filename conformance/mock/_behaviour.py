"""The faithful behaviour of `POST /hooks`, as a pipeline of named stages a Fault can replace.

Stages run in order; the first one that returns a Reply answers the request. A stage receives
the Request and the Context, which carries the contract the mock serves and what earlier stages
learned (the parsed body).
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema

from conformance.contract import Contract
from conformance.json_body import MISSING, strict_json

from ._reply import JSON, Reply, Request, error_reply, json_reply


class Store:
    """Registered webhooks, in registration order; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hooks: dict[str, dict[str, Any]] = {}

    def add(self, webhook: dict[str, Any], hook_id: str | None = None) -> str:
        hook_id = hook_id or secrets.token_hex(12)  # the shape Fax.Plus ids have: 24 hex characters
        with self._lock:
            # A faulty pipeline may let a non-object through; store it rather than crash.
            stored = webhook if isinstance(webhook, dict) else {"body": webhook}
            self._hooks[hook_id] = {**stored, "id": hook_id}
        return hook_id

    def remove(self, hook_id: str) -> bool:
        with self._lock:
            return self._hooks.pop(hook_id, None) is not None

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._hooks.values())


@dataclass
class Context:
    token: str
    store: Store
    contract: Contract  # the contract this mock serves (`MockServer(contract=...)`)
    validator: jsonschema.protocols.Validator  # its Webhook schema, or a copy a Fault has patched
    serial: int = 0  # 1-based number of this request on this server (rate limits count with it)
    body: Any = None


Stage = Callable[[Request, Context], Reply | None]


def bearer_token(authorization: str | None) -> str | None:
    """The token of `Authorization: Bearer <token>`, or None.

    The scheme is case-insensitive (RFC 7235 §2.1: `bearer` is `Bearer`); an empty token, another
    scheme, a tab where only spaces may stand, or a token only in the query string (RFC 6750 §2.3,
    which the API does not offer) is none.
    """
    # RFC 6750 §2.1: `Bearer 1*SP b64token`. HTTP trims spaces and tabs at the ends of the value;
    # whitespace anywhere else (a tab after `Bearer`, inside the token) makes it no bearer token.
    scheme, _, token = (authorization or "").strip(" \t").partition(" ")
    token = token.lstrip(" ")
    return token if scheme.lower() == "bearer" and token and not any(c.isspace() for c in token) else None


def unauthorized() -> Reply:
    return error_reply(401, "unauthorized", "Missing or invalid access token")


def check_auth(request: Request, ctx: Context) -> Reply | None:
    # Undocumented in the contract; 401 is what every OAuth2/PAT API answers.
    token = bearer_token(request.header("authorization"))
    if token is None or not secrets.compare_digest(token.encode(), ctx.token.encode()):
        return unauthorized()
    return None


def no_limit(request: Request, ctx: Context) -> Reply | None:
    return None  # the reference never rate-limits; a Variant answers 429 here, before any work


# Headers whose grammar is not a list: RFC 9110 §5.3 forbids a sender to repeat them.
SINGLETONS = frozenset({"authorization", "content-type", "content-length", "host", "x-fax-clientid"})


def accept_envelope(request: Request, ctx: Context) -> Reply | None:
    """Accept, Expect and chunked framing are all fine (a Fault refuses one here); a header that may
    appear once, sent twice, is a malformed request."""
    repeated = sorted(request.repeated & SINGLETONS)
    if repeated:
        return error_reply(400, "invalid_request", f"the {repeated[0]} header may appear only once")
    return None


def check_content_type(request: Request, ctx: Context) -> Reply | None:
    if not request.body:
        return None  # judged by parse_body: nothing to register
    media = (request.header("content-type") or "").split(";")[0].strip().lower()
    if media != JSON:
        return error_reply(400, "invalid_content_type", "Request body must be application/json")
    return None


def parse_body(request: Request, ctx: Context) -> Reply | None:
    if not request.body:
        return error_reply(400, "invalid_body", "A Webhook request body is required")
    ctx.body = strict_json(request.body)
    if ctx.body is MISSING:
        return error_reply(400, "invalid_body", "Request body is not valid JSON")
    return None


def validate_webhook(request: Request, ctx: Context) -> Reply | None:
    errors = sorted(ctx.validator.iter_errors(ctx.body), key=lambda e: list(e.absolute_path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "body"
        return error_reply(400, "invalid_webhook", f"{where}: {errors[0].message}"[:300])
    return None


def register(request: Request, ctx: Context) -> Reply | None:
    return json_reply(200, {"id": ctx.store.add(ctx.body)})


@dataclass(frozen=True)
class Pipeline:
    stages: dict[str, Stage] = field(
        default_factory=lambda: {
            "limit": no_limit,
            "auth": check_auth,
            "envelope": accept_envelope,
            "content_type": check_content_type,
            "parse": parse_body,
            "validate": validate_webhook,
            "register": register,
        }
    )

    def run(self, request: Request, ctx: Context) -> Reply:
        for stage in self.stages.values():
            reply = stage(request, ctx)
            if reply is not None:
                return reply
        raise AssertionError("the register stage always answers")


def webhook_validator(
    contract: Contract, patch: Callable[[dict[str, Any]], None] | None = None
) -> jsonschema.protocols.Validator:
    """`contract`'s Webhook validator, or a copy whose schema a Fault has patched."""
    if patch is None:
        contract_validator: jsonschema.protocols.Validator = contract.validator("Webhook")
        return contract_validator
    schema = json.loads(json.dumps(contract.json_schema("Webhook")))
    patch(schema)
    validator: jsonschema.protocols.Validator = jsonschema.Draft7Validator(schema)
    return validator
