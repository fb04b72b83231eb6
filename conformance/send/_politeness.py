"""Politeness towards a shared server: a request-rate cap, and `429` or `503 Retry-After` (RFC 9110
§15.6.4: the server is temporarily unable to handle the request) honoured within a bounded total wait.
Only answers that say the request was not acted upon, and failures that cannot have changed server
state, are ever retried."""

from __future__ import annotations

import email.utils
import threading
import time
from datetime import UTC, datetime

MAX_SINGLE_WAIT = 60.0  # a Retry-After beyond this is clamped: the total budget still bounds the run
CONNECT_RETRIES = 2  # a refused connection never reached the server: safe to retry
CONNECT_BACKOFF = 0.25


class RateLimited(Exception):
    """The server kept answering 429 (or 503 with Retry-After) after the whole wait budget was spent."""


class Pace:
    """At most `rate` requests per second (None: no cap), shared by every sending thread, and a hold
    that makes all of them wait out a `429 Retry-After`.

    >>> Pace(None).wait()
    0.0
    """

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self._next = 0.0  # monotonic time of the next free slot
        self._lock = threading.Lock()

    def wait(self) -> float:
        with self._lock:  # a slot is reserved under the lock, waited for outside it
            now = time.monotonic()
            slot = max(now, self._next)
            if not self.interval and slot == now:
                return 0.0
            self._next = slot + self.interval
        pause = slot - now
        if pause:
            time.sleep(pause)
        return pause

    def hold(self, seconds: float) -> float:
        """No request leaves before `seconds` from now; returns how much later that is than already held."""
        with self._lock:
            now = time.monotonic()
            held = max(self._next, now)
            self._next = max(held, now + seconds)
            return self._next - held


def wait_asked(status: int, header: str | None) -> float | None:
    """Seconds a `429` or `503` answer asks the client to wait before trying again, or None: not such
    an answer. A 429 without a usable Retry-After still means "slow down" (1 s); a 503 without one is
    an outage, judged as the server error it is, never waited out.

    >>> wait_asked(503, "2"), wait_asked(503, None), wait_asked(429, None), wait_asked(500, "2")
    (2.0, None, 1.0, None)
    """
    if status == 429:
        return retry_after(header)
    if status == 503 and header and _parses(header):
        return retry_after(header)
    return None


def _parses(value: str) -> bool:
    value = value.strip()
    if value.isdigit():
        return True
    try:
        return email.utils.parsedate_to_datetime(value) is not None
    except (TypeError, ValueError):
        return False


def retry_after(value: str | None, default: float = 1.0) -> float:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), clamped.

    >>> retry_after("3")
    3.0
    >>> retry_after(None)
    1.0
    """
    if not value:
        return default
    value = value.strip()
    if value.isdigit():
        return min(float(value), MAX_SINGLE_WAIT)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return min(max(0.0, (when - datetime.now(UTC)).total_seconds()), MAX_SINGLE_WAIT)


class WaitBudget:
    """The total time a run may spend waiting out 429s and 503s (wall time: concurrent waits count once)."""

    def __init__(self, total: float) -> None:
        self.total = total
        self.spent = 0.0
        self.throttled = 0  # 429 (and 503 Retry-After) answers waited out
        self._lock = threading.Lock()

    def take(self, seconds: float) -> bool:
        with self._lock:
            if self.spent + seconds > self.total:
                return False
            self.spent += seconds
            self.throttled += 1
            return True
