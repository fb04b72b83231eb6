"""Run options are declared once (conformance/options.py): the CLI and the pytest plugin offer
the same ones, with the same types and defaults, and both build the same Target."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import pytest

from conformance import cli
from conformance.options import BASELINE_OPTION, OPTIONS, OUTPUT_OPTIONS, RUN_OPTIONS, build_target
from conformance.target import Target


def run_parser() -> argparse.ArgumentParser:
    """`diff`'s parser: every run option, diff's `--reference-*` too (`run` has all but those)."""
    parser = cli._parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices["diff"]


def cli_flags() -> set[str]:
    """The run's flags, but for `--config`, which every command takes (conformance.config) and no run keeps."""
    skip = ("--help", "--config")
    return {s for a in run_parser()._actions for s in a.option_strings if s.startswith("--") and s not in skip}


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


def subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def option_actions(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {s: a for a in parser._actions for s in a.option_strings if s.startswith("--")}


def test_every_reporting_command_takes_the_same_output_options() -> None:
    commands = subparsers()
    output = {o.flag: o for o in OUTPUT_OPTIONS}
    assert {"run", "sdk"} <= set(cli.REPORTING) <= set(commands)
    for name in sorted(commands):
        actions = option_actions(commands[name])
        wanted = set(output) | ({BASELINE_OPTION.flag} if name == "sdk" else set())
        if name in cli.REPORTING:
            assert wanted <= set(actions), (name, wanted - set(actions))
        # Wherever an output option appears (`report` takes the HTML ones), it is the table's row.
        for flag in (set(output) | {BASELINE_OPTION.flag}) & set(actions):
            row = OPTIONS[flag]
            # Shared, not copied: the same dest, type, help and default as the one table row.
            action = actions[flag]
            shared = row.kwargs()
            assert (action.dest, action.help, action.default) == (row.dest, shared["help"], shared["default"]), flag
            assert action.type is (None if row.flag_only else row.parse), flag


def test_sdk_output_options_parse_as_for_run(tmp_path: Path) -> None:
    flags = ["--output-dir", str(tmp_path), "--no-html", "--single-file", "--history", str(tmp_path / "h")]
    for name in ("run", "sdk"):
        args = subparsers()[name].parse_args(flags)
        assert args.faxplus_output_dir == tmp_path and args.faxplus_no_html and args.faxplus_single_file
        assert args.faxplus_history == tmp_path / "h"
    args = subparsers()["sdk"].parse_args(["--baseline", str(tmp_path / "b.json")])
    assert args.faxplus_baseline == tmp_path / "b.json"


def test_sdk_honours_the_output_options_and_the_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One gate run of a client that swallows errors (two fails), both accepted in a baseline."""
    built: list[tuple[Path, Path, bool, Path | None]] = []

    def html(results: Path, out: Path, *, single_file: bool, history: Path | None, allure: object = None) -> bool:
        built.append((results, out, single_file, history))
        return True

    monkeypatch.setattr(cli, "_html", html)
    accepted = ["response/400::error-surfaced", "response/500::error-surfaced"]
    baseline = tmp_path / "baseline.json"
    baseline.write_text(json.dumps({"accepted": [{"id": key} for key in accepted]}), encoding="utf-8")
    driver = f"{sys.executable} {Path(__file__).parent / 'sdk_clients' / 'conformant.py'} --break swallow-errors"
    out = tmp_path / "gate"
    argv = ["sdk", "--sdk-driver", driver, "--output-dir", str(out), "--single-file", "--history", str(tmp_path / "h")]
    code = cli.main([*argv, "--baseline", str(baseline)])
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert code == 0 == summary["exit_code"] and summary["verdict"] == "warn"
    found = {f["id"]: f for f in summary["findings"]}
    assert all(found[key]["verdict"] == "warn" and found[key]["message"].startswith("[baseline] ") for key in accepted)
    assert built == [(out / "allure-results", out / "html", True, tmp_path / "h")]


def test_every_default_is_the_targets_own() -> None:
    """One default per field: a row that fills a Target field defaults to what `Target` itself does, and
    the CLI's defaults, as they are, build the Target an in-process `Target()` is."""
    fields = {f.name: f.default for f in dataclasses.fields(Target)}
    rows = [o for o in RUN_OPTIONS if o.field is not None]
    assert {o.field for o in rows} <= set(fields)
    for option in rows:
        default = option.kwargs()["default"]  # a switch's is False: the Target's True when it negates
        if default is not None:  # None: unset, the Target's own default holds
            assert (not default if option.negate else default) == fields[option.field], option.flag  # type: ignore[index]
    args = run_parser().parse_args([])
    assert build_target(lambda dest: getattr(args, dest)) == Target()


def test_help_shows_each_default_from_its_row() -> None:
    text = " ".join(run_parser().format_help().split())
    assert "missing it is a transport fail (0..3600]; default: 5 " in text
    assert "default: example.com" in text and "(default 10" not in text  # from the row, never its own copy
    assert "where reports go; default: reports/ (sdk: reports/sdk/;" in text  # a Target default, unset in the row
