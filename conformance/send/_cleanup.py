"""Cleanup: delete every webhook the run registered, then list what is left of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpx

from conformance.target import Target


@dataclass
class Cleanup:
    deleted: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # id → why the DELETE did not succeed
    leftovers: list[str] = field(default_factory=list)  # ids still listed by GET /hooks afterwards
    verified: bool = False  # GET /hooks answered, so `leftovers` is known

    def as_dict(self) -> dict[str, object]:
        return {
            "deleted": len(self.deleted),
            "failed": self.failed,
            "leftovers": self.leftovers,
            "verified": self.verified,
        }


def _hooks_in(body: object) -> list | None:
    """The list of webhooks in a `GET /hooks` answer: a bare list, or the first list in an object
    (`{"data": [...]}` on the mock; the real API's envelope is not in the contract)."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        return next((value for value in body.values() if isinstance(value, list)), None)
    return None


def _marked(hook: object, marker: str | None) -> bool:
    """A webhook whose target is on this run's own subdomain of the reserved domain, or, for an IP
    literal host (which has no subdomain), whose path starts with the run's label (`/run-1a2b3c4d/`)."""
    if not marker or not isinstance(hook, dict) or not isinstance(hook.get("target"), str):
        return False
    try:
        parts = urlsplit(hook["target"])
        host = parts.hostname or ""
    except ValueError:
        return False
    label = marker.split(".", 1)[0]
    return host == marker or host.endswith("." + marker) or f"{parts.path}/".startswith(f"/{label}/")


def cleanup(target: Target, ids: list[str], marker: str | None = None) -> Cleanup:
    """Delete `ids`, then every listed webhook whose target is on the run's `marker` domain: those
    a server registered without telling us their id (an interrupted request, a wrong response)."""
    report = Cleanup()
    if target.base_url is None or (not ids and not marker):
        return report
    with httpx.Client(timeout=httpx.Timeout(target.timeout), headers=target.auth_headers()) as client:

        def delete(hook_id: str) -> None:
            try:
                response = client.delete(f"{target.hooks_url}/{hook_id}")
            except httpx.HTTPError as error:
                report.failed[hook_id] = type(error).__name__
                return
            if response.status_code < 300 or response.status_code == 404:
                report.deleted.append(hook_id)
            else:
                report.failed[hook_id] = f"HTTP {response.status_code}"

        def listed() -> list | None:
            try:
                listing = client.get(target.hooks_url)
                return _hooks_in(listing.json()) if listing.status_code == 200 else None
            except (httpx.HTTPError, ValueError):
                return None

        for hook_id in dict.fromkeys(ids):
            delete(hook_id)
        hooks = listed()
        strays = [h["id"] for h in hooks or [] if _marked(h, marker) and isinstance(h.get("id"), str)]
        for hook_id in strays:
            delete(hook_id)
        if strays:
            hooks = listed()
    if isinstance(hooks, list):
        report.verified = True
        mine = set(ids)
        report.leftovers = [
            h.get("id") for h in hooks if isinstance(h, dict) and (h.get("id") in mine or _marked(h, marker))
        ]
    return report
