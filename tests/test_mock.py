"""The reference mock over real HTTP: the contract served faithfully, and faults that break one rule."""

from __future__ import annotations

import contextlib
import fnmatch
import json
import os
import re
import socket
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import run_cli
from schemathesis import GenerationMode

import conformance
from conformance.contract import vendored
from conformance.judge import CHECKS, Category
from conformance.mock import FAULTS, VARIANTS, Fault, Framing, MockServer, Variant
from conformance.registry import Registry
from conformance.rules import Rule
from conformance.strategies import CREDENTIALS, ENVELOPES, FAMILIES, on_envelope, rule_examples

VENDORED = vendored()  # the contract these tests judge by

VALID = {"target": "https://hooks.example.com/fax", "event": "fax_received"}
UNKNOWN_EVENT = {"target": "https://hooks.example.com/fax", "event": "fax_exploded"}
EMPTY_NUMBERS = {**VALID, "numbers": []}
WEBHOOK_ID = re.compile(r"[0-9a-f]{24}")

# Families the suite sends itself (conformance/suite/test_post_hooks.py), besides strategies.FAMILIES.
SUITE_FAMILIES = {
    "valid-webhook",
    "valid-numbers",
    "valid-events",
    "valid-targets",
    "valid-ids",
    "exotic-webhook",
    "surrogate-in-target",
    "no-credentials",
    "wrong-credentials",
    "wrong-media-type",
    "schemathesis-positive",
    "schemathesis-negative",
    "keep-alive-right-token",
    "keep-alive-wrong-token",
    "valid-after-wrong-credentials",
    "valid-after-wrong-media-type",
}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(mock: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=mock.url, headers=auth(mock.token), timeout=5) as c:
        yield c


def assert_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "description"}
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["description"], str) and body["description"]
    assert VENDORED.is_valid("Error", body)
    return body


def test_valid_webhook_gets_200_and_a_webhook_id(client, mock):
    response = client.post("/hooks", json=VALID)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"id"}
    assert WEBHOOK_ID.fullmatch(body["id"])
    assert VENDORED.is_valid("WebhookId", body)
    assert [hook["id"] for hook in mock.store.all()] == [body["id"]]


@pytest.mark.parametrize(
    "body",
    [
        UNKNOWN_EVENT,
        EMPTY_NUMBERS,
        {**VALID, "numbers": ["+0123"]},
        {**VALID, "extra": 1},
        {"target": "https://hooks.example.com/fax"},
        [],
        b"{not json",
        b"\xff\xfe",
        b"",
    ],
    ids=[
        "unknown-event",
        "empty-numbers",
        "leading-zero",
        "extra-key",
        "no-event",
        "array",
        "not-json",
        "not-utf8",
        "empty",
    ],
)
def test_invalid_request_gets_400_and_an_error(client, mock, body):
    if isinstance(body, bytes):
        response = client.post("/hooks", content=body, headers={"Content-Type": "application/json"})
    else:
        response = client.post("/hooks", json=body)
    assert_error(response, 400)
    assert mock.store.all() == []


def test_wrong_media_type_gets_400(client):
    response = client.post(
        "/hooks",
        content=b'{"target": "https://a.example", "event": "fax_sent"}',
        headers={"Content-Type": "text/plain"},
    )
    assert_error(response, 400)


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-the-token"}, {"Authorization": "mock-fixture-token"}],
    ids=["none", "wrong-token", "no-bearer-scheme"],
)
def test_missing_or_wrong_credentials_get_401(mock, headers):
    with httpx.Client(base_url=mock.url, timeout=5) as c:
        assert_error(c.post("/hooks", json=VALID, headers=headers), 401)
        assert_error(c.get("/hooks", headers=headers), 401)
    assert mock.store.all() == []


def test_get_hooks_lists_what_was_registered(client):
    assert client.get("/hooks").json() == {"data": []}
    ids = [client.post("/hooks", json=body).json()["id"] for body in (VALID, {**VALID, "numbers": ["+12135550123"]})]
    listing = client.get("/hooks")
    assert listing.status_code == 200
    hooks = listing.json()["data"]
    assert [hook["id"] for hook in hooks] == ids
    assert hooks[0] == {**VALID, "id": ids[0]}
    assert hooks[1]["numbers"] == ["+12135550123"]


