"""Request envelopes: chunked bodies, headers removed (even httpx's defaults), headers set last."""

from __future__ import annotations

import json
import shlex

from helpers.wire_servers import WireServer, keep_alive

from conformance.contract import vendored
from conformance.mock import MockServer
from conformance.send import Redactor, Sender, curl
from conformance.suite._operation import operation_of
from conformance.target import Target

VALID = {"target": "https://hooks.example.com/fax", "event": "fax_received"}
BODY = json.dumps(VALID).encode()


def case():
    return operation_of(vendored()).Case(body=VALID, media_type="application/json")


def sender_for(url: str, token: str = "tok-envelope-123") -> Sender:
    return Sender(Target(base_url=url, token=token, timeout=5.0))


def test_chunked_body_goes_out_chunked_without_content_length():
    with WireServer(keep_alive) as server:
        sender = sender_for(server.url)
        try:
            exchange = sender.send_case(case(), chunked=True)
        finally:
            sender.close()
    (received,) = server.requests
    assert exchange.status == 200
    assert received.chunked and received.body == BODY
    assert received.header("content-length") is None
    sent = {k.lower(): v for k, v in exchange.request_headers.items()}
    assert sent["transfer-encoding"] == "chunked" and "content-length" not in sent
    assert "-H 'Transfer-Encoding: chunked'" in curl(exchange, Redactor({}))


def test_unchunked_body_has_a_content_length():
    with WireServer(keep_alive) as server:
        sender = sender_for(server.url)
        try:
            exchange = sender.send_case(case())
        finally:
            sender.close()
    (received,) = server.requests
    assert not received.chunked and received.header("content-length") == str(len(BODY))
    assert "Transfer-Encoding" not in curl(exchange, Redactor({}))


def test_a_none_header_is_not_sent_even_an_httpx_default():
    with WireServer(keep_alive) as server:
        sender = sender_for(server.url)
        try:
            exchange = sender.send_case(case(), headers={"Accept": None, "User-Agent": None})
            default = sender.send_case(case())
        finally:
            sender.close()
    removed, kept = server.requests
    assert removed.header("accept") is None and removed.header("user-agent") is None
    assert kept.header("accept") == "*/*"  # httpx's default, when not removed
    names = {k.lower() for k in exchange.request_headers}
    assert "accept" not in names and "user-agent" not in names
    assert "accept" in {k.lower() for k in default.request_headers}  # the record shows the defaults sent
    words = shlex.split(curl(exchange, Redactor({})))
    assert "accept:" in words and "user-agent:" in words  # `-H 'accept:'`: curl drops its own default too


def test_request_headers_record_names_as_sent():
    with WireServer(keep_alive) as server:
        sender = sender_for(server.url)
        try:
            exchange = sender.send_case(case(), headers={"X-Odd-CASE": "1"})
        finally:
            sender.close()
    (received,) = server.requests
    assert ("X-Odd-CASE", "1") in received.headers
    assert exchange.request_headers["X-Odd-CASE"] == "1"
    assert [k for k, _ in received.headers] == list(exchange.request_headers)


def test_probe_headers_apply_after_the_credentials():
    with MockServer(port=0) as mock:
        sender = sender_for(mock.url, token=mock.token)
        try:
            basic = sender.send_case(case(), headers={"Authorization": "Basic dXNlcjpwdw=="})
            expect = sender.send_case(case(), headers={"Expect": "100-continue", "Connection": "close"})
        finally:
            sender.close()
        first, second = mock.requests
    assert first.header("authorization") == "Basic dXNlcjpwdw==" and basic.status == 401
    assert second.header("authorization") == f"Bearer {mock.token}"
    assert second.header("expect") == "100-continue" and second.header("connection") == "close"
    assert expect.request_headers["Expect"] == "100-continue"


def test_authenticate_false_and_a_wrong_token():
    with WireServer(keep_alive) as server:
        sender = sender_for(server.url)
        try:
            sender.send_case(case(), authenticate=False)
            sender.send_case(case(), authenticate="wrong")
        finally:
            sender.close()
    none, wrong = server.requests
    assert none.header("authorization") is None
    assert wrong.header("authorization") == "Bearer wrong"
