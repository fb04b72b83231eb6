"""Lanes: the sending threads, serving what a test waits for first, then what is sent ahead, then
cleanup's deletes.

A FIFO pool would put a test's live case (a credential probe, never recorded) behind every case
sent ahead for the tests after it: the test would wait for all of them, and its judging, and the
judging of every test after it, would pile up at the end of the run.

>>> lanes = Lanes(1)
>>> lanes.submit(Lane.NOW, sum, [1, 2]).result()
3
>>> lanes.shutdown()
"""

from __future__ import annotations

import enum
import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")
POLL = 0.5  # seconds an idle sending thread sleeps before it looks at the queue again


class Lane(enum.IntEnum):
    NOW = 0  # a test waits for it
    AHEAD = 1  # a recorded case, sent before its test asks
    IDLE = 2  # cleanup's deletes: when nothing else waits
    STOP = 3  # after everything: a thread's signal to end


class Lanes:
    def __init__(self, workers: int, name: str = "faxplus-send") -> None:
        self._queue: queue.PriorityQueue[tuple[int, int, Any]] = queue.PriorityQueue()
        self._order = itertools.count()  # first come, first served within a lane
        self._threads = [threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(workers)]
        for thread in self._threads:
            thread.start()

    def submit(self, lane: Lane, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        self._queue.put((lane, next(self._order), (future, fn, args, kwargs)))
        return future

    def _work(self) -> None:
        while True:
            try:
                # Not a bare get(): the first Ctrl-C raises KeyboardInterrupt into the main thread
                # wherever it is, and inside the queue's Condition.notify() that leaves a stale waiter
                # which the next notify() wakes instead of this thread (two runs in ten hung at
                # shutdown so). Polling bounds such a lost wake-up to POLL seconds.
                lane, _, item = self._queue.get(timeout=POLL)
            except queue.Empty:
                continue
            if lane == Lane.STOP:
                return
            future, fn, args, kwargs = item
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while it waited
            try:
                result = fn(*args, **kwargs)
            except BaseException as error:  # noqa: BLE001 - handed to whoever waits on the future
                future.set_exception(error)
            else:
                future.set_result(result)

    def shutdown(self) -> None:
        """Cancel what has not started, let what runs finish, and end the threads."""
        while True:
            try:
                lane, _, item = self._queue.get_nowait()
            except queue.Empty:
                break
            if lane != Lane.STOP:
                item[0].cancel()
        for _ in self._threads:
            self._queue.put((Lane.STOP, next(self._order), None))
        for thread in self._threads:
            thread.join()
