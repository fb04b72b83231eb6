"""Checks: small registered functions, each judging one aspect of one exchange.

A check returns the Violations it finds (none means it passed). Adding a check is one
`@check("name")` function; the suite runs every registered check on every exchange.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from conformance.contract import CONTRACT
from conformance.send import NOT_JSON, Exchange, why_unaddressable

from ._expectation import MISSING, Kind, strict_json
from ._policy import judge_status
from ._verdict import Category, Verdict, Violation

Check = Callable[[Exchange, Kind], Iterable[Violation]]
CHECKS: dict[str, Check] = {}

# Authenticated kinds whose answers the contract documents (200 / 400 / 500).
DOCUMENTED = CONTRACT.documented_statuses()


def check(name: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        if name in CHECKS:
            raise ValueError(f"check {name!r} is registered twice")
        CHECKS[name] = func
        return func

    return register


def _answered(exchange: Exchange) -> bool:
    return exchange.error is None and exchange.status is not None


def _documented(exchange: Exchange, kind: Kind) -> str | None:
    """Name of the schema the contract documents for this answer, if any."""
    if kind.credentials and exchange.status in (401, 403):
        return None
    return DOCUMENTED.get(exchange.status or 0)


@check("transport")
def transport(exchange: Exchange, kind: Kind) -> Iterator[Violation]:
    """An answer must arrive, within the timeout, as well-formed HTTP."""
    if exchange.error is not None:
        message = f"{exchange.error}: {exchange.error_detail}"
        yield Violation("transport", Verdict.FAIL, Category.TRANSPORT, message, cause=exchange.error)


@check("no-server-error")
def no_server_error(exchange: Exchange, kind: Kind) -> Iterator[Violation]:
    """No client payload may cause a 5xx, documented 500 included: it is the server's fault."""
    if _answered(exchange) and exchange.status >= 500:  # type: ignore[operator]
        message = f"server error {exchange.status}"
        yield Violation(
            "no-server-error", Verdict.FAIL, Category.SERVER_ERROR, message, cause=f"answered {exchange.status}"
        )


@check("status")
def status(exchange: Exchange, kind: Kind) -> Iterator[Violation]:
    """The status must be the one the contract (or, where it is silent, the policy) expects."""
    if not _answered(exchange) or exchange.status >= 500:  # type: ignore[operator]
        return
    rule = judge_status(kind, exchange.status)  # type: ignore[arg-type]
    if rule.verdict is not Verdict.PASS:
        message = f"{exchange.status} for {_a(kind)} request: {rule.reason}"
        yield Violation(
            "status", rule.verdict, rule.category, message, cause=_status_cause(exchange, kind, rule.category)
        )


def _broken_rule(body: bytes | None) -> str | None:
    """The schema rule a request body breaks, as `path:keyword` with array indices as `*`."""
    value = strict_json(body) if body is not None else MISSING
    if value is MISSING:
        return None
    errors = CONTRACT.errors("Webhook", value)
    if not errors:
        return None
    # A wrong type is the first thing wrong with a value: `["fax_received"]` breaks `event:type`, and
    # its `enum` error only follows from it (a server that unwraps it enforces the enum all right).
    first = next((e for e in errors if e.validator == "type"), errors[0])
    path = "/".join("*" if isinstance(p, int) else str(p) for p in first.absolute_path)
    return f"{path}:{first.validator}" if path else str(first.validator)


def _status_cause(exchange: Exchange, kind: Kind, category: Category) -> str:
    """One root cause per broken rule: an invalid Webhook accepted is grouped by the rule it breaks;
    a wrong status by the kind of request and the status, whichever family sent it."""
    if category is Category.INVALID_ACCEPTED and _says_error(exchange):
        # The body refuses (an Error, no WebhookId): one wrong status, not a rule left unchecked.
        return f"answered {exchange.status} with an Error to a request it must reject"
    rule = _broken_rule(exchange.request_body) if category is Category.INVALID_ACCEPTED else None
    if category is Category.INVALID_ACCEPTED and (kind is Kind.INVALID or rule is not None):
        # Named by the rule it breaks, whatever else the request is (a body over 64 KB that breaks
        # `additionalProperties` is the same cause as a small one).
        return f"accepted a Webhook that breaks {rule or 'the schema'}"
    if category is Category.INVALID_ACCEPTED:
        return f"accepted {_a(kind)} request"
    if category is Category.VALID_REJECTED:
        return f"rejected a realistic valid Webhook with {exchange.status}"
    if category is Category.AUTH and kind is Kind.NO_CREDENTIALS:
        return "accepted a request without credentials"
    if category is Category.AUTH:
        return "accepted a credential it must refuse"  # a wrong token, another scheme, an empty bearer, ...
    if kind is Kind.VALID_EDGE and 400 <= (exchange.status or 0) < 500:
        return f"rejected an exotic schema-valid value with {exchange.status} (stricter than the schema)"
    if not kind.rejects and 200 <= (exchange.status or 0) < 300:
        return f"answered {exchange.status} instead of 200 to a valid Webhook"  # valid, exotic or `bearer` alike
    if category is Category.LENIENT_PARSING:
        return "accepted a non-JSON extension form of a valid Webhook"
    if kind in (Kind.INVALID, Kind.NOT_JSON, Kind.LENIENT, Kind.NO_BODY, Kind.WRONG_MEDIA_TYPE):
        return f"answered {exchange.status} instead of 400 to a request it must reject"
    return f"answered {exchange.status} to {_a(kind)} request"


