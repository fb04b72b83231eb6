"""Hygiene warns (conformance/judge/_checks.py): an echoed credential, internals in an answer, one id for
two live webhooks, a repeated JSON name. Each must fire on what it names and stay quiet on the answers a
faithful server gives (the fault sweep proves the warn end to end, tests/test_faults.py)."""

from __future__ import annotations

import base64
import time

import pytest

from conformance.contract import vendored
from conformance.judge import Kind, Verdict, run_checks
from conformance.judge._checks import ISSUED, masked_excerpt
from conformance.mock.faults import TRACE
from conformance.send import Exchange

VENDORED = vendored()  # the contract these tests judge by

TOKEN = "hygiene-token-8e2f1a"
URL = "http://127.0.0.1:9/v3/hooks"


def exchange(body: bytes, *, status: int = 400, headers: dict[str, str] | None = None, url: str = URL) -> Exchange:
    return Exchange(
        "POST",
        url,
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
        b'{"target": "https://a.example.com/x", "event": "fax_received"}',
        status=status,
        response_headers={"content-type": "application/json", **(headers or {})},
        response_body=body,
    )


def warns(ex: Exchange, check: str, kind: Kind = Kind.INVALID) -> list[str]:
    found = [v for v in run_checks(ex, kind, VENDORED) if v.check == check]
    assert all(v.verdict is Verdict.WARN for v in found)
    return [v.message for v in found]


FAITHFUL = [
    b'{"error": "invalid_webhook", "description": "target: \'x\' is not a \'uri\'"}',
    b'{"error": "invalid_body", "description": "Request body is not valid JSON"}',
    b'{"error": "invalid_webhook", "description": "Additional properties are not allowed (\'a\' was unexpected)"}',
    b'{"error": "unauthorized", "description": "Missing or invalid access token"}',
    b'{"id": "6048b47181dbe1a7d67fcc98"}',
    b'{\n  "error": "invalid_webhook",\n  "description": "numbers: [] is too short \\u2014 see docs"\n}',
]


@pytest.mark.parametrize("check", ["echoed-credential", "internal-detail", "duplicate-key"])
@pytest.mark.parametrize("body", FAITHFUL)
def test_faithful_answers_get_no_hygiene_warn(check: str, body: bytes) -> None:
    assert warns(exchange(body), check) == []


@pytest.mark.parametrize(
    "echo",
    [
        TOKEN,
        f"Bearer {TOKEN}",
        base64.b64encode(f"x:{TOKEN}".encode()).decode(),
        "".join(f"\\u{ord(c):04x}" for c in TOKEN),
        "".join(f"%{ord(c):02X}" for c in TOKEN),
        "".join(f"&#{ord(c)};" for c in TOKEN),
    ],
    ids=["raw", "bearer", "base64", "json-u", "percent", "html"],
)
def test_an_echoed_credential_is_found_in_any_spelling(echo: str) -> None:
    (message,) = warns(exchange(f'{{"error": "x", "description": "{echo}"}}'.encode()), "echoed-credential")
    assert "Authorization" in message and TOKEN not in message


def test_an_echo_in_a_header_counts_and_a_short_credential_is_no_echo() -> None:
    assert warns(exchange(b"{}", headers={"x-debug-auth": TOKEN}), "echoed-credential")
    short = exchange(b'{"error": "t", "description": "t"}')
    short.request_headers["Authorization"] = "Bearer t"  # a word of ordinary text: never blamed
    assert warns(short, "echoed-credential") == []


@pytest.mark.parametrize(
    ("text", "what"),
    [
        (TRACE, "a Python traceback"),
        ("java.lang.NullPointerException\n\tat com.fax.Hooks.register(Hooks.java:88)", "a Java stack trace"),
        ("Error: boom\n    at register (/srv/app/hooks.js:12:7)", "a Node.js stack trace"),
        ("SQLSTATE[42P01]: Undefined table", "an SQL error"),
        ('ERROR: syntax error at or near "INSERT"', "an SQL error"),
        ("KeyError: 'numbers'", "an internal exception name"),
        ("goroutine 7 [running]:\nmain.register()", "a Go panic"),
    ],
)
def test_internals_are_named(text: str, what: str) -> None:
    import json

    messages = warns(exchange(json.dumps({"error": "x", "description": text}).encode()), "internal-detail")
    assert messages and what in messages[0], messages


def test_the_evidence_of_a_leak_is_masked() -> None:
    body = TRACE + f"\nrequest headers: Authorization: Bearer {TOKEN}"
    ex = exchange(body.encode(), status=500)
    (message,) = warns(ex, "internal-detail")
    assert "db-pass-4c1d" not in message and "a Python traceback" in message
    line = body.splitlines()[-2]
    assert "db-pass-4c1d" not in masked_excerpt(line, 0, len(line), ex)
    last = body.splitlines()[-1]
    assert TOKEN not in masked_excerpt(last, 0, len(last), ex)


def test_an_id_given_to_two_live_webhooks_warns() -> None:
    url = "http://127.0.0.1:7/v3/hooks"  # a server of its own: ids are kept per server
    first, second = exchange(b'{"id": "dup-1"}', status=200, url=url), exchange(b'{"id": "dup-1"}', status=200, url=url)
    first.sent_at = second.sent_at = time.monotonic()  # both left before either answer was judged
    assert warns(first, "id-reuse", Kind.VALID) == []
    (message,) = warns(second, "id-reuse", Kind.VALID)
    assert "dup-1" in message


def test_an_id_reused_after_its_webhook_may_have_been_deleted_is_not_blamed() -> None:
    url = "http://127.0.0.1:8/v3/hooks"
    first = exchange(b'{"id": "7"}', status=200, url=url)
    assert warns(first, "id-reuse", Kind.VALID) == []  # judged now: its delete may follow at once
    later = exchange(b'{"id": "7"}', status=200, url=url)
    later.sent_at = time.monotonic()  # left after the first was judged (SQLite reuses a freed rowid)
    assert warns(later, "id-reuse", Kind.VALID) == []
    assert ISSUED.issued("http://127.0.0.1:8/v3", "8", None) is None


def test_a_repeated_name_warns_at_any_depth() -> None:
    assert warns(exchange(b'{"id": "a", "id": "b"}', status=200), "duplicate-key", Kind.VALID)
    assert warns(exchange(b'{"error": "x", "detail": {"k": 1, "k": 2}}'), "duplicate-key")
    assert warns(exchange(b'{"a": {"id": 1}, "b": {"id": 2}}'), "duplicate-key") == []  # one name per object
    assert warns(exchange(b"not json {"), "duplicate-key") == []


def test_the_reference_mock_and_the_embedded_run_get_no_hygiene_warn(shared_runs) -> None:  # type: ignore[no-untyped-def]
    from helpers.cli_runs import RUNS

    for name in ("reference", "embedded"):
        result = shared_runs(name, RUNS[name])
        hygiene = [f["id"] for f in result.summary()["findings"] if f["check"] in HYGIENE]
        assert hygiene == [], (name, hygiene)


HYGIENE = ("echoed-credential", "internal-detail", "id-reuse", "duplicate-key")
