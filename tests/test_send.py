"""Sending: curl replay lines, redaction, the Sender's credentials, preflight and cleanup."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess

import httpx
import pytest

from conformance.contract import vendored
from conformance.mock import FAULTS, MockServer, Reply
from conformance.send import Exchange, Redactor, Sender, TargetHanging, cleanup, curl, preflight
from conformance.suite._operation import operation_of
from conformance.target import Target, UsageError

VALID = {"target": "https://hooks.example.com/fax", "event": "fax_received"}
TOKEN = "tok-SECRET-abc123"
CLIENT_ID = "cid-SECRET-xyz789"
REDACTOR = Redactor({TOKEN: "$FAXPLUS_TOKEN", CLIENT_ID: "$FAXPLUS_CLIENT_ID"})
needs_curl = pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")


def sent(body: bytes | None, url: str = "http://127.0.0.1:8080/v3/hooks") -> Exchange:
    headers = {
        "User-Agent": "python-httpx/0.28",
        "Content-Type": "application/json",
        "Authorization": f"Bearer {TOKEN}",
        "x-fax-clientid": CLIENT_ID,
    }
    return Exchange("POST", url, headers, body)


def target_for(server: MockServer, **changes: object) -> Target:
    return Target(**{"base_url": server.url, "token": server.token, "timeout": 5.0, **changes})


def replay(line: str, env: dict[str, str]) -> int:
    """Run a curl line with bash; the HTTP status of its (-i) output."""
    proc = subprocess.run(["bash", "-c", line], env={**os.environ, **env}, capture_output=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    status_line = proc.stdout.split(b"\r\n", 1)[0].decode()
    assert status_line.startswith("HTTP/"), proc.stdout[:200]
    return int(status_line.split()[1])


# --- curl lines ---------------------------------------------------------------------------------


def test_curl_line_shape():
    line = curl(sent(json.dumps(VALID).encode()), REDACTOR)
    assert TOKEN not in line and CLIENT_ID not in line
    assert '-H "Authorization: Bearer $FAXPLUS_TOKEN"' in line
    assert '-H "x-fax-clientid: $FAXPLUS_CLIENT_ID"' in line
    assert "User-Agent" not in line
    words = shlex.split(line)
    assert words[:6] == ["curl", "-sS", "-i", "-X", "POST", "http://127.0.0.1:8080/v3/hooks"]
    headers = [words[i + 1] for i, word in enumerate(words) if word == "-H"]
    assert headers == [
        "Content-Type: application/json",
        "Authorization: Bearer $FAXPLUS_TOKEN",
        "x-fax-clientid: $FAXPLUS_CLIENT_ID",
    ]
    assert words[-2:] == ["--data-binary", json.dumps(VALID)]


def test_curl_line_without_body_has_no_data():
    line = curl(Exchange("POST", "http://127.0.0.1:8080/v3/hooks", {}, None), REDACTOR)
    assert "--data-binary" not in line
    assert shlex.split(line) == ["curl", "-sS", "-i", "-X", "POST", "http://127.0.0.1:8080/v3/hooks"]


def test_curl_line_quotes_a_body_with_single_quotes():
    body = json.dumps({**VALID, "target": "https://a.example/it's"}).encode()
    assert shlex.split(curl(sent(body), REDACTOR))[-1] == body.decode()


def test_curl_line_uses_ansi_c_quoting_for_non_utf8():
    line = curl(sent(b'{"target": "\xff\xfe"}'), REDACTOR)
    assert line.endswith("""--data-binary $'{"target": "\\xff\\xfe"}'""")


def test_curl_line_escapes_control_characters():
    line = curl(sent(b'{"numbers": ["+12135550123\n"]}'), REDACTOR)
    assert "\\x0a" in line and "\n" not in line


@needs_curl
@pytest.mark.parametrize(
    "body",
    [
        json.dumps(VALID).encode(),
        json.dumps({**VALID, "event": "it's unknown"}).encode(),
        json.dumps({**VALID, "numbers": ["+12135550123\n"]}).encode(),
        b'{"target": "\xff\xfe", "event": "fax_sent"}',
        '{"target": "https://b\u00fccher.example/\u2603", "event": "fax_sent"}'.encode(),
    ],
    ids=["valid", "quote", "newline", "not-utf8", "unicode"],
)
def test_curl_line_replays_the_same_request(mock, body):
    target = target_for(mock, client_id=CLIENT_ID)
    sender = Sender(target)
    try:
        exchange = sender.send(
            "POST", target.hooks_url, {"Content-Type": "application/json", **target.auth_headers()}, body
        )
    finally:
        sender.close()
    line = curl(exchange, Redactor(target.secrets))
    assert mock.token not in line
    replayed = replay(line, {"FAXPLUS_TOKEN": mock.token, "FAXPLUS_CLIENT_ID": CLIENT_ID})
    assert replayed == exchange.status
    original, again = list(mock.requests)[-2:]
    assert again.body == original.body == body
    assert again.header("authorization") == f"Bearer {mock.token}"
    assert again.header("x-fax-clientid") == CLIENT_ID


@needs_curl
def test_curl_line_replays_a_token_full_of_shell_characters():
    token = "t$HOME`id`\"q\"'s'\\x"
    with MockServer(port=0, token=token) as server:
        exchange = Exchange(
            "POST",
            f"{server.url}/hooks",
            {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
            json.dumps(VALID).encode(),
        )
        line = curl(exchange, Redactor({token: "$FAXPLUS_TOKEN"}))
        assert replay(line, {"FAXPLUS_TOKEN": token}) == 200
        assert replay(line, {"FAXPLUS_TOKEN": "wrong"}) == 401


# --- redaction ----------------------------------------------------------------------------------


def test_redactor_text_and_bytes():
    assert REDACTOR.text(f"Bearer {TOKEN} for {CLIENT_ID}") == "Bearer $FAXPLUS_TOKEN for $FAXPLUS_CLIENT_ID"
    assert REDACTOR.bytes(f"x{TOKEN}x{TOKEN}".encode()) == b"x$FAXPLUS_TOKENx$FAXPLUS_TOKEN"
    assert REDACTOR.text("nothing secret") == "nothing secret"


def test_redactor_replaces_the_longer_secret_whole():
    redactor = Redactor({"abc": "$SHORT", "abcdef": "$LONG", "": "$EMPTY"})
    assert redactor.text("abcdef abc") == "$LONG $SHORT"


def test_redactor_headers_replace_known_and_redact_unknown_auth():
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "X-Fax-ClientId": CLIENT_ID,
        "Cookie": "session=generated",
        "Proxy-Authorization": "Basic Z2VuZXJhdGVk",
        "X-Echo": f"seen {TOKEN}",
        "Content-Type": "application/json",
    }
    assert REDACTOR.headers(headers) == {
        "Authorization": "Bearer $FAXPLUS_TOKEN",
        "X-Fax-ClientId": "$FAXPLUS_CLIENT_ID",
        "Cookie": "[redacted]",
        "Proxy-Authorization": "[redacted]",
        "X-Echo": "seen $FAXPLUS_TOKEN",
        "Content-Type": "application/json",
    }
    assert REDACTOR.headers({"authorization": "Bearer generated-by-schemathesis"}) == {"authorization": "[redacted]"}


def test_redactor_any_goes_deep():
    # Values are redacted at any depth; keys are the suite's own schema (field and header names)
    # and stay as they are, so a short secret can never mangle a summary's structure.
    value = {"k": [f"a {TOKEN}", (CLIENT_ID, 1, None), {"b": TOKEN.encode()}], "n": 2.5, "ok": True}
    assert REDACTOR.any(value) == {
        "k": ["a $FAXPLUS_TOKEN", ["$FAXPLUS_CLIENT_ID", 1, None], {"b": b"$FAXPLUS_TOKEN"}],
        "n": 2.5,
        "ok": True,
    }
    assert TOKEN not in json.dumps(REDACTOR.any({"k": [TOKEN]}))


# --- the Sender ---------------------------------------------------------------------------------


def generated_case():
    """A case whose generation put its own credentials and cookie on it."""
    headers = {"Authorization": "Bearer generated", "X-Fax-ClientId": "generated-client", "Cookie": "a=b"}
    return operation_of(vendored()).Case(body=VALID, media_type="application/json", headers=headers)


def test_sender_replaces_generated_credentials_with_the_targets(mock):
    sender = Sender(target_for(mock, client_id=CLIENT_ID))
    try:
        exchange = sender.send_case(generated_case())
    finally:
        sender.close()
    assert exchange.status == 200
    sent_headers = {k.lower(): v for k, v in exchange.request_headers.items()}
    assert sent_headers["authorization"] == f"Bearer {mock.token}"
    assert sent_headers["x-fax-clientid"] == CLIENT_ID
    assert "cookie" not in sent_headers and "x-schemathesis-testcaseid" not in sent_headers
    (received,) = mock.requests
    assert received.header("authorization") == f"Bearer {mock.token}"
    assert received.header("x-fax-clientid") == CLIENT_ID
    assert received.header("cookie") is None
    assert json.loads(received.body) == VALID


@pytest.mark.parametrize(("authenticate", "expected"), [(False, None), ("other-token", "Bearer other-token")])
def test_sender_never_sends_generated_credentials(mock, authenticate, expected):
    sender = Sender(target_for(mock))
    try:
        exchange = sender.send_case(generated_case(), authenticate=authenticate)
    finally:
        sender.close()
    assert exchange.status == 401
    (received,) = mock.requests
    assert received.header("authorization") == expected
    assert received.header("x-fax-clientid") is None


def test_sender_raw_body_and_content_type_override(mock):
    sender = Sender(target_for(mock))
    try:
        exchange = sender.send_case(generated_case(), body=b"{not json", content_type="text/plain")
        no_body = sender.send_case(generated_case(), body=None)
    finally:
        sender.close()
    assert exchange.status == 400 and exchange.request_body == b"{not json"
    first, second = mock.requests
    assert first.header("content-type") == "text/plain" and first.body == b"{not json"
    assert no_body.status == 400 and no_body.request_body is None
    assert not second.body and second.header("content-type") is None  # no body, so no Content-Type either


def test_sender_records_a_connect_error():
    with MockServer(port=0) as server:
        target = target_for(server)
    sender = Sender(target)  # the server is gone: nothing listens on its port any more
    try:
        exchange = sender.send("POST", target.hooks_url, {}, b"{}")
    finally:
        sender.close()
    assert exchange.error == "connect" and exchange.status is None


def test_sender_stops_after_repeated_timeouts():
    invalid = json.dumps({**VALID, "event": "nope"}).encode()
    valid = json.dumps(VALID).encode()
    with MockServer(port=0, fault=FAULTS["hang-on-invalid"]) as server:
        target = target_for(server, timeout=0.2)
        headers = {"Content-Type": "application/json", **target.auth_headers()}
        sender = Sender(target)
        try:
            statuses = [sender.send("POST", target.hooks_url, headers, body) for body in (invalid, invalid, valid)]
            assert [e.error for e in statuses] == ["timeout", "timeout", None]  # an answer resets the count
            assert not sender.hanging
            for _ in range(3):
                assert sender.send("POST", target.hooks_url, headers, invalid).error == "timeout"
            assert sender.hanging
            with pytest.raises(TargetHanging):
                sender.send("POST", target.hooks_url, headers, valid)
        finally:
            sender.close()


# --- preflight ----------------------------------------------------------------------------------


def test_preflight_passes_and_registers_nothing(mock):
    preflight(target_for(mock))
    assert len(mock.requests) == 1
    assert httpx.get(f"{mock.url}/hooks", headers={"Authorization": f"Bearer {mock.token}"}).json() == {"data": []}


def test_preflight_refuses_a_wrong_token_without_printing_it(mock):
    with pytest.raises(UsageError) as refused:
        preflight(target_for(mock, token=TOKEN))
    assert "401" in str(refused.value) and "FAXPLUS_TOKEN" in str(refused.value)
    assert TOKEN not in str(refused.value)


def test_preflight_explains_a_404(mock):
    with pytest.raises(UsageError, match="404"):
        preflight(target_for(mock, base_url=mock.url + "/accounts"))


# --- cleanup ------------------------------------------------------------------------------------


def register(server: MockServer, count: int) -> list[str]:
    with httpx.Client(headers={"Authorization": f"Bearer {server.token}"}) as c:
        return [c.post(f"{server.url}/hooks", json=VALID).json()["id"] for _ in range(count)]


def test_cleanup_deletes_what_was_registered_and_nothing_else(mock):
    (someone_elses,) = register(mock, 1)
    ours = register(mock, 3)
    report = cleanup(target_for(mock), [*ours, ours[0]])  # a duplicate id is deleted once
    assert sorted(report.deleted) == sorted(ours)
    assert report.failed == {}
    assert report.verified is True
    assert report.leftovers == []
    assert [hook["id"] for hook in mock.store.all()] == [someone_elses]
    assert report.as_dict() == {
        "deleted": 3,
        "failed": {},
        "leftovers": [],
        "undeleted": [],
        "unaddressable": {},
        "verified": True,
        "error": None,
        "earlier_runs": {},
    }


def test_cleanup_reports_what_it_could_not_delete():
    class Sticky(MockServer):
        def respond(self, request):
            if request.method == "DELETE":
                return Reply(503, b'{"error": "unavailable", "description": "try later"}')
            return super().respond(request)

    with Sticky(port=0) as server:
        ids = register(server, 2)
        report = cleanup(target_for(server), ids)
    assert report.deleted == []
    assert report.failed == {hook_id: "HTTP 503" for hook_id in ids}
    assert report.verified is True
    assert sorted(report.leftovers) == sorted(ids)


def test_cleanup_of_nothing_sends_nothing(mock):
    report = cleanup(target_for(mock), [])
    assert (report.deleted, report.leftovers, report.verified) == ([], [], False)
    assert len(mock.requests) == 0


def test_the_registered_id_is_that_of_a_2xx_webhook_id_only() -> None:
    def answered(status: int, body: bytes) -> Exchange:
        exchange = Exchange("POST", "http://127.0.0.1/hooks", {}, b"{}")
        exchange.status, exchange.response_body = status, body
        return exchange

    assert answered(200, b'{"id": "h1"}').registered_id == "h1"
    assert answered(201, b'{"id": "h2"}').registered_id == "h2"  # any 2xx may have registered
    assert answered(400, b'{"id": "h3"}').registered_id is None
    assert answered(200, b'{"id": 5}').registered_id is None
    assert answered(200, b"not json").registered_id is None
