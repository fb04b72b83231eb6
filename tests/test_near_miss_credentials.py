"""Near misses of the real token: each is refused by the reference, let through by the one fault
that compares tokens the way it names, and never written anywhere a run leaves behind.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import cli_in_process

from conformance.contract import vendored
from conformance.credentials import DERIVED, derived_secrets, token_case_changed, token_prefix
from conformance.mock import FAULTS, MockServer, Request
from conformance.mock._behaviour import bearer_token
from conformance.strategies import CREDENTIALS
from conformance.suite._operation import operation_of
from conformance.target import Target

VENDORED = vendored()  # the contract these tests judge by

TOKEN = "Near-miss-7f3aQ9zK2pLx"
NEAR_MISSES = ("auth-token-suffix", "auth-token-prefix", "auth-token-case", "auth-token-tab-padded",
               "auth-token-tab-separated")  # fmt: skip
# fault → the near misses it lets through (and no other credential probe)
LETS_THROUGH = {
    "token-prefix-accepted": {"auth-token-prefix"},
    "token-suffix-accepted": {"auth-token-suffix"},
    "token-case-insensitive": {"auth-token-case"},
    "token-whitespace-stripped": {"auth-token-tab-padded", "auth-token-tab-separated"},
}


def _mock(fault: str | None) -> MockServer:
    mock = MockServer(token=TOKEN, fault=FAULTS[fault] if fault else None)
    mock._httpd.server_close()  # only respond() is used
    return mock


def _status(mock: MockServer, authorization: str | None) -> int:
    headers = {"content-type": "application/json"}
    if authorization is not None:
        headers["authorization"] = authorization
    body = json.dumps({"target": "https://example.com/fax", "event": "fax_sent"}).encode()
    return mock.respond(Request("POST", "/v3/hooks", headers, body)).status


def test_every_near_miss_differs_from_the_token_and_must_be_refused() -> None:
    for name in NEAR_MISSES:
        credential = CREDENTIALS[name]
        assert credential.refused, name
        assert credential.authorization(TOKEN) != f"Bearer {TOKEN}", name
        assert bearer_token(credential.authorization(TOKEN)) != TOKEN, name


@pytest.mark.parametrize("fault", LETS_THROUGH)
def test_each_comparison_fault_lets_through_its_near_miss_only(fault: str) -> None:
    reference, mock = _mock(None), _mock(fault)
    accepted = set()
    for credential in CREDENTIALS:
        header = credential.authorization(TOKEN)
        if credential.query:
            continue
        expected = 200 if not credential.refused else 401
        assert _status(reference, header) == expected, credential.name
        if _status(mock, header) == 200 and credential.refused:
            accepted.add(credential.name)
    assert accepted == LETS_THROUGH[fault]
    assert _status(mock, f"Bearer {TOKEN}") == 200
    assert _status(mock, "Bearer not-the-token") == 401


def test_derived_tokens_are_secrets_of_the_target() -> None:
    secrets = Target(base_url="http://127.0.0.1:1/v3", token=TOKEN).secrets
    assert secrets[TOKEN] == "$FAXPLUS_TOKEN"
    assert secrets[token_prefix(TOKEN)] == DERIVED and secrets[token_case_changed(TOKEN)] == DERIVED
    assert derived_secrets("1234") == {"123": DERIVED}  # no letters: no case to change
    assert derived_secrets("") == {}


def _forms(secret: str) -> list[str]:
    return [secret, quote(secret, safe=""), json.dumps(secret)[1:-1], base64.b64encode(secret.encode()).decode()]


def test_no_derived_token_appears_in_any_artifact(tmp_path: Path) -> None:
    """Against a server that checks no credentials, every near miss is a fail with its reproduction:
    summary.json, summary.md, junit.xml and the Allure results hold them, masked.

    Only the credential probes send a derived token: every form on the default path, and each near
    miss on the OAuth path too (`auth-token-suffix@client-oauth`, beside the placeholder client id);
    the other paths send the same headers."""
    out = tmp_path / "out"
    with MockServer(token=TOKEN, fault=FAULTS["credentials-unchecked"]) as mock:
        result = cli_in_process(
            "run", "--base-url", mock.url, "--timeout", "2", "--no-html", "--output-dir", out,
            "-k", "test_credential_is_judged or client-oauth", env={"FAXPLUS_TOKEN": TOKEN},
        )  # fmt: skip
    assert result.returncode == 1, result.output[-2000:]
    summary = json.loads((out / "summary.json").read_text())
    failed = {f["family"] for f in summary["findings"] if f["verdict"] == "fail"}
    assert set(NEAR_MISSES) | {f"{name}@client-oauth" for name in NEAR_MISSES} <= failed, failed
    files = [p for p in out.rglob("*") if p.is_file()]
    assert any(p.parent.name == "allure-results" for p in files)
    secrets = [TOKEN, token_prefix(TOKEN), token_case_changed(TOKEN)]
    texts = [(p, p.read_bytes().decode("utf-8", "replace")) for p in files]
    texts.append((Path("console"), result.output))
    leaks = [(str(p), s) for p, text in texts for s in secrets for form in _forms(s) if form in text]
    assert leaks == []


def test_a_server_that_remembers_a_connections_credentials_is_caught_on_one_keep_alive_connection() -> None:
    """The right token, then a wrong one, on one connection (`Sender.submit_in_order`): a server that
    authenticates a connection once lets the second through, and the judge fails it."""
    from helpers.wire_servers import Received, WireServer, answer

    from conformance.judge import Kind, run_checks
    from conformance.send import Sender
    from conformance.suite._sent import Sent

    trusted: set[int] = set()

    def remembers(request: Received, sock: object) -> bool:
        if request.header("authorization") == f"Bearer {TOKEN}":
            trusted.add(id(sock))
        answer(sock, 200 if id(sock) in trusted else 401)  # type: ignore[arg-type]
        return True

    example = {"target": "https://hooks.example.com/fax", "event": "fax_sent"}
    with WireServer(remembers) as server:  # type: ignore[arg-type]
        sender = Sender(Target(base_url=server.url, token=TOKEN, timeout=3))
        try:
            operation = operation_of(VENDORED)
            cases = [Sent(example).case(operation), Sent(example, authenticate="never-issued").case(operation)]
            right, wrong = (future.result() for future in sender.submit_in_order(cases))
        finally:
            sender.close()
        assert server.connections == 1
    assert (right.status, wrong.status) == (200, 200)
    verdicts = {str(v.verdict) for v in run_checks(wrong, Kind.WRONG_CREDENTIALS, VENDORED) if v.check == "status"}
    assert verdicts == {"fail"}
