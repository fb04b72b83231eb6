"""The reference side of a diff run: every case the Probe sends to the candidate goes, unchanged,
to the reference too (and to its twin, when `--reference-url` is given twice, to learn noise).

One pipeline with the normal run: the same generated case, the same Sender class, the same checks.
Each reference has its own Target (its own URL and credentials, the run's other settings), its own
Sender and its own cleanup. Its answers are judged by the conformance checks into a Ledger of their
own (the reference may break the contract too), then compared with the candidate's in `Divergences`.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Callable
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.contract import Contract
from conformance.judge import CaseResult, Divergences, Ledger, Verdict, run_checks, signature_of
from conformance.judge.baseline import Baseline
from conformance.send import (
    Cleanup,
    Exchange,
    NotSent,
    RateLimited,
    Redactor,
    Sender,
    TargetHanging,
    Wire,
    cleanup,
    preflight,
)
from conformance.target import Target, UsageError

from ._reproduce import reproduce

PLACEHOLDERS = {"token": "$FAXPLUS_REFERENCE_TOKEN", "client_id": "$FAXPLUS_REFERENCE_CLIENT_ID"}
MAX_REFERENCES = 2  # the reference, and its twin for noise


@dataclass(frozen=True)
class DiffSpec:
    """What `--reference-url` (once or twice), `--reference-token` and `--reference-client-id` ask for."""

    urls: tuple[str, ...]
    token: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)


def build_diff(get: Callable[[str], Any]) -> DiffSpec | None:
    """The diff asked for by the options (`get(dest)`), or None for a plain run."""
    urls = tuple(get("faxplus_reference_url") or ())
    if not urls:
        return None
    if len(urls) > MAX_REFERENCES:
        raise UsageError("--reference-url may be given at most twice: a reference and its twin (for noise)")
    token = get("faxplus_reference_token") or os.environ.get("FAXPLUS_REFERENCE_TOKEN") or None
    client_id = get("faxplus_reference_client_id") or os.environ.get("FAXPLUS_REFERENCE_CLIENT_ID") or None
    if not token:
        raise UsageError("--reference-url needs credentials: pass --reference-token or set FAXPLUS_REFERENCE_TOKEN")
    return DiffSpec(urls, token, client_id)


def _reference_target(spec: DiffSpec, url: str, like: Target) -> Target:
    try:
        target = dataclasses.replace(
            like, base_url=url, token=spec.token, client_id=spec.client_id, baseline=None, update_baseline=False
        )
        preflight(target)
    except UsageError as error:
        text = str(error).replace("--base-url", "--reference-url").replace("--token", "--reference-token")
        raise UsageError(f"reference: {text}") from None
    return target


@dataclass
class Side:
    """One reference target: its Sender and the ids of what it registered."""

    target: Target
    sender: Sender
    registered: list[str] = field(default_factory=list)
    cleanup: Cleanup | None = None
    stopped: str | None = None  # why this side stopped answering

    def submit(self, case: Any, how: dict[str, Any]) -> Future[Exchange]:
        future = self.sender.submit_case(case, **how)
        future.add_done_callback(self._remember)  # also for an answer nobody compares (an interrupt)
        return future

    def _remember(self, future: Future[Exchange]) -> None:
        if future.cancelled() or future.exception() is not None:
            return
        hook_id = future.result().registered_id
        if hook_id is not None:
            self.registered.append(hook_id)

    def answer(self, future: Future[Exchange]) -> Exchange | None:
        try:
            return future.result()
        except (TargetHanging, RateLimited) as stop:
            self.stopped = f"reference: {stop}"
            return None  # the reference stopped answering: the case is compared no further
        except (CancelledError, NotSent):  # an interrupt came before it left
            return None


class Reference:
    """The reference (and its twin) of one diff run; owned by the Session."""

    def __init__(self, spec: DiffSpec, like: Target, wire: Wire, contract: Contract) -> None:
        """`like`: the candidate's Target, whose settings (deadline, rate, cleanup, ...) each side shares.
        `wire`: the run's own, so that a second signal cancels the reference's requests too.
        `contract`: the run's, which the reference's answers are judged by as the candidate's are."""
        self.spec = spec
        self.contract = contract
        self.sides = [Side(t, _sender(t, wire)) for t in (_reference_target(spec, url, like) for url in spec.urls)]
        self.secrets = {
            value: PLACEHOLDERS[name] for name in PLACEHOLDERS if (value := getattr(spec, name, None)) is not None
        }
        # Reference replay lines name the reference's own variables; the candidate's are masked too.
        self.redactor = Redactor({**like.secrets, **self.secrets})
        # A credential probe carries the candidate's own token in a header or the query (`Basic T`,
        # `bearer T`, `?access_token=T`): the reference gets the same probe with its own token.
        own = ((like.token, spec.token), (like.client_id, spec.client_id))
        self.swaps = {mine: theirs for mine, theirs in own if mine and theirs}
        self.ledger = Ledger()  # the conformance checks' verdicts on the reference's answers
        self.divergences = Divergences()
        self.not_compared = 0

    @property
    def urls(self) -> tuple[str, ...]:
        return self.spec.urls

    @property
    def in_flight(self) -> bool:
        return any(side.sender.in_flight for side in self.sides)

    def submit(self, case: Any, how: dict[str, Any]) -> tuple[Future[Exchange], ...]:
        """Put the case the candidate is being sent on the wire to the reference (and its twin) too."""
        how = {**how, "headers": {k: self._swap(v) for k, v in how["headers"].items()}} if how.get("headers") else how
        query = getattr(case, "query", None)
        if query:  # the request is built when submitted, so the swap lasts only that long
            case.query = {k: self._swap(v) for k, v in query.items()}
        try:
            return tuple(side.submit(case, how) for side in self.sides)
        finally:
            if query:
                case.query = query

    def _swap(self, value: Any) -> Any:
        if isinstance(value, str):
            for mine, theirs in self.swaps.items():
                value = value.replace(mine, theirs)
        return value

    def compare(
        self, test: str, futures: tuple[Future[Exchange], ...], candidate: Exchange, result: CaseResult
    ) -> None:
        """Judge the reference's answer to the case the candidate answered with `result`; compare them."""

        answers = [side.answer(future) for side, future in zip(self.sides, futures, strict=True)]
        reference = answers[0]
        if reference is None:
            self.not_compared += 1
            return
        judged = CaseResult(
            test,
            result.family,
            result.kind,
            tuple(run_checks(reference, result.kind, self.contract)),
            reproduce(reference, self.redactor),
        )
        self.ledger.add(judged)
        ours = _signature(reference)
        if len(answers) > 1 and answers[1] is not None:
            self.divergences.learn_noise(ours, _signature(answers[1]))
        self.divergences.compare(
            test,
            result.family,
            result.kind,
            (_signature(candidate), result.reproduction, result.verdict),
            (ours, judged.reproduction, judged.verdict),
        )

    # --- end of run ----------------------------------------------------------------------
    def close(self) -> None:
        """The sending threads; the Wire they share is the run's, closed with the candidate's Sender."""
        for side in self.sides:
            side.sender.close()

    def finish(self, marker: str, baseline: Baseline) -> None:
        """Clean up what each reference registered (its own cleanup), and apply the baseline."""
        self.divergences.accepted = set(baseline.accepted)
        baseline.hit |= {g.id for g in self.divergences.groups() if g.accepted}  # not stale
        for side in self.sides:
            if side.cleanup is None and side.target.cleanup:
                side.cleanup = cleanup(side.target, side.registered, marker=marker, wire=side.sender.wire)

    @property
    def stopped(self) -> str | None:
        """Why some cases could not be compared (the reference hangs, or rate-limits past --max-wait)."""
        return next((side.stopped for side in self.sides if side.stopped), None)

    @property
    def failing(self) -> bool:
        """Divergences remain after noise and baseline (README: exit 1 when some do, 0 when none). The
        reference's own contract violations are reported beside them, but the candidate is not failed
        for them: its team cannot fix the reference, and those pairs were contested, not compared."""
        return bool(self.divergences.remaining())

    def write_baseline(self, path: Path) -> int:
        """Add every remaining divergence group to the baseline file `--update-baseline` just wrote."""
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"accepted": []}
        groups = self.divergences.groups()
        data["accepted"] += [{"id": g.id, "message": g.cause} for g in groups]
        path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        return len(groups)

    def as_dict(self) -> dict[str, Any]:
        from conformance.target import redact_url

        data = self.divergences.as_dict()
        return {
            "references": [redact_url(url) for url in self.urls],
            "exit_code": 1 if self.failing else 0,
            "not_compared": self.not_compared,
            "stopped": self.stopped,
            **data,
            "reference_verdict": str(self.ledger.verdict),
            "reference_findings": [g.as_dict() for g in self.ledger.groups() if g.verdict is Verdict.FAIL],
            "cleanup": [side.cleanup.as_dict() if side.cleanup else None for side in self.sides],
            "requests": sum(side.sender.sent for side in self.sides),
        }


def _sender(target: Target, wire: Wire) -> Sender:
    """A Sender for a reference, on the run's Wire (one connection pool, one cancel for the whole run)."""
    sender = Sender(target)
    sender.wire.close()
    sender.wire = wire
    return sender


def _signature(exchange: Exchange) -> dict[str, str]:
    return signature_of(
        exchange.status,
        exchange.response_headers.get("content-type", ""),
        exchange.response_body,
        error=exchange.error,
    )
