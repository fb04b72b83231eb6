"""Bad input is one line and exit 2, before anything is sent, with or without FAXPLUS_DEBUG.

Walks every row of the option table that says what its value may be (`Option.valid`): each gets values
outside its range (and NaN, infinities, words), or a path that cannot be what it must be. The CLI is
called in-process (`cli.main`), so a hundred bad inputs cost well under a second each.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from conformance import cli
from conformance.mock import MockServer
from conformance.options import MOCK_OPTIONS, RUN_OPTIONS, Option, Range

TOKEN = "bad-input-token-5d1e"


def _range_values(valid: Range, kind: type) -> list[str]:
    below = kind(valid.low) if valid.above else kind(valid.low) - 1  # the first value outside, each side
    values = [str(below), str(kind(valid.high) + 1), "ten"]
    if kind is float:
        values += ["nan", "inf", "-inf", "1e999"]
    else:
        values += ["1.5", str(10**30)]
    return values


# Path rows: what each kind of path check must refuse. `{dir}` a folder, `{file}` a text file, `{binary}`
# a binary file, `{missing}` a path that does not exist.
PATHS = {
    "writable_folder": ["{file}", "{file}/sub"],
    "writable_file": ["{dir}", "{file}/sub/history.jsonl"],
    "readable_file": ["{missing}", "{dir}"],
    "text_file": ["{missing}", "{dir}", "{binary}", "{nul}"],
    "file_if_there": ["{dir}"],
    "domain": ["not a domain", "localhost", "-x.example.com", "a..b"],
    "keyword_expression": ["numbers and (", "or", "(numbers", " "],
}


def bad_values(option: Option) -> list[str]:
    valid = option.valid
    if isinstance(valid, Range):
        return _range_values(valid, option.type)  # type: ignore[arg-type]
    name = getattr(valid, "__name__", "")
    assert name in PATHS, f"{option.flag}: add the bad values of its check {name!r} to PATHS"
    return PATHS[name]


def cases() -> list[object]:
    out = []
    for command, options in (("run", RUN_OPTIONS), ("mock", MOCK_OPTIONS)):
        for option in options:
            if option.valid is None:
                continue
            for value in bad_values(option):
                out.append(pytest.param(command, option.flag, value, id=f"{command} {option.flag} {value}"))
    return out


@pytest.fixture
def paths(tmp_path: Path) -> dict[str, str]:
    (tmp_path / "dir").mkdir()
    (tmp_path / "file").write_text("text\n")
    (tmp_path / "binary").write_bytes(bytes(range(256)))
    (tmp_path / "nul").write_bytes(b"openapi: 3.0.0\n\0\n")
    return {name: str(tmp_path / name) for name in ("dir", "file", "binary", "nul", "missing")}


def one_line(capsys: pytest.CaptureFixture, code: int) -> str:
    captured = capsys.readouterr()
    assert code == 2, captured.out + captured.err
    assert "Traceback" not in captured.out + captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    return lines[0]


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "FAXPLUS_DEBUG"])
@pytest.mark.parametrize(("command", "flag", "value"), cases())
def test_every_bad_value_is_one_line_and_exit_2(
    command: str,
    flag: str,
    value: str,
    debug: bool,
    paths: dict[str, str],
    capsys: pytest.CaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if debug:
        monkeypatch.setenv("FAXPLUS_DEBUG", "1")
    value = value.format(**paths)
    line = one_line(capsys, cli.main([command, f"{flag}={value}"]))  # `=`: `-inf` is a value, not a flag
    assert flag in line and value in line, line


def test_the_walk_covers_the_options_the_issue_names() -> None:
    walked = {flag for _, flag, _ in (p.values for p in cases())}  # type: ignore[attr-defined]
    assert {"--concurrency", "--timeout", "--rate", "--output-dir", "--spec", "--baseline", "--port"} <= walked
    assert all(math.isfinite(o.valid.high) for o in RUN_OPTIONS if isinstance(o.valid, Range))  # bounded


def test_ranges_keep_their_edges() -> None:
    """The edges themselves are good values: a range refuses what is outside it, not the defaults."""
    for option in (*RUN_OPTIONS, *MOCK_OPTIONS):
        if isinstance(option.valid, Range):
            low = option.valid.low if not option.valid.above else None
            for good in (low, option.valid.high, option.default):
                if good is not None:
                    assert option.parse(str(option.type(good))) == option.type(good), (option.flag, good)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["run", "--baseline", "{missing}"], "--update-baseline"),
        (["sdk", "--baseline", "{missing}"], "--baseline"),
        (["run", "--update-baseline"], "--update-baseline needs --baseline FILE"),
        (["mock", "--spec", "{binary}"], "not a text file"),
        (["sdk", "--spec", "{dir}"], "is not a file"),
        (["replay", "{missing}", "--timeout", "0"], "--timeout"),
        (["run", "--single-file", "--multi-file"], "pick one"),
        (["sdk", "--sdk-spec", "faxplus-api==3.0.x", "--no-html"], "is not a pip requirement"),
        (["sdk", "--sdk", "python:faxplus-api>=<3", "--no-html"], "give NAME, NAME==VERSION"),
    ],
    ids=[
        "baseline-missing",
        "sdk-baseline-missing",
        "update-without-file",
        "mock-spec",
        "sdk-spec",
        "replay",
        "two-html-layouts",
        "sdk-bad-version",
        "sdk-bad-specifier",
    ],
)
def test_rules_across_commands(
    argv: list[str], says: str, paths: dict[str, str], capsys: pytest.CaptureFixture
) -> None:
    assert says in one_line(capsys, cli.main([a.format(**paths) for a in argv]))


def test_a_missing_baseline_is_fine_when_it_is_to_be_written(paths: dict[str, str]) -> None:
    args = cli._parser().parse_args(["run", "--baseline", paths["missing"], "--update-baseline"])
    from conformance.options import build_target

    target = build_target(lambda dest: getattr(args, dest))
    assert target.baseline == Path(paths["missing"]) and target.update_baseline


def test_spec_from_the_environment_is_checked_too(
    paths: dict[str, str], capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAXPLUS_SPEC", paths["binary"])
    assert "not a text file" in one_line(capsys, cli.main(["faults"]))


def test_bad_input_is_refused_before_anything_is_sent(
    paths: dict[str, str], capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAXPLUS_TOKEN", TOKEN)
    with MockServer(token=TOKEN) as mock:
        for bad in (
            ["--output-dir", paths["file"] + "/sub"],
            ["--spec", paths["binary"]],
            ["--baseline", paths["missing"]],
            ["--concurrency", "100000"],
        ):
            code = cli.main(["run", "--base-url", mock.url, "--no-html", *bad])
            assert "Traceback" not in capsys.readouterr().err
            assert code == 2, bad
        assert list(mock.requests) == []


def test_debug_adds_the_traceback_but_keeps_exit_2(
    capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(args: object) -> int:
        raise RuntimeError("boom with Bearer tok-DEBUG-LEAK-1")

    monkeypatch.setitem(cli.COMMANDS, "faults", explode)
    monkeypatch.setenv("FAXPLUS_TOKEN", "tok-DEBUG-LEAK-1")
    monkeypatch.setenv("FAXPLUS_DEBUG", "1")
    assert cli.main(["faults"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error" in err.strip().splitlines()[-1]
    assert "tok-DEBUG-LEAK-1" not in err


def test_a_good_mock_port_is_not_refused(capsys: pytest.CaptureFixture) -> None:
    port = next(o for o in MOCK_OPTIONS if o.flag == "--port")
    assert [port.parse(v) for v in ("0", "8080", "65535")] == [0, 8080, 65535]


@pytest.mark.parametrize(
    ("argv", "suggested"),
    [
        (["run", "--timout", "3"], "; did you mean --timeout?"),
        (["diff", "--refrence-url", "http://x"], "; did you mean --reference-url?"),
        (["run", "--zzz"], None),
    ],
)
def test_a_misspelt_option_gets_the_closest_one(
    argv: list[str], suggested: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and "unrecognized arguments:" in lines[0]
    assert (suggested in lines[0]) if suggested else "did you mean" not in lines[0]
