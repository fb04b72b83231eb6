"""Help that helps: every command has a description and an example that parses; every option is
documented, under its section, with a plain metavar; every environment variable the help names is
one the code really reads; `run` does not list diff's options."""

from __future__ import annotations

import argparse
import re
import shlex
from pathlib import Path

import pytest

from conformance import cli
from conformance.options import GROUP_OF, GROUPS, REFERENCE_GROUP, RUN_OPTIONS

SOURCE = Path(cli.__file__).resolve().parent
ENV_NAME = re.compile(r"\$([A-Z][A-Z0-9_]+)|\b(FAXPLUS_[A-Z0-9_]+|SSL_CERT_FILE|HTTPS?_PROXY|ALL_PROXY)\b")


def commands() -> dict[str, argparse.ArgumentParser]:
    parser = cli._parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(sub.choices)


def read_by_httpx(name: str, monkeypatch: pytest.MonkeyPatch) -> bool:
    """httpx reads the proxy variables itself (the run's clients trust the environment)."""
    from httpx._utils import get_environment_proxies

    for other in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(other, raising=False)
        monkeypatch.delenv(other.lower(), raising=False)
    monkeypatch.setenv(name, "http://proxy.invalid:3128")
    return "http://proxy.invalid:3128" in get_environment_proxies().values()


def read_by_code(name: str, monkeypatch: pytest.MonkeyPatch) -> bool:
    """`name` is read somewhere: a string literal of it outside help texts (os.environ, env=...),
    or by httpx, which the run hands its requests to."""
    literal = re.compile(rf"""["']{name}["']""")
    return any(literal.search(path.read_text()) for path in SOURCE.rglob("*.py")) or read_by_httpx(name, monkeypatch)


@pytest.mark.parametrize("name", sorted(cli.HELP))
def test_every_command_says_what_it_does_and_shows_an_example_that_parses(name: str) -> None:
    parser = commands()[name]
    text = parser.format_help()
    assert cli.HELP[name].description.split()[0] in text
    example = cli.HELP[name].example
    assert f"example:\n  {example}" in text
    words = [w for w in shlex.split(example) if "=" not in w or w.startswith("-")]
    assert words[:2] == ["faxplus-conformance", name], example
    cli._parser().parse_args(words[1:])  # exits 2 (SystemExit) if the example does not parse


def test_the_command_list_names_every_command() -> None:
    assert set(commands()) == set(cli.HELP)


@pytest.mark.parametrize("name", sorted(cli.HELP))
def test_every_option_is_documented_with_a_plain_metavar(name: str) -> None:
    for action in commands()[name]._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help.strip(), f"{name} {action.option_strings}: no help"
        metavar = action.metavar if isinstance(action.metavar, str) else None
        if metavar is not None:
            assert not metavar.startswith("FAXPLUS_"), (
                f"{name} {action.option_strings}: {metavar} looks like a variable"
            )
            assert re.fullmatch(r"[A-Z][A-Z_\[\]:-]*", metavar), f"{name} {action.option_strings}: {metavar}"


@pytest.mark.parametrize("name", sorted(cli.HELP))
def test_every_environment_variable_the_help_names_is_read(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    text = commands()[name].format_help()
    named = {a or b for a, b in ENV_NAME.findall(text)}
    unread = sorted(n for n in named if not read_by_code(n, monkeypatch))
    assert not unread, f"`{name} --help` names variables nothing reads: {unread}"


def test_options_sit_in_their_sections_in_order() -> None:
    assert {o.flag for o in RUN_OPTIONS} <= set(GROUP_OF), "every run option is in a section of GROUPS"
    text = commands()["run"].format_help()
    titles = [title for title, _ in GROUPS if title != REFERENCE_GROUP]
    positions = [text.index(f"\n{title}:\n") for title in titles]
    assert positions == sorted(positions)
    assert "--timeout SECONDS" in text and "--base-url URL" in text and "--max-live N" in text


def test_run_lists_no_option_of_diff_and_diff_lists_them() -> None:
    run, diff = commands()["run"].format_help(), commands()["diff"].format_help()
    assert "--reference-url" not in run
    assert "--reference-url URL" in diff and f"\n{REFERENCE_GROUP}:\n" in diff


def test_ranges_and_choices_are_shown() -> None:
    text = commands()["run"].format_help()
    assert "{ci,nightly}" in text
    assert re.search(r"--max-live N\s+.*\[0\.\.10000\]", text, re.S)


def test_a_bad_example_would_be_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SystemExit):
        cli._parser().parse_args(["run", "--max-live", "lots"])
    assert not read_by_code("FAXPLUS_NOT_A_VARIABLE", monkeypatch)
