"""`POST /hooks` written by hand with FastAPI + pydantic, the way a team does it from the spec.

A real peer for the suite (tests/test_peers.py): nothing here is tuned to the suite. The model is
the vendored `Webhook` schema transcribed to pydantic, FastAPI's own security and validation do
the rest, and one exception handler turns validation errors into the contract's 400 `Error`.
`GET /hooks` and `DELETE /hooks/{hook_id}` exist so that the suite's cleanup can work.

Runs in its own venv (tests/peers/requirements-fastapi.txt):
    PEER_TOKEN=… python -m uvicorn --app-dir tests/peers fastapi_app:app --host 127.0.0.1 --port N
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from typing import Annotated

from fastapi import Depends, FastAPI, HTTPException, Request, Response, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

TOKEN = os.environ["PEER_TOKEN"]

E164 = Annotated[str, StringConstraints(pattern=r"^[+][1-9][0-9]{1,14}$", min_length=2, max_length=16)]


class WebhookEventType(StrEnum):
    fax_received = "fax_received"
    fax_sent = "fax_sent"
    fax_page_received = "fax_page_received"


class Webhook(BaseModel):
    model_config = ConfigDict(extra="forbid")  # the schema's additionalProperties: false

    # The ordinary `Optional[str] = None`: it also accepts `null`, which the contract does not.
    id: str | None = None
    target: str
    event: WebhookEventType
    numbers: list[E164] | None = Field(default=None, min_length=1)


class WebhookId(BaseModel):
    id: str


app = FastAPI(title="Fax.Plus webhooks (FastAPI peer)")
bearer = HTTPBearer()  # FastAPI's own answer to a missing or non-Bearer Authorization header
hooks: dict[str, dict[str, object]] = {}


def authorized(credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> None:
    if not secrets.compare_digest(credentials.credentials.encode(), TOKEN.encode()):
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token", headers={"WWW-Authenticate": "Bearer"})


@app.exception_handler(RequestValidationError)
async def invalid_webhook(request: Request, error: RequestValidationError) -> JSONResponse:
    """The contract documents 400 + Error for a bad payload, not FastAPI's default 422."""
    description = "; ".join(
        f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}" for problem in error.errors()
    )
    return JSONResponse({"error": "invalid_webhook", "description": description}, status_code=400)


@app.post("/hooks", dependencies=[Depends(authorized)])
async def create_webhook(webhook: Webhook) -> WebhookId:
    hook_id = secrets.token_hex(12)  # 24 hex digits, like the contract's example id
    hooks[hook_id] = {**webhook.model_dump(mode="json", exclude={"id"}), "id": hook_id}
    return WebhookId(id=hook_id)


@app.get("/hooks", dependencies=[Depends(authorized)])
async def list_webhooks() -> dict[str, list[dict[str, object]]]:
    return {"data": list(hooks.values())}


@app.delete("/hooks/{hook_id}", dependencies=[Depends(authorized)], status_code=status.HTTP_204_NO_CONTENT)
async def delete_webhook(hook_id: str) -> Response:
    if hooks.pop(hook_id, None) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such webhook")
    return Response(status_code=status.HTTP_204_NO_CONTENT)
