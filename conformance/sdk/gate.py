"""The SDK release gate: drive an SDK through the contract against the reference mock.

Three groups of checks, each finding keyed by (family, check) in a judge Ledger:

* `valid/...`: every valid Webhook (every event, `numbers` absent, a list or null, a client `id`)
  must be expressible through the SDK, and the request it puts on the wire must be the intended
  Webhook: JSON, valid against the contract, equal to the intent once null-valued keys are
  dropped (`numbers: null` and no `numbers` mean the same: no filtering), Content-Type
  application/json, `Authorization: Bearer <token>`, posted to base URL + /hooks.
* `response/200|400|500`: every reply the contract documents must be surfaced: the WebhookId's
  id as the result; an Error as an error carrying the status and the Error's fields.
* `server-fault/...`: catalogue faults (a server breaking the contract) show how the SDK copes.
  These are informational for SDK authors: at most warns, never fails.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from conformance.contract import CONTRACT
from conformance.judge import CaseResult, Category, Kind, Ledger, Reproduction, Verdict, Violation
from conformance.mock import MockServer, Reply, Request
from conformance.tiers import TIERS

from . import faults as gate_faults
from .protocol import Driver

JSON = "application/json"
REPLAY_ORIGIN = "http://127.0.0.1:8080"  # where `faxplus-conformance mock --port 8080` listens
REPLAY_TOKEN = "mock-token"  # the token that mock accepts by default
BASE: dict[str, Any] = {"target": "https://example.com/sdk-gate/response", "event": "fax_received"}

FAIL, WARN = Verdict.FAIL, Verdict.WARN


@dataclass(frozen=True)
class SdkReproduction(Reproduction):
    """A Reproduction whose replay is an SDK call: the wire fields say what the SDK sent."""

    sdk_call: str = ""
    driver_replay: str = ""
    driver_answer: dict[str, Any] = field(default_factory=dict)
    server: str = "faithful reference mock"


@dataclass
class Observed:
    """One register call: what the gate asked, what the driver answered, what crossed the wire."""

    webhook: dict[str, Any]
    request: dict[str, Any]
    answer: dict[str, Any]
    wire: list[tuple[Request, Reply]]
    base_path: str
    server: str

    @property
    def posts(self) -> list[tuple[Request, Reply]]:
        return [(req, rep) for req, rep in self.wire if req.method == "POST"]

    @property
    def reply(self) -> Reply | None:
        posts = self.posts
        return posts[0][1] if posts else None


class _RecordingMock(MockServer):
    """The reference mock, also remembering the reply it gave to each request."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.exchanges: list[tuple[Request, Reply]] = []

    def respond(self, request: Request) -> Reply:
        reply = super().respond(request)
        self.exchanges.append((request, reply))
        return reply


@dataclass
class GateRun:
    """Everything the reports need; the `run` object of conformance.sdk.report."""

    driver: Driver
    driver_replay: str
    sdk: dict[str, Any]
    tier: str
    seed: int | None
    output_dir: Path
    spec: str | None = None
    token: str = field(default_factory=lambda: "sdk-gate-" + secrets.token_hex(8), repr=False)
    ledger: Ledger = field(default_factory=Ledger)
    server_faults: list[dict[str, Any]] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    requests: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def verdict(self) -> Verdict:
        return self.ledger.verdict


# --- corpus ------------------------------------------------------------------------------------------


def edge_webhooks() -> list[dict[str, Any]]:
    """Each event alone, then `numbers` as a list (both length boundaries), as null, and an `id`."""
    out: list[dict[str, Any]] = [
        {"target": f"https://example.com/sdk-gate/{event}", "event": event} for event in CONTRACT.events
    ]
    out += [
        {"target": "https://example.com/sdk-gate/one-number", "event": "fax_received", "numbers": ["+12135550123"]},
        {"target": "https://example.com/sdk-gate/bounds", "event": "fax_sent", "numbers": ["+12", "+123456789012345"]},
        {"target": "https://example.com/sdk-gate/null", "event": "fax_page_received", "numbers": None},
        {"target": "https://example.com/sdk-gate/id", "event": "fax_sent", "id": "0123456789abcdef01234567"},
    ]
    return out


