"""Driver for clients of `openapi-python-client` (attrs models, httpx).

`python -S driver.py --package NAME`: speaks the SDK gate's JSON-lines protocol (docs/sdk-gate.md) and
calls the client as its README shows:

    client = NAME.AuthenticatedClient(base_url=base_url, token=token[, headers={"x-fax-clientid": client_id}])
    response = create_webhook.sync_detailed(client=client, body=Webhook(target=..., event=WebhookEventType(...)))

These clients return documented errors instead of raising them: `sync_detailed()` gives the status and
the parsed `Error`, `sync()` only `WebhookId | Error | None`. The driver reads `sync_detailed()`, the
richer of the two, and says in a note what `sync()` loses. It must not import the suite.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
import traceback
from typing import Any

PACKAGE = "faxplus_generated"


def _snippet(package: str, request: dict) -> str:
    webhook, client_id = request["webhook"], request.get("client_id")
    args = ", ".join(f"{k}=WebhookEventType({v!r})" if k == "event" else f"{k}={v!r}" for k, v in webhook.items())
    headers = f", headers={{'x-fax-clientid': {client_id!r}}}" if client_id else ""
    return "\n".join(
        [
            f"from {package} import AuthenticatedClient",
            f"from {package}.api.webhooks import create_webhook",
            f"from {package}.models import Webhook, WebhookEventType",
            f"client = AuthenticatedClient(base_url={request['base_url']!r}, token={request['token']!r}{headers})",
            f"response = create_webhook.sync_detailed(client=client, body=Webhook({args}))",
            "print(response.status_code, response.parsed)",
        ]
    )


RETURNED_ERRORS = {
    "check": "typed-error",
    "message": "errors are returned, not raised: create_webhook.sync() returns WebhookId | Error | None, and its "
    "Error has no HTTP status (only sync_detailed().status_code has it); a caller that does not isinstance-check "
    "the result treats a 400 as a success",
}


def register(package: str, request: dict) -> dict:
    sdk = importlib.import_module(package)
    api = importlib.import_module(f"{package}.api.webhooks.create_webhook")
    models = importlib.import_module(f"{package}.models")
    call = _snippet(package, request)
    webhook = dict(request["webhook"])
    fields = set(inspect.signature(models.Webhook).parameters)
    unknown = [key for key in webhook if key not in fields]
    if unknown:
        return {"unsupported": f"{package}.models.Webhook takes no {', '.join(unknown)} (it takes {', '.join(fields)})"}
    if "event" in webhook:
        values = [member.value for member in models.WebhookEventType]
        if webhook["event"] not in values:
            message = f"event {webhook['event']!r} is not a member of WebhookEventType ({', '.join(values)})"
            return {"unsupported": message, "call": call}
        webhook["event"] = models.WebhookEventType(webhook["event"])
    client = _client(sdk, request["base_url"], request["token"], request.get("client_id"))
    try:
        response = api.sync_detailed(client=client, body=models.Webhook(**webhook))
    except Exception as exc:  # noqa: BLE001 - whatever the SDK raises is the observation
        status = getattr(exc, "status_code", None)
        return {"ok": False, "status": status, "exception": f"{type(exc).__name__}: {exc}"[:600], "call": call}
    status, parsed = int(response.status_code), response.parsed
    if isinstance(parsed, models.WebhookId):
        return {"ok": True, "id": parsed.id, "call": call}
    if isinstance(parsed, models.Error):
        error, description = parsed.error, parsed.description
        surfaced = {
            "error": None if _unset(error) else error,
            "description": None if _unset(description) else description,
        }
        body = response.content.decode("utf-8", "replace")
        returned = f"returned {package}.models.Error (sync_detailed: status {status})"
        answer = {"ok": False, "status": status, **surfaced, "exception": returned, "body": body}
        return {**answer, "call": call, "notes": [RETURNED_ERRORS]}
    if 200 <= status < 300:
        return {"ok": True, "id": None, "parsed": repr(parsed), "call": call}
    return {"ok": False, "status": status, "exception": f"returned parsed={parsed!r} (status {status})", "call": call}


_CLIENTS: dict[tuple[str, str, str | None], Any] = {}


def _client(sdk: Any, base_url: str, token: str, client_id: str | None) -> Any:
    """One AuthenticatedClient per configuration, as an application keeps one (an httpx client is costly)."""
    key = (base_url, token, client_id)
    if key not in _CLIENTS:
        headers = {"headers": {"x-fax-clientid": client_id}} if client_id else {}
        _CLIENTS[key] = sdk.AuthenticatedClient(base_url=base_url, token=token, **headers)
    return _CLIENTS[key]


def _unset(value: Any) -> bool:
    return value is None or type(value).__name__ == "Unset"


def answer(package: str, request: dict) -> dict:
    op = request.get("op")
    if op == "hello":
        importlib.import_module(package)
        from importlib.metadata import version

        try:
            found = version(package.replace("_", "-"))
        except Exception:  # noqa: BLE001 - metadata is optional
            found = None
        return {"ok": True, "sdk": package, "version": found, "language": "python"}
    if op == "register":
        return register(package, request)
    return {"unsupported": f"unknown op {op!r}"}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--package", default=PACKAGE)
    package = parser.parse_args().package
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(package, json.loads(line))
        except Exception as exc:  # noqa: BLE001 - the gate reads this as a driver crash
            reply = {"crash": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
        sys.stdout.write(json.dumps(reply, default=repr) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