def test_delete_removes_a_hook_then_404(client):
    keep = client.post("/hooks", json=VALID).json()["id"]
    gone = client.post("/hooks", json=VALID).json()["id"]
    assert client.delete(f"/hooks/{gone}").status_code == 200
    assert [hook["id"] for hook in client.get("/hooks").json()["data"]] == [keep]
    assert_error(client.delete(f"/hooks/{gone}"), 404)


def test_v3_prefix_and_bare_paths_both_work(mock):
    assert mock.url.endswith("/v3")
    bare = f"http://127.0.0.1:{mock.port}"
    with httpx.Client(headers=auth(mock.token), timeout=5) as c:
        first = c.post(f"{bare}/v3/hooks", json=VALID)
        second = c.post(f"{bare}/hooks", json=VALID)
        assert first.status_code == second.status_code == 200
        ids = {first.json()["id"], second.json()["id"]}
        assert {hook["id"] for hook in c.get(f"{bare}/hooks").json()["data"]} == ids
        assert {hook["id"] for hook in c.get(f"{bare}/v3/hooks").json()["data"]} == ids
        assert_error(c.get(f"{bare}/v3/accounts/self"), 404)
        assert_error(c.put(f"{bare}/v3/hooks", json=VALID), 405)


# --- faults: exactly one rule broken --------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "broken", "faithful_status", "faulty_status", "untouched", "untouched_status"),
    [
        ("success-201", VALID, 200, 201, UNKNOWN_EVENT, 400),
        ("numbers-min-items-ignored", EMPTY_NUMBERS, 400, 200, UNKNOWN_EVENT, 400),
        ("event-enum-ignored", UNKNOWN_EVENT, 400, 200, EMPTY_NUMBERS, 400),
        ("rejection-409", UNKNOWN_EVENT, 400, 409, VALID, 200),
        ("crash-on-invalid", UNKNOWN_EVENT, 400, 500, VALID, 200),
    ],
)
def test_fault_changes_only_its_rule(mock, fault, broken, faithful_status, faulty_status, untouched, untouched_status):
    with httpx.Client(headers=auth(mock.token), timeout=5) as c:
        assert c.post(f"{mock.url}/hooks", json=broken).status_code == faithful_status
        assert c.post(f"{mock.url}/hooks", json=untouched).status_code == untouched_status
    with MockServer(port=0, fault=FAULTS[fault]) as faulty, httpx.Client(headers=auth(faulty.token), timeout=5) as c:
        assert c.post(f"{faulty.url}/hooks", json=broken).status_code == faulty_status
        assert c.post(f"{faulty.url}/hooks", json=untouched).status_code == untouched_status
        assert c.post(f"{faulty.url}/hooks", json=VALID, headers={"Authorization": "Bearer nope"}).status_code == 401
        assert c.get(f"{faulty.url}/hooks").status_code == 200


def test_success_201_keeps_the_webhook_id_body():
    with MockServer(port=0, fault=FAULTS["success-201"]) as server:
        response = httpx.post(f"{server.url}/hooks", json=VALID, headers=auth(server.token), timeout=5)
    assert response.status_code == 201
    assert WEBHOOK_ID.fullmatch(response.json()["id"])


def test_hang_on_invalid_hangs_only_on_invalid():
    with MockServer(port=0, fault=FAULTS["hang-on-invalid"]) as server:
        with (
            httpx.Client(base_url=server.url, headers=auth(server.token), timeout=0.3) as c,
            pytest.raises(httpx.ReadTimeout),
        ):
            c.post("/hooks", json=UNKNOWN_EVENT)
        with httpx.Client(base_url=server.url, headers=auth(server.token), timeout=5) as c:
            response = c.post("/hooks", json=VALID)
            assert response.status_code == 200
            assert WEBHOOK_ID.fullmatch(response.json()["id"])


# --- the catalogue ------------------------------------------------------------------------------


def test_suite_families_exist_in_the_suite():
    source = (Path(conformance.__file__).parent / "suite" / "test_post_hooks.py").read_text(encoding="utf-8")
    generated = {f"schemathesis-{mode.value}" for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)}
    assert 'family = f"schemathesis-{mode.value}"' in source
    for name in SUITE_FAMILIES - generated:
        assert f'"{name}"' in source, name
    assert generated <= SUITE_FAMILIES


