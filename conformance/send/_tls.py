"""TLS and proxies: every decision about how the suite's HTTP client trusts servers and reaches them.

`client_options(target)` gives the keyword arguments every `httpx.Client` of the suite is built
with, so the run, the preflight, the cleanup and the retry on a fresh connection all trust the same
CAs, present the same client certificate and go through the same proxy.

- Trust: `--ca-bundle FILE`, else `SSL_CERT_FILE` / `SSL_CERT_DIR` (as httpx and OpenSSL read them),
  else certifi's bundle (httpx's default). `--insecure` turns verification off, loudly.
- Client certificate (mutual TLS): `--client-cert FILE [--client-key FILE]`, PEM.
- Proxies: `HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY` and `NO_PROXY` are honoured (httpx's
  `trust_env`), unless `--no-proxy`. httpx adds no implicit exemption for localhost: list it in
  `NO_PROXY` if the proxy cannot reach it.

`tls_problem(error, target)` turns a failed handshake into the one line that names the option fixing it.
"""

from __future__ import annotations

import functools
import os
import socket
import ssl
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import certifi

from conformance.target import Target, UsageError

INSECURE_WARNING = (
    "warning: --insecure: TLS certificates are not verified, so this run cannot tell the server from "
    "an impostor; use --ca-bundle FILE instead"
)

# OpenSSL's X509_V_ERR_* codes for a chain this machine cannot trust (unknown or self-signed CA).
_UNTRUSTED = {
    2,  # unable to get issuer certificate
    18,  # self-signed certificate
    19,  # self-signed certificate in chain
    20,  # unable to get local issuer certificate
    21,  # unable to verify the first certificate
}
_EXPIRED = {9, 10}  # not yet valid, expired
_NAME_MISMATCH = {62, 64}  # host name, IP address


def ssl_context(target: Target) -> ssl.SSLContext:
    """The client-side SSLContext of the run: the trust store, verification and client certificate."""
    return _context(target, os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)  # loading a CA bundle costs ~60 ms; one context serves every client of a run
def _context(target: Target, cafile: str | None, capath: str | None) -> ssl.SSLContext:
    # Verification and hostname check on, TLS >= 1.2, and no CA yet: the trust store is exactly the one chosen.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if target.insecure:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        _load_trust(context, target, cafile, capath)
    if target.client_cert is not None:
        try:
            context.load_cert_chain(target.client_cert, target.client_key)
        except (OSError, ssl.SSLError) as error:
            raise UsageError(
                f"cannot use --client-cert {target.client_cert}"
                + (f" / --client-key {target.client_key}" if target.client_key else "")
                + f" ({_reason(error)}): give a PEM certificate and its unencrypted PEM key"
            ) from None
    return context


def _load_trust(context: ssl.SSLContext, target: Target, cafile: str | None, capath: str | None) -> None:
    if target.ca_bundle is not None:
        try:
            context.load_verify_locations(cafile=str(target.ca_bundle))
        except (OSError, ssl.SSLError) as error:
            raise UsageError(
                f"cannot read --ca-bundle {target.ca_bundle} ({_reason(error)}): give a PEM file of CA certificates"
            ) from None
        return
    if cafile or capath:  # as OpenSSL and httpx read them
        try:
            context.load_verify_locations(cafile=cafile or None, capath=capath or None)
        except (OSError, ssl.SSLError) as error:
            raise UsageError(f"cannot read SSL_CERT_FILE / SSL_CERT_DIR ({_reason(error)}): fix or unset it") from None
        return
    context.load_verify_locations(cafile=certifi.where())


def client_options(target: Target) -> dict[str, Any]:
    """Keyword arguments for `httpx.Client(...)`: TLS and proxies."""
    return {"verify": ssl_context(target), "trust_env": not target.no_proxy}


def tls_warnings(target: Target) -> list[str]:
    """What every run with these options must say on the console and in the report."""
    return [INSECURE_WARNING] if target.insecure else []


