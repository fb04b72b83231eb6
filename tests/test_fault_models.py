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
from conformance.strategies import FAMILIES, RawBody

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


# --- inputs that crash real stacks: fault → (family or envelope, the status it answers there) ----------
def send(mock: MockServer, payload: Any, headers: dict[str, str] | None = None) -> Reply:
    if isinstance(payload, RawBody):
        return post(mock, payload.content, {"content-type": payload.content_type or "", **(headers or {})})
    return post(mock, payload, headers)


STACK_FAULTS = {
    "crash-on-deep-nesting": ("body-deep-nesting", 500),
    "crash-on-large-body": ("body-over-64kb", 500),
    "crash-on-huge-number": ("body-huge-numbers", 500),
    "crash-on-many-keys": ("body-many-keys", 500),
    "duplicate-keys-first-wins": ("body-duplicate-keys", 200),
    "lenient-bom": ("body-bom", 200),
    "utf16-detected": ("body-utf16", 200),
    "lenient-control-chars": ("body-control-bytes", 200),
    "any-text-accepted": ("body-foreign-media-type", 200),
}


# What else a fault's parser meets by its nature: `json.loads(bytes)` also skips a BOM and reads bad
# UTF-8 as lone surrogates (both lenient readings); a 64 KB buffer also overflows on 1 MB.
ALSO_MEETS = {"utf16-detected": ("body-bom", "body-invalid-utf8"), "crash-on-large-body": ("body-over-1mb",)}


@pytest.mark.parametrize("fault", STACK_FAULTS)
def test_stack_fault_breaks_on_its_class_only(fault: str, reference: MockServer) -> None:
    family, status = STACK_FAULTS[fault]
    mock = _server(fault)
    examples = FAMILIES[family].examples
    assert all(send(reference, e).status == 400 for e in examples), family
    assert any(send(mock, e).status == status for e in examples), (fault, [send(mock, e).status for e in examples])
    # The rest of the catalogue's examples get what the reference gives them: the fault is this
    # class's, not a general breakage.
    others = [f for f in FAMILIES if f.name not in (family, *ALSO_MEETS.get(fault, ()))]
    differs = [f.name for f in others for e in f.examples if send(mock, e).status != send(reference, e).status]
    assert differs == [], (fault, differs)


def test_large_header_crash_needs_the_large_header_envelopes(reference: MockServer) -> None:
    from conformance.strategies import ENVELOPES

    mock = _server("crash-on-large-headers")
    valid = {"target": "https://example.com/fax", "event": "fax_sent"}
    for name in ("envelope-large-header", "envelope-huge-header"):
        headers = {k.lower(): v for k, v in ENVELOPES[name].headers.items() if v is not None}
        assert send(mock, valid, headers).status == 500
        assert send(reference, valid, headers).status == 200
    assert send(mock, valid, {"authorization": "Bearer " + "A" * 8192}).status == 401  # the 8 KB token probe
