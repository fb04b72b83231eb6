"""Status policy: for each Kind of case, which answers pass, warn or fail.

This table is the suite's reading of the contract where the contract is silent; the README
quotes it. 5xx answers are judged by the `no-server-error` check, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._expectation import Kind
from ._verdict import Category, Verdict


@dataclass(frozen=True)
class StatusRule:
    statuses: str  # "200", "2xx", "400 422", "*" (any other)
    verdict: Verdict
    category: Category
    reason: str

    def matches(self, status: int) -> bool:
        for token in self.statuses.split():
            if token == "*" or token == str(status) or (token.endswith("xx") and token[0] == str(status)[0]):
                return True
        return False


P, W, F = Verdict.PASS, Verdict.WARN, Verdict.FAIL
C = Category

_SUCCESS = StatusRule("200", P, C.WRONG_STATUS, "registered with 200 as documented")

POLICY: dict[Kind, tuple[StatusRule, ...]] = {
    Kind.VALID: (
        _SUCCESS,
        StatusRule("2xx", F, C.WRONG_STATUS, "success must be 200, the only documented success status"),
        StatusRule("4xx", F, C.VALID_REJECTED, "a realistic, schema-valid Webhook was rejected"),
        StatusRule("*", F, C.WRONG_STATUS, "undocumented status for a valid Webhook"),
    ),
    Kind.VALID_EDGE: (
        _SUCCESS,
        StatusRule("2xx", F, C.WRONG_STATUS, "success must be 200, the only documented success status"),
        StatusRule("4xx", W, C.SPEC_GAP, "server is stricter than the schema on an exotic value"),
        StatusRule("*", F, C.VALID_REJECTED, "a schema-valid Webhook got an undocumented status"),
    ),
    # Clients generated from the contract handle 400 only: 422 is as wrong as any other status.
    Kind.INVALID: (
        StatusRule("400", P, C.WRONG_STATUS, "rejected with 400 as documented"),
        StatusRule("2xx", F, C.INVALID_ACCEPTED, "a payload that breaks the Webhook schema was accepted"),
        StatusRule("*", F, C.WRONG_STATUS, "an invalid Webhook must be rejected with 400, the documented status"),
    ),
    Kind.NOT_JSON: (
        StatusRule("400", P, C.WRONG_STATUS, "rejected with 400 as documented"),
        StatusRule("2xx", F, C.INVALID_ACCEPTED, "a body that holds no Webhook in any reading was accepted"),
        StatusRule("*", F, C.WRONG_STATUS, "a body that is not JSON must be rejected with 400, the documented status"),
    ),
    # RFC 8259 §9 lets a parser accept extensions: accepting their evident reading is lenient, not wrong.
    Kind.LENIENT: (
        StatusRule("400", P, C.WRONG_STATUS, "rejected with 400 as documented"),
        StatusRule("2xx", W, C.LENIENT_PARSING, "accepted a non-JSON extension form of a valid Webhook (RFC 8259 §9)"),
        StatusRule("*", F, C.WRONG_STATUS, "a body that is not JSON must be rejected with 400, the documented status"),
    ),
    Kind.NO_BODY: (
        StatusRule("400", P, C.WRONG_STATUS, "rejected with 400"),
        StatusRule(
            "411 415 422", W, C.SPEC_GAP, "rejected with an undocumented status (the spec does not require a body)"
        ),
        StatusRule("2xx", F, C.INVALID_ACCEPTED, "a request without a Webhook was accepted"),
        StatusRule("*", F, C.WRONG_STATUS, "a request without a body must be rejected with 400"),
    ),
    Kind.WRONG_MEDIA_TYPE: (
        StatusRule("400", P, C.WRONG_STATUS, "rejected with 400"),
        StatusRule("415 422", W, C.SPEC_GAP, "rejected with an undocumented but reasonable status"),
        StatusRule(
            "2xx",
            W,
            C.SPEC_GAP,
            "accepted JSON declared as text/plain: lenient, the contract lists only application/json",
        ),
        StatusRule("*", F, C.WRONG_STATUS, "a wrong content type must be rejected with 400 (or 415)"),
    ),
    Kind.NO_CREDENTIALS: (
        StatusRule("401 403", P, C.AUTH, "refused without credentials"),
        StatusRule("2xx", F, C.AUTH, "accepted a request without credentials: the operation requires a token"),
        StatusRule("*", W, C.SPEC_GAP, "refused without credentials, with a status other than 401/403"),
    ),
    Kind.WRONG_CREDENTIALS: (
        StatusRule("401 403", P, C.AUTH, "refused a token it never issued"),
        StatusRule("2xx", F, C.AUTH, "accepted a token it never issued: credentials are not checked"),
        StatusRule("*", W, C.SPEC_GAP, "refused a wrong token, with a status other than 401/403"),
    ),
    Kind.REFUSED_CREDENTIALS: (
        StatusRule("401 403", P, C.AUTH, "refused a credential that is not a bearer token it issued"),
        StatusRule("2xx", F, C.AUTH, "accepted a credential that must be refused"),
        StatusRule("*", W, C.SPEC_GAP, "refused a bad credential, with a status other than 401/403"),
    ),
    Kind.CREDENTIALS_VARIANT: (
        _SUCCESS,
        StatusRule("2xx", F, C.WRONG_STATUS, "success must be 200, the only documented success status"),
        StatusRule(
            "4xx", W, C.SPEC_GAP, "refused the right token under `bearer`: RFC 7235 makes auth schemes case-insensitive"
        ),
        StatusRule("*", F, C.WRONG_STATUS, "undocumented status for a valid Webhook with the right token"),
    ),
    # A stack may refuse these before the handler runs (413, 415, 431): any 4xx holds, never a 5xx or silence.
    Kind.OVER_LIMITS: (
        StatusRule("400", P, C.WRONG_STATUS, "rejected with 400 as documented"),
        StatusRule("4xx", W, C.SPEC_GAP, "refused with an undocumented status (413, 415, 431 are RFC 9110's own)"),
        StatusRule("2xx", F, C.INVALID_ACCEPTED, "a request from which no valid Webhook can be read was accepted"),
        StatusRule("*", F, C.WRONG_STATUS, "a request past common limits must be refused with a 4xx"),
    ),
    Kind.LIMITS_ENVELOPE: (
        _SUCCESS,
        StatusRule(
            "4xx", P, C.WRONG_STATUS, "refused an envelope past common limits (431 or 400: a stack's own limit)"
        ),
        StatusRule("2xx", F, C.WRONG_STATUS, "success must be 200, the only documented success status"),
        StatusRule("*", F, C.WRONG_STATUS, "a valid Webhook past common header limits gets 200 or a 4xx"),
    ),
    # RFC 9110 §5.3: a sender must not repeat a header that is not a list; what a recipient makes of
    # one is left to it (Node, Go and Starlette read the first line). Refusing is right, reading one
    # line is tolerated, crashing is not.
    Kind.REPEATED_HEADER: (
        StatusRule("4xx", P, C.WRONG_STATUS, "refused a header that may appear once, sent twice (RFC 9110 §5.3)"),
        StatusRule(
            "200",
            W,
            C.SPEC_GAP,
            "accepted a header that may appear once, sent twice: RFC 9110 §5.3 leaves which line counts to "
            "the recipient, and a proxy in front may read the other one",
        ),
        StatusRule("2xx", F, C.WRONG_STATUS, "success must be 200, the only documented success status"),
        StatusRule("*", F, C.WRONG_STATUS, "a repeated header must be refused with a 4xx (or the Webhook registered)"),
    ),
}


def judge_status(kind: Kind, status: int) -> StatusRule:
    for rule in POLICY[kind]:
        if rule.matches(status):
            return rule
    raise AssertionError(f"policy for {kind} has no catch-all")
