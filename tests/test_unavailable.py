"""Temporary unavailability (RFC 9110 §15.6.4): a 503 with Retry-After is waited out within --max-wait
like a 429; past the budget the run ends incomplete (exit 2), never with a contract fail; a 503
without Retry-After is the server error it is (a fail)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from conftest import run_cli
from helpers.selections import REGISTERS

from conformance.contract import vendored
from conformance.judge import Kind, Verdict, run_checks
from conformance.mock import MockServer
from conformance.mock._reply import Reply
from conformance.send import RateLimited, Sender
from conformance.send._politeness import wait_asked
from conformance.target import Target

VENDORED = vendored()  # the contract these tests judge by

TOKEN = "unavailable-token-3b9"
VALID = b'{"target": "https://hooks.example.com/fax", "event": "fax_received"}'


class Unavailable(MockServer):
    """Answers the first `n` POSTs with 503 (and `retry` as Retry-After, if any), then is faithful."""

    def __init__(self, n: int, retry: str | None) -> None:
        super().__init__(token=TOKEN)
        self.n, self.retry, self.seen = n, retry, 0
        self._lock = threading.Lock()

    def respond(self, request):  # type: ignore[no-untyped-def]
        with self._lock:
            self.seen += 1
            down = request.method == "POST" and self.seen <= self.n
        if down:
            headers = {"Retry-After": self.retry} if self.retry is not None else {}
            return Reply(503, b'{"error": "unavailable", "description": "deploying"}', headers=headers)
        return super().respond(request)


def _post(target: Target) -> object:
    sender = Sender(target)
    headers = {"Content-Type": "application/json", **target.auth_headers()}
    try:
        return sender, sender.send("POST", target.hooks_url, headers, VALID)
    finally:
        sender.close()


def test_a_503_with_retry_after_is_waited_out() -> None:
    with Unavailable(2, "0") as server:
        sender, exchange = _post(Target(base_url=server.url, token=TOKEN, max_wait=5))
    assert exchange.status == 200  # type: ignore[attr-defined]
    assert sender.budget.throttled == 2  # type: ignore[attr-defined]
    assert run_checks(exchange, Kind.VALID, VENDORED) == []  # type: ignore[arg-type]


def test_a_503_past_the_budget_stops_sending() -> None:
    with Unavailable(10**9, "1") as server, pytest.raises(RateLimited, match="503.*--max-wait"):
        _post(Target(base_url=server.url, token=TOKEN, max_wait=1.5))


def test_a_503_without_retry_after_is_a_server_error_fail() -> None:
    with Unavailable(1, None) as server:
        sender, exchange = _post(Target(base_url=server.url, token=TOKEN, max_wait=5))
    assert exchange.status == 503  # type: ignore[attr-defined]
    assert sender.budget.throttled == 0  # type: ignore[attr-defined]
    verdicts = {v.check: v.verdict for v in run_checks(exchange, Kind.VALID, VENDORED)}  # type: ignore[arg-type]
    assert verdicts.get("no-server-error") is Verdict.FAIL


@pytest.mark.parametrize(
    ("status", "header", "wait"),
    [(503, "3", 3.0), (503, "Wed, 21 Oct 2015 07:28:00 GMT", 0.0), (503, "soon", None), (503, None, None),
     (429, None, 1.0), (429, "soon", 1.0), (500, "3", None), (200, "3", None)],
)  # fmt: skip
def test_which_answers_ask_to_wait(status: int, header: str | None, wait: float | None) -> None:
    assert wait_asked(status, header) == wait


def test_a_run_against_an_outage_ends_incomplete_not_failing(tmp_path: Path) -> None:
    # The preflight gets a 503 too (not an error: it registers nothing); the suite then waits out its budget.
    # REGISTERS: valid Webhooks, each a contract fail if its 503 were judged instead of waited out.
    with Unavailable(10**9, "1") as server:
        result = run_cli(
            "run", "--base-url", server.url, "--no-html", "--timeout", "1", "--max-wait", "2", "--output-dir", tmp_path,
            "-k", REGISTERS, env={"FAXPLUS_TOKEN": TOKEN},
        )  # fmt: skip
    assert result.returncode == 2, result.output[-2000:]
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "stopped sending" in lines[0] and "503" in lines[0], result.stderr
    data = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert [f for f in data["findings"] if f["verdict"] == "fail"] == []
    assert data["counts"]["not_sent"] > 0
