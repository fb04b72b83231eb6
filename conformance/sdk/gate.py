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
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import conformance.sdk.gate_faults as gate_faults
from conformance.contract import Contract, vendored
from conformance.judge import CaseResult, Category, Kind, Ledger, Reproduction, Verdict, Violation
from conformance.send import Exchange, Redactor, curl

from ._behaviour import describe, fault_behaviour
from ._corpus import INVALID, family_of, iter_corpus
from ._gate_checks import answered, run_checks
from ._observed import Observed, RecordingMock
from .protocol import Driver

__all__ = ["BASE", "REPLAY_ORIGIN", "REPLAY_TOKEN", "Gate", "GateRun", "SdkReproduction", "iter_corpus"]

REPLAY_ORIGIN = "http://127.0.0.1:8080"  # where `faxplus-conformance mock --port 8080` listens
REPLAY_TOKEN = "mock-token"  # the token that mock accepts by default
BASE: dict[str, Any] = {"target": "https://example.com/sdk-gate/response", "event": "fax_received"}
CLIENT_ID = "sdk-gate-client"  # the OAuth client id the `auth/oauth` call configures (sent as x-fax-clientid)

FAIL, WARN = Verdict.FAIL, Verdict.WARN


@dataclass(frozen=True)
class SdkReproduction(Reproduction):
    """A Reproduction whose replay is an SDK call: the wire fields say what the SDK sent."""

    sdk_call: str = ""
    driver_replay: str = ""
    driver_answer: dict[str, Any] = field(default_factory=dict)
    server: str = "faithful reference mock"


@dataclass
class GateRun:
    """Everything the reports need; the `run` object of conformance.sdk.report."""

    driver: Driver
    driver_replay: str
    sdk: dict[str, Any]
    tier: str
    seed: int | None
    output_dir: Path
    spec: str | None = None  # the SDK's own spec (a requirement, a folder), not the contract
    contract: Contract = field(default_factory=vendored)  # what the mocks serve and the checks judge by (`--spec`)
    token: str = field(default_factory=lambda: "sdk-gate-" + secrets.token_hex(8), repr=False)
    ledger: Ledger = field(default_factory=Ledger)
    server_faults: list[dict[str, Any]] = field(default_factory=list)
    not_run: list[str] = field(default_factory=list)
    client_validation: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def verdict(self) -> Verdict:
        return self.ledger.verdict


# --- the gate ----------------------------------------------------------------------------------------


class Gate:
    def __init__(self, run: GateRun) -> None:
        self.run = run
        self._seen_notes: set[tuple[str, str]] = set()

    # exchanges
    def _register(
        self, mock: RecordingMock, webhook: dict[str, Any], server: str, client_id: str | None = None
    ) -> Observed:
        before = len(mock.exchanges)
        request = {"op": "register", "base_url": mock.url, "token": self.run.token, "webhook": webhook}
        if client_id:
            request["client_id"] = client_id  # the OAuth path; without it, the personal access token path
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
        # The suite's own curl builder; the gate's throwaway token becomes the mock's in the report.
        line = curl(Exchange(req.method, url, headers, req.body), Redactor({})) if req is not None else ""
        answer = {k: v for k, v in obs.answer.items() if k not in ("call", "trace")}
        error = obs.answer.get("exception") or obs.answer.get("unsupported") or obs.answer.get("crash")
        return SdkReproduction(
            curl=line,
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

    # checks (conformance/sdk/_gate_checks.py)
    def _request_checks(self, obs: Observed) -> list[Violation]:
        return run_checks("request", obs, self.run.token, self.run.contract) + self._notes(obs)

    def _answer_checks(self, obs: Observed) -> tuple[str, list[Violation]] | None:
        """How the SDK surfaced the mock's documented reply, under `response/<status>`."""
        if not answered(obs) or obs.reply is None:
            return None
        return f"response/{obs.reply.status}", run_checks("answer", obs, self.run.token, self.run.contract)

    # groups
    def check_valid(self, webhooks: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Register every valid Webhook on a faithful mock; return the ones the SDK could express."""
        expressed = []
        with RecordingMock(token=self.run.token, contract=self.run.contract) as mock:
            for webhook in webhooks:
                obs = self._register(mock, webhook, "faithful reference mock")
                family = family_of(webhook)
                violations = self._request_checks(obs)
                self._record(obs, family, violations)
                surfaced = self._answer_checks(obs)
                if surfaced:
                    self._record(obs, *surfaced)
                if not any(v.check in ("expressible", "driver") for v in violations):
                    expressed.append(webhook)
        return expressed

    def check_oauth(self, webhook: dict[str, Any]) -> None:
        """The OAuth path: the bearer token plus the client id as `x-fax-clientid`, as the contract page shows."""
        with RecordingMock(token=self.run.token, contract=self.run.contract) as mock:
            obs = self._register(mock, webhook, "faithful reference mock (OAuth: token + client id)", CLIENT_ID)
        surfaced = self._answer_checks(obs)
        self._record(obs, "auth/oauth", self._request_checks(obs) + (surfaced[1] if surfaced else []))

    def check_errors(self, webhook: dict[str, Any]) -> None:
        """The documented Error replies (400, 500) to a valid Webhook the SDK can express."""
        for status in (400, 500):
            family = f"response/{status}"
            fault = gate_faults.forced(status)
            with RecordingMock(token=self.run.token, contract=self.run.contract, fault=fault) as mock:
                obs = self._register(mock, webhook, f"mock answering {status} + Error (gate fault {fault.name})")
            if "unsupported" in obs.answer:
                self.run.not_run.append(f"{family}: the SDK cannot express {json.dumps(webhook)}")
                continue
            surfaced = self._answer_checks(obs)
            self._record(obs, family, self._request_checks(obs) + (surfaced[1] if surfaced else []))

    def describe_client_validation(self) -> None:
        """Which rules the SDK checks before sending (informational: the server rejects the rest with 400)."""
        with RecordingMock(token=self.run.token, contract=self.run.contract) as mock:
            for name, webhook in INVALID.items():
                obs = self._register(mock, webhook, "faithful reference mock")
                expressible = "unsupported" not in obs.answer
                refused = expressible and not obs.posts and "crash" not in obs.answer
                self.run.client_validation.append(
                    {
                        "case": name,
                        "webhook": webhook,
                        "expressible": expressible,  # False: the SDK's API cannot even say it
                        "checked_client_side": refused,
                        "server_status": obs.reply.status if obs.reply is not None and not obs.reply.drop else None,
                        "behaviour": describe(obs.answer),
                        # what the SDK's types say (e.g. a TypeScript compile error), beyond what it did at run time
                        "typed": [
                            str(n.get("message"))
                            for n in obs.answer.get("notes") or []
                            if isinstance(n, dict) and str(n.get("check")).startswith("typed-")
                        ],
                    }
                )

    def check_server_faults(self, webhook: dict[str, Any]) -> None:
        for fault, side in gate_faults.server_faults():
            with RecordingMock(token=self.run.token, contract=self.run.contract, fault=fault) as mock:
                server = f"mock with fault {fault.name}" + (" on a forced 400" if side == "rejection" else "")
                obs = self._register(mock, webhook, server)
            violation, behaviour = fault_behaviour(obs, side)
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
        self.check_oauth(probe)
        self.check_errors(probe)
        self.check_server_faults(probe)
        self.describe_client_validation()
        return self.run


def _shell(text: str) -> str:
    return shlex.quote(text)
