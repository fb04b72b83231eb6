"""Realism: where a schema-valid Webhook stops being one a real client sends.

The line is drawn by the value, never by who generated it. A *realistic* Webhook that a server
rejects is a fail (a real integration would break); an *exotic* one (schema-valid, but no client
sends it) that a server rejects is a warn (stricter than the schema).

Realistic: an http(s) URL target of printable ASCII up to 2,048 characters, on a DNS name (punycode
included), an IPv4 or IPv6 literal, with any port, path, percent-encoded query or trailing slash, in
any letter case of the scheme; `numbers` lists of up to 100 items, duplicates included; a client
`id` of up to 64 word characters (hex, UUID, digits, slugs); a body of up to 64 KB.

>>> exotic({"target": "https://hooks.example.com:8443/a/b?x=1%202", "event": "fax_sent"}) is None
True
>>> exotic({"target": "", "event": "fax_sent"})
'target is not an http(s) URL'
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any
from urllib.parse import urlsplit

MAX_URL = 2048  # what browsers, CDNs and every webhook form accept
MAX_NUMBERS = 100
MAX_BODY = 64 * 1024
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_URL_CHARS = re.compile(r"^[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*$")  # RFC 3986, percent sign included
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")
# Addresses a webhook service refuses to call (SSRF guards): asking to register them is not realistic.
_INTERNAL = [ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")]


def _host_exotic(host: str) -> str | None:
    if host.startswith("["):
        try:
            address: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            return "target host is not a valid IPv6 literal"
    else:
        try:
            address = ipaddress.IPv4Address(host)
        except ValueError:
            labels = host.split(".")
            if len(host) > 253 or len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
                return "target host is not a DNS name with a dot"
            if labels[-1].isdigit():
                return "target host looks like a malformed IP address"
            return None
    if address.is_loopback or address.is_link_local or address.is_unspecified or address.is_multicast:
        return "target host is an internal address"
    if any(address in network for network in _INTERNAL if network.version == address.version):
        return "target host is an internal address"
    return None


def target_exotic(target: str) -> str | None:
    """Why `target` is not a URL a real client registers, or None when it is one."""
    if len(target) > MAX_URL:
        return f"target is longer than {MAX_URL:,} characters"
    if not _URL_CHARS.match(target):
        return "target has characters outside printable URL ASCII"
    if _BAD_PERCENT.search(target):
        return "target has a malformed percent-escape"
    try:
        parts = urlsplit(target)
        port = parts.port
    except ValueError:
        return "target is not an http(s) URL"
    if (
        parts.scheme.lower() not in ("http", "https")
        or not parts.netloc
        or not target[len(parts.scheme) :].startswith("://")
    ):
        return "target is not an http(s) URL"
    if "@" in parts.netloc:
        return "target carries user info"
    if parts.fragment or "#" in target:
        return "target has a fragment"
    if port == 0:
        return "target has port 0"
    host = parts.netloc.rsplit(":", 1)[0] if not parts.netloc.endswith("]") and ":" in parts.netloc else parts.netloc
    return _host_exotic(host)


def exotic(webhook: dict[str, Any], size: int | None = None) -> str | None:
    """Why a schema-valid Webhook is exotic, or None when a real client could send it."""
    if size is None:
        size = len(json.dumps(webhook, ensure_ascii=False).encode("utf-8", "surrogatepass"))
    if size > MAX_BODY:
        return f"body is over {MAX_BODY // 1024} KB"
    reason = target_exotic(webhook["target"])
    if reason:
        return reason
    numbers = webhook.get("numbers")
    if isinstance(numbers, list) and len(numbers) > MAX_NUMBERS:
        return f"numbers has more than {MAX_NUMBERS} items"
    client_id = webhook.get("id")
    if client_id is not None and not _CLIENT_ID.match(client_id):
        return "id is not a plain identifier"
    return None
