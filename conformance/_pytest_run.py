"""A run under plain pytest (`pytest --pyargs conformance.suite`): the engine is built from the
command line when the first test needs it, and concluded when pytest's session ends; pytest then
exits with the run's exit code, and prints the same console summary as the CLI."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.engine import Engine, RunResult
from conformance.options import OPTIONS, build_target
from conformance.report import console, outputs
from conformance.suite import CasesRun, Session, build_diff

__all__ = ["PytestRun"]


class PytestRun(CasesRun):
    def __init__(self, config: pytest.Config) -> None:
        super().__init__(self._open, on_finish=self._conclude)
        self.config = config
        self.engine: Engine | None = None
        self.result: RunResult | None = None
        self.writes = config.getoption("faxplus_output_dir", None) is not None

    def _open(self) -> Session:
        if self.engine is None:
            target = build_target(self._option)
            reporters = outputs.reporters(allure=False) if self.writes else []
            self.engine = Engine(target, diff=build_diff(self.config.getoption), reporters=reporters)
        return self.engine.open()

    def _option(self, dest: str) -> Any:
        """An option's value under plain pytest: pytest's own `-k` is the run's `--select`."""
        if dest == OPTIONS["--select"].dest:
            return self.config.option.keyword or None
        return self.config.getoption(dest)

    def _conclude(self, exitstatus: int) -> None:
        assert self.engine is not None
        self.result = self.engine.conclude(exitstatus)

    @pytest.hookimpl(trylast=True)  # after junitxml has written its file: the reports amend it
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        super().pytest_sessionfinish(session, exitstatus)
        if self.result is not None:
            session.exitstatus = self.result.exit_code  # pytest exits as the run's result says

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.result is not None:
            verbose = self.config.option.verbose > 0
            terminalreporter.write_line(console.summary(self.result, verbose=verbose))

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.session is not None:
            self.session.close()
