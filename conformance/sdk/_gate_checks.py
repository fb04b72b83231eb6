"""The SDK gate's checks: small registered functions, each judging one aspect of one SDK call.

Two stages, as the gate judges them: `request` checks read what the SDK was asked and what it put on
the wire (every call); `answer` checks read how it surfaced the mock's documented reply (200 with a
WebhookId, 400/500 with an Error). Adding a check is one `@check(stage, name)` function; each is
given the call, the gate's token and the contract the gate runs under.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Literal

from conformance.contract import Contract
from conformance.judge import MISSING, Category, Verdict, Violation, strict_json

from ._corpus import without_nulls
from ._observed import Observed

FAIL = Verdict.FAIL
JSON = "application/json"
Stage = Literal["request", "answer"]
SdkCheck = Callable[[Observed, str, Contract], Iterable[Violation]]  # (the call, the gate's token, the contract)
CHECKS: dict[Stage, dict[str, SdkCheck]] = {"request": {}, "answer": {}}


def check(stage: Stage, name: str) -> Callable[[SdkCheck], SdkCheck]:
    def register(func: SdkCheck) -> SdkCheck:
        if name in CHECKS[stage]:
            raise ValueError(f"SDK check {name!r} is registered twice")
        CHECKS[stage][name] = func
        return func

    return register


def run_checks(stage: Stage, obs: Observed, token: str, contract: Contract) -> list[Violation]:
    return [v for func in CHECKS[stage].values() for v in func(obs, token, contract)]


def answered(obs: Observed) -> bool:
    """The mock replied, and the driver lived to tell what the SDK made of it."""
    return obs.reply is not None and not obs.reply.drop and "crash" not in obs.answer


# --- request: was the valid Webhook expressed, and put on the wire as intended? --------------------
@check("request", "driver")
def driver(obs: Observed, token: str, contract: Contract) -> Iterator[Violation]:
    if "crash" in obs.answer:
        yield Violation("driver", FAIL, Category.TRANSPORT, f"the SDK driver crashed: {obs.answer['crash']}")


@check("request", "expressible")
def expressible(obs: Observed, token: str, contract: Contract) -> Iterator[Violation]:
    a = obs.answer
    if "crash" in a:
        return
    if "unsupported" in a:
        message = f"this valid Webhook cannot be expressed through the SDK: {a['unsupported']}"
        yield Violation("expressible", FAIL, Category.VALID_REJECTED, message)
    elif not a.get("ok") and a.get("status") is None and not obs.posts:
        why = a.get("exception") or a.get("error") or "no reason given"
        message = f"the SDK refused this valid Webhook before sending it: {why}"
        yield Violation("expressible", FAIL, Category.VALID_REJECTED, message)


@check("request", "wire")
def wire_sent(obs: Observed, token: str, contract: Contract) -> Iterator[Violation]:
    if not obs.posts and obs.answer.get("ok"):
        yield Violation("wire", FAIL, Category.TRANSPORT, "the SDK reported success but sent no request")


@check("request", "wire-retries")
def wire_retries(obs: Observed, token: str, contract: Contract) -> Iterator[Violation]:
    if len(obs.posts) > 1:
        message = f"one call put {len(obs.posts)} POST requests on the wire"
        yield Violation("wire-retries", Verdict.WARN, Category.SPEC_GAP, message)


@check("request", "wire-path")
def wire_path(obs: Observed, token: str, contract: Contract) -> Iterator[Violation]:
    for req, _ in obs.posts[:1]:
        expected, path = f"{obs.base_path}/hooks", req.path.split("?", 1)[0]
        if path != expected:
            message = f"the SDK posted to {path}, not {expected} (the base URL it was given + /hooks)"
            yield Violation("wire-path", FAIL, Category.INVALID_ACCEPTED, message)


@check("request", "wire-content-type")
def wire_content_type(obs: Observed, token: str, contract: Contract) -> Iterator[Violation]:
    for req, _ in obs.posts[:1]:
        if (req.header("content-type") or "").split(";")[0].strip().lower() != JSON:
            message = f"Content-Type is {req.header('content-type')!r}, not application/json"
            yield Violation("wire-content-type", FAIL, Category.INVALID_ACCEPTED, message)


@check("request", "wire-auth")
def wire_auth(obs: Observed, token: str, contract: Contract) -> Iterator[Violation]:
    for req, _ in obs.posts[:1]:
        auth = req.header("authorization")
        if auth != f"Bearer {token}":
            shown = "absent" if auth is None else repr(auth.replace(token, "<token>"))
            yield Violation("wire-auth", FAIL, Category.AUTH, f"Authorization header is {shown}, not 'Bearer <token>'")


@check("request", "wire-client-id")
def wire_client_id(obs: Observed, token: str, contract: Contract) -> Iterator[Violation]:
    """The OAuth path: the client id the SDK was configured with goes out as `x-fax-clientid`."""
    client_id = obs.request.get("client_id")
    for req, _ in obs.posts[:1] if client_id else []:
        got = req.header("x-fax-clientid")
        if got != client_id:
            shown = "absent" if got is None else repr(got)
            message = f"x-fax-clientid is {shown}, not the OAuth client id {client_id!r} the SDK was configured with"
            yield Violation("wire-client-id", FAIL, Category.AUTH, message)


@check("request", "wire-body")
def wire_body(obs: Observed, token: str, contract: Contract) -> Iterator[Violation]:
    """JSON, a valid Webhook, and the intended one (null-valued keys read as absent)."""
    for req, _ in obs.posts[:1]:
        body = strict_json(req.body or b"")
        if body is MISSING:
            yield Violation("wire-json", FAIL, Category.INVALID_ACCEPTED, "the request body is not JSON")
            return
        errors = contract.errors("Webhook", body)
        if errors:
            why = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}" for e in errors[:3])
            message = f"the request body is not a valid Webhook: {why}"
            yield Violation("wire-schema", FAIL, Category.INVALID_ACCEPTED, message)
        elif without_nulls(body) != without_nulls(obs.webhook):
            message = f"the SDK sent {json.dumps(body)} for the intended {json.dumps(obs.webhook)}"
            yield Violation("wire-equal", FAIL, Category.INVALID_ACCEPTED, message)


# --- answer: was the documented reply surfaced faithfully? -----------------------------------------
@check("answer", "result-id")
def result_id(obs: Observed, token: str, contract: Contract) -> Iterator[Violation]:
    """200 + WebhookId: the SDK's result carries the server's id."""
    reply, a = obs.reply, obs.answer
    if not answered(obs) or reply is None or reply.status != 200:
        return
    sent = reply.json().get("id")
    if not a.get("ok"):
        why = a.get("exception") or f"status {a.get('status')!r}"
        message = f"the server answered 200 + WebhookId, the SDK reported an error: {why}"
        yield Violation("result-id", FAIL, Category.SCHEMA_MISMATCH, message)
    elif a.get("id") != sent:
        message = f"the SDK's result carries id {a.get('id')!r}; the server sent {sent!r}"
        yield Violation("result-id", FAIL, Category.SCHEMA_MISMATCH, message)


@check("answer", "error-surfaced")
def error_surfaced(obs: Observed, token: str, contract: Contract) -> Iterator[Violation]:
    """An Error reply: surfaced as an error carrying the server's status and the Error's fields."""
    reply, a = obs.reply, obs.answer
    if not answered(obs) or reply is None or reply.status == 200:
        return
    status = reply.status
    if a.get("ok"):
        message = f"the server answered {status} + Error, the SDK reported success (id={a.get('id')!r})"
        yield Violation("error-surfaced", FAIL, Category.WRONG_STATUS, message)
        return
    if a.get("status") != status:
        message = f"the SDK's error carries status {a.get('status')!r}, not the server's {status}"
        yield Violation("error-status", FAIL, Category.SCHEMA_MISMATCH, message)
    sent = reply.json() if reply.content_type == JSON else {}
    got = {"error": a.get("error"), "description": a.get("description")}
    want = {"error": sent.get("error"), "description": sent.get("description")}
    if got != want:
        message = f"the SDK's error carries {json.dumps(got)}; the server's Error was {json.dumps(want)}"
        yield Violation("error-fields", FAIL, Category.SCHEMA_MISMATCH, message)
