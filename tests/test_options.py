"""Run options are declared once (conformance/options.py): the CLI and the pytest plugin offer
the same ones, with the same types and defaults, and both build the same Target."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from conformance import cli
from conformance.options import OPTIONS, RUN_OPTIONS, build_target


def run_parser() -> argparse.ArgumentParser:
    parser = cli._parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["run"]


def cli_flags() -> set[str]:
    return {s for a in run_parser()._actions for s in a.option_strings if s.startswith("--") and s != "--help"}


def plugin_flags(pytestconfig: pytest.Config) -> set[str]:
    group = next(g for g in pytestconfig._parser._groups if g.name == "faxplus-conformance")
    return {name for option in group.options for name in option.names() if name.startswith("--")}


def test_every_cli_option_exists_in_the_plugin_and_the_reverse(pytestconfig: pytest.Config) -> None:
    cli_only = {o.flag for o in RUN_OPTIONS if o.cli_only}
    aliases = {alias for o in RUN_OPTIONS for alias in o.aliases}
    assert cli_flags() - cli_only == plugin_flags(pytestconfig) - aliases
    assert cli_only <= cli_flags() and not cli_only & plugin_flags(pytestconfig)
    assert cli_flags() == set(OPTIONS)


def test_defaults_and_types_agree(pytestconfig: pytest.Config) -> None:
    defaults = vars(run_parser().parse_args([]))
    for option in RUN_OPTIONS:
        assert defaults[option.dest] == option.kwargs()["default"], option.flag
        if option.cli_only is None:
            assert pytestconfig.getoption(option.dest) == defaults[option.dest] or option.flag == "--base-url"


def test_cli_and_plugin_build_the_same_target(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAXPLUS_TOKEN", "env-token")
    argv = [
        "--base-url",
        "http://127.0.0.1:9/v3",
        "--tier",
        "nightly",
        "--seed",
        "7",
        "--timeout",
        "2.5",
        "--no-cleanup",
        "--shrink-budget",
        "0",
        "--output-dir",
        "out",
    ]
    args = run_parser().parse_args(argv)
    target = build_target(lambda dest: getattr(args, dest))
    assert (target.base_url, target.token, target.tier, target.seed, target.timeout) == (
        "http://127.0.0.1:9/v3",
        "env-token",
        "nightly",
        7,
        2.5,
    )
    assert (target.cleanup, target.shrink_budget, target.output_dir) == (False, 0, Path("out"))
