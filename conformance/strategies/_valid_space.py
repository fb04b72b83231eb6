"""The valid space real clients use, as deterministic edge cases every tier sends first.

Each family is a list of realistic Webhooks (see `_webhook` for what realistic means); a server
that rejects any of them breaks real integrations. Exotic edges (schema-valid values no client
sends, where a rejection is only a warn) are listed apart, in `EXOTIC`.

>>> from conformance.contract import vendored
>>> sorted(valid_space(vendored(), "run-1.example.com"))
['valid-events', 'valid-ids', 'valid-numbers', 'valid-targets']
"""

from __future__ import annotations

from typing import Any

from conformance.contract import Contract

from ._webhook import IPV4_HOSTS, IPV6_HOSTS, MAX_TARGET, PUNYCODE_LABELS, ip_path_marker

Webhook = dict[str, Any]
NUMBER = "+12135550123"


def _numbers(count: int) -> list[str]:
    """`count` distinct valid numbers of mixed lengths (2..15 digits)."""
    return [f"+1{i:0{1 + i % 14}d}"[: 2 + (1 + i % 14)] if i else "+12" for i in range(count)]


def _padded_url(base: str, length: int) -> str:
    """`base` with a path padded to exactly `length` characters."""
    return base + "a" * (length - len(base))


def valid_space(contract: Contract, domain: str) -> dict[str, list[Webhook]]:
    """Family name → realistic Webhooks under `contract` (every event it lists), all on `domain` or
    a documentation address."""
    hook = f"https://hooks.{domain}"

    def webhook(target: str = f"{hook}/fax/received", event: str = "fax_received", **extra: Any) -> Webhook:
        return {"target": target, "event": event, **extra}

    numbers = [
        webhook(numbers=[NUMBER]),
        webhook(numbers=[NUMBER, NUMBER]),  # duplicates: a client merging two lists
        webhook(numbers=["+12", "+4420", "+12135550123", "+123456789012345"]),  # mixed lengths
        *(webhook(numbers=_numbers(n)) for n in (6, 10, 11, 50, 100)),
        webhook(numbers=[NUMBER] * 100),
    ]
    events = [
        webhook(event=event, **extra)
        for event in contract.events
        for extra in ({}, {"numbers": None}, {"numbers": [NUMBER]})
    ]
    path = f"{hook}/fax"
    run = "/" + ip_path_marker(domain) if ip_path_marker(domain) else ""  # IP hosts: the run's label in the path
    targets = [
        webhook(f"{hook}:8443/fax"),
        webhook(f"http://hooks.{domain}:8080/fax"),
        webhook(f"{hook}/a/b/c/d/e/f/g/h/fax-received"),
        webhook(f"{path}?token=a%20b&next=%2Fdone%3Fok%3D1&list=1%2C2&name=caf%C3%A9"),
        webhook(f"http://{IPV4_HOSTS[0]}:8080{run}/fax"),
        webhook(f"https://{IPV4_HOSTS[1]}{run}/fax"),
        webhook(f"http://{IPV6_HOSTS[0]}:8080{run}/fax"),
        webhook(f"https://{IPV6_HOSTS[1]}{run}/fax"),
        webhook(f"https://{PUNYCODE_LABELS[0]}.{domain}/fax"),
        webhook(f"HTTPS://hooks.{domain}/fax"),
        webhook(f"{path}/"),
        webhook(f"{hook}/"),
        webhook(_padded_url(f"{path}/", 255)),
        webhook(_padded_url(f"{path}/", 256)),
        webhook(_padded_url(f"{path}/", 1024)),
        webhook(_padded_url(f"{path}/", MAX_TARGET)),
    ]
    ids = [
        webhook(id="6048b47181dbe1a7d67fcc98"),
        webhook(id="3f2504e0-4f89-41d3-9a0c-0305e82c3301"),
        webhook(id="1234567890"),
        webhook(id="billing-webhook_01"),
    ]
    return {"valid-numbers": numbers, "valid-events": events, "valid-targets": targets, "valid-ids": ids}


# Schema-valid values no real client sends: rejecting them is a warn, accepting them a pass. (No
# valid body over 1 MB: once registered, it makes the server's own `GET /hooks` answer longer than
# the 1 MB a run reads, and cleanup could no longer list what the run registered. The 1 MB class is
# the invalid `body-over-1mb`, which a faithful server never registers.)
def exotic_space(domain: str) -> list[Webhook]:
    base = {"event": "fax_received"}
    return [
        {**base, "target": ""},
        {**base, "target": "not a url"},
        {**base, "target": _padded_url(f"https://hooks.{domain}/fax/", MAX_TARGET + 1)},
        {**base, "target": f"https://hooks.{domain}/fax", "numbers": _numbers(101)},
        {**base, "target": f"https://hooks.{domain}/fax", "numbers": _numbers(5000)},  # a body over 64 KB (67 KB)
    ]