def _a(kind: Kind) -> str:
    """`a valid`, `an invalid`: the kind with its article."""
    return f"{'an' if str(kind)[0] in 'aeiou' else 'a'} {kind}"


def _says_error(exchange: Exchange) -> bool:
    body = exchange.response_json()
    return isinstance(body, dict) and bool(body) and CONTRACT.is_valid("Error", body) and "id" not in body


@check("content-type")
def content_type(exchange: Exchange, kind: Kind) -> Iterator[Violation]:
    """Every documented answer (200, 400, 500) is `application/json`."""
    if _answered(exchange) and _documented(exchange, kind) and exchange.media_type != "application/json":
        got = exchange.response_headers.get("content-type", "no Content-Type")
        yield Violation(
            "content-type",
            Verdict.FAIL,
            Category.SCHEMA_MISMATCH,
            f"{exchange.status} answered with {got}, the contract documents application/json",
            cause=f"documented answers with {exchange.media_type or 'no Content-Type'}",
        )


@check("response-schema")
def response_schema(exchange: Exchange, kind: Kind) -> Iterator[Violation]:
    """The body is a `WebhookId` on 200 and an `Error` on 400 / 500, per the vendored schemas."""
    name = _documented(exchange, kind) if _answered(exchange) else None
    if name is None:
        return
    body = exchange.response_json()
    if body is NOT_JSON:
        yield Violation(
            "response-schema",
            Verdict.FAIL,
            Category.SCHEMA_MISMATCH,
            f"{exchange.status} body is not JSON; the contract documents {name}",
            cause=f"{name} body is not JSON",
        )
        return
    errors = CONTRACT.errors(name, body)
    if errors:
        # One violation per answer, named after its first broken rule: one root cause, one group.
        where = ["/".join(str(p) for p in e.absolute_path) or "body" for e in errors]
        details = "; ".join(f"{w}: {e.message}" for w, e in zip(where, errors[:3], strict=False))
        yield Violation(
            "response-schema",
            Verdict.FAIL,
            Category.SCHEMA_MISMATCH,
            f"{exchange.status} body is not a valid {name}: {details}"[:300],
            cause=f"{name} body breaks `{errors[0].validator}` at {where[0]}",
        )


@check("response-detail")
def response_detail(exchange: Exchange, kind: Kind) -> Iterator[Violation]:
    """Warns where a body satisfies the letter of a weak schema but helps no client.

    `Error` has no `type: object` and no required fields, and `WebhookId.id` may be empty.
    """
    name = _documented(exchange, kind) if _answered(exchange) else None
    body = exchange.response_json() if name else NOT_JSON
    if body is NOT_JSON:
        return
    if name == "Error" and not isinstance(body, dict):
        yield Violation("response-detail", Verdict.WARN, Category.SPEC_GAP, "Error is not a JSON object")
    elif name == "Error" and not body.get("error"):
        yield Violation("response-detail", Verdict.WARN, Category.SPEC_GAP, "Error carries no `error` code")
    elif name == "WebhookId" and isinstance(body, dict) and body.get("id") == "":
        yield Violation("response-detail", Verdict.WARN, Category.SPEC_GAP, "WebhookId.id is an empty string")


@check("addressable-id")
def addressable_id(exchange: Exchange, kind: Kind) -> Iterator[Violation]:
    """A WebhookId must be usable as one path segment: clients address the webhook by it
    (`DELETE /hooks/{id}`). The schema allows any string, so an id that cannot be is a warn; cleanup
    never requests it (conformance/send/_hook_address.py) and lists it for removal by hand."""
    hook_id = exchange.registered_id
    why = why_unaddressable(hook_id) if hook_id is not None else None
    if why is not None:
        yield Violation(
            "addressable-id",
            Verdict.WARN,
            Category.HYGIENE,
            f"the server issued an id that cannot be addressed safely: it {why}",
            cause="the server issued an id that cannot be addressed safely as one path segment",
        )


def run_checks(exchange: Exchange, kind: Kind) -> list[Violation]:
    return [violation for func in CHECKS.values() for violation in func(exchange, kind)]
