"""Diagnosis by mechanism (issue 20, items 5-7): one line per server behaviour, its root causes under
it; a lenient-parsing warn only where the server evidently parses; a group counts exchanges.

The servers are built the way such servers are built, not from the fault catalogue: a mock that
validates nothing and checks no credentials (as Mockoon serves a spec), and one that runs the
contract's schema through an Ajv-style parser with fastify's defaults (`coerceTypes`,
`removeAdditional`). Both listen on 127.0.0.1; the runs are in-process.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import conformance
from conformance.contract import vendored
from conformance.json_body import strict_json
from conformance.judge import (
    CaseResult,
    Category,
    Kind,
    Ledger,
    Reproduction,
    Verdict,
    Violation,
    diagnose,
)
from conformance.mock import FAULTS, MockServer
from conformance.mock._reply import Reply, json_reply
from conformance.rules import Rule

VENDORED = vendored()  # the contract these tests judge by

TOKEN = "mechanism-token-5e0"


def run(server: MockServer, out: Path) -> dict[str, Any]:
    target = conformance.Target(base_url=server.url, token=TOKEN, output_dir=out, shrink_budget=0, timeout=2)
    return conformance.run(target).as_dict()


def fail_lines(data: dict[str, Any]) -> list[str]:
    """The top-level fail lines a report prints: each mechanism, then each group no mechanism claims."""
    mechanisms = [m["mechanism"] for m in data["mechanisms"] if m["verdict"] == "fail"]
    alone = [g["title"] for g in data["groups"] if g["verdict"] == "fail" and not g["mechanism"]]
    return mechanisms + alone


class AcceptsAnything(MockServer):
    """Answers every POST /hooks 200 with a fresh id, whatever the body and the credentials."""

    def respond(self, request):  # type: ignore[no-untyped-def]
        if request.method == "POST" and request.path.split("?")[0].endswith("/hooks"):
            return json_reply(200, {"id": self.store.add({"target": "https://x.example.com", "event": "fax_sent"})})
        return super().respond(request)


class AjvDefaults(MockServer):
    """Validates with the contract's schema after what Ajv does under fastify's defaults: unknown
    properties removed, scalars coerced to the declared type (a string wrapped into an array, a
    one-item array unwrapped, numbers and booleans to strings)."""

    def respond(self, request):  # type: ignore[no-untyped-def]
        if request.method == "POST" and request.body:
            body = strict_json(request.body)  # JSON.parse: no NaN, no comments
            if isinstance(body, dict):
                request = request.with_body(json.dumps(_ajv(body)).encode())
        return super().respond(request)


def _ajv(body: dict[str, Any]) -> dict[str, Any]:
    known = set(VENDORED.webhook_properties)
    body = {k: v for k, v in body.items() if k in known}  # removeAdditional: "all"-style
    for key in ("target", "event", "id"):
        value = body.get(key)
        if isinstance(value, list) and len(value) == 1:
            value = value[0]
        if isinstance(value, int | float | bool) and not isinstance(value, bool | None):
            value = str(value)
        if key in body:
            body[key] = value
    numbers = body.get("numbers")
    if isinstance(numbers, str | int | float) and not isinstance(numbers, bool):
        numbers = [numbers]
    if isinstance(numbers, list):
        numbers = [str(n) if isinstance(n, int | float) and not isinstance(n, bool) else n for n in numbers]
        body["numbers"] = numbers
    return body


def test_a_server_that_validates_nothing_and_ignores_credentials_is_two_lines(tmp_path: Path) -> None:
    with AcceptsAnything(token=TOKEN) as server:
        data = run(server, tmp_path)
    assert data["exit_code"] == 1
    lines = fail_lines(data)
    assert lines[:2] == ["validates-nothing", "ignores-credentials"], lines
    assert len(lines) <= 2, lines
    # Nothing parsed: no lenient-parsing warn of its own (it is part of "validates nothing").
    lenient = [g for g in data["groups"] if g["category"] == "lenient parsing" and not g["mechanism"]]
    assert lenient == []


def test_an_ajv_parser_with_fastify_defaults_is_two_mechanisms(tmp_path: Path) -> None:
    with AjvDefaults(token=TOKEN) as server:
        data = run(server, tmp_path)
    assert data["exit_code"] == 1
    lines = fail_lines(data)
    assert set(lines) == {"coerces-types", "drops-unknown-properties"}, lines
    coerced = next(m for m in data["mechanisms"] if m["mechanism"] == "coerces-types")
    assert "across" in coerced["title"] and "properties" in coerced["title"]


def test_a_lenient_parser_that_refuses_broken_json_keeps_its_warn(tmp_path: Path) -> None:
    with MockServer(token=TOKEN, fault=FAULTS["lenient-json5-parser"]) as server:
        data = run(server, tmp_path)
    lenient = [g for g in data["groups"] if g["category"] == "lenient parsing"]
    assert lenient and all(g["mechanism"] is None for g in lenient), data["mechanisms"]
    assert data["exit_code"] == 0


def result(kind: Kind, status: int, *violations: Violation, family: str = "f") -> CaseResult:
    rep = Reproduction("curl", "POST", "http://x/hooks", {}, "{}", status, {}, "{}")
    return CaseResult("t", family, kind, violations, rep)


def test_a_group_counts_exchanges_not_second_opinions() -> None:
    ledger = Ledger()
    ours = Violation("status", Verdict.FAIL, Category.INVALID_ACCEPTED, "200 for an invalid request", cause="c")
    second = Violation("schemathesis", Verdict.FAIL, Category.INVALID_ACCEPTED, "negative accepted", joins=ours.root)
    for _ in range(3):
        ledger.add(result(Kind.INVALID, 200, ours, second))
    (group,) = ledger.groups()
    assert len(group.findings) == 2 and group.occurrences == 3


def test_no_mechanism_without_the_evidence_it_needs() -> None:
    broke = Violation(
        "status",
        Verdict.FAIL,
        Category.INVALID_ACCEPTED,
        "m",
        cause="accepted a Webhook that breaks numbers:type",
        rule=Rule.parse("numbers:type"),
    )
    ledger = Ledger()
    ledger.add(result(Kind.INVALID, 200, broke, family="numbers-not-array"))
    ledger.add(result(Kind.INVALID, 400, family="numbers-empty"))  # it does refuse invalid Webhooks
    # One property with a wrong type accepted is a root cause, not a type-coercing parser.
    assert diagnose(ledger.groups(), ledger.results) == []


def test_a_reply_helper_is_json() -> None:  # guards the stand-in servers above
    assert isinstance(json_reply(200, {"id": "x"}), Reply)


def test_a_wrong_type_is_named_before_what_follows_from_it() -> None:
    from conformance.judge import run_checks
    from conformance.send import Exchange

    exchange = Exchange("POST", "http://x/hooks", {}, b'{"target": "https://a.example.com", "event": ["fax_received"]}')
    exchange.status, exchange.response_headers = 200, {"content-type": "application/json"}
    exchange.response_body = b'{"id": "5f2a"}'
    causes = {v.cause for v in run_checks(exchange, Kind.INVALID, VENDORED) if v.check == "status"}
    assert causes == {"accepted a Webhook that breaks event:type"}  # not event:enum, which it enforces
