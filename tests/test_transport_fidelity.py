"""Transport fidelity: what an HTTP/1.1 server may legally put on the wire reaches the judge as the
answer it means. Content codings the request advertised (RFC 9110 §12.5.3), interim 1xx answers
before the final one (RFC 9110 §15.2), HTTP/1.0 answers whose body ends at the close (RFC 9112 §6.3)."""

from __future__ import annotations

import re
import socket
import time

import pytest
from helpers.wire_servers import (
    OK_BODY,
    Behaviour,
    Received,
    WireServer,
    _read_exactly,
    _read_until,
    answer,
    keep_alive,
)

from conformance.contract import vendored
from conformance.mock import VARIANTS, MockServer
from conformance.mock._codings import COMPRESS, choose
from conformance.send import Exchange, Sender
from conformance.send import _codings as codings
from conformance.strategies import ENVELOPES
from conformance.target import Target

VENDORED = vendored()  # the contract these tests judge by

TOKEN = "fidelity-token-3c9d"
VALID = b'{"target": "https://hooks.example.com/fax", "event": "fax_sent"}'
HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
WEBHOOK_ID = re.compile(r"[0-9a-f]{24}")


def send(server: MockServer | WireServer, headers: dict[str, str | None] | None = None) -> list[Exchange]:
    """Two POSTs through one Sender: the second shows the connection was left in a usable state."""
    sender = Sender(Target(base_url=server.url, token=TOKEN, timeout=3))
    try:
        return [sender.send("POST", f"{server.url}/hooks", {**HEADERS, **(headers or {})}, VALID) for _ in range(2)]
    finally:
        sender.close()


def judged_ok(exchange: Exchange) -> str:
    """The id the judge reads from a 200 WebhookId, or the reason there is none."""
    assert exchange.error is None, exchange.error_detail
    assert exchange.status == 200, (exchange.status, exchange.response_body[:80])
    body = exchange.response_json()
    assert isinstance(body, dict), exchange.response_body[:80]
    return str(body["id"])


# --- content codings ----------------------------------------------------------------------------


def test_every_coding_the_suite_advertises_can_be_decoded() -> None:
    # brotli and zstandard are dependencies: without them a profile's `br` would reach the judge undecoded.
    assert {"gzip", "deflate", "br", "zstd"} <= codings.DECODABLE


@pytest.mark.parametrize(
    ("advertised", "decodable", "sent"),
    [
        ("gzip, compress, deflate, br", {"gzip", "deflate", "br"}, "gzip, deflate, br"),
        ("gzip, compress, deflate, br", {"gzip", "deflate"}, "gzip, deflate"),
        ("br;q=1.0, zstd;q=0.8, gzip;q=0.5", {"gzip"}, "gzip;q=0.5"),
        ("zstd;q=0, gzip", {"gzip"}, "zstd;q=0, gzip"),  # a refusal is always safe to say
        ("*", {"gzip"}, "identity"),  # any coding at all: not ours to promise
        ("compress", {"gzip"}, "identity"),
        ("identity", {"gzip"}, "identity"),
    ],
)
def test_accept_encoding_names_only_what_the_client_decodes(advertised: str, decodable: set[str], sent: str) -> None:
    assert codings.decodable_accept(advertised, frozenset(decodable)) == sent


def test_a_profile_goes_on_the_wire_without_the_codings_httpx_cannot_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    axios = dict(ENVELOPES["client-axios"].headers)
    assert axios["Accept-Encoding"] == "gzip, compress, deflate, br"
    with WireServer(keep_alive) as server:
        first = send(server, axios)[0]
        monkeypatch.setattr(codings, "DECODABLE", frozenset({"identity", "gzip", "deflate"}))  # no brotli here
        second = send(server, axios)[0]
    arrived = [request.header("accept-encoding") for request in server.requests]
    assert arrived == ["gzip, deflate, br"] * 2 + ["gzip, deflate"] * 2
    assert first.request_headers["Accept-Encoding"] == "gzip, deflate, br"  # the Exchange says what was sent
    assert second.request_headers["Accept-Encoding"] == "gzip, deflate"


