"""The pytest plugin: options, the `probe` fixture, verdicts per test, and end-of-run outputs.

Loaded through the `pytest11` entry point, so `pytest --pyargs conformance.suite --base-url URL`
runs the suite; it stays inert in any pytest run that does not collect the suite.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator
from typing import Any

import pytest

from conformance.target import Target

_PROBES = pytest.StashKey[Any]()
_PRESET: Target | None = None  # set by the CLI, which builds the Target itself


def pytest_addoption(parser: pytest.Parser) -> None:
    from conformance.options import add_to_pytest

    group = parser.getgroup("faxplus-conformance", "Fax.Plus POST /hooks conformance")

    def add(*names: str, **kwargs: Any) -> None:
        # Another plugin (e.g. pytest-base-url) may own the option: then read the same dest.
        with contextlib.suppress(ValueError):
            group.addoption(*names, **kwargs)

    add_to_pytest(add)


def target_from_options(config: pytest.Config) -> Target:
    if _PRESET is not None:
        return _PRESET
    from conformance.options import build_target

    return build_target(config.getoption)


def _suite_loaded() -> bool:
    import sys

    return "conformance.suite._session" in sys.modules


_CONFIG: pytest.Config | None = None


def pytest_configure(config: pytest.Config) -> None:
    global _CONFIG
    _CONFIG = config


def configured_target() -> Target | None:
    """The Target of the pytest run in progress (the suite module asks at import)."""
    return target_from_options(_CONFIG) if _CONFIG is not None else _PRESET


@pytest.fixture
def probe(request: pytest.FixtureRequest) -> Any:
    from conformance.suite._probe import Probe
    from conformance.suite._session import current

    instance = Probe(current(), request.node.nodeid)
    request.node.stash[_PROBES] = instance
    return instance


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    outcome = yield
    probe = item.stash.get(_PROBES, None)
    if probe is not None:
        from conformance.report.allure_labels import label_test

        label_test(item, probe)
        item.user_properties.append(("verdict", str(probe.verdict)))
        failures = probe.failures()
        if failures:
            raise ContractViolation(_explain(probe))
    return outcome


class ContractViolation(AssertionError):
    """A test's cases broke the contract; the message lists each finding with its replay line."""


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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not _suite_loaded():
        return
    from conformance.report import outputs
    from conformance.suite import _session

    run = _session._CURRENT
    if run is None:
        return
    if run.target.shrink_budget and not run.interrupted and not run.ledger.stopped:
        from conformance.suite._shrink import Shrinker

        Shrinker(run, run.target.shrink_budget).run()
    outputs.finish(run, write=session.config.getoption("faxplus_output_dir") is not None or _PRESET is not None)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _suite_loaded() or _PRESET is not None:
        return  # the CLI prints its own summary
    from conformance.report import console
    from conformance.suite import _session

    run = _session._CURRENT
    if run is not None:
        terminalreporter.write_line(console.summary(run))


def pytest_unconfigure(config: pytest.Config) -> None:
    global _CONFIG
    _CONFIG = None
    if _suite_loaded() and _PRESET is None:
        from conformance.suite import _session

        _session.close_session()  # the CLI closes its own session after reading the ledger
