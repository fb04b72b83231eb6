"""Sender: turns a schemathesis Case into an httpx request and records the Exchange.

Credentials are always the Target's: whatever auth headers generation put on a case are
dropped, so negative generation never mutates (or leaks) the real token.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import Any

import httpx

from conformance.target import Target

from ._codings import decodable_accept
from ._courier import Courier
from ._errors import Cancelled, NotSent, Overdue, TargetHanging
from ._exchange import Exchange
from ._lanes import Lane, Lanes
from ._live import LiveBound
from ._politeness import CONNECT_BACKOFF, CONNECT_RETRIES, Pace, RateLimited, WaitBudget, wait_asked
from ._tls import client_options
from ._wire import Wire

DROP = {"authorization", "x-fax-clientid", "cookie", "x-schemathesis-testcaseid"}
HANG_BREAKER = 3  # requests in a row without an answer (timeouts, refusals) before the run stops sending


def _out_of_waiting(status: int, spent: float) -> str:
    if status == 503:
        return (
            f"still answering 503 (temporarily unavailable) after {spent:.0f}s of waiting: "
            "rerun once the target is back, or raise --max-wait"
        )
    return f"still answering 429 after {spent:.0f}s of waiting: lower --rate"


def another_spelling(name: str, headers: Mapping[str, object]) -> str:
    """`name` spelt in a letter case no key of `headers` has: a second field line of that header.
    httpx sends every key as a line of its own, and each record of the request (the Exchange, the
    curl line, summary.json, replay) keeps both keys as sent.

    >>> another_spelling("Content-Type", {"Content-Type": "application/json"})
    'content-type'
    """
    for spelling in (name.lower(), name.upper(), name.title(), name.swapcase()):
        if spelling not in headers:
            return spelling
    raise ValueError(f"{name!r} is already sent in every spelling tried")


def _body(kwargs: dict[str, Any]) -> bytes | None:
    if "json" in kwargs:
        return json.dumps(kwargs["json"], ensure_ascii=False, allow_nan=False).encode("utf-8")
    data = kwargs.get("data")
    if data is None:
        return None
    return data if isinstance(data, bytes) else str(data).encode("utf-8")


class Sender:
    def __init__(self, target: Target) -> None:
        assert target.base_url is not None, "the embedded mock must be started before sending"
        self.target = target
        self._sent = 0
        self._courier: Courier | None = None  # sends what is sent ahead, in a process of its own
        self._unanswered_in_a_row = 0
        self._gone = False  # the harmless request got no answer either: stop sending
        self._last_failure = ""
        # Requests on the wire: an interrupt then waits for their answers, so that a webhook the
        # server registers is still known, and deleted, by the cleanup.
        self._on_the_wire = 0
        self._stopped = False  # an interrupt: what has not left stays unsent
        self._rate_limited: str | None = None  # the 429 wait budget ran out: nothing more is sent
        self._lock = threading.Lock()  # counters shared by the sending threads
        self._breaker = threading.Lock()  # one thread at a time asks whether the target is alive
        self.wire = Wire(target.max_response_bytes, client_options(target))
        self.pace = Pace(target.rate)
        self.budget = WaitBudget(target.max_wait)
        # Up to `concurrency` requests in flight, each on its own sending thread through the Wire.
        self._lanes = Lanes(target.in_flight)
        # Set by a run that deletes as it goes (`bound_live`): at most --max-live webhooks registered at once.
        self.live: LiveBound | None = None
        self._registered: Callable[[str], None] | None = None

    @property
    def sent(self) -> int:
        """Requests sent (429 retries included), here and by the Courier."""
        return self._sent + (self._courier.sent if self._courier is not None else 0)

    @property
    def throttled(self) -> int:
        """429 answers waited out, here and by the Courier."""
        return self.budget.throttled + (self._courier.throttled if self._courier is not None else 0)

    @property
    def waited(self) -> float:
        """Seconds of wall time the 429 answers added, here and by the Courier."""
        return self.budget.spent + (self._courier.waited if self._courier is not None else 0.0)

    @property
    def in_flight(self) -> bool:
        """A request is on the wire here, or given to the Courier and not answered yet (it cannot tell
        queued from sent: after a first signal the queued ones come back NotSent at once)."""
        return self._on_the_wire > 0 or (self._courier is not None and self._courier.outstanding > 0)

    def hand_over_to(self, courier: Courier) -> None:
        """From now on, what is submitted goes through `courier`'s process: a Sender there, with this
        Target, so one `--concurrency`, one `--rate`, the same lanes. This Sender owns it and closes it.
        What ends sending there (the target hangs, the 429 budget is spent) ends it here too.
        `background` jobs still run here: a run that has them (cleanup's deletes) keeps its sending here."""
        courier.begin(self.target, self._adopt)
        self._courier = courier

    def bound_live(self, bound: LiveBound, registered: Callable[[str], None]) -> None:
        """From now on every `POST /hooks` takes a place in `bound` before it leaves, and each id a 2xx
        registers goes to `registered` (the Sweeper) at once, not when its case is judged."""
        self.live, self._registered = bound, registered

    def _adopt(self, error: BaseException) -> None:
        if isinstance(error, RateLimited):
            self._rate_limited = self._rate_limited or str(error)
        elif isinstance(error, TargetHanging):
            self._gone, self._last_failure = True, str(error)

    def close(self) -> None:
        self.wire.close()  # first: a request still waiting ends now, so the threads can finish
        self._lanes.shutdown()
        if self._courier is not None:
            self._courier.close()

    def cancel(self) -> None:
        """A second signal: end the request in flight now and send nothing more."""
        self.wire.cancel()
        if self._courier is not None:
            self._courier.cancel()

    def stop(self) -> None:
        """A first signal: requests queued behind the sending threads never leave (they end in
        NotSent); those on the wire get their answer or their deadline."""
        self._stopped = True
        if self._courier is not None:
            self._courier.stop()

    def quiet(self, within: float) -> None:
        """Wait (at most `within` s) until no request is on the wire: then what the server registered
        is either known or listed, not still on its way (cleanup lists what is left)."""
        ends = time.monotonic() + within
        while self.in_flight and time.monotonic() < ends:
            time.sleep(0.01)

    @property
    def hanging(self) -> bool:
        return self._unanswered_in_a_row >= HANG_BREAKER

    def send_case(self, case: Any, **how: Any) -> Exchange:
        """Send `case` and wait for its Exchange (see `submit_case`)."""
        return self.submit_case(case, **how).result()

    def submit_case(
        self,
        case: Any,
        *,
        body: bytes | None | object = ...,
        content_type: str | None | object = ...,
        authenticate: bool | str = True,
        headers: dict[str, str | None] | None = None,
        repeat: Mapping[str, str] | None = None,
        chunked: bool = False,
        ahead: bool = False,
    ) -> Future[Exchange]:
        """Send `case` on a sending thread; `body`/`content_type` override what schemathesis serialised.
        `ahead`: sent before its test asks, so after every case a test already waits for.

        `authenticate`: True sends the Target's credentials, False none, a string a wrong token.
        `repeat`: field lines sent besides the request's own of the same name (a second Content-Type).
        """
        method, url, prepared, content = self._prepare(case, body, content_type, authenticate, headers, repeat)
        return self.submit(method, url, prepared, content, chunked=chunked, ahead=ahead)

    def submit_in_order(self, requests: list[tuple[Any, dict[str, Any]]]) -> list[Future[Exchange]]:
        """Several cases (each a Case and `submit_case`'s keywords) one after another on one sending
        thread, so on one keep-alive connection while the server keeps it open, whatever it answered
        (as ordinary clients reuse it): what a server that remembers a connection's credentials lets
        through, or one that answers before reading a body does to the next request. Never through
        the Courier."""
        futures: list[Future[Exchange]] = [Future() for _ in requests]
        prepared = [
            (
                *self._prepare(
                    case,
                    how.get("body", ...),
                    how.get("content_type", ...),
                    how.get("authenticate", True),
                    how.get("headers"),
                    how.get("repeat"),
                ),
                bool(how.get("chunked")),
            )
            for case, how in requests
        ]

        def job() -> None:
            before: Exchange | None = None
            last = len(prepared) - 1
            for at, (future, (method, url, headers, content, chunked)) in enumerate(
                zip(futures, prepared, strict=True)
            ):
                try:
                    # Kept between the requests of the sequence only: after the last one, a connection out
                    # of step is closed as always, so no later request of the run reads what it left.
                    exchange = self.send(method, url, headers, content, chunked=chunked, reuse=at < last)
                except BaseException as error:  # noqa: BLE001 - handed to whoever waits for the answer
                    future.set_exception(error)
                    before = None
                    continue
                exchange.after, before = before, exchange
                future.set_result(exchange)

        self._lanes.submit(Lane.NOW, job)
        return futures

    def _prepare(
        self,
        case: Any,
        body: bytes | None | object,
        content_type: str | None | object,
        authenticate: bool | str,
        headers: dict[str, str | None] | None,
        repeat: Mapping[str, str] | None = None,
    ) -> tuple[str, str, dict[str, str | None], bytes | None]:
        """The method, URL, headers and body that put `case` on the wire (see `submit_case`)."""
        kwargs = case.as_transport_kwargs(base_url=self.target.base_url)
        extra = headers or {}
        headers = {k: str(v) for k, v in kwargs.get("headers", {}).items() if k.lower() not in DROP}
        content = _body(kwargs) if body is ... else body
        if content_type is not ...:
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            if content_type is not None:
                headers["Content-Type"] = str(content_type)
        if content is None:
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        if authenticate is True:
            headers.update(self.target.auth_headers())
        elif isinstance(authenticate, str):
            headers["Authorization"] = f"Bearer {authenticate}"
        for name, value in extra.items():
            headers = {k: v for k, v in headers.items() if k.lower() != name.lower()}
            headers[name] = value
        for name, value in (repeat or {}).items():
            headers[another_spelling(name, headers)] = value
        params = kwargs.get("params")
        # Parsing a URL costs more than the rest of preparing it: only a query needs httpx to build one.
        url = str(httpx.URL(kwargs["url"], params=params)) if params else str(kwargs["url"])
        return str(kwargs["method"]), url, headers, content  # type: ignore[return-value]

    def submit(
        self,
        method: str,
        url: str,
        headers: dict[str, str | None],
        content: bytes | None,
        *,
        chunked: bool = False,
        ahead: bool = False,
    ) -> Future[Exchange]:
        """`send` on one of the sending threads: up to `--concurrency` requests are on the wire at once."""
        if self._courier is not None:
            return self._courier.submit(method, url, headers, content, chunked=chunked, ahead=ahead)
        lane = Lane.AHEAD if ahead else Lane.NOW
        return self._lanes.submit(lane, self.send, method, url, headers, content, chunked=chunked)

    def background(self, job: Callable[[], object]) -> Future[object]:
        """`job` on one of the sending threads when no case waits (cleanup's early deletes): it shares
        `--concurrency`."""
        return self._lanes.submit(Lane.IDLE, job)

    def _alive(self) -> bool:
        """After a run of unanswered requests: does a harmless request (`POST /hooks` with `[]`, which
        registers nothing) still get an answer? Then only some requests hang, and the run goes on."""
        headers = {"Content-Type": "application/json", **self.target.auth_headers()}
        try:
            self.wire.exchange("POST", self.target.hooks_url, headers, b"[]", deadline=self.target.timeout)
        except Cancelled:
            raise KeyboardInterrupt from None
        except (httpx.HTTPError, Overdue):
            return False
        with self._lock:
            self._unanswered_in_a_row = 0
        return True

    def _check_breaker(self) -> None:
        if self._rate_limited is not None:
            raise RateLimited(self._rate_limited)
        with self._breaker:
            if self._gone or (self.hanging and not self._alive()):
                self._gone = True  # asked once: every later request would only wait as long
                raise TargetHanging(
                    f"{HANG_BREAKER} requests in a row got no answer (last: {self._last_failure}); "
                    "the target hangs or went away"
                )

    def _count(self, *, answered: bool | None, failure: str = "") -> None:
        """One request sent; `answered` None: a refused connection, which never reached the server."""
        with self._lock:
            if answered is not None:
                self._sent += 1
            if answered:
                self._unanswered_in_a_row = 0
            else:
                self._unanswered_in_a_row += 1
                self._last_failure = failure

    def send(
        self,
        method: str,
        url: str,
        headers: dict[str, str | None],
        content: bytes | None,
        *,
        chunked: bool = False,
        reuse: bool = False,
    ) -> Exchange:
        """One request and its answer, on the calling thread (any number of threads at once).
        `reuse`: the connection is kept whatever the answer (`Wire.exchange`)."""
        self._check_breaker()
        bound = self.live if method == "POST" else None
        if bound is None:
            return self._send(method, url, headers, content, chunked=chunked, reuse=reuse)
        bound.reserve()
        registered = None
        try:
            exchange = self._send(method, url, headers, content, chunked=chunked, reuse=reuse)
            registered = exchange.registered_id
        finally:
            bound.settle(registered)
        if registered is not None and self._registered is not None:
            self._registered(registered)
        return exchange

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str | None],
        content: bytes | None,
        *,
        chunked: bool = False,
        reuse: bool = False,
    ) -> Exchange:
        dropped = tuple(sorted({k.lower() for k, v in headers.items() if v is None}))
        sent_headers = {k: v for k, v in headers.items() if v is not None}
        for name, value in sent_headers.items():
            if name.lower() == "accept-encoding":  # a profile's codings, less those we could not decode
                sent_headers[name] = decodable_accept(value)
        exchange = Exchange(method, url, sent_headers, content, removed_headers=dropped)
        started = time.perf_counter()
        connect_failures = 0
        while True:
            self.pace.wait()
            try:
                with self._lock:
                    if self._stopped:
                        raise NotSent
                    self._on_the_wire += 1
                exchange.sent_at = time.monotonic()
                try:
                    answer = self.wire.exchange(
                        method,
                        url,
                        sent_headers,
                        content,
                        deadline=self.target.timeout,
                        removed=dropped,
                        chunked=chunked,
                        reuse=reuse,
                    )
                finally:
                    with self._lock:
                        self._on_the_wire -= 1
            except Cancelled:
                raise KeyboardInterrupt from None  # a second signal: the run ends now
            except Overdue as exc:
                self._count(answered=False, failure=str(exc))
                exchange.error, exchange.error_detail = "timeout", str(exc)
            except httpx.ConnectError as exc:
                if connect_failures < CONNECT_RETRIES:  # never reached the server: safe to retry
                    connect_failures += 1
                    time.sleep(CONNECT_BACKOFF * connect_failures)
                    continue
                self._count(answered=None, failure="connection refused")  # as good as no answer
                exchange.error, exchange.error_detail = "connect", str(exc) or type(exc).__name__
            except httpx.TransportError as exc:
                # Not retried (beyond a stale keep-alive connection, see Wire): the server may have
                # registered the webhook before the connection broke.
                self._count(answered=True)
                exchange.error, exchange.error_detail = "protocol", str(exc) or type(exc).__name__
            else:
                exchange.request_headers = answer.request_headers
                delay = None if answer.too_large else wait_asked(answer.status, answer.headers.get("retry-after"))
                if delay is not None:  # 429, or 503 with Retry-After: not acted upon, try again later
                    with self._lock:
                        self._sent += 1
                    # Every sending thread waits it out; the budget counts the wall time added once.
                    if self._rate_limited is None and self.budget.take(self.pace.hold(delay)):
                        continue
                    # Out of waiting: every later request would only be refused as well.
                    self._rate_limited = self._rate_limited or _out_of_waiting(answer.status, self.budget.spent)
                    raise RateLimited(self._rate_limited)
                self._count(answered=True)
                exchange.status = answer.status
                exchange.response_headers = answer.headers
                exchange.response_body = answer.body
                exchange.overrun = answer.overrun
                if answer.too_large:
                    exchange.error = "too-large"
                    exchange.error_detail = f"response over {self.wire.cap} bytes"
            exchange.elapsed = time.perf_counter() - started
            return exchange
