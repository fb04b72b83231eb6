"""Checks, status policy, classification, ledger and spec lint, on hand-built Exchanges."""

from __future__ import annotations

import copy
import json

import pytest

from conformance.contract import Contract, vendored
from conformance.judge import (
    CHECKS,
    POLICY,
    CaseResult,
    Category,
    Kind,
    Ledger,
    Reproduction,
    Verdict,
    Violation,
    classify,
    exotic,
    judge_status,
    run_checks,
)
from conformance.judge.lint import run_lints
from conformance.send import Exchange

VENDORED = vendored()  # the contract these tests judge by
URL = "http://127.0.0.1:1/v3/hooks"
VALID = {"target": "https://hooks.example.com/fax", "event": "fax_received"}
ERROR = {"error": "invalid_webhook", "description": "event: 'x' is not one of the events"}
WEBHOOK_ID = {"id": "6048b47181dbe1a7d67fcc98"}


def exchange(
    status: int | None, body: object = ERROR, *, content_type: str | None = "application/json", error: str | None = None
) -> Exchange:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return Exchange(
        "POST",
        URL,
        {"Content-Type": "application/json"},
        json.dumps(VALID).encode(),
        status=status,
        response_headers={"content-type": content_type} if content_type else {},
        response_body=raw if status is not None else b"",
        error=error,
        error_detail="no answer within 0.5s (ReadTimeout)" if error == "timeout" else "",
    )


def judged(ex: Exchange, kind: Kind) -> dict[str, Violation]:
    """The worst violation per check."""
    worst: dict[str, Violation] = {}
    for v in run_checks(ex, kind, VENDORED):
        if v.check not in worst or v.verdict > worst[v.check].verdict:
            worst[v.check] = v
    return worst


def overall(ex: Exchange, kind: Kind) -> Verdict:
    return max((v.verdict for v in run_checks(ex, kind, VENDORED)), default=Verdict.PASS)


# --- status policy ------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Kind.INVALID, Kind.NOT_JSON, Kind.LENIENT])
def test_422_for_an_invalid_or_non_json_body_fails(kind):
    # Clients generated from the contract handle 400 only.
    found = judged(exchange(422), kind)
    assert set(found) == {"status"}
    assert found["status"].verdict is Verdict.FAIL
    assert found["status"].category is Category.WRONG_STATUS


def test_accepting_a_lenient_body_is_a_warn_in_its_own_category():
    found = judged(exchange(200, WEBHOOK_ID), Kind.LENIENT)
    assert set(found) == {"status"}
    assert (found["status"].verdict, found["status"].category) == (Verdict.WARN, Category.LENIENT_PARSING)
    assert overall(exchange(400), Kind.LENIENT) is Verdict.PASS


def test_accepting_a_body_with_no_webhook_in_any_reading_fails():
    found = judged(exchange(200, WEBHOOK_ID), Kind.NOT_JSON)
    assert (found["status"].verdict, found["status"].category) == (Verdict.FAIL, Category.INVALID_ACCEPTED)


@pytest.mark.parametrize(
    ("status", "verdict"), [(401, Verdict.PASS), (403, Verdict.PASS), (200, Verdict.FAIL), (400, Verdict.WARN)]
)
def test_a_credential_that_must_be_refused(status, verdict):
    body = WEBHOOK_ID if status == 200 else ERROR
    assert (
        overall(
            exchange(status, body, content_type="text/plain" if status > 400 else "application/json"),
            Kind.REFUSED_CREDENTIALS,
        )
        is verdict
    )


@pytest.mark.parametrize(
    ("status", "verdict"), [(200, Verdict.PASS), (401, Verdict.WARN), (403, Verdict.WARN), (201, Verdict.FAIL)]
)
def test_lower_case_bearer_is_accepted_or_warned(status, verdict):
    body = WEBHOOK_ID if status < 300 else ERROR
    assert overall(exchange(status, body), Kind.CREDENTIALS_VARIANT) is verdict


