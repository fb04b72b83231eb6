"""Driver for the official Python SDK `faxplus-api` (import name `faxplus`).

Speaks the SDK gate's JSON-lines protocol on stdin/stdout: one request object per line in, one
answer object per line out. It uses only the SDK's public API, written the way its README shows,
and runs with nothing but the SDK (and its own dependencies) on `sys.path`: it must not import
the suite.

Requests:
    {"op": "hello"}
    {"op": "register", "base_url": "...", "token": "...", "webhook": {...}}
Answers:
    {"ok": true, "id": ...}
    {"ok": false, "status": 400, "error": "...", "description": "...", "exception": "ApiException: ..."}
    {"unsupported": "why this input cannot be expressed through the SDK"}
Every answer may carry "call" (a Python snippet that replays it) and "notes" (typed-API gaps).
"""

from __future__ import annotations

import json
import sys
import traceback

SDK = "faxplus-api"


def _snippet(webhook: dict, base_url: str, token: str, client_id: str | None) -> str:
    args = ", ".join(f"{key}={value!r}" for key, value in webhook.items())
    oauth = f", header_name='x-fax-clientid', header_value={client_id!r}" if client_id else ""
    return "\n".join(
        [
            "from faxplus import ApiClient, WebhooksApi, Webhook",
            "from faxplus.configuration import Configuration",
            "conf = Configuration()",
            f"conf.access_token = {token!r}",
            f"conf.host = {base_url!r}",
            f"api = WebhooksApi(ApiClient(configuration=conf{oauth}))",
            f"print(api.create_webhook(body=Webhook({args})))",
        ]
    )


def _version() -> str | None:
    try:
        from importlib.metadata import version

        return version(SDK)
    except Exception:  # noqa: BLE001 - metadata is optional
        return None


_APIS: dict[tuple[str, str, str | None], object] = {}


def _api(base_url: str, token: str, client_id: str | None = None):
    from faxplus import ApiClient, WebhooksApi
    from faxplus.configuration import Configuration

    key = (base_url, token, client_id)
    if key not in _APIS:
        conf = Configuration()
        conf.access_token = token
        conf.host = base_url
        # OAuth: the README's way to send the client id, a default header of the ApiClient
        oauth = {"header_name": "x-fax-clientid", "header_value": client_id} if client_id else {}
        _APIS[key] = WebhooksApi(ApiClient(configuration=conf, **oauth))
    return _APIS[key]


def _event(value: object, notes: list) -> object:
    """The typed enum member when the SDK has one; the plain value (and a note) when it has not."""
    try:
        from faxplus.models import WebhookEventType
    except ImportError:
        notes.append({"check": "typed-event", "message": "the SDK has no WebhookEventType enum"})
        return value
    for member in WebhookEventType:
        if member.value == value:
            return member
    members = ", ".join(m.value for m in WebhookEventType)
    notes.append(
        {
            "check": "typed-event",
            "message": f"event {value!r} is not a member of faxplus.models.WebhookEventType ({members}); "
            "it can only be passed as a plain str, which the SDK forwards unchecked",
        }
    )
    return value


def _error_fields(exc: Exception, notes: list) -> dict:
    body = getattr(exc, "body", None)
    out = {"status": getattr(exc, "status", None), "error": None, "description": None}
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    out["body"] = body
    if body is not None:
        notes.append(
            {
                "check": "typed-error",
                "message": f"{type(exc).__name__} carries the Error only as the raw response body "
                f"(`.body`, {type(getattr(exc, 'body', None)).__name__}): the caller must json-decode it "
                "to read `error` and `description`",
            }
        )
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            out["error"] = parsed.get("error")
            out["description"] = parsed.get("description")
    return out


def _silent_drops(model: type, kwargs: dict, api: object) -> list:
    """Keys the model cannot take: does setting them as attributes reach the wire, or vanish?"""
    known = getattr(model, "attribute_map", {})
    unknown = [key for key in kwargs if key not in known]
    try:
        probe = model(**{k: v for k, v in kwargs.items() if k in known})
        for key in unknown:
            setattr(probe, key, kwargs[key])
        sent = api.api_client.sanitize_for_serialization(probe)
    except Exception:  # noqa: BLE001 - a probe only
        return []
    dropped = [key for key in unknown if key not in sent]
    if not dropped:
        return []
    names = ", ".join(f"`{key}`" for key in dropped)
    return [
        {
            "check": "silent-drop",
            "message": f"setting {names} as an attribute of faxplus.Webhook is accepted but dropped from the "
            "request body: the call succeeds and registers the webhook without it",
        }
    ]


def register(request: dict) -> dict:
    from faxplus import Webhook

    base_url, token, webhook = request["base_url"], request["token"], dict(request["webhook"])
    client_id = request.get("client_id")
    notes: list = []
    call = _snippet(webhook, base_url, token, client_id)
    kwargs = dict(webhook)
    if "event" in kwargs:
        kwargs["event"] = _event(kwargs["event"], notes)
    try:
        body = Webhook(**kwargs)
    except TypeError as exc:
        notes += _silent_drops(Webhook, kwargs, _api(base_url, token))
        return {"unsupported": f"faxplus.Webhook(...) raised TypeError: {exc}", "call": call, "notes": notes}
    except ValueError as exc:
        return {"ok": False, "status": None, "exception": f"ValueError: {exc}", "call": call, "notes": notes}
    try:
        result = _api(base_url, token, client_id).create_webhook(body=body, _request_timeout=10)
    except Exception as exc:  # noqa: BLE001 - whatever the SDK raises is the observation
        answer = {"ok": False, "exception": f"{type(exc).__module__}.{type(exc).__name__}: {exc}"[:600]}
        if hasattr(exc, "status"):
            answer.update(_error_fields(exc, notes))
        else:
            answer["status"] = None
        return {**answer, "call": call, "notes": notes}
    hook_id = getattr(result, "id", None)
    return {"ok": True, "id": hook_id, "result_type": type(result).__name__, "call": call, "notes": notes}


def answer(request: dict) -> dict:
    op = request.get("op")
    if op == "hello":
        import faxplus  # noqa: F401 - fails here, not mid-run, when the SDK is not installed

        return {"ok": True, "sdk": SDK, "version": _version(), "language": "python"}
    if op == "register":
        return register(request)
    return {"unsupported": f"unknown op {op!r}"}


def main() -> int:
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply = answer(json.loads(line))
        except Exception as exc:  # noqa: BLE001 - the gate reads this as a driver crash
            reply = {"crash": f"{type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
        sys.stdout.write(json.dumps(reply, default=repr) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
