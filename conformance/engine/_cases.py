"""The cases phase: the suite's tests in pytest, on an open Session, with only the plugins a run needs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conformance.suite import CasesRun, Session

__all__ = ["INTERRUPTED", "run_cases"]

INTERRUPTED = int(pytest.ExitCode.INTERRUPTED)
_PACKAGE_PARENT = Path(__file__).resolve().parents[2]  # where `conformance/` is: the node ids' root


# pytest's own terminal output: dots per test and its closing count. Off (`terminal=False`) when the
# caller shows its own progress (the dots would scribble over it); capturing is off then too, or
# pytest would swallow that progress while each test runs.
TERMINAL = ("-q", "--tb=no", "-rN", "--no-header")
NO_TERMINAL = ("-p", "no:terminal", "--capture=no")


def run_cases(session: Session, out: Path, *, terminal: bool = True) -> int:
    """pytest's exit code for the suite's tests on `session`; reports land in `out`."""
    owner = CasesRun(lambda: session)  # the engine concludes once pytest returns
    owner.open()
    return int(
        pytest.main(
            [
                "--pyargs",
                "conformance.suite",
                *(("-k", session.target.select) if session.target.select is not None else ()),
                # The run is the suite's, whatever folder it starts in: no pytest.ini, pyproject.toml
                # or conftest.py of the caller's (their addopts, filterwarnings, hooks) joins it, and
                # its node ids are the same from every folder.
                "-c",
                os.devnull,
                f"--rootdir={_PACKAGE_PARENT}",
                "--noconftest",
                *(TERMINAL if terminal else NO_TERMINAL),
                # The suite judges with ContractViolation, not bare asserts: rewriting every plugin
                # module's asserts (conformance, hypothesis, schemathesis, ...) cost ~0.5 s per run.
                "--assert=plain",
                "-p",
                "no:cacheprovider",
                # Only the plugins a run needs: entry-point discovery of whatever else is installed
                # (xdist, anyio, schemathesis's, hypothesis's) cost ~0.1 s, and the unraisable-exception
                # plugin's closing gc.collect() passes ~0.1 s more.
                "--disable-plugin-autoload",
                "-p",
                "conformance.plugin",
                "-p",
                "allure_pytest.plugin",
                "-p",
                "no:unraisableexception",
                # The process's fault handler is its owner's (the CLI's, or a caller's own pytest):
                # this session's would re-point it at whatever sys.stderr is while it runs, a
                # captured stream in a test, and a later crash's dump went nowhere.
                "-p",
                "no:faulthandler",
                "-W",
                "ignore::DeprecationWarning",
                f"--alluredir={out / 'allure-results'}",
                "--clean-alluredir",
                f"--junitxml={out / 'junit.xml'}",
                "-o",
                "junit_suite_name=faxplus-conformance",
            ],
            plugins=[owner],
        )
    )