def test_every_fault_is_named_described_and_caught_by_a_real_rule():
    names = [fault.name for fault in FAULTS]
    assert len(names) == len(set(names)) == len(FAULTS) >= 35
    families = set(FAMILIES.names()) | set(ENVELOPES.names()) | set(CREDENTIALS.names()) | SUITE_FAMILIES
    # The covering array's families: every rule's smallest member on every envelope a 4xx is not the right of.
    families |= {
        on_envelope(example.family, envelope.name)
        for envelope in ENVELOPES
        if envelope.is_path
        for example in rule_examples(VENDORED)
    }
    # And every credential form on every path (`test_credential_on_envelope`).
    families |= {on_envelope(c.name, e.name) for e in ENVELOPES if e.is_path for c in CREDENTIALS}
    for fault in FAULTS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", fault.name), fault.name
        assert fault.description.strip(), fault.name
        assert fault.caught_by, fault.name
        for rule in fault.caught_by:
            if Rule.is_id(rule):  # a rule id must name a rule of the contract
                assert VENDORED.rule(rule) in fault.rules, f"{fault.name}: {rule!r}"
                continue
            family, _, check = rule.rpartition("::")
            if "*" in rule:  # a pattern must name some family the suite sends (and a real check)
                assert fnmatch.filter(families, family or rule), f"{fault.name}: {rule!r} matches no family"
                assert not family or check in CHECKS, f"{fault.name}: {rule!r} names no check"
                continue
            assert (family in families and check in CHECKS) if family else rule in families | set(CHECKS), (
                f"{fault.name}: {rule!r} is no family, check or family::check"
            )
        assert fault.schema or fault.stages or fault.reply or fault.wire != Framing(), f"{fault.name} changes nothing"
        assert fault.expect in ("fail", "warn"), fault.name
        assert (fault.category in {str(c) for c in Category}) if fault.expect == "warn" else fault.category is None


def test_a_fault_is_killed_only_by_its_verdict_rule_and_category():
    warn = FAULTS["lenient-json5-parser"]
    finding = {"family": "body-comments", "check": "status", "verdict": "warn", "category": "lenient parsing"}
    assert warn.killed_by(finding)
    assert not warn.killed_by({**finding, "category": "spec gap"})
    assert not warn.killed_by({**finding, "verdict": "fail"})
    assert not warn.killed_by({**finding, "family": "body-truncated"})
    assert (warn.exit_code, FAULTS["invalid-422"].exit_code) == (0, 1)
    # A fault that drops a rule is killed by a finding of that rule, whichever family or path hit it.
    dropped = FAULTS["numbers-pattern-ignored"]
    assert dropped.rules == {VENDORED.rule("numbers/*:pattern")}
    pattern = {"family": "numbers-letters@client-axios", "check": "status", "verdict": "fail", "category": "x"}
    assert dropped.killed_by({**pattern, "rule": "numbers/*:pattern"})
    assert not dropped.killed_by({**pattern, "rule": "numbers/*:maxLength"})
    assert not dropped.killed_by({**pattern, "rule": None})
    assert not dropped.killed_by({**pattern, "rule": "numbers/*:pattern", "verdict": "warn"})
    pinned = FAULTS["crash-kills-connection"]
    assert pinned.covers("event-unknown", "transport")
    assert not pinned.covers("event-case-variant", "transport")
    assert not pinned.covers("event-unknown", "status")
    with pytest.raises(ValueError, match="category"):
        Fault("x", "a warn without its category", frozenset({"status"}), expect="warn")


def test_fault_registry_refuses_duplicate_names():
    registry: Registry[Fault] = Registry("fault")
    registry.register(Fault("x", "one", frozenset({"status"})))
    with pytest.raises(ValueError, match="twice"):
        registry.register(Fault("x", "two", frozenset({"status"})))
    assert registry.names() == ["x"]


# --- envelopes, credentials and lone surrogates: what real clients send ----------------------------