@pytest.mark.parametrize("coding", ["br", "zstd", "gzip"])
def test_a_compressed_answer_is_judged_decoded(coding: str) -> None:
    compressed = COMPRESS[coding](OK_BODY)
    assert compressed != OK_BODY

    def behaviour(request: Received, sock: socket.socket) -> bool:
        answer(sock, body=compressed, extra=f"Content-Encoding: {coding}\r\n")
        return True

    with WireServer(behaviour) as server:
        exchanges = send(server, {"Accept-Encoding": coding})
    assert [judged_ok(exchange) for exchange in exchanges] == ["h1", "h1"]
    assert exchanges[0].response_headers["content-encoding"] == coding


@pytest.mark.parametrize(
    ("variant", "accept", "coding"),
    [
        ("compressed-br-first", "gzip, compress, deflate, br", "br"),  # axios
        ("compressed-br-first", "gzip, deflate, br, zstd", "br"),
        ("compressed-br-first", "gzip,deflate", "gzip"),  # Java HttpClient
        ("compressed-zstd-first", "gzip, deflate, br, zstd", "zstd"),
        ("compressed-zstd-first", "gzip, deflate, br", "br"),
        ("compressed-zstd-first", "identity", None),  # the Python SDK
    ],
)
def test_a_compressing_variant_answers_the_best_coding_and_is_read(variant: str, accept: str, coding: str) -> None:
    with MockServer(token=TOKEN, variant=VARIANTS[variant]) as mock:
        exchanges = send(mock, {"Accept-Encoding": accept})
    assert all(WEBHOOK_ID.fullmatch(judged_ok(exchange)) for exchange in exchanges)
    assert exchanges[0].response_headers.get("content-encoding") == coding


def test_the_mock_ranks_codings_by_the_clients_weights_first() -> None:
    offered = ("br", "zstd", "gzip")
    assert choose("gzip, br", offered) == "br"
    assert choose("gzip;q=1, br;q=0.3", offered) == "gzip"
    assert choose("br;q=0, *", offered) == "zstd"
    assert choose("br;q=0, zstd;q=0, gzip;q=0", offered) is None
    assert choose("compress, deflate", offered) is None


# --- interim answers (RFC 9110 §15.2) ------------------------------------------------------------


def interim_first(*interims: str, status: int = 200) -> Behaviour:
    """Sends each interim head (`100 Continue`, `103 Early Hints`, ...) in its own write, then the final answer."""

    def behaviour(request: Received, sock: socket.socket) -> bool:
        for head in interims:
            sock.sendall(f"HTTP/1.1 {head}\r\n\r\n".encode())
            time.sleep(0.01)  # each its own read on the client's side
        answer(sock, status=status)
        return True

    return behaviour


def test_100_continue_to_expect_is_not_the_answer() -> None:
    with WireServer(interim_first("100 Continue")) as server:
        exchanges = send(server, {"Expect": "100-continue"})
    assert [judged_ok(exchange) for exchange in exchanges] == ["h1", "h1"]
    assert server.requests[0].header("expect") == "100-continue" and server.requests[0].body == VALID
    assert server.connections == 1  # the interim answer left the connection in step


@pytest.mark.parametrize(
    "interims",
    [
        ("100 Continue",),  # unsolicited: no Expect was sent, still interim
        ("103 Early Hints\r\nLink: </style.css>; rel=preload",),
        ("102 Processing", "103 Early Hints\r\nLink: </a.js>; rel=preload", "100 Continue"),
    ],
    ids=["unsolicited-100", "early-hints-103", "three-interims"],
)
def test_interim_answers_before_the_final_one_are_skipped(interims: tuple[str, ...]) -> None:
    with WireServer(interim_first(*interims)) as server:
        exchanges = send(server)
    assert [judged_ok(exchange) for exchange in exchanges] == ["h1", "h1"]
    assert "link" not in exchanges[0].response_headers  # the final answer's headers, not a hint's
    assert server.connections == 1


def test_the_final_answer_after_an_interim_is_the_one_judged() -> None:
    with WireServer(interim_first("100 Continue", status=401)) as server:
        exchanges = send(server, {"Expect": "100-continue"})
    assert [exchange.status for exchange in exchanges] == [401, 401]


