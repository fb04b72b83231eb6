"""No request body reaches a recursive parser nested deeper than `MAX_NESTING` (conformance/json_body.py).

Python's recursion limit is the process's. A mock or sender thread deep inside a 5,000-deep body when
the main thread lowers that limit (Hypothesis does, each time it ends a draw) does not get a
RecursionError: CPython aborts the whole process ("Cannot recover from stack overflow"), which is how
CI lost xdist workers in the middle of in-process runs. And the mock's answer to a deep body depended
on what the limit happened to be. Both are shown here with a limit far above the default."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import httpx
import pytest
from helpers.counting import VALID

from conformance.json_body import MAX_NESTING, MISSING, deeper_than, parse, strict_json
from conformance.mock import FAULTS, MockServer

TOKEN = "nesting-token"
DEEP = ("[" * 8_000 + "]" * 8_000).encode()
SHALLOW: bytes = VALID
DEEP_UNKNOWN_KEY = SHALLOW[:-1] + b', "x": ' + DEEP + b"}"


@pytest.fixture
def high_limit() -> Iterator[None]:
    """A recursion limit under which Python's json would read 8,000 levels (as during a draw)."""
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        yield
    finally:
        sys.setrecursionlimit(before)


def post(server: MockServer, body: bytes) -> httpx.Response:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    return httpx.post(f"{server.url}/hooks", content=body, headers=headers, timeout=15)


@pytest.mark.usefixtures("high_limit")
def test_a_deep_text_is_refused_without_recursing_whatever_the_limit() -> None:
    assert strict_json(DEEP) is MISSING
    with pytest.raises(RecursionError):
        parse(DEEP.decode())
    at_bound = "[" * MAX_NESTING + "]" * MAX_NESTING
    assert parse(at_bound) is not MISSING and deeper_than(at_bound + at_bound) is False
    assert deeper_than("[" + at_bound + "]") is True
    assert deeper_than('["' + "[" * 1_000 + '"]') is False  # brackets inside a string are not structure


@pytest.mark.usefixtures("high_limit")
@pytest.mark.parametrize("body", [DEEP, DEEP_UNKNOWN_KEY], ids=["deep-array", "deep-unknown-key"])
def test_the_reference_mock_answers_a_deep_body_the_same_under_any_limit(body: bytes) -> None:
    with MockServer(token=TOKEN) as server:
        answer = post(server, body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_body"  # not parsed, then judged: what the default limit gives


@pytest.mark.usefixtures("high_limit")
def test_a_recursive_parser_fault_still_crashes_on_a_deep_body() -> None:
    with MockServer(token=TOKEN, fault=FAULTS["crash-on-deep-nesting"]) as server:
        assert post(server, DEEP).status_code == 500
        assert post(server, SHALLOW).status_code == 200
