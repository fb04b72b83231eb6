"""Hook address: the one way a server-issued webhook id becomes a URL that carries the real token.

An id comes from the server under test, so it is untrusted input. It is used only as one
percent-encoded path segment under `/hooks/`, and an id that no encoding makes safe is never
requested at all:

- `/` or `\\` would leave the segment (some servers treat a backslash as a slash);
- `.` or `..` (or any run of dots) is a dot segment: httpx normalizes `/hooks/../accounts/self` to
  `/accounts/self`, so the DELETE, with the real token, would reach another resource;
- control characters make httpx raise `InvalidURL`, and a server may cut the path at them;
- more than `MAX_ID_LENGTH` characters is no id a client can be expected to send back.

The URL built is parsed back and must name exactly `/hooks/<segment>`: whatever httpx or a later
version of it normalizes, a request that would reach anything else is refused here.

>>> hook_url("http://127.0.0.1:8080/v3/hooks", "5f2a")
'http://127.0.0.1:8080/v3/hooks/5f2a'
>>> hook_url("http://127.0.0.1:8080/v3/hooks", "a b?c")
'http://127.0.0.1:8080/v3/hooks/a%20b%3Fc'
>>> why_unaddressable("../accounts/self")  # hook_url raises UnaddressableId with this reason
"holds '/'"
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

import httpx

__all__ = ["MAX_ID_LENGTH", "UnaddressableId", "hook_url", "shown_id", "why_unaddressable"]

MAX_ID_LENGTH = 256


class UnaddressableId(ValueError):
    """A server-issued id that cannot be used as one safe path segment: it is never requested."""


def why_unaddressable(hook_id: str) -> str | None:
    """Why `hook_id` cannot be addressed as one path segment, or None when it can."""
    if not hook_id:
        return "is empty"
    if len(hook_id) > MAX_ID_LENGTH:
        return f"is {len(hook_id)} characters long (more than {MAX_ID_LENGTH})"
    for separator in ("/", "\\"):
        if separator in hook_id:
            return f"holds {separator!r}"
    if ".." in hook_id or set(hook_id) == {"."}:
        return "holds a dot segment"
    control = next((c for c in hook_id if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")), None)
    if control is not None:
        return f"holds the control character U+{ord(control):04X}"
    return None


def hook_url(hooks_url: str, hook_id: str) -> str:
    """`hooks_url` + `/` + `hook_id` as one percent-encoded segment; `UnaddressableId` if it cannot be."""
    why = why_unaddressable(hook_id)
    if why is not None:
        raise UnaddressableId(why)
    segment = quote(hook_id, safe="")
    url = f"{hooks_url.rstrip('/')}/{segment}"
    expected = f"{httpx.URL(hooks_url).raw_path.split(b'?')[0].rstrip(b'/').decode()}/{segment}"
    if httpx.URL(url).raw_path.decode() != expected:  # a normalization would send it elsewhere
        raise UnaddressableId("would not stay one path segment")
    return url


def shown_id(hook_id: str, limit: int = 64) -> str:
    """An id as it may be printed: control characters escaped, cut at `limit` characters.

    >>> shown_id("ab\\x1b[2J")
    "'ab\\\\x1b[2J'"
    >>> shown_id("5f2a")
    '5f2a'
    """
    cut = hook_id if len(hook_id) <= limit else f"{hook_id[:limit]}…"
    return cut if why_unaddressable(hook_id) is None and cut.isprintable() else repr(cut)
