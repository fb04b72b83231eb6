"""Checks, status policy, classification, ledger and spec lint, on hand-built Exchanges."""

from __future__ import annotations

import copy
import json

import pytest

from conformance.contract import CONTRACT, Contract
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
    judge_status,
    run_checks,
)
from conformance.judge.lint import run_lints
from conformance.send import Exchange

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
    for v in run_checks(ex, kind):
        if v.check not in worst or v.verdict > worst[v.check].verdict:
            worst[v.check] = v
    return worst


def overall(ex: Exchange, kind: Kind) -> Verdict:
    return max((v.verdict for v in run_checks(ex, kind)), default=Verdict.PASS)


# --- status policy ------------------------------------------------------------------------------


def test_422_for_an_invalid_payload_is_a_warn():
    found = judged(exchange(422), Kind.INVALID)
    assert set(found) == {"status"}
    assert found["status"].verdict is Verdict.WARN


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
    assert run_checks(exchange(401, {"error": "unauthorized"}, content_type="text/plain"), Kind.NO_CREDENTIALS) == []


def test_200_for_wrong_credentials_fails():
    found = judged(exchange(200, WEBHOOK_ID), Kind.WRONG_CREDENTIALS)
    assert found["status"].verdict is Verdict.FAIL
    assert found["status"].category is Category.AUTH


def test_200_with_a_webhook_id_for_a_valid_webhook_passes():
    assert run_checks(exchange(200, WEBHOOK_ID), Kind.VALID) == []


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
    assert run_checks(exchange(400, ERROR, content_type="application/json; charset=utf-8"), Kind.INVALID) == []


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


def test_classify_relabels_a_negative_body_that_is_valid():
    assert classify(VALID, realistic=False) is Kind.VALID_EDGE
    assert classify(json.dumps(VALID).encode(), realistic=False, raw=True) is Kind.VALID_EDGE
    assert classify(VALID, realistic=True) is Kind.VALID


@pytest.mark.parametrize(
    ("body", "raw", "kind"),
    [
        ({**VALID, "numbers": []}, False, Kind.INVALID),
        ({**VALID, "numbers": None}, False, Kind.VALID_EDGE),
        ({**VALID, "numbers": ["+12135550123\n"]}, False, Kind.INVALID),
        (None, True, Kind.NO_BODY),
        (b"{", True, Kind.NOT_JSON),
        (b'{"target": NaN}', True, Kind.NOT_JSON),
        (b"\xff", True, Kind.NOT_JSON),
        (b"[]", True, Kind.INVALID),
    ],
    ids=["empty-numbers", "null-numbers", "trailing-newline", "no-body", "truncated", "nan", "not-utf8", "array"],
)
def test_classify_by_what_was_sent(body, raw, kind):
    assert classify(body, realistic=False, raw=raw) is kind


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
    (finding,) = ledger.findings.values()
    assert (finding.key, finding.verdict, finding.count) == ("numbers-empty::status", Verdict.FAIL, 2)
    assert finding.message == "200"  # the fail's message and reproduction replace the warn's
    assert ledger.verdict is Verdict.FAIL
    assert ledger.families() == {"numbers-empty": {"cases": 3, "pass": 1, "warn": 1, "fail": 1}}


# --- spec lint ----------------------------------------------------------------------------------


def fixed_contract() -> Contract:
    """The vendored contract with the two defects repaired."""
    document = copy.deepcopy(CONTRACT.document)
    document["components"]["schemas"]["Webhook"]["properties"]["numbers"]["items"]["minLength"] = 3
    document["components"]["requestBodies"]["Webhook"]["required"] = True
    return Contract(document)


def test_lint_reports_the_vendored_contract_defects():
    found = {name for name, _ in run_lints()}
    assert {"length-vs-pattern", "optional-request-body"} <= found
    messages = dict(run_lints())
    assert "minLength 2" in messages["length-vs-pattern"]


def test_lint_is_silent_on_a_fixed_contract():
    found = {name for name, _ in run_lints(fixed_contract())}
    assert "length-vs-pattern" not in found
    assert "optional-request-body" not in found
    assert "untyped-schema" in found  # the other defects were left in place
    # the vendored contract itself is untouched by the copy
    assert CONTRACT.document["components"]["schemas"]["Webhook"]["properties"]["numbers"]["items"]["minLength"] == 2
