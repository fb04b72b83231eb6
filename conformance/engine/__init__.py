"""The engine: a run in phases (preflight → send ahead → cases → shrink → cleanup → report), typed
events as it goes, and one frozen RunResult at the end that every report and the exit code read.

    >>> import conformance
    >>> result = conformance.run(conformance.Target())  # doctest: +SKIP
"""

from ._document import SCHEMA_VERSION
from ._engine import Engine, Reporter, run
from ._events import (
    CaseJudged,
    Event,
    Events,
    FindingOpened,
    Handler,
    Interrupted,
    Phase,
    PhaseFinished,
    PhaseStarted,
)
from ._result import EXIT_OK, EXIT_USAGE, EXIT_VIOLATIONS, RunResult, decide

__all__ = [
    "EXIT_OK",
    "EXIT_USAGE",
    "EXIT_VIOLATIONS",
    "SCHEMA_VERSION",
    "CaseJudged",
    "Engine",
    "Event",
    "Events",
    "FindingOpened",
    "Handler",
    "Interrupted",
    "Phase",
    "PhaseFinished",
    "PhaseStarted",
    "Reporter",
    "RunResult",
    "decide",
    "run",
]
