"""A small SDK client that honours the contract, speaking the SDK gate's driver protocol.

`python conformant.py` is conformant; `--break NAME` breaks it in exactly one way, so the gate's
tests can check that each gap is found and named:

* `target-as-url`: sends the callback URL as `url` instead of `target`;
* `no-page-received`: refuses the `fax_page_received` event client-side (a stale enum);
* `swallow-errors`: reports success for every reply, 400 and 500 included.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import httpx

BREAKS = ("target-as-url", "no-page-received", "swallow-errors")
EVENTS = {"fax_received", "fax_sent", "fax_page_received"}


class Client:
    """The client under test: `register(webhook)` returns the id or raises ApiError."""

    def __init__(self, base_url: str, token: str, broken: str | None, client_id: str | None = None) -> None:
        self.base_url, self.broken = base_url.rstrip("/"), broken
        headers = {"Authorization": f"Bearer {token}"} | ({"x-fax-clientid": client_id} if client_id else {})
        self.http = httpx.Client(headers=headers, timeout=10)

    def register(self, webhook: dict[str, Any]) -> str | None:
        events = EVENTS - {"fax_page_received"} if self.broken == "no-page-received" else EVENTS
        if webhook.get("event") not in events:
            raise ValueError(f"unknown event {webhook.get('event')!r}")
        body = dict(webhook)
        if self.broken == "target-as-url":
            body["url"] = body.pop("target")
        reply = self.http.post(f"{self.base_url}/hooks", json=body)
        if reply.status_code >= 300 and self.broken != "swallow-errors":
            raise ApiError(reply)
        try:
            return reply.json().get("id")
        except ValueError:
            return None


class ApiError(Exception):
    def __init__(self, reply: httpx.Response) -> None:
        super().__init__(f"HTTP {reply.status_code}")
        self.status = reply.status_code
        try:
            fields = reply.json()
        except ValueError:
            fields = {}
        fields = fields if isinstance(fields, dict) else {}
        self.error, self.description = fields.get("error"), fields.get("description")


def answer(request: dict[str, Any], broken: str | None) -> dict[str, Any]:
    if request.get("op") == "hello":
        return {"ok": True, "sdk": f"test-client{'-' + broken if broken else ''}", "version": "0", "language": "python"}
    if request.get("op") != "register":
        return {"unsupported": f"unknown op {request.get('op')!r}"}
    client = Client(request["base_url"], request["token"], broken, request.get("client_id"))
    try:
        return {"ok": True, "id": client.register(request["webhook"])}
    except ApiError as error:
        status, fields = error.status, {"error": error.error, "description": error.description}
        return {"ok": False, "status": status, **fields, "exception": f"ApiError: {error}"}
    except (ValueError, httpx.HTTPError) as error:
        return {"ok": False, "status": None, "exception": f"{type(error).__name__}: {error}"}
    finally:
        client.http.close()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--break", dest="broken", choices=BREAKS)
    broken = parser.parse_args().broken
    for line in sys.stdin:
        if line.strip():
            print(json.dumps(answer(json.loads(line), broken)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
