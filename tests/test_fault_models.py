"""The faults of the newer families, judged in-process: each lets through a member of the family
that names it (where the reference refuses it), and no valid Webhook changes answer.

The fault sweep (`test_faults.py`) proves each is reported by its rule through the real CLI; these
tests pin *why*, request by request, in milliseconds.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from conformance.mock import FAULTS, MockServer, Reply, Request
from strategies import FAMILIES

TOKEN = "model-token-1f2e"


def _server(fault: str | None) -> MockServer:
    mock = MockServer(token=TOKEN, fault=FAULTS[fault] if fault else None)
    mock._httpd.server_close()  # never started: only respond() is used
    return mock


def post(mock: MockServer, body: Any, headers: dict[str, str] | None = None) -> Reply:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    sent = {"content-type": "application/json", "authorization": f"Bearer {TOKEN}", **(headers or {})}
    return mock.respond(Request("POST", "/v3/hooks", sent, raw))


@pytest.fixture(scope="module")
def reference() -> Iterator[MockServer]:
    yield _server(None)


# fault → (its family, how many of the family's examples it lets through at least)
LETS_THROUGH = {
    "numbers-first-items-only": ("numbers-bad-last", 3),
    "numbers-long-lists-sampled": ("numbers-bad-middle", 2),
    "numbers-items-split-on-separators": ("numbers-two-in-one", 6),
}


@pytest.mark.parametrize("fault", LETS_THROUGH)
def test_fault_accepts_what_its_family_sends(fault: str, reference: MockServer) -> None:
    family, at_least = LETS_THROUGH[fault]
    mock = _server(fault)
    accepted = [e for e in FAMILIES[family].examples if post(mock, e).status == 200]
    assert all(post(reference, e).status == 400 for e in FAMILIES[family].examples)
    assert len(accepted) >= at_least, (fault, accepted)


@pytest.mark.parametrize("fault", LETS_THROUGH)
def test_fault_refuses_the_older_families(fault: str) -> None:
    """What the catalogue sent before these families never reaches the fault's blind spot."""
    mock = _server(fault)
    older = ("numbers-bad-among-valid", "numbers-separators", "numbers-whitespace-around", "numbers-too-long")
    for name in older:
        for example in FAMILIES[name].examples:
            assert post(mock, example).status == 400, (fault, name, example)


def test_backtracking_regex_misses_any_deadline_only_on_a_long_run(reference: MockServer) -> None:
    mock = _server("numbers-pattern-backtracking")
    for example in FAMILIES["numbers-long-digit-run"].examples:
        reply = post(mock, example)
        assert reply.status == 400 and reply.delay > 10, example  # far past the suite's 5 s default
        assert post(reference, example).delay == 0
    for name in ("numbers-too-long", "numbers-letters", "numbers-trailing-newline", "numbers-bad-among-valid"):
        for example in FAMILIES[name].examples:
            assert post(mock, example).delay < 0.01, (name, example)
    valid = {"target": "https://example.com/fax", "event": "fax_sent", "numbers": ["+123456789012345"]}
    reply = post(mock, valid)
    assert reply.status == 200 and reply.delay == 0
