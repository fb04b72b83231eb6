"""Run labels: every webhook a run registers carries its run's label, so what a run left behind can
be found, by that run or any later one, and nothing else is ever touched.

A label is `run-<when>-<random>`: `<when>` the run's start in seconds since the epoch, base 36, so a
leftover's age is known without the server telling it; `<random>` 4 hex digits. A realistic target
lives on the label's subdomain of the reserved domain (`https://hooks.run-tbk2q0-1a2b.example.com/x`),
or, for an IP-literal host (no subdomain), under the label as first path segment
(`http://192.0.2.1/run-tbk2q0-1a2b/x`).

>>> label = new_label(at=1_790_000_000.0)
>>> label.startswith("run-tlpwu8-") and len(label) == 15
True
>>> started(label)
1790000000.0
>>> label_of({"target": f"https://hooks.{label}.example.com/x", "event": "fax_sent"}, "example.com") == label
True
>>> label_of({"target": "https://hooks.example.com/x", "event": "fax_sent"}, "example.com") is None
True
"""

from __future__ import annotations

import re
import secrets
import time
from urllib.parse import urlsplit

__all__ = ["LABEL", "label_of", "new_label", "started"]

LABEL = re.compile(r"run-([0-9a-z]{1,8})-([0-9a-f]{4})")
_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def new_label(at: float | None = None) -> str:
    """A fresh run label for a run that starts `at` (default: now)."""
    seconds = int(time.time() if at is None else at)
    when = ""
    while True:
        seconds, digit = divmod(seconds, 36)
        when = _DIGITS[digit] + when
        if not seconds:
            break
    return f"run-{when}-{secrets.token_hex(2)}"


def started(label: str) -> float | None:
    """When the run that chose `label` started (seconds since the epoch), or None for no label."""
    match = LABEL.fullmatch(label)
    return float(int(match.group(1), 36)) if match else None


def label_of(hook: object, domain: str) -> str | None:
    """The run label a listed webhook carries on `domain` (the run's `--target-base`), or None:
    only a label in the label's own place counts, never one that merely appears in a path or query."""
    if not isinstance(hook, dict) or not isinstance(hook.get("target"), str):
        return None
    try:
        parts = urlsplit(hook["target"])
        host = (parts.hostname or "").lower()
    except ValueError:
        return None
    if host.endswith("." + domain.lower()):
        label = host[: -len(domain) - 1].rsplit(".", 1)[-1]
        return label if LABEL.fullmatch(label) else None
    first = parts.path.split("/")[1] if parts.path.startswith("/") else ""
    ip_host = bool(host) and (host.replace(".", "").isdigit() or ":" in host)
    return first if ip_host and LABEL.fullmatch(first) else None