def tls_problem(error: BaseException, target: Target, where: str) -> str | None:
    """The one line for a failed TLS handshake (naming the option that fixes it), or None if not TLS."""
    cause = _ssl_cause(error)
    if cause is None:
        return None
    reason = _reason(cause)
    host = urlsplit(target.base_url or "").hostname or "the host"
    if isinstance(cause, ssl.SSLCertVerificationError):
        code = cause.verify_code
        if code in _UNTRUSTED:
            return (
                f"the certificate of {where} is issued by a CA this machine does not trust ({reason}): "
                "pass --ca-bundle FILE with that CA in PEM (--insecure skips verification: last resort only)"
            )
        if code in _NAME_MISMATCH:
            return (
                f"the certificate of {where} is not valid for {host} ({reason}): use a host name the certificate "
                "names in --base-url (--insecure skips verification: last resort only)"
            )
        if code in _EXPIRED:
            return f"the certificate of {where} is expired or not yet valid ({reason}): the server must renew it"
        return (
            f"the certificate of {where} failed verification ({reason}): check --ca-bundle FILE "
            "(--insecure skips verification: last resort only)"
        )
    upper = reason.upper()
    if isinstance(cause, ssl.SSLEOFError) or "UNEXPECTED_EOF" in upper:
        return (
            f"{where} closed the connection during the TLS handshake ({reason}): if it demands a client "
            "certificate, pass --client-cert FILE --client-key FILE; else check --base-url"
        )
    if "CERTIFICATE_REQUIRED" in upper or (target.client_cert is None and "HANDSHAKE_FAILURE" in upper):
        return f"{where} demanded a client certificate ({reason}): pass --client-cert FILE --client-key FILE"
    if target.client_cert is not None and any(a in upper for a in ("BAD_CERTIFICATE", "UNKNOWN_CA", "ACCESS_DENIED")):
        return f"{where} refused the client certificate ({reason}): check --client-cert / --client-key"
    if "WRONG_VERSION_NUMBER" in upper or "RECORD_LAYER_FAILURE" in upper:
        return f"TLS handshake with {where} failed ({reason}): the port does not speak TLS; use http:// in --base-url?"
    return (
        f"TLS handshake with {where} failed ({reason}): check --base-url, --ca-bundle FILE and, "
        "if the server wants one, --client-cert FILE --client-key FILE"
    )


def handshake_problem(target: Target, where: str) -> str | None:
    """Handshake with the target directly (stdlib) and read its first answer byte: the one line if TLS fails.

    Under TLS 1.3 a server that demands a client certificate sends its alert after the handshake, so
    httpx may only see a closed or reset connection. This probe waits for that alert. None when the URL is not
    https, a proxy stands between us and the target (its tunnel is httpx's business), or TLS is fine.
    """
    parts = urlsplit(target.base_url or "")
    if parts.scheme != "https" or not parts.hostname or _proxied(parts.hostname, target):
        return None
    try:
        with (
            socket.create_connection((parts.hostname, parts.port or 443), timeout=target.timeout) as raw,
            ssl_context(target).wrap_socket(raw, server_hostname=parts.hostname) as tls,
        ):
            # Send nothing: a request left unread when the server drops us turns its alert into a reset.
            # A healthy server just waits, and the read times out.
            tls.recv(1)
    except ssl.SSLError as error:
        return tls_problem(error, target, where)
    except OSError:
        return None  # not a TLS matter: the caller reports it
    return None


def _proxied(host: str, target: Target) -> bool:
    if target.no_proxy:
        return False
    proxies = urllib.request.getproxies_environment()
    return bool(proxies.get("https") or proxies.get("all")) and not urllib.request.proxy_bypass_environment(host)  # type: ignore[attr-defined]


def _ssl_cause(error: BaseException) -> ssl.SSLError | None:
    """The ssl error beneath httpx's and httpcore's wrappers, if any."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _reason(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError) and error.verify_message:
        return error.verify_message
    if isinstance(error, ssl.SSLError) and error.reason:
        return str(error.reason)
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
