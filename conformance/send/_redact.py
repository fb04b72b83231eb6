"""Redaction: every secret becomes its placeholder before anything is written or printed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

SECRET_HEADERS = ("authorization", "x-fax-clientid", "cookie", "proxy-authorization")


WEAK = 8  # a secret shorter than this is masked only where it stands alone, never inside a word
# Characters that can be part of a token (RFC 6750 b64token, URL-safe base64, JWT dots). A short
# secret touching one of them is part of a longer word, not the secret: it is left alone. `=` may
# end a token (padding) but also precedes a value (`?access_token=t`), so it only bounds the end.
_BEFORE = r"(?<![A-Za-z0-9_.~+/-])"
_AFTER = r"(?![A-Za-z0-9_.~+/=-])"


class Redactor:
    """Replaces secret values with placeholders such as `$FAXPLUS_TOKEN`.

    >>> Redactor({"s3cr3t-token": "$FAXPLUS_TOKEN"}).text("Bearer s3cr3t-token")
    'Bearer $FAXPLUS_TOKEN'
    >>> Redactor({"t": "$FAXPLUS_TOKEN"}).text("target status: Bearer t")
    'target status: Bearer $FAXPLUS_TOKEN'
    """

    def __init__(self, secrets: Mapping[str, str]) -> None:
        forms: dict[str, str] = {}
        for secret, placeholder in secrets.items():
            if secret:
                # As written, and as it appears percent-encoded in a URL (`?access_token=a%2Bb`).
                for form in (secret, quote(secret, safe=""), quote_plus(secret, safe="")):
                    forms.setdefault(form, placeholder)
        # Longest first, so a secret that contains another is replaced whole.
        ordered = sorted(forms.items(), key=lambda sp: -len(sp[0]))
        self.weak = sorted({p for s, p in secrets.items() if s and len(s) < WEAK})
        self._text = [(_pattern(s, str), p.replace("\\", r"\\")) for s, p in ordered]  # literal replacements
        self._bytes = [(_pattern(s.encode(), bytes), p.replace("\\", r"\\").encode()) for s, p in ordered]

    def text(self, value: str) -> str:
        for pattern, placeholder in self._text:
            value = pattern.sub(placeholder, value)
        return value

    def bytes(self, value: bytes) -> bytes:
        for pattern, placeholder in self._bytes:
            value = pattern.sub(placeholder, value)
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


def _pattern(secret: Any, kind: type) -> re.Pattern[Any]:
    escaped = re.escape(secret)
    if len(secret) >= WEAK:
        return re.compile(escaped)
    if kind is bytes:
        return re.compile(_BEFORE.encode() + escaped + _AFTER.encode())
    return re.compile(_BEFORE + escaped + _AFTER)
