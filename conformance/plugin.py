"""The pytest plugin: `pytest --pyargs conformance.suite --base-url URL` runs the suite through the
engine, as the CLI does.

Loaded through the `pytest11` entry point. It adds the run options, checks a `--spec` file at once
(a bad one is a usage error, one line), registers the suite's fixtures and, under plain pytest, a
`PytestRun` (conformance/_pytest_run.py) that the engine concludes when pytest's session ends. The
engine's own pytest run brings its `CasesRun` along. The contract is the run's value, not this
process's: the engine loads it from the run's `--spec` and the suite reads it from the Session.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance import config as config_file
from conformance._pytest_run import PytestRun
from conformance.contract import for_spec
from conformance.options import RUN_OPTIONS
from conformance.suite import RUN, CasesRun, fixtures
from conformance.target import UsageError


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("faxplus-conformance", "Fax.Plus POST /hooks conformance")

    def add(*names: str, **kwargs: Any) -> None:
        # Another plugin (e.g. pytest-base-url) may own the option: then read the same dest.
        with contextlib.suppress(ValueError):
            group.addoption(*names, **kwargs)

    add_to_pytest(add)


__all__ = ["add_to_pytest", "file_defaults"]


def add_to_pytest(add: Callable[..., None], cwd: Path | None = None) -> None:
    """`add(*names, **kwargs)` is the plugin's group.addoption (which tolerates a taken name).

    Plain pytest reads the config file of the working directory too (its `run` values become the
    defaults; pytest's own flags still win)."""
    from_file = file_defaults(cwd)
    for option in RUN_OPTIONS:
        if option.cli_only is None:
            kwargs = option.kwargs()
            if option.dest in from_file:
                kwargs["default"] = from_file[option.dest]
            add(option.flag, *option.aliases, dest=option.dest, **kwargs)


def file_defaults(cwd: Path | None = None) -> dict[str, Any]:
    """The `run` values of the working directory's config file, {dest: value}; a bad file is a usage error."""
    try:
        found = config_file.find((), cwd)
        return {} if found is None else config_file.run_defaults(found)  # the table's rows, not the CLI
    except UsageError as error:
        raise pytest.UsageError(str(error)) from None


def pytest_configure(config: pytest.Config) -> None:
    spec = config.getoption("faxplus_spec", None)
    if spec:  # a file that cannot be the contract ends here, before any test; the engine loads it (cached)
        try:
            for_spec(spec)
        except UsageError as error:
            raise pytest.UsageError(str(error)) from None
    config.pluginmanager.register(fixtures, "faxplus-conformance-fixtures")
    owner = next((p for p in config.pluginmanager.get_plugins() if isinstance(p, CasesRun)), None)
    if owner is None:  # plain pytest: the run comes from the command line
        owner = PytestRun(config)
        config.pluginmanager.register(owner, "faxplus-conformance-run")
    config.stash[RUN] = owner
