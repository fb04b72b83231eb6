"""Checks: small registered functions, each judging one aspect of one exchange.

A check returns the Violations it finds (none means it passed). Adding a check is one
`@check("name")` function; the suite runs every registered check on every exchange, under the
run's contract (`run_checks(exchange, kind, contract)`): what it documents is read from that value.
"""

from __future__ import annotations

import functools
import json
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import parse_qs, urlsplit

from conformance.contract import Contract
from conformance.credentials import PLACEHOLDER_CLIENT_ID
from conformance.json_body import MISSING, shallow_json, strict_json
from conformance.rules import NO_BODY, NOT_JSON, Rule
from conformance.send import UNREADABLE, WEAK, Exchange, Redactor, why_unaddressable

from ._expectation import Kind
from ._policy import judge_status
from ._verdict import Category, Verdict, Violation

Check = Callable[[Exchange, Kind, Contract], Iterable[Violation]]  # (the exchange, its Kind, the run's contract)
CHECKS: dict[str, Check] = {}


def check(name: str) -> Callable[[Check], Check]:
    def register(func: Check) -> Check:
        if name in CHECKS:
            raise ValueError(f"check {name!r} is registered twice")
        CHECKS[name] = func
        return func

    return register


def _answered(exchange: Exchange) -> bool:
    """An answer arrived that is this request's own to judge (not one out of step: `keep-alive`)."""
    return exchange.error is None and exchange.status is not None and not exchange.out_of_step


def _documented(exchange: Exchange, kind: Kind, contract: Contract) -> str | None:
    """Name of the schema the contract documents for this answer (200 / 400 / 500), if any."""
    if kind.credentials and exchange.status in (401, 403):
        return None
    return contract.documented_statuses().get(exchange.status or 0)


