"""Driver for clients of openapi-generator's `python` generator (pydantic v2 models, urllib3).

`python -S driver.py --package NAME`: speaks the SDK gate's JSON-lines protocol (docs/sdk-gate.md) and
calls the client as its README shows:

    conf = NAME.Configuration(host=base_url, access_token=token)
    api = NAME.WebhooksApi(NAME.ApiClient(conf[, header_name="x-fax-clientid", header_value=client_id]))
    api.create_webhook(webhook=NAME.Webhook(target=..., event=NAME.WebhookEventType(...), numbers=[...]))

It must not import the suite: only the generated package and its dependencies are on sys.path.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from typing import Any

PACKAGE = "faxplus_generated"


def _snippet(package: str, request: dict) -> str:
    webhook, client_id = request["webhook"], request.get("client_id")
    args = ", ".join(
        f"{k}={package}.WebhookEventType({v!r})" if k == "event" else f"{k}={v!r}" for k, v in webhook.items()
    )
    oauth = f", header_name='x-fax-clientid', header_value={client_id!r}" if client_id else ""
    return "\n".join(
        [
            f"import {package}",
            f"conf = {package}.Configuration(host={request['base_url']!r}, access_token={request['token']!r})",
            f"api = {package}.WebhooksApi({package}.ApiClient(conf{oauth}))",
            f"print(api.create_webhook(webhook={package}.Webhook({args})))",
        ]
    )


def _event(sdk: Any, value: object, notes: list) -> object:
    values = [member.value for member in sdk.WebhookEventType]
    if value in values:
        return sdk.WebhookEventType(value)
    notes.append(
        {
            "check": "typed-event",
            "message": f"event {value!r} is not a member of {sdk.__name__}.WebhookEventType ({', '.join(values)})",
        }
    )
    return value


def _error(exc: Exception, notes: list) -> dict:
    """status, error, description as the SDK exposes them: a typed `.data` (the Error model) or the raw body."""
    out: dict[str, Any] = {"status": getattr(exc, "status", None), "error": None, "description": None}
    body = getattr(exc, "body", None)
    out["body"] = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    data = getattr(exc, "data", None)
    if data is not None and hasattr(data, "error"):
        out["error"], out["description"] = data.error, data.description
        return out
    if out["body"] is not None:
        notes.append(
            {
                "check": "typed-error",
                "message": f"{type(exc).__name__}.data is {type(data).__name__}: the Error is only in the raw "
                "`.body`, which the caller must json-decode to read `error` and `description`",
            }
        )
        try:
            parsed = json.loads(out["body"])
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            out["error"], out["description"] = parsed.get("error"), parsed.get("description")
    return out


def register(sdk: Any, request: dict) -> dict:
    notes: list = []
    call = _snippet(sdk.__name__, request)
    webhook = dict(request["webhook"])
    fields = set(getattr(sdk.Webhook, "model_fields", {}))
    unknown = [key for key in webhook if fields and key not in fields]
    if unknown:
        names = ", ".join(unknown)
        return {
            "unsupported": f"{sdk.__name__}.Webhook has no field {names} (fields: {', '.join(fields)})",
            "call": call,
        }
    if "event" in webhook:
        webhook["event"] = _event(sdk, webhook["event"], notes)
    try:
        body = sdk.Webhook(**webhook)
    except Exception as exc:  # noqa: BLE001 - pydantic's ValidationError: refused before sending
        return {"ok": False, "status": None, "exception": f"{type(exc).__name__}: {exc}"[:600], "call": call}
    conf = sdk.Configuration(host=request["base_url"], access_token=request["token"])
    client_id = request.get("client_id")
    oauth = {"header_name": "x-fax-clientid", "header_value": client_id} if client_id else {}
    api = sdk.WebhooksApi(sdk.ApiClient(conf, **oauth))
    try:
        result = api.create_webhook(webhook=body, _request_timeout=10)
    except Exception as exc:  # noqa: BLE001 - whatever the SDK raises is the observation
        answer = {"ok": False, "exception": f"{type(exc).__module__}.{type(exc).__name__}: {exc}"[:600]}
        answer.update(_error(exc, notes) if hasattr(exc, "status") else {"status": None})
        return {**answer, "call": call, "notes": notes}
    return {"ok": True, "id": getattr(result, "id", None), "result_type": type(result).__name__, "call": call}


def answer(package: str, request: dict) -> dict:
    op = request.get("op")
    sdk = importlib.import_module(package)
    if op == "hello":
        from importlib.metadata import version

        try:
            found = version(package)
        except Exception:  # noqa: BLE001 - metadata is optional
            found = None
        return {"ok": True, "sdk": package, "version": found, "language": "python"}
    if op == "register":
        return register(sdk, request)
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