def test_200_for_an_invalid_payload_fails_as_invalid_accepted():
    found = judged(exchange(200, WEBHOOK_ID), Kind.INVALID)
    assert set(found) == {"status"}
    assert found["status"].verdict is Verdict.FAIL
    assert found["status"].category is Category.INVALID_ACCEPTED
    assert found["status"].category == "invalid payload accepted"


def test_400_for_a_valid_realistic_webhook_fails():
    found = judged(exchange(400), Kind.VALID)
    assert set(found) == {"status"}
    assert found["status"].verdict is Verdict.FAIL
    assert found["status"].category is Category.VALID_REJECTED


def test_400_for_a_valid_edge_webhook_is_a_warn():
    found = judged(exchange(400), Kind.VALID_EDGE)
    assert set(found) == {"status"}
    assert found["status"].verdict is Verdict.WARN
    assert found["status"].category is Category.SPEC_GAP


@pytest.mark.parametrize("kind", list(Kind))
def test_500_fails_through_no_server_error_only(kind):
    found = judged(exchange(500, {"error": "internal_server_error", "description": "boom"}), kind)
    assert set(found) == {"no-server-error"}
    assert found["no-server-error"].verdict is Verdict.FAIL
    assert found["no-server-error"].category is Category.SERVER_ERROR


def test_401_without_credentials_passes():
    assert (
        run_checks(exchange(401, {"error": "unauthorized"}, content_type="text/plain"), Kind.NO_CREDENTIALS, VENDORED)
        == []
    )


def test_200_for_wrong_credentials_fails():
    found = judged(exchange(200, WEBHOOK_ID), Kind.WRONG_CREDENTIALS)
    assert found["status"].verdict is Verdict.FAIL
    assert found["status"].category is Category.AUTH


def test_200_with_a_webhook_id_for_a_valid_webhook_passes():
    assert run_checks(exchange(200, WEBHOOK_ID), Kind.VALID, VENDORED) == []


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("status", [100, 200, 201, 204, 301, 400, 401, 403, 404, 409, 411, 415, 422, 429, 500, 503])
def test_policy_has_a_rule_for_every_kind_and_status(kind, status):
    rule = judge_status(kind, status)
    assert rule in POLICY[kind]
    assert rule.matches(status)


# --- response checks ----------------------------------------------------------------------------


def test_text_plain_on_400_fails_content_type():
    found = judged(exchange(400, ERROR, content_type="text/plain"), Kind.INVALID)
    assert set(found) == {"content-type"}
    assert found["content-type"].verdict is Verdict.FAIL
    assert "text/plain" in found["content-type"].message


def test_json_with_charset_is_application_json():
    assert (
        run_checks(exchange(400, ERROR, content_type="application/json; charset=utf-8"), Kind.INVALID, VENDORED) == []
    )


def test_error_with_an_extra_key_fails_response_schema():
    found = judged(exchange(400, {**ERROR, "code": 400}), Kind.INVALID)
    assert set(found) == {"response-schema"}
    assert found["response-schema"].verdict is Verdict.FAIL
    assert found["response-schema"].category is Category.SCHEMA_MISMATCH


def test_body_that_is_not_json_fails_response_schema():
    found = judged(exchange(400, b"Bad Request"), Kind.INVALID)
    assert found["response-schema"].verdict is Verdict.FAIL
    assert "not JSON" in found["response-schema"].message


def test_error_that_is_a_json_string_is_a_detail_warn():
    found = judged(exchange(400, "oops"), Kind.INVALID)
    assert set(found) == {"response-detail"}  # the letter of the untyped Error schema is met
    assert found["response-detail"].verdict is Verdict.WARN
    assert overall(exchange(400, "oops"), Kind.INVALID) is Verdict.WARN


def test_webhook_id_with_a_numeric_id_fails_response_schema():
    found = judged(exchange(200, {"id": 42}), Kind.VALID)
    assert found["response-schema"].verdict is Verdict.FAIL


def test_timeout_fails_transport():
    found = judged(exchange(None, error="timeout"), Kind.INVALID)
    assert set(found) == {"transport"}
    assert found["transport"].verdict is Verdict.FAIL
    assert found["transport"].category is Category.TRANSPORT
    assert "timeout" in found["transport"].message