def drawn_webhooks(count: int, *, seed: int | None) -> list[dict[str, Any]]:
    """`count` Webhooks from strategies.webhooks(): derandomized without a seed, else replayable from it."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as with_seed

    from strategies import webhooks

    out: list[dict[str, Any]] = []

    @settings(
        max_examples=count,
        derandomize=seed is None,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(webhooks())
    def collect(webhook: dict[str, Any]) -> None:
        out.append(webhook)

    (with_seed(seed)(collect) if seed is not None else collect)()
    seen: set[str] = set()
    unique = []
    for webhook in out:
        key = json.dumps(webhook, sort_keys=True)
        if key not in seen:
            seen.add(key)
            unique.append(webhook)
    return unique[:count]


def family_of(webhook: dict[str, Any]) -> str:
    if "numbers" in webhook:
        return "valid/numbers=null" if webhook["numbers"] is None else "valid/numbers=list"
    if "id" in webhook:
        return "valid/id"
    return f"valid/event={webhook['event']}"


def without_nulls(value: Any) -> Any:
    """The gate's reading of absent vs null: a null-valued key is the same as an absent one."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value


def _strict_json(raw: bytes | None) -> tuple[bool, Any]:
    def reject(name: str) -> Any:
        raise ValueError(name)

    try:
        return True, json.loads((raw or b"").decode("utf-8"), parse_constant=reject)
    except (UnicodeDecodeError, ValueError):
        return False, None


# --- the gate ----------------------------------------------------------------------------------------


