"""Framing: how an answer travels, beyond its status, headers and body.

Framing and connection handling are the server's choice under HTTP/1.1 (RFC 9112): chunked or
Content-Length, a content coding the client accepts, interim (1xx) answers before the final one,
HTTP/1.0 with the body ended by closing, closing the connection with or without saying so.
A conformant client copes with every combination; a Variant picks one, a Fault may break one.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Framing:
    chunked: bool = False  # Transfer-Encoding: chunked instead of Content-Length
    gzip: bool = False  # Content-Encoding: gzip when the request's Accept-Encoding allows it
    close: bool = False  # `Connection: close` on every answer, then close
    drop_idle: bool = False  # close after every answer without announcing it (an idle-timeout of 0)
    interim_continue: bool = True  # answer `Expect: 100-continue` with `100 Continue` before the body
    # Content codings offered, best first: the answer takes the one the request's Accept-Encoding ranks highest.
    encodings: tuple[str, ...] = ()
    early_hints: bool = False  # `103 Early Hints` (RFC 8297) before every final answer
    http10: bool = False  # HTTP/1.0 answers: `Connection: close`, no Content-Length, the body ends at the close
    # A fault, not a choice: refuses credentials from the headers alone, before reading the body, and
    # keeps the connection, so that body is read as the next request (RFC 9112 §9.3 wants it closed).
    refuse_unread: bool = False

    @property
    def offered(self) -> tuple[str, ...]:
        return self.encodings or (("gzip",) if self.gzip else ())


FAITHFUL = Framing()
