"""Redaction: every secret becomes its placeholder before anything is written or printed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SECRET_HEADERS = ("authorization", "x-fax-clientid", "cookie", "proxy-authorization")


class Redactor:
    """Replaces secret values with placeholders such as `$FAXPLUS_TOKEN`.

    >>> Redactor({"s3cr3t": "$FAXPLUS_TOKEN"}).text("Bearer s3cr3t")
    'Bearer $FAXPLUS_TOKEN'
    """

    def __init__(self, secrets: Mapping[str, str]) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(((s, p) for s, p in secrets.items() if s), key=lambda sp: -len(sp[0]))

    def text(self, value: str) -> str:
        for secret, placeholder in self._secrets:
            value = value.replace(secret, placeholder)
        return value

    def bytes(self, value: bytes) -> bytes:
        for secret, placeholder in self._secrets:
            value = value.replace(secret.encode(), placeholder.encode())
        return value

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        out = {}
        for name, value in headers.items():
            value = self.text(value)
            if name.lower() in SECRET_HEADERS and "$FAXPLUS_" not in value:
                value = "[redacted]"  # a secret we were not told about (e.g. a generated token)
            out[name] = value
        return out

    def any(self, value: Any) -> Any:
        """Deep-redact a JSON-like value."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes):
            return self.bytes(value)
        if isinstance(value, dict):
            return {k: self.any(v) for k, v in value.items()}  # keys are the suite's own schema
        if isinstance(value, list | tuple):
            return [self.any(v) for v in value]
        return value