class Gate:
    def __init__(self, run: GateRun) -> None:
        self.run = run
        self._seen_notes: set[tuple[str, str]] = set()

    # exchanges
    def _register(self, mock: _RecordingMock, webhook: dict[str, Any], server: str) -> Observed:
        before = len(mock.exchanges)
        request = {"op": "register", "base_url": mock.url, "token": self.run.token, "webhook": webhook}
        answer = self.run.driver.call(request)
        wire = mock.exchanges[before:]
        self.run.requests += len(wire)
        return Observed(webhook, request, answer, wire, urlsplit(mock.url).path, server)

    def _reproduction(self, obs: Observed) -> SdkReproduction:
        posts = obs.posts
        req, rep = posts[0] if posts else (None, None)
        headers = {}
        if req is not None:
            headers = {k: v for k, v in req.headers.items() if k in ("content-type", "authorization", "accept")}
        body = req.body.decode("utf-8", "replace") if req is not None and req.body is not None else None
        url = f"{REPLAY_ORIGIN}{req.path}" if req is not None else ""
        curl = ""
        if req is not None:
            import shlex

            parts = ["curl", "-X", req.method, shlex.quote(url)]
            for name, value in headers.items():
                parts += ["-H", shlex.quote(f"{name}: {value}")]
            if body is not None:
                parts += ["--data-raw", shlex.quote(body)]
            curl = " ".join(parts)
        answer = {k: v for k, v in obs.answer.items() if k not in ("call", "trace")}
        error = obs.answer.get("exception") or obs.answer.get("unsupported") or obs.answer.get("crash")
        return SdkReproduction(
            curl=curl,
            method=req.method if req is not None else "",
            url=url,
            request_headers=headers,
            request_body=body,
            status=rep.status if rep is not None and not rep.drop else None,
            response_headers={"content-type": rep.content_type or ""} if rep is not None else {},
            response_body=rep.body.decode("utf-8", "replace") if rep is not None else "",
            error=error,
            sdk_call=str(obs.answer.get("call") or ""),
            driver_replay=f"echo {_shell(json.dumps(obs.request))} | {self.run.driver_replay}",
            driver_answer=answer,
            server=obs.server,
        )

    def _record(self, obs: Observed, family: str, violations: list[Violation]) -> None:
        self.run.ledger.add(
            CaseResult(f"sdk::{family}", family, Kind.VALID, tuple(violations), self._reproduction(obs))
        )

    def _notes(self, obs: Observed) -> list[Violation]:
        """The driver's notes on typed-API gaps, each reported once: where it was first seen."""
        out = []
        for note in obs.answer.get("notes") or []:
            check, message = "driver-note", str(note)
            if isinstance(note, dict):
                check, message = str(note.get("check") or check), str(note.get("message"))
            if (check, message) not in self._seen_notes:
                self._seen_notes.add((check, message))
                out.append(Violation(check, WARN, Category.SPEC_GAP, message))
        return out

    # checks
    def _expressible(self, obs: Observed) -> list[Violation]:
        a = obs.answer
        if "crash" in a:
            return [Violation("driver", FAIL, Category.TRANSPORT, f"the SDK driver crashed: {a['crash']}")]
        if "unsupported" in a:
            return [
                Violation(
                    "expressible",
                    FAIL,
                    Category.VALID_REJECTED,
                    f"this valid Webhook cannot be expressed through the SDK: {a['unsupported']}",
                )
            ]
        if not a.get("ok") and a.get("status") is None and not obs.posts:
            why = a.get("exception") or a.get("error") or "no reason given"
            return [
                Violation(
                    "expressible",
                    FAIL,
                    Category.VALID_REJECTED,
                    f"the SDK refused this valid Webhook before sending it: {why}",
                )
            ]
        return []

    def _wire(self, obs: Observed) -> list[Violation]:
        posts = obs.posts
        if not posts:
            if obs.answer.get("ok"):
                return [Violation("wire", FAIL, Category.TRANSPORT, "the SDK reported success but sent no request")]
            return []
        out = []
        if len(posts) > 1:
            out.append(
                Violation(
                    "wire-retries", WARN, Category.SPEC_GAP, f"one call put {len(posts)} POST requests on the wire"
                )
            )
        req = posts[0][0]
        expected = f"{obs.base_path}/hooks"
        path = req.path.split("?", 1)[0]
        if path != expected:
            out.append(
                Violation(
                    "wire-path",
                    FAIL,
                    Category.INVALID_ACCEPTED,
                    f"the SDK posted to {path}, not {expected} (the base URL it was given + /hooks)",
                )
            )
        media = (req.header("content-type") or "").split(";")[0].strip().lower()
        if media != JSON:
            out.append(
                Violation(
                    "wire-content-type",
                    FAIL,
                    Category.INVALID_ACCEPTED,
                    f"Content-Type is {req.header('content-type')!r}, not application/json",
                )
            )
        auth = req.header("authorization")
        if auth != f"Bearer {self.run.token}":
            shown = "absent" if auth is None else repr(auth.replace(self.run.token, "<token>"))
            out.append(
                Violation("wire-auth", FAIL, Category.AUTH, f"Authorization header is {shown}, not 'Bearer <token>'")
            )
        ok, body = _strict_json(req.body)
        if not ok:
            out.append(Violation("wire-json", FAIL, Category.INVALID_ACCEPTED, "the request body is not JSON"))
            return out
        errors = CONTRACT.errors("Webhook", body)
        if errors:
            why = "; ".join(f"{'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}" for e in errors[:3])
            out.append(
                Violation(
                    "wire-schema", FAIL, Category.INVALID_ACCEPTED, f"the request body is not a valid Webhook: {why}"
                )
            )
        elif without_nulls(body) != without_nulls(obs.webhook):
            out.append(
                Violation(
                    "wire-equal",
                    FAIL,
                    Category.INVALID_ACCEPTED,
                    f"the SDK sent {json.dumps(body)} for the intended {json.dumps(obs.webhook)}",
                )
            )
        return out

    def _surfaced(self, obs: Observed) -> tuple[str, list[Violation]] | None:
        """Checks of how the SDK surfaced the faithful mock's reply, under `response/<status>`."""
        a, reply = obs.answer, obs.reply
        if reply is None or "crash" in a or reply.drop:
            return None
        family = f"response/{reply.status}"
        if reply.status == 200:
            sent = reply.json().get("id")
            if not a.get("ok"):
                why = a.get("exception") or f"status {a.get('status')!r}"
                return family, [
                    Violation(
                        "result-id",
                        FAIL,
                        Category.SCHEMA_MISMATCH,
                        f"the server answered 200 + WebhookId, the SDK reported an error: {why}",
                    )
                ]
            if a.get("id") != sent:
                return family, [
                    Violation(
                        "result-id",
                        FAIL,
                        Category.SCHEMA_MISMATCH,
                        f"the SDK's result carries id {a.get('id')!r}; the server sent {sent!r}",
                    )
                ]
            return family, []
        return family, self._error_surfaced(obs, reply)

    @staticmethod
    def _error_surfaced(obs: Observed, reply: Reply) -> list[Violation]:
        a = obs.answer
        status = reply.status
        if a.get("ok"):
            return [
                Violation(
                    "error-surfaced",
                    FAIL,
                    Category.WRONG_STATUS,
                    f"the server answered {status} + Error, the SDK reported success (id={a.get('id')!r})",
                )
            ]
        out = []
        if a.get("status") != status:
            out.append(
                Violation(
                    "error-status",
                    FAIL,
                    Category.SCHEMA_MISMATCH,
                    f"the SDK's error carries status {a.get('status')!r}, not the server's {status}",
                )
            )
        sent = reply.json() if reply.content_type == JSON else {}
        got = {"error": a.get("error"), "description": a.get("description")}
        want = {"error": sent.get("error"), "description": sent.get("description")}
        if got != want:
            out.append(
                Violation(
                    "error-fields",
                    FAIL,
                    Category.SCHEMA_MISMATCH,
                    f"the SDK's error carries {json.dumps(got)}; the server's Error was {json.dumps(want)}",
                )
            )
        return out

    # groups
    def check_valid(self, webhooks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Register every valid Webhook on a faithful mock; return the ones the SDK could express."""
        expressed = []
        with _RecordingMock(token=self.run.token) as mock:
            for webhook in webhooks:
                obs = self._register(mock, webhook, "faithful reference mock")
                family = family_of(webhook)
                violations = self._expressible(obs) + self._wire(obs) + self._notes(obs)
                self._record(obs, family, violations)
                surfaced = self._surfaced(obs)
                if surfaced:
                    self._record(obs, *surfaced)
                if not any(v.check in ("expressible", "driver") for v in violations):
                    expressed.append(webhook)
        return expressed

    def check_errors(self, webhook: dict[str, Any]) -> None:
        """The documented Error replies (400, 500) to a valid Webhook the SDK can express."""
        for status in (400, 500):
            family = f"response/{status}"
            fault = gate_faults.forced(status)
            with _RecordingMock(token=self.run.token, fault=fault) as mock:
                obs = self._register(mock, webhook, f"mock answering {status} + Error (gate fault {fault.name})")
            if "unsupported" in obs.answer:
                self.run.not_run.append(f"{family}: the SDK cannot express {json.dumps(webhook)}")
                continue
            reply = obs.reply
            violations = self._expressible(obs) + self._wire(obs) + self._notes(obs)
            if reply is not None and "crash" not in obs.answer:
                violations += self._error_surfaced(obs, reply)
            self._record(obs, family, violations)

    def check_server_faults(self, webhook: dict[str, Any]) -> None:
        for fault, side in gate_faults.server_faults():
            with _RecordingMock(token=self.run.token, fault=fault) as mock:
                server = f"mock with fault {fault.name}" + (" on a forced 400" if side == "rejection" else "")
                obs = self._register(mock, webhook, server)
            violation, behaviour = _fault_behaviour(obs, side)
            family = f"server-fault/{fault.name}"
            self._record(obs, family, [violation] if violation else [])
            self.run.server_faults.append(
                {
                    "fault": fault.name,
                    "description": fault.description,
                    "side": side,
                    "verdict": str(violation.verdict if violation else Verdict.PASS),
                    "behaviour": behaviour,
                    "server_status": obs.reply.status if obs.reply and not obs.reply.drop else None,
                }
            )

    def run_all(self, webhooks: list[dict[str, Any]]) -> GateRun:
        expressed = self.check_valid(webhooks)
        probe = next((w for w in expressed if w == BASE), None) or next(iter(expressed), None) or BASE
        self.check_errors(probe)
        self.check_server_faults(probe)
        return self.run


def _describe(answer: dict[str, Any]) -> str:
    if "crash" in answer:
        return f"driver crashed: {answer['crash']}"
    if "unsupported" in answer:
        return f"unsupported: {answer['unsupported']}"
    if answer.get("ok"):
        return f"returned success with id={answer.get('id')!r}"
    fields = {k: answer.get(k) for k in ("status", "error", "description") if answer.get(k) is not None}
    exception = str(answer.get("exception") or "").split("\n", 1)[0][:160]
    return f"raised {exception or 'an error'} {json.dumps(fields)}".strip()


def _fault_behaviour(obs: Observed, side: str) -> tuple[Violation | None, str]:
    """How sensible the SDK's reaction to a broken server is: None (sensible) or a warn."""
    a, reply = obs.answer, obs.reply
    behaviour = _describe(a)

    def warn(message: str) -> tuple[Violation, str]:
        return Violation("sdk-behaviour", WARN, Category.SPEC_GAP, f"{message} (the SDK {behaviour})"), behaviour

    if "crash" in a:
        return warn("the driver crashed on a broken server reply")
    if "unsupported" in a:
        return None, behaviour
    status = reply.status if reply is not None and not reply.drop else None
    if side == "success":
        if a.get("ok"):
            ok, parsed = _strict_json(reply.body if reply is not None else None)
            sent = parsed.get("id") if ok and isinstance(parsed, dict) else None
            got = a.get("id")
            if not isinstance(got, str) or not got:
                return warn(f"the server's {status} reply carried no usable id, yet the SDK reported success")
            if got != sent:
                return warn(f"the server sent id {sent!r}; the SDK surfaced {got!r} without complaint")
            return None, behaviour
        if a.get("status") is None:
            return warn("the SDK raised an error without an HTTP status")
        return None, behaviour
    if a.get("ok"):
        return warn(f"a {status} rejection was surfaced as success")
    if a.get("status") != status:
        return warn(f"the SDK's error carries status {a.get('status')!r}, the server answered {status}")
    return None, behaviour


def _shell(text: str) -> str:
    import shlex

    return shlex.quote(text)


def iter_corpus(tier: str, seed: int | None) -> Iterator[dict[str, Any]]:
    yield from edge_webhooks()
    settings = TIERS[tier]  # type: ignore[index]
    yield from drawn_webhooks(settings.valid_examples, seed=None if tier == "ci" else seed)
