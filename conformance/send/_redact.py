"""Redaction: every secret becomes its placeholder before anything is written or printed, in every
spelling a server may echo it in.

A secret is found as written, percent-encoded (`%74`, `%2B` or `%2b`, `+` for a space), with JSON
escapes (`\\u0074`, `\\u002B`, `\\/`), as HTML character references (`&#116;`, `&#x74;`, `&period;`),
and any mix of those, one character at a time. Inside base64 (standard or URL-safe, padded or not) it
is found by decoding: a run of base64 that decodes to bytes holding a secret is decoded, masked and
encoded again, so it stays valid base64 of the same text with the placeholder in place, and a run that
merely contains the secret's base64 letters at an offset that does not decode to it is left alone.
That covers the credentials derived from a secret too (`Bearer T`, `Basic base64(id:T)`, `?access_token=T`).

A secret shorter than `WEAK` characters (`t`, `test`: what people pass to local mocks) is masked only
where it stands as a whole token, never inside a word, so that "status" stays readable with `--token t`;
its neighbours count in any spelling (`\\u0074\\u0065` is the word "te", not the token "t").
"""

from __future__ import annotations

import base64
import binascii
import html.entities
import re
from collections.abc import Mapping
from typing import Any

from conformance.credentials import MADE_UP

SECRET_HEADERS = ("authorization", "x-fax-clientid", "cookie", "proxy-authorization")
WEAK = 8  # shorter secrets are masked as whole tokens only
# Characters a token is made of (RFC 6750 b64token, plus `_`): a short secret counts only where it is
# not glued to more of them. `=` may end a token (base64 padding) but starts a query value.
_TOKEN_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"
_BEFORE = r"(?<![A-Za-z0-9\-._~+/])"
_AFTER = r"(?![A-Za-z0-9\-._~+/=])"
_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_NAMED: dict[str, list[str]] = {}
for _name, _char in html.entities.html5.items():
    if len(_char) == 1:
        _NAMED.setdefault(_char, []).append(_name)
# A run of base64 letters (either alphabet) long enough to hold a credential, with its padding.
_B64_RUN = re.compile(r"[A-Za-z0-9+/_-]{8,}={0,2}")
_B64_MIN_SECRET = 4  # bytes: shorter secrets have no base64 spelling of their own to look for


def weak(secret: str) -> bool:
    return len(secret) < WEAK


def _hex(value: int, width: int) -> str:
    """`value` in hex, either case per digit: `2[bB]`."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{value:0{width}x}")


def spellings(char: str) -> list[str]:
    """Regex pieces for every way one character may be written in text a server sends back."""
    forms = [re.escape(char)]
    utf8 = char.encode("utf-8", "surrogatepass")
    forms.append("".join(f"%{_hex(b, 2)}" for b in utf8))
    if char == " ":
        forms.append(r"\+")
    units = char.encode("utf-16-be", "surrogatepass")
    forms.append("".join(rf"\\[uU]{_hex(int.from_bytes(units[i : i + 2], 'big'), 4)}" for i in range(0, len(units), 2)))
    if char in _ESCAPES:
        forms.append(re.escape(_ESCAPES[char]))
    forms.append(rf"&#0*{ord(char)}(?![0-9]);?")
    forms.append(rf"&#[xX]0*{_hex(ord(char), 1)}(?![0-9a-fA-F]);?")
    forms += [re.escape("&" + name) for name in sorted(_NAMED.get(char, ()), key=len, reverse=True)]
    return forms


def _spelled(secret: str) -> str:
    return "".join(f"(?:{'|'.join(spellings(c))})" for c in secret)


def _escaped_token_chars(extra: str = "") -> list[str]:
    return [form for c in _TOKEN_CHARS + extra for form in spellings(c)[1:]]


def _fixed_lookbehinds() -> str:
    """Not after a token character in an escaped spelling: Python's look-behind is fixed-width, so one
    per width of the spellings' literal texts (enumerated: a hex digit in either case, leading zeros)."""
    texts: set[str] = set()
    for c in _TOKEN_CHARS:
        utf8 = c.encode()
        for upper in (False, True):
            h = "".join(f"%{b:02X}" if upper else f"%{b:02x}" for b in utf8)
            texts |= {
                h,
                (f"\\u{ord(c):04X}" if upper else f"\\u{ord(c):04x}"),
                f"&#x{ord(c):X};" if upper else f"&#x{ord(c):x};",
            }
        texts |= {f"&#{ord(c)};", *(f"&{n}" for n in _NAMED.get(c, ()) if n.endswith(";"))}
        if c in _ESCAPES:
            texts.add(_ESCAPES[c])
    by_width: dict[int, list[str]] = {}
    for text in texts:
        by_width.setdefault(len(text), []).append(re.escape(text))
    return "".join(f"(?<!{'|'.join(sorted(alts))})" for _, alts in sorted(by_width.items()))


