"""The reference mock over real HTTP: the contract served faithfully, and faults that break one rule."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from schemathesis import GenerationMode

import conformance
from conformance.contract import CONTRACT
from conformance.judge import CHECKS
from conformance.mock import FAULTS, Fault, MockServer
from conformance.registry import Registry
from strategies import FAMILIES

VALID = {"target": "https://hooks.example.com/fax", "event": "fax_received"}
UNKNOWN_EVENT = {"target": "https://hooks.example.com/fax", "event": "fax_exploded"}
EMPTY_NUMBERS = {**VALID, "numbers": []}
WEBHOOK_ID = re.compile(r"[0-9a-f]{24}")

# Families the suite sends itself (conformance/suite/test_post_hooks.py), besides strategies.FAMILIES.
SUITE_FAMILIES = {
    "valid-webhook",
    "no-credentials",
    "wrong-credentials",
    "wrong-media-type",
    "schemathesis-positive",
    "schemathesis-negative",
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
    assert CONTRACT.is_valid("Error", body)
    return body


def test_valid_webhook_gets_200_and_a_webhook_id(client, mock):
    response = client.post("/hooks", json=VALID)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"id"}
    assert WEBHOOK_ID.fullmatch(body["id"])
    assert CONTRACT.is_valid("WebhookId", body)
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
    known = set(FAMILIES.names()) | set(CHECKS) | SUITE_FAMILIES
    for fault in FAULTS:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", fault.name), fault.name
        assert fault.description.strip(), fault.name
        assert fault.caught_by, fault.name
        assert fault.caught_by <= known, f"{fault.name}: {sorted(fault.caught_by - known)} is no family or check"
        assert fault.schema or fault.stages or fault.reply, f"{fault.name} changes nothing"


def test_fault_registry_refuses_duplicate_names():
    registry: Registry[Fault] = Registry("fault")
    registry.register(Fault("x", "one", frozenset({"status"})))
    with pytest.raises(ValueError, match="twice"):
        registry.register(Fault("x", "two", frozenset({"status"})))
    assert registry.names() == ["x"]
