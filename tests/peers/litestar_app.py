"""`POST /hooks` written by hand with Litestar + msgspec, the way a team does it from the spec.

A real peer for the suite (tests/test_peers_further.py): nothing here is tuned to the suite. The
model is the vendored `Webhook` schema transcribed to a `msgspec.Struct` (Litestar's native model
type), a guard checks the bearer token, and one exception handler turns Litestar's validation
errors into the contract's 400 `Error`, as Litestar's docs show for `ValidationException`.
`GET /hooks` and `DELETE /hooks/{hook_id}` exist so that the suite's cleanup can work.

Runs in its own venv (tests/peers/requirements-litestar.txt):
    PEER_TOKEN=… python -m uvicorn --app-dir tests/peers litestar_app:app --host 127.0.0.1 --port N
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request, Response, delete, get, post
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, NotFoundException, ValidationException
from litestar.handlers import BaseRouteHandler

TOKEN = os.environ["PEER_TOKEN"]

E164 = Annotated[str, msgspec.Meta(pattern=r"^[+][1-9][0-9]{1,14}$", min_length=2, max_length=16)]


class WebhookEventType(StrEnum):
    fax_received = "fax_received"
    fax_sent = "fax_sent"
    fax_page_received = "fax_page_received"


class Webhook(msgspec.Struct, forbid_unknown_fields=True):  # the schema's additionalProperties: false
    target: str
    event: WebhookEventType
    # The ordinary `str | None = None` for an optional field: it also accepts `null`.
    id: str | None = None
    numbers: Annotated[list[E164], msgspec.Meta(min_length=1)] | None = None


class WebhookId(msgspec.Struct):
    id: str


hooks: dict[str, dict[str, Any]] = {}


def bearer_token(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(token.encode(), TOKEN.encode()):
        raise NotAuthorizedException("invalid token", headers={"WWW-Authenticate": "Bearer"})


def invalid_webhook(request: Request[Any, Any, Any], error: ValidationException) -> Response[dict[str, str]]:
    """The contract documents 400 + Error for a bad payload, not Litestar's `{status_code, detail, extra}`."""
    problems = error.extra if isinstance(error.extra, list) else []
    description = "; ".join(f"{p.get('key', 'body')}: {p.get('message')}" for p in problems) or error.detail
    return Response({"error": "invalid_webhook", "description": description}, status_code=400)


@post("/hooks", status_code=200)  # Litestar's POST default is 201; the contract documents 200
async def create_webhook(data: Webhook) -> WebhookId:
    hook_id = secrets.token_hex(12)  # 24 hex digits, like the contract's example id
    hooks[hook_id] = {**msgspec.to_builtins(data), "id": hook_id}
    return WebhookId(id=hook_id)


@get("/hooks")
async def list_webhooks() -> dict[str, list[dict[str, Any]]]:
    return {"data": list(hooks.values())}


@delete("/hooks/{hook_id:str}")  # 204 is Litestar's DELETE default
async def delete_webhook(hook_id: str) -> None:
    if hooks.pop(hook_id, None) is None:
        raise NotFoundException("no such webhook")


app = Litestar(
    route_handlers=[create_webhook, list_webhooks, delete_webhook],
    guards=[bearer_token],
    exception_handlers={ValidationException: invalid_webhook},
)
