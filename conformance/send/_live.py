"""LiveBound: at most `--max-live` of the run's own webhooks registered at once.

A staging account may have a per-account webhook quota: if the suite's own registrations filled it,
valid Webhooks would be refused because of the suite. Every `POST /hooks` may register one (a broken
server accepts invalid ones too), so each takes a place before it leaves; the place is given back
when its answer registered nothing, or when the webhook it registered is deleted.

A request that finds every place taken does not wait idle: it runs the deletes that are due itself
(`drain`), so sending threads blocked here can never starve the deletes that would free them.
A bound that cannot be kept (deletes keep failing) stops sending after `patience` seconds.

>>> bound = LiveBound(1, patience=0.1)
>>> bound.reserve(); bound.settle("5f2a"); bound.live, bound.peak
(1, 1)
>>> bound.gone("5f2a"); bound.live
0
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from ._errors import TargetHanging

__all__ = ["LiveBound"]


class LiveBound:
    def __init__(self, limit: int, *, patience: float, drain: Callable[[], bool] | None = None) -> None:
        """`drain()` runs one due delete on the calling thread; False when none is due."""
        self.limit, self.patience, self.drain = limit, patience, drain
        self.peak = 0  # the most of the run's webhooks registered at once
        self._live: set[str] = set()
        self._reserved = 0  # requests on their way that may register one
        self._stuck: str | None = None
        self._cond = threading.Condition()

    @property
    def live(self) -> int:
        return len(self._live)

    def reserve(self) -> None:
        """A place for one request that may register a webhook; TargetHanging if none frees in time."""
        ends = time.monotonic() + self.patience
        while True:
            with self._cond:
                if self._stuck:
                    raise TargetHanging(self._stuck)
                if len(self._live) + self._reserved < self.limit:
                    self._reserved += 1
                    return
            if self.drain is not None and self.drain():
                continue  # a delete ran here: look again
            with self._cond:
                if time.monotonic() >= ends:
                    self._stuck = (
                        f"--max-live {self.limit} reached and no webhook of the run could be deleted in "
                        f"{self.patience:.0f} s: the run stopped sending rather than hold more"
                    )
                    raise TargetHanging(self._stuck)
                self._cond.wait(timeout=0.05)

    def settle(self, registered: str | None) -> None:
        """The answer came (or never will): `registered` is the id it registered, if any."""
        with self._cond:
            self._reserved -= 1
            if registered is not None:
                self._live.add(registered)
                self.peak = max(self.peak, len(self._live))
            self._cond.notify_all()

    def gone(self, hook_id: str) -> None:
        """`hook_id` was deleted (or the server says it is not there): its place is free."""
        with self._cond:
            self._live.discard(hook_id)
            self._cond.notify_all()