def raw_exchange(server: MockServer, head: str, body: bytes = b"", *, reads: int = 1) -> bytes:
    """Send one hand-written request on a fresh socket; return what arrives until the server closes
    or `reads` answers' worth of bytes came (h11 refuses some headers we need, e.g. `Bearer `)."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n" + body)
        sock.shutdown(socket.SHUT_WR)  # the server sees EOF after this request: it answers, then closes
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
        return data


def post_head(server: MockServer, body: bytes, *extra: str) -> str:
    lines = ["POST /v3/hooks HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", *extra]
    if not any(line.lower().startswith("transfer-encoding") for line in extra):
        lines.append(f"Content-Length: {len(body)}")
    return "\n".join(lines) + "\n"


def test_chunked_request_body_is_read(client, mock):
    body = json.dumps({**VALID, "numbers": ["+12135550123"]}).encode()
    response = client.post("/hooks", content=iter([body[:10], body[10:]]), headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    assert "content-length" not in response.request.headers
    assert mock.requests[-1].header("transfer-encoding") == "chunked"
    assert mock.store.all()[0]["numbers"] == ["+12135550123"]


def test_chunked_body_with_extensions_and_trailers_then_keep_alive(mock):
    body = json.dumps(VALID).encode()
    chunked = b"5;ext=1\r\n" + body[:5] + b"\r\n" + f"{len(body) - 5:x}".encode() + b"\r\n" + body[5:] + b"\r\n"
    head = post_head(mock, body, f"Authorization: Bearer {mock.token}", "Transfer-Encoding: chunked")
    answer = raw_exchange(mock, head, chunked + b"0\r\nX-Trailer: 1\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200 "), answer
    assert len(mock.store.all()) == 1


def test_malformed_chunked_body_gets_400_and_a_closed_connection(mock):
    head = post_head(mock, b"", f"Authorization: Bearer {mock.token}", "Transfer-Encoding: chunked")
    answer = raw_exchange(mock, head, b"zz\r\n{}\r\n0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 400 "), answer
    assert b'"invalid_body"' in answer
    assert mock.store.all() == []


def test_expect_100_continue_works_with_httpx(client, mock):
    response = client.post("/hooks", json=VALID, headers={"Expect": "100-continue"})
    assert response.status_code == 200, response.text
    assert WEBHOOK_ID.fullmatch(response.json()["id"])
    assert client.post("/hooks", json=VALID).status_code == 200  # the connection is still in step


def test_expect_100_continue_gets_an_interim_answer_first(mock):
    body = json.dumps(VALID).encode()
    head = post_head(mock, body, f"Authorization: Bearer {mock.token}", "Expect: 100-continue")
    answer = raw_exchange(mock, head, body)
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 "), answer


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "Bearer"])
def test_bearer_scheme_is_case_insensitive(mock, scheme):
    response = httpx.post(f"{mock.url}/hooks", json=VALID, headers={"Authorization": f"{scheme} {mock.token}"})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    "authorization",
    ["Bearer", "Basic {token}", "Token {token}", "{token}", "Bearer " + "A" * 8192, "Bearer {token}x"],
    ids=["bearer-without-token", "basic", "token-scheme", "no-scheme", "oversized-8k", "token-prefix"],
)
def test_other_credentials_get_401(mock, authorization):
    headers = {"Authorization": authorization.format(token=mock.token)}
    assert_error(httpx.post(f"{mock.url}/hooks", json=VALID, headers=headers, timeout=5), 401)
    assert mock.store.all() == []


def test_empty_bearer_token_gets_401(mock):
    # `Bearer ` with its trailing space: h11 refuses to send it, so by hand.
    body = json.dumps(VALID).encode()
    answer = raw_exchange(mock, post_head(mock, body, "Authorization: Bearer "), body)
    assert answer.startswith(b"HTTP/1.1 401 "), answer
    assert b'"unauthorized"' in answer


def test_token_in_the_query_string_gets_401(mock):
    response = httpx.post(f"{mock.url}/hooks", params={"access_token": mock.token}, json=VALID, timeout=5)
    assert_error(response, 401)


def test_lone_surrogate_target_is_stored_and_listed(client, mock):
    target = "https://hooks.example.com/fax\ud800"
    body = json.dumps({**VALID, "target": target}, ensure_ascii=True).encode("ascii")
    response = client.post("/hooks", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 200, response.text
    listing = client.get("/hooks")
    assert listing.status_code == 200
    assert listing.content.isascii()
    assert [hook["target"] for hook in listing.json()["data"]] == [target]


@pytest.mark.parametrize(
    "body",
    [{**VALID, "event": "\ud800"}, {**VALID, "\udfff": 1}, {**VALID, "numbers": ["+1\udbff"]}],
    ids=["event", "key", "number"],
)
def test_error_echoing_a_lone_surrogate_is_json(client, body):
    raw = json.dumps(body, ensure_ascii=True).encode("ascii")
    response = client.post("/hooks", content=raw, headers={"Content-Type": "application/json"})
    assert_error(response, 400)
    assert response.content.isascii()


def test_a_stage_that_raises_answers_500_and_keeps_serving():
    def explode(request, ctx):
        raise RuntimeError("bug")

    with serving(variant=Variant("exploding", "a bug in a stage", stages={"validate": explode})) as (server, c):
        assert_error(c.post("/hooks", json=VALID), 500)
        assert c.get("/hooks").status_code == 200


def test_fault_and_variant_are_exclusive():
    with pytest.raises(ValueError, match="not both"):
        MockServer(fault=FAULTS["success-201"], variant=VARIANTS["uuid-ids"])


# --- wire: framing and connection handling -----------------------------------------------------------


@contextlib.contextmanager
def serving(**options: Any) -> Iterator[tuple[MockServer, httpx.Client]]:
    """A MockServer with `options` (fault, variant, token) and a client that holds its token."""
    with MockServer(**options) as server, httpx.Client(base_url=server.url, headers=auth(server.token), timeout=5) as c:
        yield server, c


def serve(wire: Framing) -> MockServer:
    return MockServer(variant=Variant(f"wire-{id(wire)}", "a wire under test", wire=wire))


def test_chunked_responses_frame_every_answer():
    with serve(Framing(chunked=True)) as server:
        body = json.dumps(VALID).encode()
        answer = raw_exchange(server, post_head(server, body, f"Authorization: Bearer {server.token}"), body)
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert b"Transfer-Encoding: chunked" in head and b"Content-Length" not in head
        size, _, rest = payload.partition(b"\r\n")
        assert rest[: int(size, 16)].startswith(b'{"id": "') and rest.endswith(b"\r\n0\r\n\r\n")
        with httpx.Client(base_url=server.url, headers=auth(server.token), timeout=5) as c:
            assert [c.post("/hooks", json=VALID).status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.parametrize(("accept", "gzipped"), [("gzip", True), ("gzip, deflate, br", True), ("identity", False)])
def test_gzip_only_when_the_client_accepts_it(accept, gzipped):
    with serve(Framing(gzip=True)) as server, httpx.Client(base_url=server.url, timeout=5) as c:
        response = c.post("/hooks", json=VALID, headers={**auth(server.token), "Accept-Encoding": accept})
        assert response.status_code == 200
        assert (response.headers.get("content-encoding") == "gzip") is gzipped
        assert WEBHOOK_ID.fullmatch(response.json()["id"])


def test_connection_close_is_announced_and_done():
    with serve(Framing(close=True)) as server, httpx.Client(base_url=server.url, timeout=5) as c:
        first = c.post("/hooks", json=VALID, headers=auth(server.token))
        assert first.headers["connection"] == "close"
        assert c.post("/hooks", json=VALID, headers=auth(server.token)).status_code == 200


def test_idle_close_closes_without_announcing_it():
    with serve(Framing(drop_idle=True)) as server:
        body = json.dumps(VALID).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(
                post_head(server, body, f"Authorization: Bearer {server.token}").replace("\n", "\r\n").encode()
            )
            sock.sendall(b"\r\n" + body)
            data = b""
            while chunk := sock.recv(65536):  # returns b"" only because the server closed
                data += chunk
        assert data.startswith(b"HTTP/1.1 200 ") and b"Connection:" not in data


def test_client_connection_close_is_answered_with_connection_close(client):
    response = client.post("/hooks", json=VALID, headers={"Connection": "close"})
    assert response.status_code == 200
    assert response.headers["connection"] == "close"


# --- variants: what each changes ----------------------------------------------------------------------


def test_uuid_ids_variant_registers_under_uuids():
    with serving(variant=VARIANTS["uuid-ids"]) as (server, c):
        hook_id = c.post("/hooks", json=VALID).json()["id"]
        assert str(uuid.UUID(hook_id)) == hook_id
        assert c.delete(f"/hooks/{hook_id}").status_code == 200


def test_rate_limited_variant_answers_429_without_registering():
    with serving(variant=VARIANTS["rate-limited"]) as (server, c):
        statuses = [c.post("/hooks", json=VALID) for _ in range(50)]
    limited = [i + 1 for i, r in enumerate(statuses) if r.status_code == 429]
    assert limited == [25, 50]
    assert {statuses[24].headers["retry-after"], statuses[49].headers["retry-after"]} <= {"0", "1"}
    assert len(server.store.all()) == 48


@pytest.mark.parametrize(
    ("variant", "status", "media"),
    [("problem-json-401", 401, "application/problem+json"), ("forbidden-403", 403, "application/json")],
)
def test_refusal_variants(variant, status, media):
    with MockServer(variant=VARIANTS[variant]) as server:
        response = httpx.post(f"{server.url}/hooks", json=VALID, headers=auth("wrong"), timeout=5)
        assert response.status_code == status
        assert response.headers["content-type"] == media
        assert httpx.post(f"{server.url}/hooks", json=VALID, headers=auth(server.token), timeout=5).status_code == 200


def test_pretty_escaped_variant_is_the_same_json():
    with MockServer(variant=VARIANTS["pretty-escaped-json"]) as server:
        response = httpx.post(f"{server.url}/hooks", json=UNKNOWN_EVENT, headers=auth(server.token), timeout=5)
    assert response.text.startswith('{\n  "\\u0065\\u0072')
    assert_error(response, 400)


# --- the new faults: exactly one rule broken ----------------------------------------------------------

NUMBERS_11 = {**VALID, "numbers": [f"+1213555{i:04d}" for i in range(11)]}
SURROGATE_TARGET = {**VALID, "target": "https://a.example.com/\ud800"}


def post(
    body: Any = VALID,
    *,
    raw: bytes | str | None = None,
    chunked: bool = False,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    drop: tuple[str, ...] = (),
) -> Callable[[MockServer], int]:
    """A POST /hooks with the server's own token (`{token}` in a header or query value stands for it)."""

    def send(server: MockServer) -> int:
        def fill(values: dict[str, str] | None) -> dict[str, str]:
            return {k: v.replace("{token}", server.token) for k, v in (values or {}).items()}

        content = raw if raw is not None else json.dumps(body)  # ASCII: lone surrogates stay escaped
        content = content.encode("latin-1") if isinstance(content, str) else content
        sent = {**auth(server.token), "Content-Type": "application/json", **fill(headers)}
        with httpx.Client(timeout=5) as c:
            request = c.build_request(
                "POST",
                f"{server.url}/hooks",
                headers=sent,
                params=fill(params),
                content=iter([content]) if chunked else content,
            )
            for name in drop:
                request.headers.pop(name, None)
            return c.send(request).status_code

    return send


