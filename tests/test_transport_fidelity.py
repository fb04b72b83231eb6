"""Transport fidelity: what an HTTP/1.1 server may legally put on the wire reaches the judge as the
answer it means. Content codings the request advertised (RFC 9110 §12.5.3), interim 1xx answers
before the final one (RFC 9110 §15.2), HTTP/1.0 answers whose body ends at the close (RFC 9112 §6.3)."""

from __future__ import annotations

import re
import socket

import pytest
from wire_servers import OK_BODY, Received, WireServer, answer, keep_alive

from conformance.mock import VARIANTS, MockServer
from conformance.mock._codings import COMPRESS, choose
from conformance.send import Exchange, Sender
from conformance.send import _codings as codings
from conformance.target import Target
from strategies import ENVELOPES

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
