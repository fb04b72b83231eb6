"""The cases phase inside pytest: one `CasesRun` per pytest session, reached through `config.stash`.

It opens the run's Session when the first test asks for it (collecting starts nothing and sends
nothing), sends the recorded cases of the collected tests ahead, turns a test's broken rules into a
failed test and cases never sent into a skipped one, and tells its owner when pytest's session ends.
Its owner is the engine (`conformance.engine`), for the CLI and for plain `pytest --pyargs
conformance.suite` alike.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest

from conformance.judge import group_id
from conformance.send import CourierLost

from ._allure_labels import label_test
from ._cases import cache_name
from ._probe import Probe
from ._session import Session

__all__ = ["PROBES", "RUN", "CasesRun", "ContractViolation"]

RUN = pytest.StashKey["CasesRun"]()
PROBES = pytest.StashKey[Probe]()  # each test's Probe, kept by the `probe` fixture


class ContractViolation(AssertionError):
    """A test's cases broke the contract; the message lists each finding with its replay line."""


class CasesRun:
    """The pytest side of one run. `opener` opens the Session (the engine's preflight phase);
    `on_finish(exitstatus)` is told when pytest's session ends (None: the owner concludes itself)."""

    def __init__(self, opener: Callable[[], Session], on_finish: Callable[[int], None] | None = None) -> None:
        self._opener = opener
        self.on_finish = on_finish
        self.session: Session | None = None
        self.order: list[str] = []  # the tests to run, in order: their recorded cases go out ahead
        self.deselected = 0  # by `-k` (--select), or plain pytest's `-m` and `--deselect`
        # (tests selected, tests of the suite; None: not known) when only some of the suite runs.
        self.selected: tuple[int, int | None] | None = None
        self.narrowed_by: str | None = None  # plain pytest's own narrowing, other than -k: how

    def open(self) -> Session:
        if self.session is None:
            self.session = self._opener()
            self._tell(self.session)
            self.session.send_ahead(self.order)
        return self.session

    # --- hooks ---------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.stash[RUN] = self

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected += len(items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._narrowing(session)
        # An xdist worker runs only some of the tests it collected: it sends nothing ahead.
        if not hasattr(session.config, "workerinput"):
            self.order = [cache_name(item.nodeid) for item in session.items]
            if self.session is not None:  # opened before collection (the engine does, to fail early)
                self._tell(self.session)
                self.session.send_ahead(self.order)

    def _narrowing(self, session: pytest.Session) -> None:
        """Whether only some of the suite runs, and how: the reports then say the run is partial. The
        CLI narrows only by -k; plain pytest also by -m, --deselect and node ids."""
        option, items = session.config.option, len(session.items)
        named = [arg for arg in session.config.args if "::" in arg]  # node ids: the rest was never collected
        if option.keyword or self.deselected or named:
            self.selected = (items, None if named else items + self.deselected)
        if not option.keyword and self.selected is not None:
            ways = [f"-m {option.markexpr!r}"] if getattr(option, "markexpr", "") else []
            ways += ["--deselect"] if getattr(option, "deselect", None) else []
            ways += ["node ids"] if named else []
            self.narrowed_by = "pytest " + (" and ".join(ways) or "arguments")

    def _tell(self, session: Session) -> None:
        session.selected, session.narrowed_by = self.selected, self.narrowed_by

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        probe = item.stash.get(PROBES, None)
        completed = False
        try:
            outcome = yield
            completed = True
        finally:
            if probe is not None:
                probe.drain()  # the cases still in flight belong to this test
                probe.finish(completed=completed and not probe.session.interrupted)
        if probe is not None:
            label_test(item, probe)
            item.user_properties.append(("verdict", str(probe.verdict)))
            if probe.failures():
                raise ContractViolation(_explain(probe))
            if probe.not_sent:
                # Not a pass: what was never sent was never judged (JUnit and Allure say skipped).
                pytest.skip(f"{probe.not_sent} of {probe.not_sent + len(probe.results)} cases not sent: {probe.why}")
        return outcome

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
        report = yield
        # A test that raised lost its remaining cases: the verdict is incomplete, not conformant.
        if (
            self.session is not None
            and report.failed
            and not (call.excinfo and call.excinfo.errisinstance(ContractViolation))
        ):
            reason = call.excinfo.typename if call.excinfo else "failed"
            if call.excinfo and call.excinfo.errisinstance(CourierLost):
                reason = str(call.excinfo.value)  # what became of the process that sends, not of the test
            self.session.broken.append(f"{item.nodeid.rsplit('::', 1)[-1]} ({call.when}: {reason})")
        return report

    @pytest.hookimpl(trylast=True)  # after junitxml has written its file: the owner's reports amend it
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.on_finish is not None and self.session is not None:
            self.on_finish(exitstatus)


def _explain(probe: Probe) -> str:
    lines, seen = [], set()
    for result in probe.failures():
        for v in result.violations:
            if v.verdict.name != "FAIL" or (result.family, v.check) in seen:
                continue
            seen.add((result.family, v.check))
            # `root cause <id>` lets Allure categories gather one root cause across tests.
            root = f"root cause {group_id(v.root, v.verdict)}"
            lines.append(f"[{result.family} :: {v.check}] {v.message} ({root})\n    replay: {result.reproduction.curl}")
    total = len(probe.results)
    return f"{len(probe.failures())} of {total} cases broke the contract\n" + "\n".join(lines)