@pytest.mark.parametrize(
    ("fault", "send", "faithful", "faulty"),
    [
        ("numbers-capped-at-10", post(NUMBERS_11), 200, 400),
        ("numbers-duplicates-rejected", post({**VALID, "numbers": ["+12135550123"] * 2}), 200, 400),
        ("target-query-rejected", post({**VALID, "target": "https://a.example.com/x?a=1"}), 200, 400),
        ("target-port-rejected", post({**VALID, "target": "https://a.example.com:8443/x"}), 200, 400),
        ("target-ip-literal-rejected", post({**VALID, "target": "http://[2001:db8::1]/x"}), 200, 400),
        ("target-length-capped-255", post({**VALID, "target": "https://a.example.com/" + "a" * 250}), 200, 400),
        ("target-scheme-case-sensitive", post({**VALID, "target": "HTTPS://a.example.com/x"}), 200, 400),
        ("id-shape-enforced", post({**VALID, "id": "billing-webhook"}), 200, 400),
        ("fax-page-received-needs-numbers", post({**VALID, "event": "fax_page_received"}), 200, 400),
        ("charset-param-rejected", post(headers={"Content-Type": "application/json; charset=utf-8"}), 200, 400),
        ("accept-header-required", post(drop=("accept",)), 200, 406),
        ("expect-continue-rejected", post(headers={"Expect": "100-continue"}), 200, 417),
        ("chunked-body-rejected", post(chunked=True), 200, 411),
        ("empty-bearer-accepted", post(headers={"Authorization": "Bearer"}), 401, 200),
        ("any-scheme-accepted", post(headers={"Authorization": "Token {token}"}), 401, 200),
        ("query-token-accepted", post(params={"access_token": "{token}"}, drop=("authorization",)), 401, 200),
        ("oversized-token-crash", post(headers={"Authorization": "Bearer " + "A" * 5000}), 401, 500),
        ("bearer-case-sensitive", post(headers={"Authorization": "bearer {token}"}), 200, 401),
        ("invalid-422", post(UNKNOWN_EVENT), 400, 422),
        ("lenient-json5-parser", post(raw="{target: 'https://a.example.com/x', event: 'fax_sent',}"), 400, 200),
        ("lenient-utf8", post(raw='{"target": "https://a.example.com/caf\xe9", "event": "fax_sent"}'), 400, 200),
        ("json-comments-accepted", post(raw="/* hook */" + json.dumps(VALID)), 400, 200),
        ("crash-on-surrogate", post(SURROGATE_TARGET), 200, 500),
        ("surrogate-target-rejected", post(SURROGATE_TARGET), 200, 400),
    ],
)
def test_new_fault_changes_only_its_rule(mock, fault, send, faithful, faulty):
    assert send(mock) == faithful
    with serving(token=mock.token, fault=FAULTS[fault]) as (server, c):
        assert send(server) == faulty
        assert c.post("/hooks", json={**VALID, "numbers": ["+12135550123"]}).status_code == 200
        assert c.post("/hooks", json=EMPTY_NUMBERS).status_code == (422 if fault == "invalid-422" else 400)
        assert c.post("/hooks", json=VALID, headers=auth("nope")).status_code == 401