@check("transport")
def transport(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """An answer must arrive, within the timeout, as well-formed HTTP."""
    if exchange.error is not None:
        message = f"{exchange.error}: {exchange.error_detail}"
        yield Violation("transport", Verdict.FAIL, Category.TRANSPORT, message, cause=exchange.error)
    elif exchange.overrun and not exchange.refused_unread:  # behind a refusal: the `keep-alive` check's
        # Bytes behind the answer would be read as the next request's answer: blamed here, where they began.
        message = f"{exchange.overrun} byte(s) sent past the answer (a second answer, or a wrong Content-Length)"
        cause = "sent bytes past its answer: the connection falls out of step with its requests"
        yield Violation("transport", Verdict.FAIL, Category.TRANSPORT, message, cause=cause)


@check("keep-alive")
def keep_alive(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """A request sent right after a refusal on the same keep-alive connection, as every keep-alive
    client sends it, gets its own answer: blamed on the refusal, whose body the server left unread."""
    cause = (
        "answers before reading a refused request's body and keeps the connection: "
        "the next request gets an answer not its own"
    )
    if exchange.out_of_step and exchange.after is not None:
        got = f"{exchange.status} ({exchange.media_type or 'no Content-Type'})"
        message = (
            f"{got} right after a {exchange.after.status} on the same keep-alive connection: the server answered "
            "the request before it without reading its body, kept the connection, and read that body as this request"
        )
        yield Violation("keep-alive", Verdict.FAIL, Category.TRANSPORT, message, cause=cause)
    elif exchange.refused_unread:  # seen from the refused request itself: the answer to its body came behind
        message = (
            f"{exchange.overrun} byte(s) came behind the {exchange.status}: the server answered without reading "
            "the body, kept the connection, and answered that body as a request of its own"
        )
        yield Violation("keep-alive", Verdict.FAIL, Category.TRANSPORT, message, cause=cause)


@check("no-server-error")
def no_server_error(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """No client payload may cause a 5xx, documented 500 included: it is the server's fault."""
    if _answered(exchange) and exchange.status >= 500:  # type: ignore[operator]
        message = f"server error {exchange.status}"
        yield Violation(
            "no-server-error", Verdict.FAIL, Category.SERVER_ERROR, message, cause=f"answered {exchange.status}"
        )


def _placeholder_refused(exchange: Exchange, kind: Kind) -> bool:
    """A 401 or 403 to the OAuth path travelled with the placeholder client id (the run has no --client-id),
    for a request that could have been accepted: a credential that must be refused is judged there as anywhere."""
    if kind.credentials and kind.rejects:
        return False
    client_id = next((v for k, v in exchange.request_headers.items() if k.lower() == "x-fax-clientid"), None)
    return exchange.status in (401, 403) and client_id == PLACEHOLDER_CLIENT_ID


@check("oauth-path")
def oauth_path(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """The OAuth path with a placeholder `x-fax-clientid`: refusing a client id it never issued is the
    server's right, so the path is not judged there (a warn, until the run is given `--client-id`)."""
    if _placeholder_refused(exchange, kind):
        message = f"{exchange.status} on the OAuth path with a placeholder x-fax-clientid: give --client-id to judge it"
        yield Violation(
            "oauth-path",
            Verdict.WARN,
            Category.SPEC_GAP,
            message,
            cause="the OAuth path was not judged: the placeholder client id was refused (give --client-id)",
        )


@check("status")
def status(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """The status must be the one the contract (or, where it is silent, the policy) expects."""
    if not _answered(exchange) or exchange.status >= 500 or _placeholder_refused(exchange, kind):  # type: ignore[operator]
        return
    rule = judge_status(kind, exchange.status)  # type: ignore[arg-type]
    if rule.verdict is not Verdict.PASS:
        message = f"{exchange.status} for {_a(kind)} request: {rule.reason}"
        cause, broken = _status_cause(exchange, kind, rule.category, contract)
        yield Violation("status", rule.verdict, rule.category, message, cause=cause, rule=broken)


def _broken_rule(body: bytes | None, contract: Contract) -> Rule | None:
    """The schema rule a request body breaks (`numbers/*:pattern`), or None for a valid one or no JSON."""
    value = strict_json(body) if body is not None else MISSING
    if value is MISSING and body is not None:
        value = shallow_json(body)  # nested past Python's limit: what its top breaks names the rule
    if value is MISSING:
        return None
    errors = contract.errors("Webhook", value)
    if not errors:
        return None
    # A wrong type is the first thing wrong with a value: `["fax_received"]` breaks `event:type`, and
    # its `enum` error only follows from it (a server that unwraps it enforces the enum all right).
    first = next((e for e in errors if e.validator == "type"), errors[0])
    return Rule.at(first.absolute_path, str(first.validator))


# The wire rule a request of this kind breaks: accepting it leaves that rule unchecked.
_WIRE_RULES = {Kind.NOT_JSON: NOT_JSON, Kind.NO_BODY: NO_BODY}


def _status_cause(exchange: Exchange, kind: Kind, category: Category, contract: Contract) -> tuple[str, Rule | None]:
    """One root cause per broken rule: an invalid Webhook accepted is grouped by the rule it breaks
    (which the cause names, and returns beside it); a wrong status by the kind of request and the
    status, whichever family sent it (no one rule)."""
    if category is Category.INVALID_ACCEPTED and _says_error(exchange, contract):
        # The body refuses (an Error, no WebhookId): one wrong status, not a rule left unchecked.
        return f"answered {exchange.status} with an Error to a request it must reject", None
    rule = _broken_rule(exchange.request_body, contract) if category is Category.INVALID_ACCEPTED else None
    if category is Category.INVALID_ACCEPTED and (kind is Kind.INVALID or rule is not None):
        # Named by the rule it breaks, whatever else the request is (a body over 64 KB that breaks
        # `:additionalProperties` is the same cause as a small one).
        return f"accepted a Webhook that breaks {rule or 'the schema'}", rule
    if (
        category is Category.INVALID_ACCEPTED
        and kind is Kind.OVER_LIMITS
        and exchange.request_media_type != "application/json"
    ):
        cause = "accepted a body under a media type of its own (text, form data, XML): no Webhook can be read from it"
        return cause, None
    if category is Category.INVALID_ACCEPTED:
        return f"accepted {_a(kind)} request", _WIRE_RULES.get(kind)
    return _other_status_cause(exchange, kind, category), None


def _other_status_cause(exchange: Exchange, kind: Kind, category: Category) -> str:
    """The cause of a wrong status that is not an invalid request accepted: no rule of its own."""
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


def _says_error(exchange: Exchange, contract: Contract) -> bool:
    body = exchange.response_json()
    return isinstance(body, dict) and bool(body) and contract.is_valid("Error", body) and "id" not in body


@check("content-type")
def content_type(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """Every documented answer (200, 400, 500) is `application/json`."""
    if _answered(exchange) and _documented(exchange, kind, contract) and exchange.media_type != "application/json":
        got = exchange.response_headers.get("content-type", "no Content-Type")
        yield Violation(
            "content-type",
            Verdict.FAIL,
            Category.SCHEMA_MISMATCH,
            f"{exchange.status} answered with {got}, the contract documents application/json",
            cause=f"documented answers with {exchange.media_type or 'no Content-Type'}",
        )


@check("response-schema")
def response_schema(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """The body is a `WebhookId` on 200 and an `Error` on 400 / 500, per the vendored schemas."""
    name = _documented(exchange, kind, contract) if _answered(exchange) else None
    if name is None:
        return
    body = exchange.response_json()
    if body is UNREADABLE:
        yield Violation(
            "response-schema",
            Verdict.FAIL,
            Category.SCHEMA_MISMATCH,
            f"{exchange.status} body is not JSON; the contract documents {name}",
            cause=f"{name} body is not JSON",
        )
        return
    errors = contract.errors(name, body)
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
def response_detail(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """Warns where a body satisfies the letter of a weak schema but helps no client.

    `Error` has no `type: object` and no required fields, and `WebhookId.id` may be empty.
    """
    name = _documented(exchange, kind, contract) if _answered(exchange) else None
    body = exchange.response_json() if name else UNREADABLE
    if body is UNREADABLE:
        return
    if name == "Error" and not isinstance(body, dict):
        yield Violation("response-detail", Verdict.WARN, Category.SPEC_GAP, "Error is not a JSON object")
    elif name == "Error" and not body.get("error"):
        yield Violation("response-detail", Verdict.WARN, Category.SPEC_GAP, "Error carries no `error` code")
    elif name == "WebhookId" and isinstance(body, dict) and body.get("id") == "":
        yield Violation("response-detail", Verdict.WARN, Category.SPEC_GAP, "WebhookId.id is an empty string")


@check("addressable-id")
def addressable_id(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
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


# --- hygiene: what an answer should never carry (warns: the contract is silent) ---------------------


def _credentials(exchange: Exchange) -> dict[str, str]:
    """What the request carried as credentials → where: the Authorization value (and its credential
    after the scheme), x-fax-clientid, cookies, an `access_token` in the query. Short ones are left out:
    a credential under WEAK characters is a word of ordinary text too (`--token t`)."""
    found: dict[str, str] = {}
    for name, value in exchange.request_headers.items():
        lower = name.lower()
        if lower == "authorization":
            found[value.split(" ", 1)[-1].strip()] = "Authorization"
        elif lower in ("x-fax-clientid", "cookie", "proxy-authorization"):
            found[value.strip()] = name
    try:
        query = parse_qs(urlsplit(exchange.url).query)
    except ValueError:
        query = {}
    for value in query.get("access_token", []):
        found[value] = "the access_token query parameter"
    return {credential: where for credential, where in found.items() if len(credential) >= WEAK}


def _answer_texts(exchange: Exchange) -> dict[str, str]:
    """Where an answer can carry text → that text: its body and each header value."""
    texts = {"the body": exchange.response_body.decode("utf-8", "replace")}
    texts.update({f"the {name} header": value for name, value in exchange.response_headers.items()})
    return texts


@functools.lru_cache(maxsize=64)  # a run sends a handful of credentials, thousands of times
def _finder(credential: str) -> Redactor:
    return Redactor({credential: "[x]"})


@check("echoed-credential")
def echoed_credential(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """An answer must not carry back a credential the request sent, in any spelling (raw, base64, JSON
    or percent escapes, HTML references): it ends up in logs, caches and error trackers."""
    if not _answered(exchange):
        return
    credentials = _credentials(exchange)
    if not credentials:
        return
    # The Redactor finds a secret in every spelling: whatever it would mask is an echo.
    finders = [(_finder(credential), sent_in) for credential, sent_in in credentials.items()]
    for where, text in _answer_texts(exchange).items():
        for finder, sent_in in finders:
            if finder.text(text) != text:
                message = f"{where} echoes the credential sent in {sent_in} (masked in this report)"
                yield Violation(
                    "echoed-credential",
                    Verdict.WARN,
                    Category.SPEC_GAP,
                    message,
                    cause="the answer echoes a credential",
                )
                return


# What a server's internals look like when they leak into an answer: (what it is, how it reads).
INTERNALS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (what, re.compile(pattern))
    for what, pattern in (
        ("a Python traceback", r'Traceback \(most recent call last\)|File "[^"\n]+", line \d+, in '),
        ("a Java stack trace", r"\bat [\w$.]+\([\w$]+\.(?:java|kt|scala):\d+\)|Exception in thread \""),
        ("a .NET stack trace", r"\bat [\w.`<>]+\([^)\n]*\) in [^\n]+:line \d+"),
        ("a Node.js stack trace", r"\n\s+at (?:[\w.<>$]+ )?\(?(?:/|[A-Za-z]:\\|node:)[^)\s]+:\d+:\d+\)?"),
        ("a Go panic", r"goroutine \d+ \[running\]|\bpanic: runtime error"),
        ("a PHP error", r"(?:Fatal error|Parse error|Uncaught \w+): .{0,300}? in /\S+\.php(?: on line |:)\d+"),
        # A path starts where no path character precedes it: `\S+` tried at every offset of a long
        # token (a base64 echo) is quadratic.
        ("a Ruby backtrace", r"(?<![\w./-])[\w./-]+\.rb:\d+:in [`']"),
        (
            "an SQL error",
            r"SQLSTATE\[|\bORA-\d{5}\b|syntax error at or near \"|You have an error in your SQL syntax"
            r"|\bsqlite3\.\w*Error\b|\bpsycopg2?\.(?:errors\.)?\w+|\bSQLException\b|\bunterminated quoted string\b",
        ),
        (
            "an internal exception name",
            r"\b[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)+\.[A-Z]\w*(?:Exception|Error)\b"
            r"|\b(?:KeyError|AttributeError|NameError|ZeroDivisionError|UnboundLocalError|RecursionError"
            r"|NullPointerException|IllegalArgumentException|IllegalStateException|ClassCastException"
            r"|NullReferenceException|InvalidOperationException|ArgumentNullException)\b"
            r"|\b(?:TypeError|ValueError|IndexError|RuntimeError|AssertionError|ReferenceError): ",
        ),
    )
)
# Secrets of the server itself that a leaked trace may hold: URL user info, `password=...` and the like.
_SERVER_SECRETS = re.compile(
    r"(?<=://)[^/\s:@]+:[^/\s@]+(?=@)"  # user:password@ in a connection string
    r"|(?i:(?<=password=)|(?<=passwd=)|(?<=pwd=)|(?<=secret=)|(?<=token=)|(?<=api_key=)|(?<=apikey=))[^\s&,;'\"]+"
)


def _readable(exchange: Exchange) -> str:
    """The body as a reader sees it: a JSON body's strings (escapes decoded, one per line), else its text."""
    body = exchange.response_json()
    if body is UNREADABLE:
        return exchange.response_body.decode("utf-8", "replace")
    strings: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            strings.append(value)
        elif isinstance(value, dict):
            for key, item in value.items():
                strings.append(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(body)
    return "\n".join(strings)


def masked_excerpt(text: str, start: int, end: int, exchange: Exchange) -> str:
    """The leaked line around text[start:end], with the request's credentials and the server's own
    secrets (URL user info, `password=`, `token=`, ...) masked, at most 120 characters."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line = text[line_start : line_end if line_end != -1 else len(text)].strip()
    line = Redactor({c: "[credential]" for c in _credentials(exchange)}).text(line)
    line = _SERVER_SECRETS.sub("[redacted]", line)
    return line if len(line) <= 120 else line[:117] + "…"


@check("internal-detail")
def internal_detail(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """An answer must not show the server's internals (a stack trace, an SQL error, an exception name):
    they help an attacker and no client (OWASP: improper error handling)."""
    if not _answered(exchange):
        return
    texts = _answer_texts(exchange)
    texts["the body"] = _readable(exchange)
    for where, text in texts.items():
        for what, pattern in INTERNALS:
            found = pattern.search(text)
            if found:
                excerpt = masked_excerpt(text, found.start(), found.end(), exchange)
                yield Violation(
                    "internal-detail",
                    Verdict.WARN,
                    Category.SPEC_GAP,
                    f"{where} shows {what}: {excerpt}",
                    cause=f"the answer shows {what}",
                )
                return


class IssuedIds:
    """The ids each server gave this process's registrations, and when each answer was judged.

    A run deletes a webhook only after its answer is judged, so a webhook whose answer had not been
    judged when a later request left was certainly still registered when the server answered that
    request: the same id for both is one id for two live webhooks. (A server that reuses the id of a
    webhook already deleted is not blamed: its delete may have been answered before.)
    """

    LIMIT = 100_000  # ids kept per server

    def __init__(self) -> None:
        self._judged: dict[str, OrderedDict[str, float]] = {}
        self._lock = threading.Lock()

    def issued(self, server: str, hook_id: str, sent_at: float | None) -> float | None:
        """Record `hook_id`; return when an earlier answer with that id was judged, if `sent_at` precedes it."""
        now = time.monotonic()
        with self._lock:
            ids = self._judged.setdefault(server, OrderedDict())
            earlier = ids.get(hook_id)
            ids[hook_id] = now
            ids.move_to_end(hook_id)
            if len(ids) > self.LIMIT:
                ids.popitem(last=False)
        if earlier is not None and sent_at is not None and sent_at < earlier:
            return earlier
        return None


ISSUED = IssuedIds()


def _server(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path.rsplit('/hooks', 1)[0]}"


@check("id-reuse")
def id_reuse(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """Each live webhook has an id of its own: the contract addresses one webhook with DELETE /hooks/{id}."""
    hook_id = exchange.registered_id
    if hook_id is None or exchange.method != "POST":
        return
    if ISSUED.issued(_server(exchange.url), hook_id, exchange.sent_at) is not None:
        yield Violation(
            "id-reuse",
            Verdict.WARN,
            Category.SPEC_GAP,
            f"id {hook_id[:64]!r} was already given to another webhook of this run that was still registered: "
            "DELETE /hooks/{id} cannot address them one by one",
            cause="an id given to two live webhooks",
        )


def _duplicate_keys(text: str) -> list[str]:
    found: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen and key not in found:
                found.append(key)
            seen.add(key)
        return dict(items)

    try:
        json.loads(text, object_pairs_hook=pairs)
    except (ValueError, RecursionError):
        return []
    return found


@check("duplicate-key")
def duplicate_key(exchange: Exchange, kind: Kind, contract: Contract) -> Iterator[Violation]:
    """The names within a JSON object should be unique (RFC 8259 §4): with a repeated one, which value a
    client reads depends on its parser (the first, the last, or an error)."""
    if not _answered(exchange) or not exchange.response_body or b'"' not in exchange.response_body:
        return
    try:
        text = exchange.response_body.decode("utf-8")
    except UnicodeDecodeError:
        return
    keys = _duplicate_keys(text)
    if keys:
        names = ", ".join(json.dumps(k)[:40] for k in keys[:3])
        yield Violation(
            "duplicate-key",
            Verdict.WARN,
            Category.SPEC_GAP,
            f"the body repeats the name {names} within one object (RFC 8259 §4: names SHOULD be unique; "
            "parsers disagree on which value wins)",
            cause="a JSON object with a repeated name",
        )


def run_checks(exchange: Exchange, kind: Kind, contract: Contract) -> list[Violation]:
    """Every registered check's Violations for `exchange`, judged under `contract`."""
    return [violation for func in CHECKS.values() for violation in func(exchange, kind, contract)]
