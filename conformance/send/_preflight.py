"""Preflight: one harmless request before the suite, so that a wrong URL or token ends the run
with exit 2 and one line, instead of hundreds of identical transport findings."""

from __future__ import annotations

import json

import httpx

from conformance.target import Target, UsageError, redact_url


def preflight(target: Target) -> None:
    """Send a body the contract rejects (`[]`): it registers nothing on a faithful server."""
    assert target.base_url is not None
    headers = {"Content-Type": "application/json", **target.auth_headers()}
    where = redact_url(target.hooks_url)
    try:
        with httpx.Client(timeout=httpx.Timeout(target.timeout)) as client:
            response = client.post(target.hooks_url, content=json.dumps([]).encode(), headers=headers)
    except httpx.TimeoutException:
        return  # a server that hangs is a finding, judged case by case, not a usage error
    except httpx.ConnectError as error:
        reason = str(error) or type(error).__name__
        if "certificate" in reason.lower() or "ssl" in reason.lower():
            raise UsageError(
                f"TLS handshake with {where} failed ({reason}): check the URL and its certificate"
            ) from None
        raise UsageError(f"cannot reach {where} ({reason}): check --base-url and that the server is up") from None
    except (httpx.RemoteProtocolError, httpx.ReadError):
        # Dropping the connection on a bad body is a finding, judged case by case; but a server
        # that cannot answer a plain read either does not speak HTTP at all.
        _speaks_http(target, where)
        return
    except httpx.HTTPError as error:
        raise UsageError(f"{where} did not speak HTTP ({type(error).__name__}): check --base-url") from None
    if response.status_code in (401, 403):
        raise UsageError(
            f"{where} refused the credentials (HTTP {response.status_code}): check --token / FAXPLUS_TOKEN "
            "and, for OAuth tokens, --client-id / FAXPLUS_CLIENT_ID"
        )
    if response.status_code == 404:
        raise UsageError(f"{where} answered 404: --base-url must be the prefix before /hooks (e.g. …/v3)")


def _speaks_http(target: Target, where: str) -> None:
    try:
        with httpx.Client(timeout=httpx.Timeout(target.timeout)) as client:
            client.get(target.hooks_url, headers=target.auth_headers())
    except httpx.TimeoutException:
        return
    except httpx.HTTPError as error:
        raise UsageError(
            f"{where} does not speak HTTP ({type(error).__name__}): check --base-url and its port"
        ) from None
