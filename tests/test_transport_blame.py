"""Transport errors land on the request that caused them (the Sender's retry of a reused
keep-alive connection that was closed before any answer)."""

from __future__ import annotations

import socket

from helpers.wire_servers import WireServer, answer

from conformance.mock import FAULTS, VARIANTS, MockServer
from conformance.send import Sender
from conformance.target import Target

TOKEN = "blame-token-7e2a"
VALID = b'{"target": "https://hooks.example.com/fax", "event": "fax_sent"}'
UNKNOWN_EVENT = b'{"target": "https://hooks.example.com/fax", "event": "fax_lost"}'
HEADERS = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}


def outcomes(mock: MockServer | WireServer, bodies: list[bytes]) -> list[str]:
    sender = Sender(Target(base_url=mock.url, token=TOKEN, timeout=2))
    try:
        return [
            str(exchange.status or exchange.error)
            for exchange in (sender.send("POST", f"{mock.url}/hooks", dict(HEADERS), body) for body in bodies)
        ]
    finally:
        sender.close()


def one_answer_per_connection() -> object:
    """Answers the first request of a connection, then drops the connection when the next one
    arrives on it: the race of an idle timeout, made deterministic."""
    answered: set[int] = set()

    def behaviour(request: object, sock: socket.socket) -> bool:
        if id(sock) in answered:  # the server keeps every socket object: ids are not reused
            return False
        answered.add(id(sock))
        answer(sock)
        return True

    return behaviour


def test_a_reused_connection_closed_before_any_answer_is_retried_on_a_fresh_one() -> None:
    with WireServer(one_answer_per_connection()) as server:  # type: ignore[arg-type]
        assert outcomes(server, [VALID] * 5) == ["200"] * 5
        assert server.connections == 5  # every request after the first needed a fresh connection


def test_a_server_closing_idle_connections_silently_answers_every_request() -> None:
    with MockServer(token=TOKEN, variant=VARIANTS["idle-close"]) as mock:
        assert outcomes(mock, [VALID] * 20) == ["200"] * 20


def test_a_crash_that_kills_the_connection_is_blamed_on_the_request_that_caused_it() -> None:
    bodies = [VALID, VALID, UNKNOWN_EVENT, VALID, UNKNOWN_EVENT, VALID]
    with MockServer(token=TOKEN, fault=FAULTS["crash-kills-connection"]) as mock:
        runs = [outcomes(mock, bodies) for _ in range(3)]
    assert runs[0] == ["200", "200", "protocol", "200", "protocol", "200"]
    assert runs[0] == runs[1] == runs[2]  # the same findings every run
