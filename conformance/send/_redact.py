"""Redaction: every secret becomes its placeholder before anything is written or printed.

A secret shorter than `WEAK` characters (`t`, `test`: what people pass to local mocks) is masked only
where it stands as a whole token, never inside a word, so that "status" stays readable with `--token t`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

SECRET_HEADERS = ("authorization", "x-fax-clientid", "cookie", "proxy-authorization")
WEAK = 8  # shorter secrets are masked as whole tokens only
# Characters a token is made of (RFC 6750 b64token, plus `_`): a short secret counts only where it is
# not glued to more of them. `=` may end a token (base64 padding) but starts a query value.
_BEFORE = r"(?<![A-Za-z0-9\-._~+/])"
_AFTER = r"(?![A-Za-z0-9\-._~+/=])"


def weak(secret: str) -> bool:
    return len(secret) < WEAK


class Redactor:
    """Replaces secret values with placeholders such as `$FAXPLUS_TOKEN`.

    >>> Redactor({"s3cr3t-token": "$FAXPLUS_TOKEN"}).text("Bearer s3cr3t-token")
    'Bearer $FAXPLUS_TOKEN'
    >>> Redactor({"t": "$FAXPLUS_TOKEN"}).text("status: Bearer t, ?access_token=t")
    'status: Bearer $FAXPLUS_TOKEN, ?access_token=$FAXPLUS_TOKEN'
    """

    def __init__(self, secrets: Mapping[str, str]) -> None:
        # As written, and percent-encoded as it travels in a URL (`?access_token=a%2Bb`).
        forms: dict[str, str] = {}
        for secret, placeholder in secrets.items():
            for form in (secret, quote(secret, safe=""), quote_plus(secret, safe="")) if secret else ():
                forms.setdefault(form, placeholder)
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(forms.items(), key=lambda sp: -len(sp[0]))
        self._text = [(_pattern(s), p) for s, p in self._secrets]
        self._bytes = [(re.compile(_pattern(s).pattern.encode()), p.encode()) for s, p in self._secrets]

    def text(self, value: str) -> str:
        for pattern, placeholder in self._text:
            value = pattern.sub(placeholder.replace("\\", "\\\\"), value)
        return value

    def bytes(self, value: bytes) -> bytes:
        for pattern, placeholder in self._bytes:
            value = pattern.sub(placeholder.replace(b"\\", b"\\\\"), value)
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


def _pattern(secret: str) -> re.Pattern[str]:
    escaped = re.escape(secret)
    return re.compile(f"{_BEFORE}{escaped}{_AFTER}" if weak(secret) else escaped)
