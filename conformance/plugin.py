"""The pytest plugin: one `Run` object owns a conformance run — its Target, its Session (mock,
sender, ledger), the verdict per test and the end-of-run outputs.

Loaded through the `pytest11` entry point, so `pytest --pyargs conformance.suite --base-url URL`
runs the suite: `pytest_configure` then registers a `Run` built from the command line. The CLI
builds its own `Run` and hands it over with `pytest.main(..., plugins=[run])`. Either way the run
lives in `config.stash` and tests reach it through the `conformance_run` fixture; collecting the
suite starts nothing and sends nothing — the Session opens when the first test asks for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import pytest

from conformance.send import CourierLost
from conformance.target import Target

if TYPE_CHECKING:
    from conformance.suite._probe import Probe
    from conformance.suite._reference import DiffSpec
    from conformance.suite._session import Session

RUN = pytest.StashKey["Run"]()
_PROBES = pytest.StashKey[Any]()


def pytest_addoption(parser: pytest.Parser) -> None:
    from conformance.options import add_to_pytest

    group = parser.getgroup("faxplus-conformance", "Fax.Plus POST /hooks conformance")

    def add(*names: str, **kwargs: Any) -> None:
        # Another plugin (e.g. pytest-base-url) may own the option: then read the same dest.
        with contextlib.suppress(ValueError):
            group.addoption(*names, **kwargs)

    add_to_pytest(add)


def pytest_configure(config: pytest.Config) -> None:
    run = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, Run)), None)
    if run is None:  # plain pytest: the run comes from the command line, built when first needed
        run = Run(None, writes=config.getoption("faxplus_output_dir", None) is not None)
        config.pluginmanager.register(run, "faxplus-conformance-run")
    run.config = config
    config.stash[RUN] = run
    spec = config.getoption("faxplus_spec", None)
    if spec:  # before collection imports anything that reads the contract
        from conformance.contract import use_spec
        from conformance.target import UsageError

        try:
            use_spec(spec)
        except UsageError as error:
            raise pytest.UsageError(str(error)) from None


@pytest.fixture(scope="session")
def conformance_run(pytestconfig: pytest.Config) -> Session:
    """The run's Session, opened on first use (the mock starts, or the preflight goes out, here)."""
    return pytestconfig.stash[RUN].open()


@pytest.fixture
def probe(request: pytest.FixtureRequest, conformance_run: Session) -> Probe:
    from conformance.suite._cases import cache_name
    from conformance.suite._probe import Probe

    cases, key = conformance_run.cases, cache_name(request.node.nodeid)
    instance = Probe(conformance_run, request.node.nodeid, plan=cases.plan(key) if cases else None, key=key)
    request.node.stash[_PROBES] = instance
    return instance


class ContractViolation(AssertionError):
    """A test's cases broke the contract; the message lists each finding with its replay line."""


class Run:
    """One conformance run: the only place its state lives."""

    def __init__(
        self,
        target: Target | None,
        *,
        writes: bool = True,
        owned_by_cli: bool = False,
        diff: DiffSpec | None = None,
        session: Session | None = None,
    ) -> None:
        self.target = target
        self.diff = diff  # a diff run's reference(s); plain pytest reads them from --reference-url
        self.writes = writes
        self.owned_by_cli = owned_by_cli  # the CLI prints its own summary and closes the session
        self.config: pytest.Config | None = None
        self.session: Session | None = session  # opened by the CLI already, or on first use
        self.order: list[str] = []  # the tests to run, in order: their recorded cases go out ahead

    def open(self) -> Session:
        """The Session, opened on first use: starts the embedded mock or sends the preflight."""
        if self.session is None:
            from conformance.suite._session import open_session

            if self.target is None:
                from conformance.options import build_target

                assert self.config is not None
                self.target = build_target(self.config.getoption)
            if self.diff is None and self.config is not None:
                from conformance.suite._reference import build_diff

                self.diff = build_diff(self.config.getoption)
            self.session = open_session(self.target, self.diff)
            self.session.send_ahead(self.order)
        return self.session

    def close(self) -> None:
        if self.session is not None:
            self.session.close()

    # --- hooks ---------------------------------------------------------------------------
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # An xdist worker runs only some of the tests it collected: it sends nothing ahead.
        if not hasattr(session.config, "workerinput"):
            from conformance.suite._cases import cache_name

            self.order = [cache_name(item.nodeid) for item in session.items]
            if self.session is not None:  # opened before collection (the CLI does, to fail early)
                self.session.send_ahead(self.order)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, None, None]:
        probe = item.stash.get(_PROBES, None)
        completed = False
        try:
            outcome = yield
            completed = True
        finally:
            if probe is not None:
                probe.drain()  # the cases still in flight belong to this test
                probe.finish(completed=completed and not probe.session.interrupted)
        if probe is not None:
            from conformance.report.allure_labels import label_test

            label_test(item, probe)
            item.user_properties.append(("verdict", str(probe.verdict)))
            if probe.failures():
                raise ContractViolation(_explain(probe))
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

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.finish(exitstatus)

    def finish(self, exitstatus: int) -> None:
        if self.session is not None:
            self.session.finish(completed=exitstatus != pytest.ExitCode.INTERRUPTED, reports=self.writes)

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.session is not None and not self.owned_by_cli:
            from conformance.report import console

            terminalreporter.write_line(console.summary(self.session))

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if not self.owned_by_cli:
            self.close()


def _explain(probe: Any) -> str:
    from conformance.judge._ledger import group_id

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
