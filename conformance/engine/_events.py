"""Events: what a run tells its handlers as it goes (a progress bar, a test, a log).

A handler is any callable taking one event; it runs on the thread that caused the event (a case is
judged on the main thread, a signal arrives there too), so a slow handler slows the run.

>>> seen = []
>>> events = Events([seen.append])
>>> events.emit(PhaseStarted(Phase.CASES))
>>> seen
[PhaseStarted(phase=<Phase.CASES: 'cases'>, expected=None)]
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from conformance.judge import CaseResult, Finding

__all__ = [
    "CaseJudged",
    "Event",
    "Events",
    "FindingOpened",
    "Handler",
    "Interrupted",
    "Phase",
    "PhaseFinished",
    "PhaseStarted",
]


class Phase(enum.StrEnum):
    """A run's phases, in the order they run; each runs once (shrink only when it has a budget)."""

    PREFLIGHT = "preflight"  # the embedded mock starts, or one request proves the target answers
    SEND_AHEAD = "send ahead"  # the ci tier's recorded cases go on the wire before their tests run
    CASES = "cases"  # every test draws, sends and judges its cases (pytest)
    SHRINK = "shrink"  # each failing finding's reproduction made smaller
    CLEANUP = "cleanup"  # what the run registered is deleted, and the rest listed
    REPORT = "report"  # the RunResult is written out (summary.json, summary.md, JUnit, Allure)


@dataclass(frozen=True)
class PhaseStarted:
    phase: Phase
    expected: int | None = None  # cases the phase will judge, when known (a replayed ci tier)


@dataclass(frozen=True)
class PhaseFinished:
    phase: Phase
    seconds: float


@dataclass(frozen=True)
class CaseJudged:
    """One exchange judged: its family, kind and verdict (`result.verdict`)."""

    result: CaseResult


@dataclass(frozen=True)
class FindingOpened:
    """The first case of a run that broke (or bent) one rule of one family."""

    finding: Finding


@dataclass(frozen=True)
class Interrupted:
    """A signal: the first stops sending, the second cancels what is on the wire."""

    signal: int
    second: bool


Event = PhaseStarted | PhaseFinished | CaseJudged | FindingOpened | Interrupted
Handler = Callable[[Event], None]


class Events:
    """The run's handlers, called in order for every event."""

    def __init__(self, handlers: Iterable[Handler] = ()) -> None:
        self.handlers = list(handlers)

    def emit(self, event: Event) -> None:
        for handler in self.handlers:
            handler(event)

    def case(self, result: CaseResult, opened: list[Finding]) -> None:
        """A Ledger listener: each recorded case, then each finding it opened."""
        self.emit(CaseJudged(result))
        for finding in opened:
            self.emit(FindingOpened(finding))
