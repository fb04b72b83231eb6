"""A mock that counts what it holds at once, shared by tests/test_concurrency.py and tests/test_courier.py."""

from __future__ import annotations

import json
import threading
import time

from conformance.mock import MockServer

TOKEN = "concurrency-token-7e2"
VALID = json.dumps({"target": "https://hooks.example.com/a", "event": "fax_sent"}).encode()


class Counting(MockServer):
    """Takes `pause` seconds per answer and remembers the most requests it ever held at once."""

    def __init__(self, pause: float = 0.05, **kwargs) -> None:
        super().__init__(token=TOKEN, **kwargs)
        self.pause, self.active, self.peak, self.arrivals = pause, 0, 0, []
        self._count = threading.Lock()

    def respond(self, request):
        with self._count:
            self.active += 1
            self.peak = max(self.peak, self.active)
            self.arrivals.append(time.monotonic())
        try:
            time.sleep(self.pause)
            return super().respond(request)
        finally:
            with self._count:
                self.active -= 1


def _outcome(future) -> int | str:
    from conformance.send import NotSent

    try:
        return future.result().status
    except NotSent:
        return "not sent"
