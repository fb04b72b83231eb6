"""Courier: a process of its own that sends a run's requests and hands back their Exchanges.

A run against a fast server is CPU-bound on one GIL: drawing, judging and reporting on the main thread,
sending on the sending threads. When the deterministic tier's cases are known before the tests run
(`suite._cases.Prefetch`), sending moves to another core: the Courier's process starts while the run
imports, gets the Target (token included) on its stdin, never in argv or the environment, and sends
each request it is given through a `Sender` of its own, so the deadline, hang breaker, 429 budget,
`--rate`, `--concurrency` and the lanes (what a test waits for first) are one, as in one process.

Every request given to it gets exactly one answer back: its Exchange, or what the Sender raised
(NotSent once dropped or stopped before it left, TargetHanging, RateLimited, KeyboardInterrupt after
a second signal). Its process (`_courier_child`) ignores the terminal's signals (the run relays
them) and ends when the run closes its stdin, or dies.

Protocol, pickled frames both ways (between this process and a child it started, nothing else):
the Target, then ("send", id, method, url, headers, content, chunked, ahead), ("drop", id), ("stop",),
("cancel",); back: ("done", id, Exchange, counts) or ("error", id, exception, counts), where counts
are the Sender's requests sent, 429 answers waited out and seconds waited so far.
"""

from __future__ import annotations

import contextlib
import itertools
import pickle
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from conformance._child import END_TIMEOUT, Child
from conformance.target import Target
from conformance.tiers import TIERS

from ._errors import CourierLost, NotSent
from ._exchange import Exchange
from ._redact import Redactor


class _Remote(Future[Exchange]):
    """A request given to the Courier. It cannot be cancelled here (it may already be on the wire in
    the other process): `cancel` asks the Courier to drop it, and the answer says whether it left."""

    def __init__(self, courier: Courier, ident: int) -> None:
        super().__init__()
        self._courier, self._ident = courier, ident

    def cancel(self) -> bool:
        self._courier.drop(self._ident)
        return False


class Courier:
    def __init__(self) -> None:
        self._child = Child("conformance.send._courier_child")
        self.sent = 0  # requests the Courier's Sender made (429 retries included)
        self.throttled, self.waited = 0, 0.0  # 429 answers it waited out, and the seconds that added
        self._ids = itertools.count()
        self._waiting: dict[int, _Remote] = {}
        self._lock = threading.Lock()
        # Everything for the process goes through one writer thread: a signal handler may post
        # ("stop", "cancel") while the main thread is in the middle of posting a request, and a
        # SimpleQueue, unlike a lock around the pipe, can be put to from a signal handler.
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._closing = False
        self._closed = False
        self._lost: str | None = None
        self._on_error: Callable[[BaseException], None] = lambda error: None
        self._redactor = Redactor({})  # the Target's secrets, once it has them
        self._threads: list[threading.Thread] = []

    @property
    def pid(self) -> int:
        return self._child.pid

    def begin(self, target: Target, on_error: Callable[[BaseException], None]) -> None:
        """Hand the process its Target; `on_error` learns what ended sending there (TargetHanging,
        RateLimited), so that the run stops sending here too."""
        self._on_error = on_error
        self._redactor = Redactor(target.secrets)
        self._post(target)
        for work in (self._write, self._read):
            thread = threading.Thread(target=work, name=f"faxplus-courier-{work.__name__[1:]}", daemon=True)
            thread.start()
            self._threads.append(thread)

    @property
    def outstanding(self) -> int:
        """Requests given to the Courier whose answer has not come back (queued there, or on the wire)."""
        return len(self._waiting)

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
        """As `Sender.submit`, in the Courier's process."""
        ident = next(self._ids)
        future = _Remote(self, ident)
        with self._lock:
            if self._lost is not None or self._closing:
                future.set_exception(CourierLost(self._lost or "the sending process was closed"))
                return future
            self._waiting[ident] = future
        self._post(("send", ident, method, url, headers, content, chunked, ahead))
        return future

    def drop(self, ident: int) -> None:
        """Never send request `ident` if it has not left yet: it then ends in NotSent."""
        self._post(("drop", ident))

    def stop(self) -> None:
        """A first signal: what has not left never does (NotSent); what is on the wire is answered."""
        self._post(("stop",))

    def cancel(self) -> None:
        """A second signal: what is on the wire ends now."""
        self._post(("cancel",))

    def close(self) -> None:
        """End the process: requests still waiting end in NotSent (or their answer, if it comes first)."""
        if self._closed:
            return
        self._closed = True
        with self._lock:
            self._closing = True
        self._post(None)  # the writer closes its stdin: the process ends
        for thread in self._threads:
            thread.join(END_TIMEOUT)
        self._child.end()
        self._fail_waiting()

    def _post(self, message: Any) -> None:
        self._outbox.put(message)

    def _write(self) -> None:
        pipe = self._child.stdin
        try:
            while (message := self._outbox.get()) is not None:
                pickle.dump(message, pipe, protocol=pickle.HIGHEST_PROTOCOL)
                if self._outbox.empty():
                    pipe.flush()
        except OSError:
            pass  # the process is gone: the reader says why
        finally:
            with contextlib.suppress(OSError):
                pipe.close()

    def _read(self) -> None:
        pipe = self._child.stdout
        while True:
            try:
                kind, ident, value, (sent, throttled, waited) = pickle.load(pipe)
            except (EOFError, OSError, pickle.UnpicklingError):
                break
            # Counts so far over there; answers come back in any order.
            self.sent, self.throttled = max(self.sent, sent), max(self.throttled, throttled)
            self.waited = max(self.waited, waited)
            with self._lock:
                future = self._waiting.pop(ident, None)
            if future is None:
                continue
            if kind == "done":
                future.set_result(value)
            else:
                if not isinstance(value, KeyboardInterrupt):
                    self._on_error(value)
                future.set_exception(value)
        if not self._closing:
            # Its last words may quote a header: masked with the Target's secrets.
            why = self._redactor.text(self._child.why())
            self._lost = f"the sending process ended ({why}): rerun; if it persists, pass --no-case-cache"
        self._fail_waiting()

    def _fail_waiting(self) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, {}
        for future in waiting.values():
            future.set_exception(CourierLost(self._lost) if self._lost else NotSent())


def courier_for(target: Target) -> Courier | None:
    """A Courier for a run that may send its recorded cases ahead (the deterministic tier, its case
    cache on) and deletes nothing while it runs (the embedded mock, or no cleanup): started first, so
    that its process is ready when they are. None when it would not be used."""
    sends_ahead = TIERS[target.tier].derandomize and target.case_cache
    return Courier() if sends_ahead and (target.embedded or not target.cleanup) else None