def test_the_early_hints_variant_is_read_as_its_final_answers() -> None:
    with MockServer(token=TOKEN, variant=VARIANTS["interim-early-hints"]) as mock:
        exchanges = send(mock, {"Expect": "100-continue"}) + send(mock)
    assert all(WEBHOOK_ID.fullmatch(judged_ok(exchange)) for exchange in exchanges)


# --- HTTP/1.0 answers (RFC 9112 §6.3: no length, the body ends at the close) ----------------------


LONG_BODY = b'{"id":"h1","note":"' + b"x" * 100_000 + b'"}'


def http10_close_delimited(request: Received, sock: socket.socket) -> bool:
    sock.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n")
    for start in range(0, len(LONG_BODY), 30_000):  # in pieces: the first read is not the whole body
        sock.sendall(LONG_BODY[start : start + 30_000])
        time.sleep(0.01)
    return False  # the close ends the body


def test_an_http10_answer_delimited_by_the_close_is_read_whole() -> None:
    with WireServer(http10_close_delimited) as server:
        exchanges = send(server)
    assert [judged_ok(exchange) for exchange in exchanges] == ["h1", "h1"]
    assert [exchange.response_body for exchange in exchanges] == [LONG_BODY, LONG_BODY]
    assert server.connections == 2  # a closed connection is not reused


def test_an_http10_answer_without_connection_close_is_still_delimited_by_the_close() -> None:
    def behaviour(request: Received, sock: socket.socket) -> bool:
        sock.sendall(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + OK_BODY)
        return False  # HTTP/1.0 without keep-alive: the connection ends with the answer

    with WireServer(behaviour) as server:
        exchanges = send(server)
    assert [judged_ok(exchange) for exchange in exchanges] == ["h1", "h1"]


def test_the_http10_variant_is_read_whole() -> None:
    with MockServer(token=TOKEN, variant=VARIANTS["http10-close-delimited"]) as mock:
        exchanges = send(mock, {"Accept-Encoding": "identity"}) + send(mock)
    assert all(WEBHOOK_ID.fullmatch(judged_ok(exchange)) for exchange in exchanges)
    assert "content-length" not in exchanges[0].response_headers
    assert exchanges[0].response_headers["connection"] == "close"


# --- a connection out of step (issue 20, item 7): blame stays with the request that caused it ----


class EarlyRefuser(WireServer):
    """Refuses a wrong token at once, without reading the body, and keeps the connection open: the
    unread body is then read as the start of the next request, which gets a 400 it did not earn.
    `stray`: also sends a second, unasked-for answer right behind the 401."""

    def __init__(self, stray: bool = False) -> None:
        super().__init__(lambda request, sock: False)
        self.stray = stray

    def _serve(self, sock: socket.socket) -> None:
        buffer = bytearray()
        try:
            while (head := _read_until(sock, buffer, b"\r\n\r\n")) is not None:
                request_line, *lines = head.decode("latin-1").split("\r\n")
                received = Received(request_line.split(" ")[0], request_line, [], b"")
                received.headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines if ":" in line]  # type: ignore[misc]
                self.requests.append(received)
                if not re.fullmatch(r"[A-Z]+ \S+ HTTP/1\.1", request_line):
                    answer(sock, 400, b'{"error":"invalid_request"}')
                elif received.header("authorization") != f"Bearer {TOKEN}":
                    stray = b"HTTP/1.1 400 X\r\nContent-Length: 2\r\n\r\n{}" if self.stray else b""
                    sock.sendall(
                        b"HTTP/1.1 401 X\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}" + stray
                    )
                else:
                    received.body = _read_exactly(sock, buffer, int(received.header("content-length") or 0)) or b""
                    answer(sock)
        except OSError:
            return
        finally:
            sock.close()


def outcomes(server: WireServer, tokens: list[str]) -> list[Exchange]:
    sender = Sender(Target(base_url=server.url, token=TOKEN, timeout=3))
    try:
        return [
            sender.send("POST", f"{server.url}/hooks", {**HEADERS, "Authorization": f"Bearer {token}"}, VALID)
            for token in tokens
        ]
    finally:
        sender.close()


