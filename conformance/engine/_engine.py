"""The engine: one run, in phases, ending in one RunResult.

    preflight → send ahead → cases → shrink → cleanup → report

`Engine.run()` drives every phase (the CLI, `conformance.run`). Under plain pytest, pytest drives
the cases phase: the plugin opens the Session through `Engine.open` and calls `Engine.conclude`
when pytest's session ends. Either way the exit code and verdict are decided once, in
`conclude`, before any report is written, and every reporter reads the same RunResult.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Callable, Iterable, Iterator
from types import MappingProxyType

import pytest

from conformance.contract import Contract, for_spec
from conformance.judge import baseline as baselines
from conformance.send import Courier
from conformance.suite import (
    DiffSpec,
    EmbeddedMock,
    Session,
    Shrinker,
    open_session,
    record_sent_ahead,
)
from conformance.target import Target

from ._cases import INTERRUPTED, run_cases
from ._document import build as build_document
from ._events import Events, Handler, Phase, PhaseFinished, PhaseStarted
from ._result import RunResult, decide, freeze
from ._signals import handled

__all__ = ["Engine", "Reporter", "run"]

Reporter = Callable[[RunResult], None]
# pytest's exit codes under which the suite ran (its tests passed, failed, or a signal cut them short).
_RAN = (int(pytest.ExitCode.OK), int(pytest.ExitCode.TESTS_FAILED), INTERRUPTED)
_NO_TESTS = int(pytest.ExitCode.NO_TESTS_COLLECTED)  # under --select: an expression that matches nothing


class Engine:
    """One run of the suite against `target`, under its contract.

    The contract is loaded once, here, from `target.spec` (the vendored one without `--spec`; a
    file that cannot be the contract is a UsageError), and carried by the Session to everything that
    draws, sends and judges: two Engines in one process may each have their own.

    `handlers` receive the run's events as they happen; `reporters` receive the RunResult in the
    report phase (conformance.report.reporters() writes summary.json, summary.md, JUnit and Allure).
    `mock` / `courier`: the embedded mock and the sending process, when the caller started them
    early (they import on the other core while this one imports the suite). `pytest_output`: pytest's
    own dots and count on stdout.
    """

    def __init__(
        self,
        target: Target,
        *,
        diff: DiffSpec | None = None,
        handlers: Iterable[Handler] = (),
        reporters: Iterable[Reporter] = (),
        mock: EmbeddedMock | None = None,
        courier: Courier | None = None,
        pytest_output: bool = True,
    ) -> None:
        self.target, self.diff = target, diff
        self.contract: Contract = for_spec(target.spec)
        self.events = Events(handlers)
        self.reporters = list(reporters)
        self._mock, self._courier = mock, courier
        self.pytest_output = pytest_output  # pytest's dots and count (off under a live progress line)
        self.session: Session | None = None
        self.result: RunResult | None = None
        self.timings: dict[str, float] = {}

    # --- phases --------------------------------------------------------------------------
    @contextlib.contextmanager
    def phase(self, phase: Phase, expected: int | None = None) -> Iterator[None]:
        self.events.emit(PhaseStarted(phase, expected))
        started = time.monotonic()
        try:
            yield
        finally:
            self.timings[str(phase)] = took = round(time.monotonic() - started, 3)
            self.events.emit(PhaseFinished(phase, took))

    def open(self) -> Session:
        """The preflight phase, once: the embedded mock starts, or one request proves the target answers."""
        if self.session is None:
            try:
                with self.phase(Phase.PREFLIGHT):
                    self.session = open_session(self.target, self.contract, self.diff, self._mock, self._courier)
            except BaseException:
                if self._courier is not None:
                    self._courier.close()
                if self._mock is not None:
                    self._mock.stop()
                raise
            self.session.ledger.listeners.append(self.events.case)
        return self.session

    def run(self) -> RunResult:
        """Every phase, in order; the Session is closed whatever happens."""
        session = self.open()
        try:
            with handled(session, self.events):
                code = INTERRUPTED
                try:
                    with self.phase(Phase.SEND_AHEAD):
                        # Every test runs: its recorded cases need not wait for pytest. Under --select
                        # only pytest knows which do; they go ahead once it has collected them.
                        if self.target.select is None:
                            session.send_ahead()
                    with self.phase(Phase.CASES, session.expected_cases()):
                        code = run_cases(session, self.target.output_dir, terminal=self.pytest_output)
                except KeyboardInterrupt:
                    code = INTERRUPTED
                return self.conclude(code)
        finally:
            session.close()

    def conclude(self, code: int) -> RunResult:
        """Shrink, clean up, decide, report: once, whoever drove the cases (`code`: pytest's exit)."""
        if self.result is not None:
            return self.result
        session = self.open()
        session.finishing = True  # a signal from now on only cuts short; it no longer raises
        completed = code != INTERRUPTED
        record_sent_ahead(session)  # cases sent ahead for tests that never ran (an interrupt)
        if session.cases is not None and not session.interrupted and completed:
            session.cases.save()
        if self.target.shrink_budget and not session.interrupted and not session.ledger.stopped:
            with self.phase(Phase.SHRINK):
                Shrinker(session, self.target.shrink_budget).run()
        if session.reference is not None:  # its own cleanup; accepted divergences come from the baseline
            session.reference.finish(session.run_domain, session.baseline)
        with self.phase(Phase.CLEANUP):
            session.clean_up()
        self._write_baseline(session)
        self.result = result = self._decide(session, code)
        with self.phase(Phase.REPORT):
            for reporter in self.reporters:
                reporter(result)
        timings = MappingProxyType(dict(self.timings))
        self.result = dataclasses.replace(result, timings=timings)
        return self.result

    # --- the outcome ---------------------------------------------------------------------
    def _decide(self, session: Session, code: int) -> RunResult:
        gaps = _gaps(session, code)
        ledger, reference = session.ledger, session.reference
        exit_code = decide(
            ledger.verdict,
            diverged=reference is not None and reference.failing,
            gaps=gaps,
            suite_ran=code in _RAN,
            baseline_written=self.target.update_baseline,
        )
        document = build_document(session, exit_code=exit_code, gaps=gaps)
        return RunResult(
            verdict=ledger.verdict,
            exit_code=exit_code,
            gaps=gaps,
            groups=tuple(ledger.groups()),
            findings=tuple(ledger.ranked()),
            cleanup=session.cleanup,
            output_dir=self.target.output_dir,
            timings=MappingProxyType(dict(self.timings)),
            document=freeze(document),
        )

    def _write_baseline(self, session: Session) -> None:
        target = self.target
        if target.update_baseline and target.baseline is not None:
            baselines.write(target.baseline, session.ledger.findings.values())
            if session.reference is not None:
                session.reference.write_baseline(target.baseline)


def _gaps(session: Session, code: int) -> tuple[str, ...]:
    """Why the run is incomplete, one line each, worst first."""
    gaps = []
    if code == _NO_TESTS and session.target.select is not None:
        gaps.append(
            f"--select {session.target.select!r} matches none of the suite's tests: see their names with "
            "`pytest --pyargs conformance.suite --collect-only -q`"
        )
    elif code not in _RAN:
        gaps.append(f"the suite could not run (pytest exit {code}): rerun with `pytest --pyargs conformance.suite`")
    if session.broken:
        gaps.append(
            f"the suite could not judge {len(session.broken)} test(s), first {session.broken[0]}: their remaining "
            "cases were not sent; rerun that test with `pytest --pyargs conformance.suite -k NAME` to see why"
        )
    reference = session.reference
    if reference is not None and reference.stopped:
        gaps.append(f"incomplete diff: {reference.stopped}; {reference.not_compared} case(s) not compared")
    if session.ledger.stopped:
        gaps.append(f"stopped sending: {session.ledger.stopped}; the summary covers what was measured")
    if code == INTERRUPTED or session.interrupted:
        gaps.append("interrupted: the summary covers what was measured until then")
    return tuple(gaps)


def run(
    target: Target,
    *,
    diff: DiffSpec | None = None,
    handlers: Iterable[Handler] = (),
    reporters: Iterable[Reporter] = (),
) -> RunResult:
    """Run the suite against `target` in this process and return its RunResult.

    >>> from conformance.target import Target
    >>> result = run(Target(output_dir=Path("reports")))  # doctest: +SKIP
    >>> result.exit_code, str(result.verdict), result.complete  # doctest: +SKIP
    (0, 'warn', True)
    """
    return Engine(target, diff=diff, handlers=handlers, reporters=reporters).run()