# After a character that is not a token's, or after an escape (`%20t`: the escape ends in a hex digit,
# which is a token character as written), but never after an escaped token character.
_WEAK_BEFORE = rf"(?:(?<=%[0-9A-Fa-f]{{2}})|(?<=\\[uU][0-9A-Fa-f]{{4}})|{_BEFORE})" + _fixed_lookbehinds()
_WEAK_AFTER = rf"(?![A-Za-z0-9\-._~+/=]|{'|'.join(_escaped_token_chars('='))})"


def _pattern(secret: str) -> re.Pattern[str]:
    spelled = _spelled(secret)
    return re.compile(f"{_WEAK_BEFORE}{spelled}{_WEAK_AFTER}" if weak(secret) else spelled)


def _cores(secret: bytes) -> list[str]:
    """The base64 letters that spell `secret` wherever it starts (3 offsets), whatever surrounds it."""
    cores = []
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + secret).decode()
        first = -(-8 * offset // 6)  # the first letter made of the secret's bits only
        last = (8 * (offset + len(secret))) // 6  # one past the last such letter
        core = encoded[first:last]
        cores += [core, core.translate(_URLSAFE)] if core else []
    return cores


_URLSAFE = str.maketrans("+/", "-_")
_MEMO_MAX_CHARS, _MEMO_ENTRIES = 256, 8192  # what a Redactor remembers: short values, a bounded number
# And the last few long ones: a reproduction masks one request body three times (the curl line, the
# body as text, its base64), and scanning a 1 MB body costs milliseconds where comparing it costs microseconds.
_RECENT_LONG = 4


class Redactor:
    """Replaces secret values with placeholders such as `$FAXPLUS_TOKEN`.

    >>> Redactor({"s3cr3t-token": "$FAXPLUS_TOKEN"}).text("Bearer s3cr3t-token")
    'Bearer $FAXPLUS_TOKEN'
    >>> Redactor({"t": "$FAXPLUS_TOKEN"}).text("status: Bearer t, ?access_token=t")
    'status: Bearer $FAXPLUS_TOKEN, ?access_token=$FAXPLUS_TOKEN'
    >>> Redactor({"s3cr3t-token": "$FAXPLUS_TOKEN"}).text("%73%33cr3t%2Dtoken &#x73;3cr3t-token")
    '$FAXPLUS_TOKEN $FAXPLUS_TOKEN'
    >>> Redactor({"s3cr3t-token": "$T"}).text("QmVhcmVyIHMzY3IzdC10b2tlbg==")  # base64("Bearer s3cr3t-token")
    'QmVhcmVyICRU'
    """

    def __init__(self, secrets: Mapping[str, str]) -> None:
        # Longest first, so a secret that contains another is replaced whole.
        self._secrets = sorted(((s, p) for s, p in secrets.items() if s), key=lambda sp: -len(sp[0]))
        self._compiled: list[tuple[re.Pattern[str], str]] | None = None  # on first need: compiling costs ~ms
        # A secret can only be spelled without itself appearing through an escape (`%`, `\\`, `&`) or,
        # where it holds a space, a `+`.
        self._escapes = "%\\&" + ("+" if any(" " in s for s, _ in self._secrets) else "")
        encoded = [(s.encode("utf-8", "surrogatepass"), s) for s, _ in self._secrets]
        self._b64 = [(raw, s) for raw, s in encoded if len(raw) >= _B64_MIN_SECRET]
        self._cores = [core for raw, s in self._b64 if not weak(s) for core in _cores(raw)]
        self._any_weak = any(weak(s) for _, s in self._b64)
        # A run masks the same short strings thousands of times (header names and values, Error
        # codes, ids): a pure function of the value, so each is worked out once.
        self._seen: dict[str, str] = {}
        self._long: dict[str, str] = {}  # the last `_RECENT_LONG` long values masked, oldest first

    def text(self, value: str) -> str:
        if not self._secrets:
            return value
        if len(value) > _MEMO_MAX_CHARS:
            return self._long_masked(value)
        masked = self._seen.get(value)
        if masked is None:
            if len(self._seen) >= _MEMO_ENTRIES:
                self._seen.clear()
            masked = self._seen[value] = self._masked(value)
        return masked

    def _long_masked(self, value: str) -> str:
        masked = self._long.pop(value, None)  # popped and put back: the most recent is kept longest
        if masked is None:
            masked = self._masked(value)
            if len(self._long) >= _RECENT_LONG:
                del self._long[next(iter(self._long))]
        self._long[value] = masked
        return masked

    def _masked(self, value: str) -> str:
        if self._b64 and (self._any_weak or any(core in value for core in self._cores)):
            value = _B64_RUN.sub(self._unbase64, value)
        return self._plain(value)

    def _plain(self, value: str) -> str:
        if not any(c in value for c in self._escapes) and not any(s in value for s, _ in self._secrets):
            return value  # no secret as written, and no escape that could spell one
        for pattern, placeholder in self._patterns():
            value = pattern.sub(placeholder, value)
        return value

    def _patterns(self) -> list[tuple[re.Pattern[str], str]]:
        if self._compiled is None:
            self._compiled = [(_pattern(s), p.replace("\\", "\\\\")) for s, p in self._secrets]
        return self._compiled

    def _unbase64(self, match: re.Match[str]) -> str:
        """One base64 run, decoded from its start: masked and encoded again if it holds a secret."""
        run = match.group()
        letters = run.rstrip("=")
        urlsafe = "-" in letters or "_" in letters
        if (urlsafe and ("+" in letters or "/" in letters)) or len(letters) % 4 == 1:
            return run  # not base64
        if not self._any_weak and not any(core in letters for core in self._cores):
            return run
        altchars = b"-_" if urlsafe else None
        try:
            decoded = base64.b64decode(letters + "=" * (-len(letters) % 4), altchars=altchars, validate=True)
        except (binascii.Error, ValueError):
            return run
        if not any(raw in decoded for raw, _ in self._b64):
            return run
        text = decoded.decode("utf-8", "surrogateescape")
        masked = self._plain(text)
        if masked == text or (_is_weak_only(self, decoded) and not _printable(text)):
            return run  # a short secret inside binary noise is noise, not the secret
        again = base64.b64encode(masked.encode("utf-8", "surrogateescape"), altchars=altchars).decode()
        return again if run.endswith("=") or len(letters) % 4 == 0 else again.rstrip("=")

    def bytes(self, value: bytes) -> bytes:
        return self.text(value.decode("utf-8", "surrogateescape")).encode("utf-8", "surrogateescape")

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        out = {}
        for name, value in headers.items():
            value = self.text(value)
            if name.lower() in SECRET_HEADERS and "$FAXPLUS_" not in value and value not in MADE_UP:
                value = "[redacted]"  # a secret we were not told about (e.g. a generated token)
            out[self.text(name)] = value
        return out

    def any(self, value: Any) -> Any:
        """Deep-redact a JSON-like value (keys too: a server may echo a secret as a key)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bytes):
            return self.bytes(value)
        if isinstance(value, dict):
            return {self.text(k) if isinstance(k, str) else k: self.any(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.any(v) for v in value]
        return value


def _is_weak_only(redactor: Redactor, decoded: bytes) -> bool:
    """Only short secrets occur in `decoded` (a long one is never an accident)."""
    return not any(raw in decoded for raw, s in redactor._b64 if not weak(s))


def _printable(text: str) -> bool:
    return text.isprintable() or all(c.isprintable() or c in "\t\r\n" for c in text)
