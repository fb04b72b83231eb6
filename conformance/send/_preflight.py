"""Preflight: one harmless request before the suite, so that a wrong URL or token ends the run
with exit 2 and one line, instead of hundreds of identical transport findings. It runs under the
same deadline and response cap as every other request."""

from __future__ import annotations

import json
import socket
import ssl

import httpx

from conformance.target import Target, UsageError, redact_url

from ._errors import Overdue
from ._tls import client_options, handshake_problem, tls_problem
from ._wire import Wire


def preflight(target: Target) -> None:
    """Send a body the contract rejects (`[]`): it registers nothing on a faithful server."""
    assert target.base_url is not None
    headers = {"Content-Type": "application/json", **target.auth_headers()}
    where = redact_url(target.hooks_url)
    wire = Wire(target.max_response_bytes, client_options(target))
    try:
        _check(wire, target, headers, where)
    finally:
        wire.close()


def _check(wire: Wire, target: Target, headers: dict[str, str], where: str) -> None:
    try:
        answer = wire.exchange("POST", target.hooks_url, headers, json.dumps([]).encode(), deadline=target.timeout)
    except Overdue:
        return  # a server that hangs is a finding, judged case by case, not a usage error
    except (httpx.HTTPError, ssl.SSLError) as error:
        # A TLS failure names the option that fixes it (--ca-bundle, --client-cert, ...).
        tls = handshake_problem(target, where) if _vague(error) else None
        tls = tls or tls_problem(error, target, where)
        if tls is not None:
            raise UsageError(tls) from None
        if not isinstance(error, httpx.ConnectError):
            _not_connected(error, wire, target, where)
            return
        reason = str(error) or type(error).__name__
        raise UsageError(f"cannot reach {where} ({reason}): check --base-url and that the server is up") from None
    if answer.status in (401, 403):
        raise UsageError(
            f"{where} refused the credentials (HTTP {answer.status}): check --token / FAXPLUS_TOKEN "
            "and, for OAuth tokens, --client-id / FAXPLUS_CLIENT_ID"
        )
    if answer.status == 404:
        raise UsageError(f"{where} answered 404: --base-url must be the prefix before /hooks (e.g. …/v3)")


def _vague(error: BaseException) -> bool:
    """A dropped connection or a TLS EOF: under TLS 1.3 that may hide the server's alert."""
    return isinstance(error, (httpx.ReadError, httpx.RemoteProtocolError, ssl.SSLEOFError)) or "EOF" in str(error)


def _not_connected(error: httpx.HTTPError | ssl.SSLError, wire: Wire, target: Target, where: str) -> None:
    if isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError)):
        # Dropping the connection on a bad body is a finding, judged case by case; but a server
        # that cannot answer a plain read either does not speak HTTP at all.
        _speaks_http(wire, target, where)
        return
    raise UsageError(f"{where} did not speak HTTP ({type(error).__name__}): check --base-url") from None


def _speaks_http(wire: Wire, target: Target, where: str) -> None:
    try:
        wire.exchange("GET", target.hooks_url, target.auth_headers(), None, deadline=target.timeout)
    except Overdue:
        return
    except (httpx.HTTPError, ssl.SSLError) as error:
        tls = tls_problem(error, target, where)
        if tls is not None:
            raise UsageError(tls) from None
        hint = f": it speaks TLS, use {_as_https(target)}" if _speaks_tls(target) else ": check --base-url and its port"
        raise UsageError(f"{where} does not speak HTTP ({type(error).__name__}){hint}") from None


def _speaks_tls(target: Target) -> bool:
    """An `http://` URL whose port completes a TLS handshake (certificate unchecked: only asking)."""
    url = httpx.URL(target.hooks_url)
    if url.scheme != "http" or url.host is None:
        return False
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    try:
        with (
            socket.create_connection((url.host, url.port or 80), timeout=min(target.timeout, 5)) as raw,
            context.wrap_socket(raw, server_hostname=url.host),
        ):
            return True
    except (OSError, ssl.SSLError):
        return False


def _as_https(target: Target) -> str:
    return redact_url(str(httpx.URL(target.base_url or "").copy_with(scheme="https")))
