"""Progress: what a long run is doing, while it does it (an engine event handler).

On a terminal, one live line, redrawn at most ten times a second:

    cases 312/604 (52%) · 148 cases/s · 2.1 s · ETA 2.0 s

Elsewhere (CI logs), a plain line every 10 s or every 10 % of the cases, whichever comes first, and
one line per phase that took long enough to notice. The total is known when the ci tier replays
recorded cases; otherwise the line counts without an ETA.

A signal gets a line at once, in both modes: the first one says the run is winding down (what is in
flight may take up to its --timeout), so a Ctrl-C is never met with silence; from then on, each phase
that starts gets a line too (`progress: cleanup …`), saying what the stopping run waits on.
"""

from __future__ import annotations

import contextlib
import signal
import time
from collections.abc import Callable
from typing import TextIO

from conformance.engine import CaseJudged, Event, Interrupted, Phase, PhaseFinished, PhaseStarted

__all__ = ["Progress"]

PLAIN_EVERY = 10.0  # seconds between plain lines
LIVE_EVERY = 0.1  # seconds between redraws of the live line
NOTICEABLE = 1.0  # a phase that took longer gets a line of its own (plain mode)


class Progress:
    def __init__(self, stream: TextIO, *, live: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.live, self.clock = stream, live, clock
        self.phase: Phase | None = None
        self.expected: int | None = None
        self.done = 0
        self._began = self._shown = clock()
        self._shown_done = 0
        self._stopping = False  # a signal came: each phase that starts is told

    def __call__(self, event: Event) -> None:
        if isinstance(event, PhaseStarted):
            if event.phase is Phase.PREFLIGHT:
                return  # before the run's header line: nothing to draw over yet
            self.phase = event.phase
            if event.phase is Phase.CASES:
                self.expected, self._began = event.expected, self.clock()
            if self._stopping and not self.live:
                self._line(f"{event.phase} …")
            self._draw(force=self.live)
        elif isinstance(event, CaseJudged):
            self.done += 1
            self._draw()
        elif isinstance(event, PhaseFinished) and event.phase is not Phase.PREFLIGHT:
            if self.live:
                self._draw(force=True)
                if event.phase is Phase.REPORT:
                    self.stream.write("\r\x1b[2K")
                    self.stream.flush()
            elif event.phase is Phase.CASES or event.seconds >= NOTICEABLE:
                self._line(f"{event.phase} done in {event.seconds:.1f} s" + self._counts())
        elif isinstance(event, Interrupted):
            self._interrupted(event)

    def _interrupted(self, event: Interrupted) -> None:
        self._stopping = True
        name = signal.Signals(event.signal).name
        if event.second:
            text = f"{name} again: cutting short what is on the wire and the cleanup; the reports are still written"
        else:
            text = (
                f"{name}: stopping; what is in flight ends within its --timeout, then cleanup runs "
                "(a second signal cuts both short)"
            )
        # Called from the signal handler: a write it interrupted would refuse a second one (reentrant
        # call); the line is then lost, never the run.
        with contextlib.suppress(RuntimeError, OSError):
            if self.live:
                self.stream.write("\r\x1b[2K")
            self._line(text)

    def _draw(self, *, force: bool = False) -> None:
        now = self.clock()
        if self.live:
            if force or now - self._shown >= LIVE_EVERY:
                self._shown = now
                self.stream.write(f"\r\x1b[2K{self.status(now)}")
                self.stream.flush()
            return
        tenth = self.expected is not None and self.done - self._shown_done >= max(1, self.expected // 10)
        if self.phase is Phase.CASES and (now - self._shown >= PLAIN_EVERY or tenth):
            self._shown, self._shown_done = now, self.done
            self._line(self.status(now))

    def status(self, now: float) -> str:
        """`cases 312/604 (52%) · 148 cases/s · 2.1 s · ETA 2.0 s` (the parts that are known)."""
        if self.phase is not Phase.CASES:
            return f"{self.phase} …"
        took = max(now - self._began, 1e-9)
        # A total the run has outgrown was wrong (a cache from an older count): better none than 1034/942.
        expected = self.expected if self.expected and self.done <= self.expected else None
        parts = [f"cases {self.done}" + (f"/{expected} ({100 * self.done // expected}%)" if expected else "")]
        rate = self.done / took
        parts += [f"{rate:.0f} cases/s", f"{took:.1f} s"]
        if expected and rate > 0 and self.done < expected:
            parts.append(f"ETA {(expected - self.done) / rate:.1f} s")
        return " · ".join(parts)

    def _counts(self) -> str:
        return f" ({self.done} cases)" if self.phase is Phase.CASES else ""

    def _line(self, text: str) -> None:
        self.stream.write(f"progress: {text}\n")
        self.stream.flush()
