"""Probe: sends one case, judges it with every check, records it, and reports it to Allure.

One Probe per test. Up to `--concurrency` cases are on the wire at once, and a few times as many
drawn and queued behind them; each is judged, in the order it was sent, when the queue is full or
the test ends (`drain`). Cases are judged without
raising: Hypothesis keeps exploring after a finding, every example is counted, and the test fails
at the end if any case failed (see `conformance.plugin`). In the ci tier a test's cases may come
from the case cache (`_cases.py`) instead of being drawn, and their answers may already be back.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import allure
import httpx
from hypothesis import seed

from conformance.judge import (
    CaseResult,
    Finding,
    Kind,
    Later,
    Reproduction,
    Verdict,
    Violation,
    classify,
    run_checks,
)
from conformance.judge import Category as C
from conformance.send import Exchange, NotSent, RateLimited, TargetHanging
from conformance.strategies import RawBody

from ._cases import Record, generated_parts
from ._reproduce import reproduce
from ._sent import Sent
from ._session import Session

_FRAMING = {"content-encoding", "transfer-encoding", "content-length"}
# Cases a test may draw ahead of the answers it judges, per request the Target allows in flight:
# the sending threads keep `--concurrency` on the wire while the next cases are being drawn.
AHEAD = 4
ATTACHED_PASSING = 1  # passing exchanges kept per test as a sample; every finding is kept

# schemathesis's own response checks, run as a second opinion on schemathesis-generated cases.
# Checks that re-send requests (ignored_auth, use_after_free, ...) are left out: they would
# mutate credentials or state behind the suite's back.
_SCHEMATHESIS_CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
)


@dataclass(frozen=True)
class _Pending:
    """A case on the wire, with what judging its answer needs."""

    future: Future[Exchange]
    case: Any
    family: str
    kind: Kind
    sent: Sent
    second_opinion: bool
    mirrored: tuple[Future[Exchange], ...] = ()  # a diff run: the same case on its way to the reference(s)
    after: Future[Exchange] | None = None  # the request sent just before on the same connection (`in_order`)


@dataclass
class Probe:
    session: Session
    test: str
    results: list[CaseResult] = field(default_factory=list)
    _attached: set[str] = field(default_factory=set)
    _passing_attached: int = 0
    _in_flight: deque[_Pending] = field(default_factory=deque)
    plan: list[Record] | None = None  # this test's recorded cases (ci tier, cache hit)
    key: str = ""  # the test's name in the case cache and among the cases sent ahead (`cache_name`)
    _recorded: list[Record] = field(default_factory=list)
    _segment: int | None = None  # the generated stretch being drawn, if any
    _segments: int = 0
    _live_only: bool = False  # a case of this test must be sent as the test sends it (`in_order`): not cached
    not_sent: int = 0  # this test's cases that never got an answer to judge
    why: str = ""  # why the last of them was not sent

    # --- sending -------------------------------------------------------------------------
    def payload(self, payload: Any, *, family: str, **how: Any) -> None:
        """Send a strategy's payload (JSON value or RawBody), judged by what it is (`classify`).

        `how` is the envelope (`headers`, `chunked`, `authenticate`, `query`): see `Sent`.
        """
        self.send(Sent(payload, **how), family)

    def case(self, case: Any, *, family: str) -> None:
        """Send a schemathesis-generated Case, re-labelled by what its body really is."""
        if isinstance(case.body, dict):
            case.body = confine_target(case.body, self.session.run_domain)
        body = getattr(case, "body", None)
        sent, parts = Sent(body), generated_parts(case)
        kind = self._planned_kind(sent, family, parts)
        if kind is None and (
            isinstance(body, bytes | bytearray) or case.media_type != "application/json" or _is_unset(body)
        ):
            raw = None if _is_unset(body) else (body if isinstance(body, bytes) else json.dumps(body).encode())
            kind = classify(raw, self.session.contract, raw=True)
        elif kind is None:
            kind = classify(body, self.session.contract)
        record = Record.of(sent, family, kind, self._segment, parts)
        self._recorded.append(record)
        ahead = self.session.prefetch.take(self.key, record) if self.session.prefetch else None
        self._send(case, family, kind, sent, second_opinion=True, ahead=ahead)

    def special(self, payload: Any, *, family: str, kind: Kind, **how: Any) -> None:
        """A dedicated case whose Kind is fixed by how it is sent (credentials, media type)."""
        self.send(Sent(payload, **how), family, kind)

    def in_order(self, cases: list[tuple[Sent, str, Kind]]) -> None:
        """Cases (how each is sent, its family, its Kind) one after another on one keep-alive
        connection (`Sender.submit_in_order`): a credential judged after the right one went first."""
        # Never recorded for sending ahead: ahead, each would go out alone, on any connection.
        self._live_only = True
        futures = self.session.sender.submit_in_order([sent.case(self.session.operation) for sent, _, _ in cases])
        for at, ((sent, family, kind), future) in enumerate(zip(cases, futures, strict=True)):
            self._recorded.append(Record.of(sent, family, kind, self._segment))
            after = futures[at - 1] if at else None
            self._in_flight.append(_Pending(future, None, family, kind, sent, False, after=after))

    def send(self, sent: Sent, family: str, kind: Kind | None = None) -> None:
        if kind is None:
            kind = self._planned_kind(sent, family)
        if kind is None:
            kind = (
                classify(sent.payload.content, self.session.contract, raw=True)
                if isinstance(sent.payload, RawBody)
                else classify(sent.payload, self.session.contract)
            )
        record = Record.of(sent, family, kind, self._segment)
        self._recorded.append(record)
        ahead = self.session.prefetch.take(self.key, record) if self.session.prefetch else None
        self._send(None, family, kind, sent, ahead=ahead)

    def _planned_kind(self, sent: Sent, family: str, generated: dict[str, Any] | None = None) -> Kind | None:
        """The Kind an earlier run recorded for this very case (the ci tier, replaying): the same
        payload under the same code and contract is the same Kind, so it is not classified again."""
        at = len(self._recorded)
        if self.plan is None or at >= len(self.plan):
            return None
        planned = self.plan[at]
        same = (planned.sent, planned.family, planned.segment, planned.generated) == (
            sent,
            family,
            self._segment,
            generated,
        )
        return planned.kind if same else None

    # --- drawing, or replaying what was drawn before --------------------------------------
    def explore(self, max_examples: int) -> Callable[[Callable[[], None]], Callable[[], None]]:
        """Hypothesis settings of the tier, seeded in the nightly tier so a run can be replayed; in
        the ci tier, a stretch recorded by an earlier run is replayed instead of drawn again."""
        tier = self.session.tier
        segment, self._segments = self._segments, self._segments + 1

        def decorate(test: Callable[[], None]) -> Callable[[], None]:
            planned = [r for r in self.plan if r.segment == segment] if self.plan is not None else None
            if planned is not None:
                return lambda: self._replay(planned)
            drawing = tier.hypothesis(max_examples)(test)
            if not tier.derandomize:
                drawing = seed(self.session.seed)(drawing)

            def draw() -> None:
                self._segment = segment
                try:
                    drawing()
                finally:
                    self._segment = None

            return draw

        return decorate

    def _replay(self, records: list[Record]) -> None:
        for record in records:
            self._segment = record.segment
            try:
                if record.generated is None:
                    self.send(record.sent, record.family, record.kind)
                else:
                    self.case(record.request(self.session.operation)[0], family=record.family)
            finally:
                self._segment = None

    def finish(self, *, completed: bool) -> None:
        """The test is over: its cases are kept for the next run, and answers sent ahead that it did
        not take are settled (a 2xx may have registered something)."""
        if completed and self.session.cases is not None:
            self.session.cases.count(self.key, len(self.results))
            if self._recorded != self.plan and not self._live_only:
                self.session.cases.keep(self.key, self._recorded)  # new, or not what was recorded before
        if self.session.prefetch is not None:
            for _, _, exchange in self.session.prefetch.release(self.key):
                self.session.remember(exchange)  # sent for a case the test did not send after all

    def _send(
        self,
        case: Any,
        family: str,
        kind: Kind,
        sent: Sent,
        *,
        second_opinion: bool = False,
        ahead: Future[Exchange] | None = None,
    ) -> None:
        """Put the case on the wire (or take its answer, sent ahead); it is judged when its turn
        comes (see `drain`). `case` None: built from `sent`."""
        if self.session.interrupted:
            record_sent_ahead(self.session)  # what has not left stays unsent
            self.drain()  # what is in flight is answered and recorded, then the run stops
            raise KeyboardInterrupt
        while len(self._in_flight) >= self.session.target.in_flight * AHEAD:
            self._settle(self._in_flight.popleft())
        mirrored: tuple[Future[Exchange], ...] = ()
        if ahead is None:
            built, how = sent.case(self.session.operation) if case is None else (case, {})
            ahead = self.session.sender.submit_case(built, **how)
            if self.session.reference is not None:  # a diff run: the identical request to the reference
                mirrored = self.session.reference.submit(built, how)
        self._in_flight.append(_Pending(ahead, case, family, kind, sent, second_opinion, mirrored))

    def drain(self) -> None:
        """Judge every case still in flight, in the order they were sent: the findings are the same
        whatever the concurrency, because generation never depends on an answer. After an
        interrupt, what is queued but has not left is never sent."""
        if self.session.interrupted:
            for pending in self._in_flight:
                for future in (pending.future, *pending.mirrored):
                    future.cancel()  # only succeeds for a request no thread has picked up
        while self._in_flight:
            self._settle(self._in_flight.popleft())

    def _settle(self, pending: _Pending) -> None:
        if pending.future.cancelled():  # sent ahead, then called back by an interrupt
            self._not_sent(pending.family, "interrupted")
            return
        try:
            exchange = pending.future.result()
        except NotSent:  # queued when an interrupt came: it never left
            self._not_sent(pending.family, "interrupted")
            return
        except (TargetHanging, RateLimited) as stop:
            self._not_sent(pending.family, str(stop))
            self.session.ledger.stopped = str(stop)
            return
        result, opened = self._judge(pending, exchange)
        self._report(result, opened)

    def _not_sent(self, family: str, why: str) -> None:
        self.session.ledger.not_sent[family] += 1
        self.not_sent += 1
        self.why = why

    def _judge(self, pending: _Pending, exchange: Exchange) -> tuple[CaseResult, list[Finding]]:
        family = pending.family
        violations = run_checks(exchange, pending.kind, self.session.contract)
        if pending.second_opinion and exchange.error is None:
            violations += self._schemathesis_opinion(pending.case, exchange, violations)
        violations = self.session.baseline.apply(family, violations)
        after = pending.after.result() if pending.after is not None and _succeeded(pending.after) else None
        later = Later(exchange.method, exchange.status, lambda: self._reproduce(exchange, after))
        result = CaseResult(self.test, family, pending.kind, tuple(violations), later, pending.sent)
        self.session.remember(exchange)  # whatever the case, a 2xx may have registered
        opened = self.session.ledger.add(result)
        self.results.append(result)
        if pending.mirrored and self.session.reference is not None:  # judged and compared, in send order too
            self.session.reference.compare(self.test, pending.mirrored, exchange, result)
        return result, opened

    def _schemathesis_opinion(self, case: Any, exchange: Exchange, ours: list[Violation]) -> list[Violation]:
        """schemathesis's verdict on the same exchange. Where it disagrees with ours it is a warn:
        the policy table deliberately differs from its defaults (422, documented 500)."""
        from schemathesis.checks import CHECKS as ST_CHECKS
        from schemathesis.checks import load_all_checks
        from schemathesis.core.failures import FailureGroup

        load_all_checks()
        selected = ST_CHECKS.get_by_names(list(_SCHEMATHESIS_CHECKS))
        request = httpx.Request(
            exchange.method, exchange.url, headers=exchange.request_headers, content=exchange.request_body or b""
        )
        # The body is already decoded: its framing and encoding headers no longer describe it.
        headers = {k: v for k, v in exchange.response_headers.items() if k.lower() not in _FRAMING}
        response = httpx.Response(
            exchange.status or 0, headers=headers, content=exchange.response_body, request=request
        )
        response.elapsed = datetime.timedelta(seconds=exchange.elapsed)
        try:
            case.validate_response(response, checks=selected)
        except (AssertionError, FailureGroup) as failure:
            # validate_response raises a FailureGroup: a BaseExceptionGroup, not an AssertionError.
            parts = failure.exceptions if isinstance(failure, FailureGroup) else (failure,)
            titles = ((str(p).strip() or type(p).__name__).splitlines()[0] for p in parts)
            title = self.session.redactor.text("; ".join(titles))
            agreed = next((v for v in ours if v.verdict is Verdict.FAIL), None)
            if agreed is not None:
                # The same root cause as the suite's own fail: one group, not a second one.
                return [
                    Violation("schemathesis", Verdict.FAIL, agreed.category, title, joins=agreed.root, rule=agreed.rule)
                ]
            note = " (the suite's policy accepts this; see README)"
            return [Violation("schemathesis", Verdict.WARN, C.SPEC_GAP, title + note)]
        except Exception as error:  # noqa: BLE001 - a second opinion must never break the run
            return [Violation("schemathesis", Verdict.WARN, C.SPEC_GAP, f"schemathesis could not judge: {error}")]
        return []

    # --- reproduction and reporting ------------------------------------------------------
    def _reproduce(self, exchange: Exchange, after: Exchange | None = None) -> Reproduction:
        reproduction = reproduce(exchange, self.session.redactor)
        if after is not None:  # judged after another request on its connection: replay sends that one first
            reproduction = dataclasses.replace(reproduction, preceded_by=reproduce(after, self.session.redactor))
        return reproduction

    def _report(self, result: CaseResult, opened: list[Finding]) -> None:
        new = [f for f in opened if f.key not in self._attached]
        if new:
            for finding in new:
                self._attached.add(finding.key)
                self._attach(result.reproduction, f"{finding.verdict} · {finding.check}: {finding.message}")
        elif result.verdict is Verdict.PASS and self._passing_attached < ATTACHED_PASSING:
            self._passing_attached += 1
            self._attach(result.reproduction, "sample passing exchange", whole=True)

    @staticmethod
    def _attach(rep: Reproduction, title: str, *, whole: bool = False) -> None:
        """A finding's exchange as three attachments (request, response, curl: each to read or copy
        alone); a sampled pass as one (`whole`): a file costs more to write than its text, and a
        passing exchange is read, not copied."""
        request = f"{rep.method} {rep.url}\n" + "".join(f"{k}: {v}\n" for k, v in rep.request_headers.items())
        request += "\n" + (rep.request_body if rep.request_body is not None else "(no body)")
        if rep.error:
            response = f"(no response) {rep.error}"
        else:
            response = f"HTTP {rep.status}\n" + "".join(f"{k}: {v}\n" for k, v in rep.response_headers.items())
            response += "\n" + rep.response_body
        with allure.step(title):
            if whole:
                exchange = f"{request}\n\n--- response ---\n{response}\n\n--- replay ---\n{rep.curl}"
                allure.attach(exchange, name="exchange", attachment_type=allure.attachment_type.TEXT)
                return
            allure.attach(request, name="request", attachment_type=allure.attachment_type.TEXT)
            allure.attach(response, name="response", attachment_type=allure.attachment_type.TEXT)
            allure.attach(rep.curl, name="curl", attachment_type=allure.attachment_type.TEXT)

    @property
    def verdict(self) -> Verdict:
        return max((r.verdict for r in self.results), default=Verdict.PASS)

    def failures(self) -> list[CaseResult]:
        return [r for r in self.results if r.verdict is Verdict.FAIL]


def record_sent_ahead(session: Session) -> None:
    """An interrupt, or the end of the run: cases sent ahead for tests that never ran stop here.
    What had not left is never sent; what was on the wire is answered, judged and recorded (the
    Allure report has no test to hold it; summary.json counts it)."""
    if session.prefetch is None:
        return
    for test, record, exchange in session.prefetch.release():
        generated = record.request(session.operation)[0] if record.generated is not None else None
        pending = _Pending(_done(exchange), generated, record.family, record.kind, record.sent, generated is not None)
        Probe(session, test)._judge(pending, exchange)


def _succeeded(future: Future[Exchange]) -> bool:
    return future.done() and future.exception() is None


def _done(exchange: Exchange) -> Future[Exchange]:
    future: Future[Exchange] = Future()
    future.set_result(exchange)
    return future


def confine_target(body: dict[str, Any], domain: str) -> dict[str, Any]:
    """Move a generated URL target onto the run's reserved domain, keeping scheme, path and query.

    Generation reuses the spec's own example (`http://myapp.com/fax_received`), a real domain: a
    webhook registered on staging must never point at a real service. Targets that are not URLs
    (`""`, noise) stay as generated: they test the schema's edges and can never be called.

    >>> confine_target({"target": "http://myapp.com/fax", "event": "fax_sent"}, "run-1.example.com")
    {'target': 'http://myapp.com.run-1.example.com/fax', 'event': 'fax_sent'}
    """
    target = body.get("target")
    if not isinstance(target, str):
        return body
    try:
        parts = urlsplit(target)
        host = parts.hostname
    except ValueError:
        return body
    if parts.scheme.lower() not in ("http", "https") or not host or host == domain or host.endswith("." + domain):
        return body
    port = f":{parts.port}" if _safe_port(parts) else ""
    return {**body, "target": urlunsplit(parts._replace(netloc=f"{host}.{domain}{port}"))}


def _safe_port(parts: Any) -> bool:
    try:
        return parts.port is not None
    except ValueError:
        return False


def _is_unset(body: Any) -> bool:
    from schemathesis.core import NotSet

    return isinstance(body, NotSet)
