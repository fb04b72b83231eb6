"""`POST /hooks` served by connexion 3 straight from the vendored spec, with connexion's defaults.

A real peer for the suite (tests/test_peers.py): connexion routes, authenticates and validates
from the spec itself (jsonschema with Python `re`), and answers errors its own way
(application/problem+json). Only the handlers and the token check are written here.

The vendored file is never edited. It is loaded and extended *in memory* before `add_api`:
- the vendor keys connexion reads to find the token checks (`x-tokenInfoFunc` for `oauth2`,
  `x-bearerInfoFunc` for `personal_access_token`), since the contract has none;
- `GET /hooks` and `DELETE /hooks/{hook_id}` (public API operations not in the vendored file),
  so that the suite's cleanup can list and delete; they take the same security as `POST /hooks`.
The spec's `servers` put the routes under `/v3`, as on the real API.

Runs in its own venv (tests/peers/requirements-connexion.txt):
    PEER_TOKEN=… PEER_SPEC=… python -m uvicorn --app-dir tests/peers connexion_app:app --host 127.0.0.1 --port N
"""

from __future__ import annotations

import copy
import os
import secrets
from pathlib import Path
from typing import Any

import yaml
from connexion import AsyncApp
from connexion.resolver import Resolver

TOKEN = os.environ["PEER_TOKEN"]
SPEC = Path(os.environ["PEER_SPEC"])  # conformance/spec/register-webhook.yaml, read only

hooks: dict[str, dict[str, Any]] = {}


def token_info(token: str) -> dict[str, Any] | None:
    """`oauth2`: a token we issued carries the scope `all`; None makes connexion answer 401."""
    return {"sub": "peer", "scope": ["all"]} if secrets.compare_digest(token.encode(), TOKEN.encode()) else None


def bearer_info(token: str) -> dict[str, Any] | None:
    """`personal_access_token`: connexion checks no scopes for an http bearer scheme."""
    return {"sub": "peer"} if secrets.compare_digest(token.encode(), TOKEN.encode()) else None


async def create_webhook(body: dict[str, Any]) -> tuple[dict[str, str], int]:
    hook_id = secrets.token_hex(12)  # 24 hex digits, like the contract's example id
    hooks[hook_id] = {**body, "id": hook_id}
    return {"id": hook_id}, 200


async def list_webhooks() -> dict[str, list[dict[str, Any]]]:
    return {"data": list(hooks.values())}


async def delete_webhook(hook_id: str) -> tuple[None, int]:
    return None, 204 if hooks.pop(hook_id, None) is not None else 404


HANDLERS = {"createWebhook": create_webhook, "listWebhooks": list_webhooks, "deleteWebhook": delete_webhook}


def served_spec(vendored: dict[str, Any]) -> dict[str, Any]:
    """The vendored contract plus what connexion needs to serve it (see the module docstring)."""
    spec = copy.deepcopy(vendored)
    schemes = spec["components"]["securitySchemes"]
    schemes["oauth2"]["x-tokenInfoFunc"] = f"{__name__}.token_info"
    schemes["personal_access_token"]["x-bearerInfoFunc"] = f"{__name__}.bearer_info"
    security = spec["paths"]["/hooks"]["post"]["security"]
    spec["paths"]["/hooks"]["get"] = {
        "operationId": "listWebhooks",
        "security": security,
        "responses": {"200": {"description": "Registered webhooks"}},
    }
    spec["paths"]["/hooks/{hook_id}"] = {
        "delete": {
            "operationId": "deleteWebhook",
            "security": security,
            "parameters": [{"name": "hook_id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"204": {"description": "Deleted"}, "404": {"description": "Unknown webhook"}},
        }
    }
    return spec


app = AsyncApp(__name__)
app.add_api(
    served_spec(yaml.safe_load(SPEC.read_text(encoding="utf-8"))),
    resolver=Resolver(function_resolver=HANDLERS.__getitem__),
)
