"""Signals: Ctrl-C and SIGTERM (CI cancelling a job) end a run the same way, without losing it.

The first signal stops sending: the request in flight ends within its deadline, then shrinking is
skipped and cleanup runs within its budget, and every report is written. A second signal cancels
whatever is on the wire (cleanup included); the reports are still written.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

from conformance.suite import Session

from ._events import Events, Interrupted

__all__ = ["handled"]

SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def handled(session: Session, events: Events) -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM interrupt `session` (on the main thread only: a run
    started on another thread leaves signals to its caller)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: FrameType | None) -> None:
        # The flag before the event: a signal that comes once the event is out (its console line
        # printed) may run this handler inside this one, and must be taken as the second.
        second = session.interrupted
        if not second:
            session.interrupt()
        events.emit(Interrupted(signum, second=second))
        if second:
            session.sender.cancel()
            if not session.finishing:
                raise KeyboardInterrupt
            return
        if session.finishing or session.in_flight:
            return  # the Probe raises once the answer is recorded; shrinking stops on the flag
        raise KeyboardInterrupt

    previous = {signum: signal.signal(signum, interrupt) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