def test_crash_kills_connection_only_on_an_unknown_event():
    with serving(fault=FAULTS["crash-kills-connection"]) as (server, c):
        assert c.post("/hooks", json=VALID).status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            c.post("/hooks", json=UNKNOWN_EVENT)
        assert c.post("/hooks", json={**VALID, "event": 3}).status_code == 400


# --- the CLI's mock and faults commands --------------------------------------------------------------


def test_faults_variants_lists_the_variant_catalogue():
    result = run_cli("faults", "--variants", timeout=60)
    assert result.returncode == 0, result.output
    listed = [line.split()[0] for line in result.stdout.splitlines()]
    assert listed == VARIANTS.names()
    assert all(
        VARIANTS[name].description in line for name, line in zip(listed, result.stdout.splitlines(), strict=True)
    )


@pytest.mark.parametrize(
    "args",
    [["--variant", "no-such-variant"], ["--fault", "success-201", "--variant", "uuid-ids"]],
    ids=["unknown", "both"],
)
def test_mock_refuses_a_bad_variant_in_one_line(args):
    result = run_cli("mock", "--port", "0", *args, timeout=60)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.output


def test_mock_command_serves_a_variant():
    clean = {k: v for k, v in os.environ.items() if not k.startswith("FAXPLUS_")}
    with subprocess.Popen(
        [sys.executable, "-m", "conformance", "mock", "--port", "0", "--variant", "uuid-ids", "--token", "cli-token"],
        stdout=subprocess.PIPE,
        text=True,
        env=clean,
    ) as proc:
        try:
            assert proc.stdout is not None
            banner = proc.stdout.readline()
            assert "variant: uuid-ids" in banner and "cli-token" not in banner
            url = re.search(r"http://127\.0\.0\.1:\d+/v3", banner).group()  # type: ignore[union-attr]
            response = httpx.post(f"{url}/hooks", json=VALID, headers=auth("cli-token"), timeout=5)
            assert response.status_code == 200
            assert str(uuid.UUID(response.json()["id"])) == response.json()["id"]
        finally:
            proc.terminate()


def test_the_mock_takes_many_connections_at_once() -> None:
    """A client opening 8 connections at once must not see SYNs dropped (a dropped SYN is retried a
    second later, slower than a short deadline). Nothing accepts here, so only the listen backlog
    decides how many handshakes complete: socketserver's default of 5 completes 6."""
    import select

    server = MockServer(port=0)  # bound and listening, never started: nothing accepts
    clients = [socket.socket() for _ in range(16)]
    try:
        for client in clients:
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", server.port))
        _, connected, _ = select.select([], clients, [], 0.5)
        assert len(connected) == len(clients), f"{len(connected)} of {len(clients)} connections completed"
    finally:
        for client in clients:
            client.close()
        server.stop()
