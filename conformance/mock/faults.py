"""The fault catalogue: one entry per way of breaking the contract, everything else faithful.

Each fault names what must catch it (`caught_by`): the rule it drops, by its id
(`numbers/*:pattern`), or the family or check that probes how it bends one; and the verdict it must
get (`expect`: a fail, or a warn in a named category for what the contract tolerates). Equivalent
mutants are left out on purpose: dropping `maxLength` alone changes nothing, because the pattern
already caps a number at 16 characters.
"""

from __future__ import annotations

import codecs
import copy
import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from conformance.json_body import check_nesting

from ._behaviour import (
    Context,
    Stage,
    accept_envelope,
    bearer_token,
    check_auth,
    check_content_type,
    parse_body,
    register,
    unauthorized,
    validate_webhook,
)
from ._fault import FAULTS, Fault
from ._framing import Framing
from ._lenient import json5_body, replacing_utf8_body
from ._reply import Reply, Request, error_reply

NUMBER = ("properties", "numbers", "items")


def _at(schema: dict[str, Any], *path: str) -> dict[str, Any]:
    for key in path:
        schema = schema[key]
    return schema


def set_key(*path: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def patch(schema: dict[str, Any]) -> None:
        _at(schema, *path)[key] = value

    return patch


def drop_key(*path: str, key: str) -> Callable[[dict[str, Any]], None]:
    def patch(schema: dict[str, Any]) -> None:
        _at(schema, *path).pop(key, None)

    return patch


def not_required(name: str) -> Callable[[dict[str, Any]], None]:
    def patch(schema: dict[str, Any]) -> None:
        schema["required"] = [r for r in schema["required"] if r != name]

    return patch


def normalise(fn: Callable[[Any], Any]) -> Stage:
    """A validate stage that 'helpfully' rewrites the body first: what lenient servers do."""

    def stage(request: Request, ctx: Context) -> Reply | None:
        ctx.body = fn(copy.deepcopy(ctx.body))
        return validate_webhook(request, ctx)

    return stage


def on_numbers(fn: Callable[[str], str]) -> Callable[[Any], Any]:
    def rewrite(body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("numbers"), list):
            body["numbers"] = [fn(n) if isinstance(n, str) else n for n in body["numbers"]]
        return body

    return rewrite


def on_event(fn: Callable[[str], str]) -> Callable[[Any], Any]:
    def rewrite(body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("event"), str):
            body["event"] = fn(body["event"])
        return body

    return rewrite


def crash_when(predicate: Callable[[Request, Context], bool], then: Stage) -> Stage:
    """A stage that answers a bare 500 where a real server would crash, and `then` otherwise."""

    def stage(request: Request, ctx: Context) -> Reply | None:
        if predicate(request, ctx):
            return error_reply(500, "internal_server_error", "An unexpected error happened, please contact support")
        return then(request, ctx)

    return stage


def rejections(fn: Callable[[Reply], Reply]) -> Callable[[Request, Context, Reply], Reply]:
    return lambda request, ctx, reply: fn(reply) if reply.status == 400 else reply


def successes(fn: Callable[[Reply], Reply]) -> Callable[[Request, Context, Reply], Reply]:
    return lambda request, ctx, reply: fn(reply) if reply.status == 200 else reply


def _json_edit(fn: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[Reply], Reply]:
    return lambda reply: reply.with_(body=json.dumps(fn(reply.json())).encode())


# Block comments, and line comments that start where a JSON token could (not inside "https://").
_COMMENT = re.compile(rb"/\*.*?\*/|(?<=[{,\[\n])\s*//[^\n]*", re.S)


def _strip_comments(request: Request, ctx: Context) -> Reply | None:
    if request.body:
        request = Request(request.method, request.path, request.headers, _COMMENT.sub(b"", request.body))
    return parse_body(request, ctx)


def _bad(request: Request, ctx: Context) -> bool:
    return not ctx.validator.is_valid(ctx.body)


def _non_ascii(request: Request, ctx: Context) -> bool:
    return any(ord(c) > 127 for c in json.dumps(ctx.body, ensure_ascii=False))


def _case_fold_keys(body: Any) -> Any:
    return {k.lower(): v for k, v in body.items()} if isinstance(body, dict) else body


def _event_any_type(schema: dict[str, Any]) -> None:
    events = schema["properties"]["event"]["enum"]
    schema["properties"]["event"] = {"anyOf": [{"enum": events}, {"not": {"type": "string"}}]}


def _empty_number_allowed(schema: dict[str, Any]) -> None:
    number = _at(schema, *NUMBER)
    number.pop("minLength")
    number["pattern"] = r"^([+][1-9][0-9]{1,14})?\Z"


def _no_body_is_empty_object(request: Request, ctx: Context) -> Reply | None:
    if request.body:
        return parse_body(request, ctx) or validate_webhook(request, ctx)
    ctx.body = {}  # "nothing sent" read as "nothing to check": the bug
    return None


F = FAULTS.register

# --- every keyword of the Webhook schema and its items ------------------------------------------
F(
    Fault(
        "numbers-min-items-ignored",
        "accepts an empty `numbers` array (minItems 1 not enforced)",
        frozenset({"numbers:minItems"}),
        schema=drop_key("properties", "numbers", key="minItems"),
    )
)
F(
    Fault(
        "numbers-null-rejected",
        "rejects `numbers: null`, which the contract allows (nullable ignored)",
        frozenset({"valid-webhook"}),
        schema=set_key("properties", "numbers", key="type", value="array"),
    )
)
F(
    Fault(
        "numbers-type-unchecked",
        "accepts `numbers` that is not an array",
        frozenset({"numbers:type"}),
        schema=drop_key("properties", "numbers", key="type"),
    )
)
F(
    Fault(
        "numbers-items-type-unchecked",
        "accepts non-string items in `numbers`",
        frozenset({"numbers/*:type"}),
        schema=drop_key(*NUMBER, key="type"),
    )
)
F(
    Fault(
        "numbers-pattern-ignored",
        "accepts any string as a phone number (E.164 pattern not enforced)",
        frozenset({"numbers/*:pattern"}),
        schema=drop_key(*NUMBER, key="pattern"),
    )
)
F(
    Fault(
        "numbers-empty-string-allowed",
        "accepts the empty string as a phone number",
        frozenset({"numbers-empty-string"}),
        schema=_empty_number_allowed,
    )
)
F(
    Fault(
        "event-enum-ignored",
        "accepts any string as the event",
        frozenset({"event:enum"}),
        schema=drop_key("properties", "event", key="enum"),
    )
)
F(
    Fault(
        "event-type-unchecked",
        "accepts an event of any JSON type (only strings are checked against the enum)",
        frozenset({"event:type"}),
        schema=_event_any_type,
    )
)
F(
    Fault(
        "event-missing-value",
        "rejects `fax_page_received`: the server lags the contract's event list",
        frozenset({"valid-webhook"}),
        schema=lambda s: _at(s, "properties", "event").update(enum=["fax_received", "fax_sent"]),
    )
)
F(
    Fault(
        "additional-properties-allowed",
        "accepts unknown properties (additionalProperties false ignored)",
        frozenset({":additionalProperties"}),
        schema=drop_key(key="additionalProperties"),
    )
)
F(
    Fault(
        "target-optional",
        "registers a webhook without `target`",
        frozenset({"missing-target"}),
        schema=not_required("target"),
    )
)
F(
    Fault(
        "event-optional",
        "registers a webhook without `event`",
        frozenset({"missing-event"}),
        schema=not_required("event"),
    )
)
F(
    Fault(
        "target-type-unchecked",
        "accepts a `target` that is not a string",
        frozenset({"target:type"}),
        schema=drop_key("properties", "target", key="type"),
    )
)
F(
    Fault(
        "id-type-unchecked",
        "accepts an `id` that is not a string",
        frozenset({"id:type"}),
        schema=drop_key("properties", "id", key="type"),
    )
)
F(
    Fault(
        "body-type-unchecked",
        "accepts a JSON body that is not an object",
        frozenset({":type"}),
        schema=lambda s: s.update(type=["object", "array", "string", "number", "boolean", "null"]),
    )
)

# --- validation bugs real servers have ----------------------------------------------------------
F(
    Fault(
        "numbers-pattern-unanchored",
        "E.164 regex without anchors: matches a number anywhere in the string",
        frozenset({"numbers-letters", "numbers-whitespace-around", "numbers-extra-plus"}),
        schema=set_key(*NUMBER, key="pattern", value="[+][1-9][0-9]{1,14}"),
    )
)
F(
    Fault(
        "numbers-pattern-dollar-newline",
        "E.164 regex checked with Python `$`: a trailing newline passes",
        frozenset({"numbers-trailing-newline"}),
        schema=set_key(*NUMBER, key="pattern", value="^[+][1-9][0-9]{1,14}$"),
    )
)
F(
    Fault(
        "numbers-pattern-unicode-digits",
        r"E.164 regex with `\d`: Arabic-Indic and fullwidth digits pass",
        frozenset({"numbers-non-ascii-digits"}),
        schema=set_key(*NUMBER, key="pattern", value=r"^[+]\d{2,15}\Z"),
    )
)
F(
    Fault(
        "numbers-leading-zero-allowed",
        "E.164 regex allows a leading 0 after the plus",
        frozenset({"numbers-leading-zero"}),
        schema=set_key(*NUMBER, key="pattern", value=r"^[+][0-9]{2,15}\Z"),
    )
)
F(
    Fault(
        "numbers-plus-optional",
        "E.164 regex makes the leading `+` optional",
        frozenset({"numbers-missing-plus"}),
        schema=set_key(*NUMBER, key="pattern", value=r"^[+]?[1-9][0-9]{1,14}\Z"),
    )
)
F(
    Fault(
        "numbers-max-digits-off-by-one",
        "accepts 16 digits (limit off by one in regex and maxLength)",
        frozenset({"numbers-too-long"}),
        schema=lambda s: _at(s, *NUMBER).update(pattern=r"^[+][1-9][0-9]{1,15}\Z", maxLength=17),
    )
)
F(
    Fault(
        "numbers-min-digits-off-by-one",
        "accepts a one-digit number such as `+1`",
        frozenset({"numbers-too-short"}),
        schema=set_key(*NUMBER, key="pattern", value=r"^[+][1-9][0-9]{0,14}\Z"),
    )
)
F(
    Fault(
        "numbers-separators-stripped",
        "strips spaces, dashes, dots and parentheses from numbers before validating",
        frozenset({"numbers-separators"}),
        stages={"validate": normalise(on_numbers(lambda n: re.sub(r"[ \-.()]", "", n)))},
    )
)
F(
    Fault(
        "numbers-whitespace-trimmed",
        "trims whitespace around numbers before validating",
        frozenset({"numbers-whitespace-around", "numbers-trailing-newline"}),
        stages={"validate": normalise(on_numbers(str.strip))},
    )
)
F(
    Fault(
        "event-case-insensitive",
        "matches the event case-insensitively",
        frozenset({"event-case-variant"}),
        stages={"validate": normalise(on_event(str.lower))},
    )
)
F(
    Fault(
        "event-trimmed",
        "trims whitespace around the event before validating",
        frozenset({"event-whitespace"}),
        stages={"validate": normalise(on_event(str.strip))},
    )
)
F(
    Fault(
        "keys-case-insensitive",
        "matches property names case-insensitively (`Target` is taken as `target`)",
        frozenset({"required-key-miscased", "extra-property-case-variant"}),
        stages={"validate": normalise(_case_fold_keys)},
    )
)
F(
    Fault(
        "json-comments-accepted",
        "a lenient JSON parser that accepts comments",
        frozenset({"body-comments"}),
        stages={"parse": _strip_comments},
        expect="warn",
        category="lenient parsing",
    )
)
F(
    Fault(
        "no-body-registers",
        "a request without a body registers an empty webhook",
        frozenset({":body"}),
        stages={"parse": _no_body_is_empty_object, "validate": lambda request, ctx: None},
    )
)

# --- crashes, hangs and credentials -------------------------------------------------------------
F(
    Fault(
        "crash-on-invalid",
        "answers every invalid Webhook with 500 instead of 400",
        frozenset({"no-server-error"}),
        stages={"validate": crash_when(_bad, validate_webhook)},
    )
)
F(
    Fault(
        "crash-on-non-object",
        "crashes (500) on a JSON body that is not an object",
        frozenset({"no-server-error"}),
        stages={"validate": crash_when(lambda r, c: not isinstance(c.body, dict), validate_webhook)},
    )
)
F(
    Fault(
        "crash-on-not-json",
        "crashes (500) on a body that is not JSON",
        frozenset({"no-server-error"}),
        stages={"parse": lambda r, c: parse_body(r, c) and error_reply(500, "internal_server_error", "parser crashed")},
    )
)
F(
    Fault(
        "crash-on-non-ascii",
        "crashes (500) on any non-ASCII character in the body",
        frozenset({"no-server-error"}),
        stages={"validate": crash_when(_non_ascii, validate_webhook)},
    )
)
F(
    Fault(
        "hang-on-invalid",
        "never answers an invalid Webhook",
        frozenset({"transport"}),
        reply=rejections(lambda reply: reply.with_(delay=float("inf"))),
    )
)
F(
    Fault(
        "reset-on-invalid",
        "drops the connection instead of rejecting an invalid Webhook",
        frozenset({"transport"}),
        reply=rejections(lambda reply: reply.with_(drop=True)),
    )
)
F(
    Fault(
        "slow-answers",
        "answers every request after 30 s, slower than any sane timeout",
        frozenset({"transport"}),
        reply=lambda request, ctx, reply: reply.with_(delay=30.0),
    )
)
F(
    Fault(
        "credentials-unchecked",
        "registers webhooks without checking credentials at all",
        frozenset({"no-credentials", "wrong-credentials"}),
        stages={"auth": lambda request, ctx: None},
    )
)
F(
    Fault(
        "any-token-accepted",
        "accepts any bearer token, checking only that one is present",
        frozenset({"wrong-credentials"}),
        stages={
            "auth": lambda r, c: (
                None
                if (r.header("authorization") or "").startswith("Bearer ")
                else error_reply(401, "unauthorized", "Missing access token")
            )
        },
    )
)

# --- wrong statuses and response shapes ---------------------------------------------------------
F(
    Fault(
        "success-201",
        "answers a registration with 201 instead of 200",
        frozenset({"status"}),
        reply=successes(lambda reply: reply.with_(status=201)),
    )
)
F(
    Fault(
        "rejection-200",
        "answers an invalid Webhook with 200 and an Error body",
        frozenset({"status"}),
        reply=rejections(lambda reply: reply.with_(status=200)),
    )
)
F(
    Fault(
        "rejection-409",
        "answers an invalid Webhook with 409",
        frozenset({"status"}),
        reply=rejections(lambda reply: reply.with_(status=409)),
    )
)
F(
    Fault(
        "webhook-id-extra-keys",
        "WebhookId carries extra keys",
        frozenset({"response-schema"}),
        reply=successes(_json_edit(lambda body: {**body, "status": "created"})),
    )
)
F(
    Fault(
        "webhook-id-not-string",
        "WebhookId.id is a number",
        frozenset({"response-schema"}),
        reply=successes(_json_edit(lambda body: {"id": int(body["id"][:8], 16)})),
    )
)
F(
    Fault(
        "webhook-id-renamed",
        "WebhookId uses `webhook_id` instead of `id`",
        frozenset({"response-schema"}),
        reply=successes(_json_edit(lambda body: {"webhook_id": body["id"]})),
    )
)
F(
    Fault(
        "error-extra-keys",
        "Error carries an extra `code` key",
        frozenset({"response-schema"}),
        reply=rejections(_json_edit(lambda body: {**body, "code": 400})),
    )
)
F(
    Fault(
        "error-renamed-fields",
        "Error uses `message` instead of `error`/`description`",
        frozenset({"response-schema"}),
        reply=rejections(_json_edit(lambda body: {"message": body["description"]})),
    )
)
F(
    Fault(
        "error-wrong-types",
        "Error fields are not strings",
        frozenset({"response-schema"}),
        reply=rejections(_json_edit(lambda body: {"error": 400, "description": [body["description"]]})),
    )
)
F(
    Fault(
        "error-not-json",
        "rejections carry a plain-text body",
        frozenset({"response-schema"}),
        reply=rejections(lambda reply: reply.with_(body=b"Bad Request", content_type="text/plain")),
    )
)
F(
    Fault(
        "error-content-type-html",
        "rejections are JSON but labelled text/html",
        frozenset({"content-type"}),
        reply=rejections(lambda reply: reply.with_(content_type="text/html; charset=utf-8")),
    )
)
F(
    Fault(
        "success-content-type-text",
        "WebhookId is JSON but labelled text/plain",
        frozenset({"content-type"}),
        reply=successes(lambda reply: reply.with_(content_type="text/plain")),
    )
)
F(
    Fault(
        "success-no-content-type",
        "WebhookId is sent without a Content-Type",
        frozenset({"content-type"}),
        reply=successes(lambda reply: reply.with_(content_type=None)),
    )
)


# --- the valid space real clients use: stricter than the contract -------------------------------
def also_reject(why: str, rule: Callable[[dict[str, Any]], bool]) -> Stage:
    """A validate stage with one rule of the server's own on top of the contract's: a schema-valid
    Webhook that `rule` dislikes gets a 400."""

    def stage(request: Request, ctx: Context) -> Reply | None:
        reply = validate_webhook(request, ctx)
        if reply is None and isinstance(ctx.body, dict) and rule(ctx.body):
            return error_reply(400, "invalid_webhook", why)
        return reply

    return stage


def on_target(test: Callable[[str], bool]) -> Callable[[dict[str, Any]], bool]:
    def rule(body: dict[str, Any]) -> bool:
        target = body.get("target")
        try:
            return isinstance(target, str) and test(target)
        except ValueError:  # not a URL urllib can split: the home-made check lets it through
            return False

    return rule


def _has_query(target: str) -> bool:
    return bool(urlsplit(target).query)


def _has_port(target: str) -> bool:
    return urlsplit(target).port is not None


def _ip_literal(target: str) -> bool:
    host = urlsplit(target).hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _scheme_not_lower(target: str) -> bool:
    scheme = target.split("://", 1)[0] if "://" in target else ""
    return scheme.lower() in ("http", "https") and scheme not in ("http", "https")


def _page_event_without_numbers(body: dict[str, Any]) -> bool:
    return body.get("event") == "fax_page_received" and not body.get("numbers")


F(
    Fault(
        "numbers-capped-at-10",
        "rejects `numbers` lists longer than 10 (an undocumented maxItems)",
        frozenset({"valid-numbers"}),
        schema=set_key("properties", "numbers", key="maxItems", value=10),
    )
)
F(
    Fault(
        "numbers-duplicates-rejected",
        "rejects a `numbers` list with a duplicate (an undocumented uniqueItems)",
        frozenset({"valid-numbers"}),
        schema=set_key("properties", "numbers", key="uniqueItems", value=True),
    )
)
F(
    Fault(
        "target-query-rejected",
        "rejects targets with a query string",
        frozenset({"valid-targets"}),
        stages={"validate": also_reject("target must not have a query", on_target(_has_query))},
    )
)
F(
    Fault(
        "target-port-rejected",
        "rejects targets with an explicit port",
        frozenset({"valid-targets"}),
        stages={"validate": also_reject("target must not have a port", on_target(_has_port))},
    )
)
F(
    Fault(
        "target-ip-literal-rejected",
        "rejects targets whose host is an IPv4 or IPv6 literal",
        frozenset({"valid-targets"}),
        stages={"validate": also_reject("target host must be a domain name", on_target(_ip_literal))},
    )
)
F(
    Fault(
        "target-length-capped-255",
        "rejects targets longer than 255 characters (a VARCHAR(255) column)",
        frozenset({"valid-targets"}),
        schema=set_key("properties", "target", key="maxLength", value=255),
    )
)
F(
    Fault(
        "target-scheme-case-sensitive",
        "compares the URL scheme case-sensitively: `HTTPS://...` is rejected",
        frozenset({"valid-targets"}),
        stages={"validate": also_reject("target must start with http:// or https://", on_target(_scheme_not_lower))},
    )
)
F(
    Fault(
        "id-shape-enforced",
        "accepts only 24-hex client ids (the shape of the server's own ids)",
        frozenset({"valid-ids"}),
        schema=set_key("properties", "id", key="pattern", value=r"^[0-9a-f]{24}\Z"),
    )
)
F(
    Fault(
        "fax-page-received-needs-numbers",
        "rejects `fax_page_received` without `numbers` (a rule the contract does not have)",
        frozenset({"valid-events"}),
        stages={"validate": also_reject("fax_page_received needs numbers", _page_event_without_numbers)},
    )
)


# --- request envelopes real clients send ---------------------------------------------------------
def _refuse(status: int, error: str, why: str, when: Callable[[Request], bool]) -> Stage:
    return lambda request, ctx: error_reply(status, error, why) if when(request) else accept_envelope(request, ctx)


def _media_type_exact(request: Request, ctx: Context) -> Reply | None:
    if request.body and ";" in (request.header("content-type") or ""):
        return error_reply(400, "invalid_content_type", "Content-Type must be exactly application/json")
    return check_content_type(request, ctx)


F(
    Fault(
        "charset-param-rejected",
        "rejects `application/json; charset=utf-8`: the media type is compared as a whole string",
        frozenset({"envelope-charset-utf8", "envelope-charset-upper"}),
        stages={"content_type": _media_type_exact},
    )
)
F(
    Fault(
        "accept-header-required",
        "answers 406 to a request without an Accept header",
        frozenset({"envelope-no-accept"}),
        stages={"envelope": _refuse(406, "not_acceptable", "Accept header required", lambda r: not r.header("accept"))},
    )
)
F(
    Fault(
        "user-agent-required",
        "answers 403 to a request without a User-Agent (a WAF rule), as Node's core `http` sends",
        frozenset({"envelope-no-user-agent"}),
        stages={"envelope": _refuse(403, "forbidden", "User-Agent required", lambda r: not r.header("user-agent"))},
    )
)
F(
    Fault(
        "expect-continue-rejected",
        "answers 417 to `Expect: 100-continue`",
        frozenset({"envelope-expect-continue"}),
        stages={
            "envelope": _refuse(
                417, "expectation_failed", "Expect is not supported", lambda r: bool(r.header("expect"))
            )
        },
        wire=Framing(interim_continue=False),
    )
)
F(
    Fault(
        "chunked-body-rejected",
        "answers 411 to a chunked request body (no Content-Length)",
        frozenset({"envelope-chunked"}),
        stages={
            "envelope": _refuse(
                411,
                "length_required",
                "Content-Length required",
                lambda r: "chunked" in (r.header("transfer-encoding") or "").lower(),
            )
        },
    )
)


# --- paths that skip validation: the default path is faithful, one a real client takes is not ------
def _validate_unless(skips: Callable[[Request], bool]) -> Stage:
    """A validate stage another code path bypasses: the body is parsed, then registered unchecked."""
    return lambda request, ctx: None if skips(request) else validate_webhook(request, ctx)


def _chunked(request: Request) -> bool:
    return "chunked" in (request.header("transfer-encoding") or "").lower()


def _media_type_has_parameters(request: Request) -> bool:
    return ";" in (request.header("content-type") or "")


F(
    Fault(
        "unvalidated-chunked-body",
        "validates only a body with a Content-Length: a chunked one is registered unchecked",
        frozenset({"*@envelope-chunked"}),
        stages={"validate": _validate_unless(_chunked)},
    )
)
F(
    Fault(
        "unvalidated-charset-param",
        "validates only under exactly `application/json`: with a charset parameter the body is registered unchecked",
        frozenset({"*@envelope-charset-utf8", "*@envelope-charset-upper", "*@client-java-httpclient"}),
        stages={"validate": _validate_unless(_media_type_has_parameters)},
    )
)
F(
    Fault(
        "unvalidated-oauth-path",
        "the OAuth path (`x-fax-clientid`) is a handler of its own that validates nothing",
        frozenset({"*@client-oauth"}),
        stages={"validate": _validate_unless(lambda request: bool(request.header("x-fax-clientid")))},
    )
)


# --- credentials -----------------------------------------------------------------------------------
def _auth_also(accepts: Callable[[Request, Context], bool]) -> Stage:
    """An auth stage that lets through what `accepts` likes, besides the right bearer token."""
    return lambda request, ctx: None if accepts(request, ctx) else check_auth(request, ctx)


def _empty_bearer(request: Request, ctx: Context) -> bool:
    return (request.header("authorization") or "").strip().lower() == "bearer"


def _right_token_any_scheme(request: Request, ctx: Context) -> bool:
    return (request.header("authorization") or "").strip().partition(" ")[2].strip() == ctx.token


def _query_token(request: Request, ctx: Context) -> bool:
    return request.query("access_token") == [ctx.token]


def _oauth_any_bearer(request: Request, ctx: Context) -> bool:
    return bool(request.header("x-fax-clientid")) and bearer_token(request.header("authorization")) is not None


def _oversized_crash(request: Request, ctx: Context) -> Reply | None:
    if len(request.header("authorization") or "") > 4096:  # a fixed-size header buffer overflows
        return error_reply(500, "internal_server_error", "An unexpected error happened, please contact support")
    return check_auth(request, ctx)


def _bearer_exact(request: Request, ctx: Context) -> Reply | None:
    return None if request.header("authorization") == f"Bearer {ctx.token}" else unauthorized()


F(
    Fault(
        "oauth-path-any-bearer",
        "the OAuth path (`x-fax-clientid`) has a middleware of its own that checks only that some bearer "
        "token is there: the token with a suffix, a prefix of it, one in another case are all let through",
        frozenset({"auth-*@client-oauth::status"}),
        stages={"auth": _auth_also(_oauth_any_bearer)},
    )
)
F(
    Fault(
        "empty-bearer-accepted",
        "accepts `Authorization: Bearer` with an empty token",
        frozenset({"auth-empty-bearer", "auth-empty-header"}),
        stages={"auth": _auth_also(_empty_bearer)},
    )
)
F(
    Fault(
        "any-scheme-accepted",
        "accepts the right token under any scheme (`Basic <token>`, `Token <token>`)",
        frozenset({"auth-basic-scheme", "auth-token-scheme"}),
        stages={"auth": _auth_also(_right_token_any_scheme)},
    )
)
F(
    Fault(
        "query-token-accepted",
        "accepts the token as an `access_token` query parameter",
        frozenset({"auth-query-param"}),
        stages={"auth": _auth_also(_query_token)},
    )
)
F(
    Fault(
        "oversized-token-crash",
        "crashes (500) on an Authorization header over 4 KB",
        frozenset({"no-server-error"}),
        stages={"auth": _oversized_crash},
    )
)
F(
    Fault(
        "bearer-case-sensitive",
        "refuses the right token under `bearer`: the scheme compared case-sensitively (RFC 7235 says it is not)",
        frozenset({"auth-lowercase-scheme"}),
        stages={"auth": _bearer_exact},
        expect="warn",
        category="spec gap",
    )
)

# --- statuses, lenient parsing, lone surrogates, crashes --------------------------------------------
F(
    Fault(
        "invalid-422",
        "answers schema-invalid Webhooks with 422 instead of the documented 400",
        frozenset({"status"}),
        stages={"validate": lambda r, c: (reply := validate_webhook(r, c)) and reply.with_(status=422)},
    )
)
F(
    Fault(
        "lenient-json5-parser",
        "parses bodies as JSON5 (comments, trailing commas, single quotes, unquoted keys) and registers them",
        frozenset({"body-comments", "body-trailing-comma", "body-single-quotes", "body-unquoted-keys"}),
        stages={"parse": json5_body},
        expect="warn",
        category="lenient parsing",
    )
)
F(
    Fault(
        "lenient-utf8",
        "decodes ill-formed UTF-8 with U+FFFD replacement and registers the result",
        frozenset({"body-invalid-utf8"}),
        stages={"parse": replacing_utf8_body},
        expect="warn",
        category="lenient parsing",
    )
)


def _has_lone_surrogate(request: Request, ctx: Context) -> bool:
    try:
        json.dumps(ctx.body, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _surrogate_target(body: dict[str, Any]) -> bool:
    target = body.get("target")
    return isinstance(target, str) and any("\ud800" <= c <= "\udfff" for c in target)


def _unknown_event(request: Request, ctx: Context) -> bool:
    event = ctx.body.get("event") if isinstance(ctx.body, dict) else None
    return isinstance(event, str) and event not in ctx.contract.events


def _dies_on(predicate: Callable[[Request, Context], bool]) -> Stage:
    """A validate stage whose worker dies on `predicate`: the connection closes with no answer."""

    def stage(request: Request, ctx: Context) -> Reply | None:
        if predicate(request, ctx):
            return error_reply(500, "internal_server_error", "never sent").with_(drop=True)
        return validate_webhook(request, ctx)

    return stage


F(
    Fault(
        "crash-on-surrogate",
        "crashes (500) when the parsed body holds a lone surrogate (UTF-8 encoding it fails)",
        frozenset({"no-server-error"}),
        stages={"validate": crash_when(_has_lone_surrogate, validate_webhook)},
    )
)
F(
    Fault(
        "surrogate-target-rejected",
        "rejects a target holding an escaped lone surrogate (schema-valid, but not Unicode text)",
        frozenset({"surrogate-in-target"}),
        stages={"validate": also_reject("target is not valid Unicode", _surrogate_target)},
        expect="warn",
        category="spec gap",
    )
)
F(
    Fault(
        "crash-kills-connection",
        "its worker dies on an unknown event: the connection closes without an answer",
        frozenset({"event-unknown::transport"}),
        stages={"validate": _dies_on(_unknown_event)},
    )
)


# --- where the bad item sits, items holding two numbers, long digit runs -----------------------------
def checks_view(fn: Callable[[Any], Any]) -> Stage:
    """A validate stage that checks `fn` of the body (a sample, a split) but registers the body as sent."""

    def stage(request: Request, ctx: Context) -> Reply | None:
        sent = ctx.body
        ctx.body = fn(copy.deepcopy(sent))
        reply = validate_webhook(request, ctx)
        ctx.body = sent
        return reply

    return stage


def on_number_list(fn: Callable[[list[Any]], list[Any]]) -> Callable[[Any], Any]:
    def rewrite(body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("numbers"), list):
            body["numbers"] = fn(body["numbers"])
        return body

    return rewrite


def _ends_of_long_lists(numbers: list[Any]) -> list[Any]:
    return numbers if len(numbers) <= 10 else [*numbers[:3], *numbers[-3:]]


_LIST_SEPARATOR = re.compile(r"\s*[,;]\s*|\s+")


def _split_items(numbers: list[Any]) -> list[Any]:
    # Empty parts are kept: only a separator *between* two numbers makes two numbers of one item.
    return [part for n in numbers for part in (_LIST_SEPARATOR.split(n) if isinstance(n, str) else [n])]


# `^[+]([0-9]+)+$` in a backtracking engine: on a string it fails to match, every split of the digit
# run after `+` is retried, 2**digits steps. Modelled, not run: a real one would pin a CPU for hours.
_BACKTRACKING_STEPS_PER_SECOND = 1e8
_DIGITS_AFTER_PLUS = re.compile(r"[+]([0-9]*)")


def backtracking_seconds(number: str) -> float:
    """How long `^[+]([0-9]+)+$` takes to decide `number` in a backtracking engine (`re`, PCRE).

    >>> backtracking_seconds("+12135550123"), backtracking_seconds("+12135550123x") < 0.001
    (0.0, True)
    >>> backtracking_seconds("+" + "1" * 30 + "x") > 10
    True
    """
    if re.fullmatch(r"[+][0-9]+\n?", number):
        return 0.0  # a match is found on the first try (Python's `$` also matches before a final newline)
    run = _DIGITS_AFTER_PLUS.match(number)
    return 0.0 if run is None else 2.0 ** len(run.group(1)) / _BACKTRACKING_STEPS_PER_SECOND


def _backtracking_validate(request: Request, ctx: Context) -> Reply | None:
    numbers = ctx.body.get("numbers") if isinstance(ctx.body, dict) else None
    cost = sum(backtracking_seconds(n) for n in numbers if isinstance(n, str)) if isinstance(numbers, list) else 0.0
    reply = validate_webhook(request, ctx)
    if cost > 0.001:  # the worker is busy for that long before the contract's own check even runs
        return (reply or error_reply(400, "invalid_webhook", "numbers")).with_(delay=cost)
    return reply


F(
    Fault(
        "numbers-first-items-only",
        "checks only the first 5 items of `numbers`: a bad item further down is registered",
        frozenset({"numbers-bad-middle", "numbers-bad-last"}),
        stages={"validate": checks_view(on_number_list(lambda numbers: numbers[:5]))},
    )
)
F(
    Fault(
        "numbers-long-lists-sampled",
        "spot-checks lists of more than 10 numbers: only their first 3 and last 3 items are validated",
        frozenset({"numbers-bad-middle"}),
        stages={"validate": checks_view(on_number_list(_ends_of_long_lists))},
    )
)
F(
    Fault(
        "numbers-items-split-on-separators",
        "splits each number on `,`, `;` and whitespace and validates the parts: `+12,+34` is two valid numbers",
        frozenset({"numbers-two-in-one"}),
        stages={"validate": checks_view(on_number_list(_split_items))},
    )
)
F(
    Fault(
        "numbers-pattern-backtracking",
        "pre-checks numbers with `^[+]([0-9]+)+$` in a backtracking engine: a long digit run then a letter "
        "takes 2**digits steps, far past any deadline",
        frozenset({"numbers-long-digit-run::transport"}),
        stages={"validate": _backtracking_validate},
    )
)


# --- inputs that crash real stacks ---------------------------------------------------------------------
_SERVER_ERROR = ("internal_server_error", "An unexpected error happened, please contact support")


def _parser(loads: Callable[[bytes], Any], *, crashes_on: tuple[type[BaseException], ...] = ()) -> Stage:
    """A parse stage reading the body with `loads`: what it cannot read is a 400, what it raises
    `crashes_on` for escapes the handler as a 500."""

    def stage(request: Request, ctx: Context) -> Reply | None:
        if not request.body:
            return parse_body(request, ctx)
        try:
            ctx.body = loads(request.body)
        except crashes_on:
            return error_reply(500, *_SERVER_ERROR)
        except (ValueError, RecursionError):
            return error_reply(400, "invalid_body", "Request body is not valid JSON")
        return None

    return stage


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")  # as the reference: NaN and Infinity stay refused


def _utf8_json(**options: Any) -> Callable[[bytes], Any]:
    return lambda body: _json_loads(body.decode("utf-8"), **options)


def _json_loads(body: str | bytes, **options: Any) -> Any:
    """`json.loads`, past `MAX_NESTING` a RecursionError without recursing (json_body.MAX_NESTING says why)."""
    check_nesting(body)
    return json.loads(body, parse_constant=_no_constant, **options)


class _NumberOverflow(ArithmeticError):
    """A number no float64 or int64 holds: the typed parser's error nobody maps to 400."""


def _float64(literal: str) -> float:
    value = float(literal)
    if value in (float("inf"), float("-inf")):
        raise _NumberOverflow(literal)
    return value


def _int64(literal: str) -> int:
    value = int(literal)
    if not -(2**63) <= value < 2**63:
        raise _NumberOverflow(literal)
    return value


class _TooManyKeys(RuntimeError):
    """An object past the parser's key limit, raised as an unmapped error (cf. Django's TooManyFieldsSent)."""


def _at_most_1000_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len(pairs) > 1000:
        raise _TooManyKeys(len(pairs))
    return dict(pairs)


def _first_wins(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    kept: dict[str, Any] = {}
    for key, value in pairs:
        kept.setdefault(key, value)
    return kept


def _strip_bom(body: bytes) -> Any:
    return _utf8_json()(body.removeprefix(codecs.BOM_UTF8))


def _header_bytes(request: Request) -> int:
    return sum(len(k) + len(v) + 4 for k, v in request.headers.items())


_TEXT_MEDIA = ("text/plain", "text/xml", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data")


def _any_text_registered(request: Request, ctx: Context) -> Reply | None:
    media = (request.header("content-type") or "").split(";")[0].strip().lower()
    if request.body and media in _TEXT_MEDIA:  # "text is text": stored as it came, never parsed
        ctx.body = {"body": request.body.decode("utf-8", "replace")}
        return register(request, ctx)
    return check_content_type(request, ctx)


def _larger_than(size: int) -> Callable[[Request, Context], bool]:
    return lambda request, ctx: len(request.body or b"") > size


F(
    Fault(
        "crash-on-deep-nesting",
        "a recursive parser: nesting past its recursion limit is a RecursionError answered 500 (Litestar + msgspec)",
        frozenset({"body-deep-nesting::no-server-error"}),
        stages={"parse": _parser(_utf8_json(), crashes_on=(RecursionError,))},
    )
)
F(
    Fault(
        "crash-on-large-body",
        "a body over 64 KB overflows a fixed buffer: 500",
        frozenset({"body-over-64kb::no-server-error", "body-over-1mb::no-server-error"}),
        stages={"envelope": crash_when(_larger_than(64 * 1024), accept_envelope)},
    )
)
F(
    Fault(
        "hang-on-1mb-body",
        "a body over 1 MB is never answered (the worker waits for bytes its buffer has no room for)",
        frozenset({"body-over-1mb::transport"}),
        stages={
            "envelope": lambda r, c: (
                error_reply(413, "too_large", "").with_(delay=float("inf"))
                if len(r.body or b"") > 1024 * 1024
                else accept_envelope(r, c)
            )
        },
    )
)
F(
    Fault(
        "refuses-before-reading-body",
        "refuses a wrong token from the headers alone, keeps the connection and never reads the body: "
        "the next request on that connection gets the answer to that body, read as a request",
        frozenset({"valid-after-wrong-credentials::keep-alive"}),
        wire=Framing(refuse_unread=True),
    )
)
F(
    Fault(
        "crash-on-repeated-content-type",
        "reads every Content-Type line and joins them: `application/json, application/json` crashes "
        "the media-type parser (500)",
        frozenset({"envelope-*-content-type::no-server-error"}),
        stages={"envelope": crash_when(lambda r, c: "content-type" in r.repeated, accept_envelope)},
    )
)
F(
    Fault(
        "crash-on-huge-number",
        "parses numbers as float64 / int64: `1e400` or a 400-digit integer overflows into a 500",
        frozenset({"body-huge-numbers::no-server-error"}),
        stages={"parse": _parser(_utf8_json(parse_float=_float64, parse_int=_int64), crashes_on=(_NumberOverflow,))},
    )
)
F(
    Fault(
        "crash-on-many-keys",
        "a parser limited to 1,000 keys per object raises an error nobody maps to 400: 500",
        frozenset({"body-many-keys::no-server-error"}),
        stages={"parse": _parser(_utf8_json(object_pairs_hook=_at_most_1000_keys), crashes_on=(_TooManyKeys,))},
    )
)
F(
    Fault(
        "duplicate-keys-first-wins",
        "keeps the first of duplicate keys: `event` given twice, valid then invalid, is registered",
        frozenset({"body-duplicate-keys::status"}),
        stages={"parse": _parser(_utf8_json(object_pairs_hook=_first_wins))},
    )
)
F(
    Fault(
        "lenient-bom",
        "skips a UTF-8 byte order mark before the JSON text (RFC 8259 §8.1 lets a parser do so)",
        frozenset({"body-bom"}),
        stages={"parse": _parser(_strip_bom)},
        expect="warn",
        category="lenient parsing",
    )
)
F(
    Fault(
        "utf16-detected",
        "reads the body with `json.loads(bytes)`, which detects UTF-16 and UTF-32 (RFC 4627), and registers it",
        frozenset({"body-utf16::status"}),
        stages={"parse": _parser(_json_loads)},
    )
)
F(
    Fault(
        "lenient-control-chars",
        "parses with `json.loads(strict=False)`: raw control bytes inside strings are read",
        frozenset({"body-control-bytes"}),
        stages={"parse": _parser(_utf8_json(strict=False))},
        expect="warn",
        category="lenient parsing",
    )
)
F(
    Fault(
        "any-text-accepted",
        "registers any text/plain, form or XML body as it came, unparsed (openapi-backend)",
        frozenset({"body-foreign-media-type::status"}),
        stages={"content_type": _any_text_registered},
    )
)
F(
    Fault(
        "crash-on-large-headers",
        "a 12 KB header buffer: a request with more header bytes crashes into a 500",
        frozenset({"envelope-large-header::no-server-error", "envelope-huge-header::no-server-error"}),
        stages={"envelope": crash_when(lambda r, c: _header_bytes(r) > 12 * 1024, accept_envelope)},
    )
)


# --- near misses of the real token -------------------------------------------------------------------
def _given_token(request: Request) -> str:
    scheme, _, token = (request.header("authorization") or "").partition(" ")
    return token if scheme == "Bearer" else ""


def _compares(accepts: Callable[[str, str], bool]) -> Stage:
    """An auth stage that compares the given bearer token with the real one by `accepts(given, real)`."""
    return lambda request, ctx: None if accepts(_given_token(request), ctx.token) else check_auth(request, ctx)


F(
    Fault(
        "token-prefix-accepted",
        "compares only as many characters as were sent (`strncmp(given, token, len(given))`): a prefix passes",
        frozenset({"auth-token-prefix"}),
        stages={"auth": _compares(lambda given, real: bool(given) and real.startswith(given))},
    )
)
F(
    Fault(
        "token-suffix-accepted",
        "compares only the token's own length of what was sent: the token plus anything passes",
        frozenset({"auth-token-suffix"}),
        stages={"auth": _compares(lambda given, real: given[: len(real)] == real)},
    )
)
F(
    Fault(
        "token-case-insensitive",
        "compares the token case-insensitively",
        frozenset({"auth-token-case"}),
        stages={"auth": _compares(lambda given, real: bool(given) and given.lower() == real.lower())},
    )
)
F(
    Fault(
        "token-whitespace-stripped",
        "splits `Authorization` on any whitespace: a tab after `Bearer` or before the token passes",
        frozenset({"auth-token-tab-padded", "auth-token-tab-separated"}),
        stages={
            "auth": lambda r, c: (
                None if (r.header("authorization") or "").split() == ["Bearer", c.token] else check_auth(r, c)
            )
        },
    )
)


# --- hygiene: what an answer should never carry (warns: the contract is silent) -------------------------


def _echo_authorization(request: Request, ctx: Context, reply: Reply) -> Reply:
    if reply.status != 400:
        return reply
    body = reply.json()
    body["description"] = f"{body.get('description', '')} (request authenticated as {request.header('authorization')})"
    return reply.with_(body=json.dumps(body).encode())


# A leaked trace holds the server's own secrets too: the finding must show it with them masked.
TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/srv/hooks/app.py", line 212, in register\n'
    "    db.execute(INSERT_HOOK, body)\n"
    "sqlalchemy.exc.OperationalError: (psycopg2.OperationalError) connection to "
    "postgres://hooks:db-pass-4c1d@db.internal:5432/hooks failed"
)


def _register_reusing_ids(request: Request, ctx: Context) -> Reply | None:
    """Registers under the id of the latest webhook still registered, if any (an id from a cache keyed
    by something other than the webhook): the earlier webhook can no longer be addressed alone."""
    live = ctx.store.all()
    hook_id = ctx.store.add(ctx.body, live[-1]["id"] if live else None)
    return Reply(200, json.dumps({"id": hook_id}).encode())


def _duplicate_id(request: Request, ctx: Context, reply: Reply) -> Reply:
    if reply.status != 200:
        return reply
    real = reply.json()["id"]
    return reply.with_(body=f'{{"id": "000000000000000000000000", "id": "{real}"}}'.encode())


F(
    Fault(
        "echoes-credential",
        "repeats the Authorization header it received (the token) in the description of every 400",
        frozenset({"echoed-credential"}),
        reply=_echo_authorization,
        expect="warn",
        category="spec gap",
    )
)
F(
    Fault(
        "stack-trace-in-error",
        "answers 400s with a Python traceback (and a connection string with its password) as description",
        frozenset({"internal-detail"}),
        reply=rejections(
            lambda reply: reply.with_(body=json.dumps({"error": "invalid", "description": TRACE}).encode())
        ),
        expect="warn",
        category="spec gap",
    )
)
F(
    Fault(
        "id-reused-while-live",
        "gives a new webhook the id of the latest one still registered (one id, two live webhooks)",
        frozenset({"id-reuse"}),
        stages={"register": _register_reusing_ids},
        expect="warn",
        category="spec gap",
    )
)
F(
    Fault(
        "duplicate-key-in-answer",
        'answers 200 with `{"id": <decoy>, "id": <real>}`: which id a client reads depends on its parser',
        frozenset({"duplicate-key"}),
        reply=_duplicate_id,
        expect="warn",
        category="spec gap",
    )
)