def test_every_check_is_registered():
    assert set(CHECKS) >= {
        "transport",
        "no-server-error",
        "status",
        "content-type",
        "response-schema",
        "response-detail",
    }


# --- classification -----------------------------------------------------------------------------


def test_classify_draws_the_realistic_line_by_value():
    assert classify(VALID, VENDORED) is Kind.VALID
    assert classify(json.dumps(VALID).encode(), VENDORED, raw=True) is Kind.VALID
    assert classify({**VALID, "target": ""}, VENDORED) is Kind.VALID_EDGE


HOOK = "https://hooks.example.com"


@pytest.mark.parametrize(
    "target",
    [
        f"{HOOK}:8443/fax",
        f"{HOOK}/a/b/c/d/e/f/fax",
        f"{HOOK}/fax?token=a%20b&next=%2Fdone%3Fok%3D1",
        "http://192.0.2.10:8080/fax",
        "http://[2001:db8::10]:8080/fax",
        "https://xn--bcher-kva.example.com/fax",
        "HTTPS://hooks.example.com/fax",
        f"{HOOK}/fax/",
        HOOK + "/" + "a" * (2048 - len(HOOK) - 1),
    ],
)
def test_realistic_targets(target):
    assert exotic({"target": target, "event": "fax_sent"}) is None


@pytest.mark.parametrize(
    ("webhook", "reason"),
    [
        ({"target": ""}, "not an http(s) URL"),
        ({"target": "myapp"}, "not an http(s) URL"),
        ({"target": "ftp://hooks.example.com/x"}, "not an http(s) URL"),
        ({"target": HOOK + "/" + "a" * 2048}, "longer than 2,048"),
        ({"target": f"{HOOK}/fax\ud800"}, "outside printable"),
        ({"target": "http://127.0.0.1/fax"}, "internal address"),
        ({"target": f"{HOOK}/x", "numbers": ["+12"] * 101}, "more than 100"),
        ({"target": f"{HOOK}/x", "id": "\x00"}, "plain identifier"),
    ],
)
def test_exotic_values(webhook, reason):
    found = exotic({"event": "fax_sent", **webhook})
    assert found is not None and reason in found


@pytest.mark.parametrize(
    ("body", "raw", "kind"),
    [
        ({**VALID, "numbers": []}, False, Kind.INVALID),
        ({**VALID, "numbers": None}, False, Kind.VALID),
        ({**VALID, "numbers": ["+12135550123\n"]}, False, Kind.INVALID),
        (None, True, Kind.NO_BODY),
        (b"{", True, Kind.NOT_JSON),
        (b'{"target": NaN}', True, Kind.NOT_JSON),
        (b"\xff", True, Kind.NOT_JSON),
        (b"[]", True, Kind.INVALID),
        (b'{"target": "https://a.example.com/x", "event": "fax_sent",}', True, Kind.LENIENT),
        (b"{'target': 'https://a.example.com/x', 'event': 'fax_sent'}", True, Kind.LENIENT),
        (b'/* c */ {target: "https://a.example.com/x", event: "fax_sent"}', True, Kind.LENIENT),
        (b'{"target": "https://a.example.com/\xff", "event": "fax_sent"}', True, Kind.LENIENT),
        (b'{"target": "https://a.example.com/\xed\xa0\x80", "event": "fax_sent"}', True, Kind.LENIENT),
        (b'{"target": "https://a.example.com/x", "event": "fax_sent\xff"}', True, Kind.NOT_JSON),
        (b'{"target": "https://a.example.com/x", "event": "fax_sent", "numbers": [NaN]}', True, Kind.NOT_JSON),
        (b'{"target": "https://a.example.com/x\\ud800", "event": "fax_sent"}', True, Kind.VALID_EDGE),
        (b'{"target": "https://a.example.com/x", "event": "\\ud800"}', True, Kind.INVALID),
    ],
    ids=[
        "empty-numbers",
        "null-numbers",
        "trailing-newline",
        "no-body",
        "truncated",
        "nan",
        "not-utf8",
        "array",
        "trailing-comma",
        "single-quotes",
        "comments-unquoted-keys",
        "bad-utf8-in-target",
        "cesu-surrogate-in-target",
        "bad-utf8-in-event",
        "nan-in-numbers",
        "escaped-surrogate-in-target",
        "escaped-surrogate-in-event",
    ],
)
def test_classify_by_what_was_sent(body, raw, kind):
    assert classify(body, VENDORED, raw=raw) is kind