def test_a_refusal_that_left_the_body_unread_does_not_poison_the_next_request() -> None:
    with EarlyRefuser() as server:
        exchanges = outcomes(server, ["wrong", TOKEN, "wrong", TOKEN, TOKEN])
    assert [exchange.status for exchange in exchanges] == [401, 200, 401, 200, 200]
    assert [judged_ok(exchange) for exchange in exchanges[3:]] == ["h1", "h1"]
    assert not any(r.method.startswith("{") for r in server.requests)  # no body was read as a request


def test_an_answer_followed_by_a_stray_one_is_blamed_and_not_read_by_the_next_request() -> None:
    with EarlyRefuser(stray=True) as server:
        exchanges = outcomes(server, ["wrong", TOKEN, TOKEN])
    assert [exchange.status for exchange in exchanges] == [401, 200, 200]
    assert exchanges[0].overrun > 0  # the request whose answer came with more: its connection was closed
    assert [exchange.overrun for exchange in exchanges[1:]] == [0, 0]


def test_bytes_past_a_refusal_are_a_keep_alive_fail_of_the_request_that_got_them() -> None:
    from conformance.judge import Kind, run_checks

    with EarlyRefuser(stray=True) as server:
        exchanges = outcomes(server, ["wrong", TOKEN])
    blamed = [
        v for v in run_checks(exchanges[0], Kind.WRONG_CREDENTIALS, VENDORED) if v.check in ("transport", "keep-alive")
    ]
    assert [(v.check, str(v.verdict)) for v in blamed] == [("keep-alive", "fail")]
    assert "came behind the 401" in blamed[0].message
    assert [v for v in run_checks(exchanges[1], Kind.VALID, VENDORED) if v.check in ("transport", "keep-alive")] == []


def test_bytes_past_a_success_are_a_transport_fail_of_the_request_that_got_them() -> None:
    from conformance.judge import Kind, run_checks
    from conformance.send import Exchange

    exchange = Exchange("POST", "http://x/hooks", {}, b"{}", status=200, overrun=12)
    blamed = [v for v in run_checks(exchange, Kind.VALID, VENDORED) if v.check in ("transport", "keep-alive")]
    assert [(v.check, str(v.verdict)) for v in blamed] == [("transport", "fail")]
    assert "past the answer" in blamed[0].message


# --- one write per small request ------------------------------------------------------------------
@pytest.mark.parametrize(
    ("headers", "chunked", "writes"),
    [
        ({"Content-Type": "application/json"}, False, 1),  # head and body in one segment, as curl sends them
        ({"Content-Type": "application/json", "Expect": "100-continue"}, False, 2),  # the head asks first
        ({"Content-Type": "application/json"}, True, 3),  # head, the chunk, the last chunk: as streamed
    ],
)
def test_a_small_request_leaves_in_one_write_unless_it_streams_or_expects_100(
    monkeypatch: pytest.MonkeyPatch, headers: dict[str, str], chunked: bool, writes: int
) -> None:
    import httpcore._backends.sync as sync_backend

    from conformance.send._wire import Wire

    written: list[bytes] = []
    real = sync_backend.SyncStream.write

    def spy(self: object, buffer: bytes, timeout: float | None = None) -> None:
        written.append(buffer)
        real(self, buffer, timeout)  # type: ignore[arg-type]

    monkeypatch.setattr(sync_backend.SyncStream, "write", spy)
    body = b'{"event":"fax_sent"}'
    with WireServer(keep_alive) as server:
        wire = Wire(1 << 20)
        try:
            for _ in range(2):  # a fresh connection, then the kept one
                written.clear()
                answered = wire.exchange("POST", f"{server.url}/hooks", headers, body, deadline=10, chunked=chunked)
                assert answered.status == 200
                assert [b for b in written if b] and len([b for b in written if b]) == writes, written
        finally:
            wire.close()
    assert [r.body for r in server.requests] == [body, body]
    assert written[0].startswith(b"POST /v3/hooks HTTP/1.1\r\n")