# --- ledger -------------------------------------------------------------------------------------


def result(family: str, *violations: Violation) -> CaseResult:
    return CaseResult("t", family, Kind.INVALID, violations, Reproduction("curl", "POST", URL, {}, None, 400, {}, ""))


def test_ledger_folds_a_rule_into_one_finding_and_a_fail_outranks_a_warn():
    ledger = Ledger()
    warn = Violation("status", Verdict.WARN, Category.WRONG_STATUS, "422")
    fail = Violation("status", Verdict.FAIL, Category.INVALID_ACCEPTED, "200")
    assert len(ledger.add(result("numbers-empty", warn))) == 1
    assert ledger.add(result("numbers-empty", fail)) == []
    ledger.add(result("numbers-empty"))
    ledger.add(result("numbers-empty", warn))
    (finding,) = ledger.findings.values()
    # Occurrences count only the hits of the finding's own verdict: the two warns are not fails.
    assert (finding.key, finding.verdict, finding.count) == ("numbers-empty::status", Verdict.FAIL, 1)
    assert finding.message == "200"  # the fail's message and reproduction replace the warn's
    assert ledger.verdict is Verdict.FAIL
    assert ledger.families() == {"numbers-empty": {"cases": 4, "pass": 1, "warn": 2, "fail": 1}}


def test_findings_with_one_root_cause_are_one_group_across_families():
    ledger = Ledger()
    plain = exchange(400, b"Bad Request", content_type="text/plain")
    for family in ("numbers-empty", "event-unknown", "missing-target"):
        ledger.add(result(family, *run_checks(plain, Kind.INVALID, VENDORED)))
    ledger.add(
        result("valid-webhook", *run_checks(exchange(400, b"nope", content_type="text/plain"), Kind.VALID, VENDORED))
    )
    groups = {g.root: g for g in ledger.groups() if g.verdict is Verdict.FAIL}
    assert set(groups) == {
        "content-type: documented answers with text/plain",
        "response-schema: Error body is not JSON",
        "status: rejected a realistic valid Webhook with 400",
    }
    assert groups["content-type: documented answers with text/plain"].families == [
        "event-unknown",
        "missing-target",
        "numbers-empty",
        "valid-webhook",
    ]
    assert groups["content-type: documented answers with text/plain"].occurrences == 4


def test_invalid_webhooks_accepted_are_grouped_by_the_rule_they_break():
    def accepted(body: dict) -> list[Violation]:
        ex = exchange(200, WEBHOOK_ID)
        ex.request_body = json.dumps(body).encode()
        return run_checks(ex, Kind.INVALID, VENDORED)

    ledger = Ledger()
    ledger.add(result("numbers-letters", *accepted({**VALID, "numbers": ["+1abc"]})))
    ledger.add(result("numbers-separators", *accepted({**VALID, "numbers": ["+1 213"]})))
    ledger.add(result("event-unknown", *accepted({**VALID, "event": "nope"})))
    roots = sorted(g.root for g in ledger.groups())
    assert roots == [
        "status: accepted a Webhook that breaks event:enum",
        "status: accepted a Webhook that breaks numbers/*:pattern",
    ]
    # The cause names the rule, and the group carries it: one identifier, `numbers/*:pattern`.
    rules = {g.rule for g in ledger.groups()}
    assert rules == {VENDORED.rule("event:enum"), VENDORED.rule("numbers/*:pattern")}
    assert {g.as_dict()["rule"] for g in ledger.groups()} == {"event:enum", "numbers/*:pattern"}
    assert {f.as_dict()["rule"] for f in ledger.findings.values() if f.check == "status"} == {
        "event:enum",
        "numbers/*:pattern",
    }


def test_a_status_finding_names_its_rule_only_where_its_cause_does():
    def status_of(kind: Kind, status: int, body: bytes | None) -> Violation:
        ex = exchange(status, WEBHOOK_ID if status == 200 else ERROR)
        ex.request_body = body
        (found,) = [v for v in run_checks(ex, kind, VENDORED) if v.check == "status"]
        return found

    assert status_of(Kind.INVALID, 200, json.dumps({**VALID, "id": 7}).encode()).rule == VENDORED.rule("id:type")
    assert status_of(Kind.NOT_JSON, 200, b"{not json").rule == VENDORED.rule(":json")
    assert status_of(Kind.NO_BODY, 200, None).rule == VENDORED.rule(":body")
    # A valid Webhook refused, or an invalid one refused with the wrong status, concerns no one rule.
    assert status_of(Kind.VALID, 400, json.dumps(VALID).encode()).rule is None
    assert status_of(Kind.INVALID, 409, json.dumps({**VALID, "id": 7}).encode()).rule is None


# --- spec lint ----------------------------------------------------------------------------------


def fixed_contract() -> Contract:
    """The vendored contract with the two defects repaired."""
    document = copy.deepcopy(VENDORED.document)
    document["components"]["schemas"]["Webhook"]["properties"]["numbers"]["items"]["minLength"] = 3
    document["components"]["requestBodies"]["Webhook"]["required"] = True
    return Contract(document)


def test_lint_reports_the_vendored_contract_defects():
    found = {name for name, _ in run_lints(VENDORED)}
    assert {"length-vs-pattern", "optional-request-body"} <= found
    messages = dict(run_lints(VENDORED))
    assert "minLength 2" in messages["length-vs-pattern"]


def test_lint_is_silent_on_a_fixed_contract():
    found = {name for name, _ in run_lints(fixed_contract())}
    assert "length-vs-pattern" not in found
    assert "optional-request-body" not in found
    assert "untyped-schema" in found  # the other defects were left in place
    # the vendored contract itself is untouched by the copy
    assert VENDORED.document["components"]["schemas"]["Webhook"]["properties"]["numbers"]["items"]["minLength"] == 2


@pytest.mark.parametrize(
    ("shape", "where", "rule"),
    [
        ("object", "extra", ":additionalProperties"),
        ("array", "body", ":type"),
        ("object", "body", ":required"),
        ("array", "numbers", "numbers/*:type"),
    ],
)
def test_a_body_nested_past_pythons_limit_is_judged_by_what_its_top_breaks(shape: str, where: str, rule: str) -> None:
    # V8 and Go read 6,000 levels; a server that accepts such a body broke the rule its top breaks.
    from conformance.judge import classify, run_checks
    from conformance.strategies._limits import nested

    body = nested(6000, shape, where)  # type: ignore[arg-type]
    assert classify(body, VENDORED, raw=True) is Kind.INVALID
    accepted = Exchange(
        "POST", "http://x/v3/hooks", {"Content-Type": "application/json"}, body, status=200,
        response_headers={"content-type": "application/json"}, response_body=b'{"id": "6048b47181dbe1a7d67fcc98"}',
    )  # fmt: skip
    causes = {
        (v.cause, v.rule)
        for v in run_checks(accepted, classify(body, VENDORED, raw=True), VENDORED)
        if v.check == "status"
    }
    assert causes == {(f"accepted a Webhook that breaks {rule}", VENDORED.rule(rule))}


@pytest.mark.parametrize(
    "body",
    [
        b"NoMethodError: undefined method\n/app/models/hook.rb:12:in `create'",
        b"from /usr/lib/ruby/3.2.0/json/common.rb:216:in 'parse'",
    ],
)
def test_a_ruby_backtrace_is_internal_detail(body: bytes) -> None:
    from conformance.judge import run_checks

    answer = Exchange(
        "POST", "http://x/v3/hooks", {}, b"{}", status=400, response_headers={"content-type": "text/plain"},
        response_body=body,
    )  # fmt: skip
    shown = [v.message for v in run_checks(answer, Kind.INVALID, VENDORED) if v.check == "internal-detail"]
    assert len(shown) == 1 and "a Ruby backtrace" in shown[0]
