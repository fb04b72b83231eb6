"""The config file: found where documented, driven by the parsers (so by the options table), flags win,
secrets never read from it, unknown keys named with the nearest valid one, README's example loads."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli
from helpers.readme import readme_example
from tiers import SYSTEM

from conformance import cli, config
from conformance.options import GROUP_OF, REFERENCE_GROUP, RUN_OPTIONS
from conformance.plugin import add_to_pytest
from conformance.target import UsageError

ROOT = Path(__file__).resolve().parent.parent


def parse(argv: list[str], cwd: Path) -> argparse.Namespace:
    parser = cli._parser()
    config.apply(parser, argv, cwd)
    return parser.parse_args(argv)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_the_readme_example_loads_and_lands_where_it_says(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "pyproject.toml", readme_example())
    monkeypatch.setenv("STAGING_FAXPLUS_TOKEN", "staging-token-value")
    monkeypatch.setenv("STAGING_FAXPLUS_CLIENT_ID", "staging-client")
    run = parse(["run"], tmp_path)
    assert (run.base_url, run.faxplus_token, run.faxplus_client_id) == (
        "https://staging.example/v3",
        "staging-token-value",
        "staging-client",
    )
    assert (run.faxplus_tier, run.faxplus_timeout, run.faxplus_rate, run.faxplus_multi_file) == (
        "nightly",
        10.0,
        20.0,
        False,  # one HTML file, the default
    )
    assert run.faxplus_output_dir == tmp_path / "reports/staging"  # relative to the file
    assert run.faxplus_baseline == tmp_path / "conformance/staging-baseline.json"
    assert run.faxplus_history == tmp_path / "reports/history.jsonl"
    sdk = parse(["sdk"], tmp_path)
    assert (sdk.sdk_spec, sdk.faxplus_output_dir, sdk.faxplus_no_html, sdk.faxplus_baseline) == (
        "faxplus-api==3.0.5",
        tmp_path / "reports/sdk",
        True,
        None,  # the run's baseline is in [run]: an SDK gate's findings are other ones
    )
    assert sdk.faxplus_history == tmp_path / "reports/history.jsonl"  # top level: every command that has it
    assert parse(["mock"], tmp_path).port == 8080


def test_flags_override_the_file_and_faxplus_toml_wins_over_pyproject(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[tool.faxplus-conformance]\ntier = "ci"\ntimeout = 3\n')
    assert parse(["run"], tmp_path).faxplus_timeout == 3.0
    write(tmp_path / config.FILE, "timeout = 7\n[run]\nseed = 11\n")
    args = parse(["run", "--seed", "12"], tmp_path)
    assert (args.faxplus_timeout, args.faxplus_seed) == (7.0, 12)
    assert parse(["run"], tmp_path).faxplus_seed == 11


def test_config_flag_names_any_file(tmp_path: Path) -> None:
    other = write(tmp_path / "ci.toml", 'shrink-budget = 0\ntarget-base = "example.org"\n')
    write(tmp_path / config.FILE, "shrink-budget = 5\n")
    args = parse(["run", "--config", str(other)], tmp_path)
    assert (args.faxplus_shrink_budget, args.faxplus_target_base) == (0, "example.org")
    args = parse(["run", f"--config={tmp_path / config.FILE}"], tmp_path)
    assert args.faxplus_shrink_budget == 5


def test_a_pyproject_without_the_table_is_no_config(tmp_path: Path) -> None:
    write(tmp_path / "pyproject.toml", '[project]\nname = "x"\n')
    assert parse(["run"], tmp_path).faxplus_tier == "ci"


def test_every_run_option_is_a_valid_key(tmp_path: Path) -> None:
    """Driven by the table: each row is accepted in the file with no code of its own."""
    (tmp_path / "pem").write_text("-----BEGIN CERTIFICATE-----\n")
    (tmp_path / "spec.yaml").write_text("openapi: 3.0.0\n")
    files = {"--ca-bundle": "pem", "--client-cert": "pem", "--client-key": "pem", "--spec": "spec.yaml"}
    for option in RUN_OPTIONS:
        key = option.flag.removeprefix("--")
        if config.is_secret(key):
            continue
        sample = files.get(option.flag, "example.com" if option.flag == "--target-base" else "1")
        value = "true" if option.flag_only else ('"ci"' if option.choices else f'"{sample}"')
        command = "diff" if GROUP_OF.get(option.flag) == REFERENCE_GROUP else "run"  # --reference-* are diff's
        write(tmp_path / config.FILE, f"[{command}]\n{key} = {value}\n")
        args = parse([command], tmp_path)
        assert getattr(args, option.dest) not in (None, False), key


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('token = "s3cret-in-file"\n', "token must not be in a config file (secrets never are): name the environment"),
        ('[run]\nclient-id = "c"\n', "[run] client-id must not be in a config file"),
        ("timout = 3\n", "unknown key timout: did you mean 'timeout'?"),
        ("[sdk]\nrate = 3\n", "unknown key [sdk] rate"),  # a run option, not the SDK gate's
        ('[sdkk]\ntier = "ci"\n', "unknown section [sdkk]: did you mean 'sdk'?"),
        ('tier = "weekly"\n', "tier = 'weekly' is not one of ci, nightly"),
        ('timeout = "soon"\n', "timeout = 'soon': 'soon' is not a number"),
        ("timeout = nan\n", "timeout = nan: nan must be a number of seconds above 0"),
        ('[run]\noutput-dir = "faxplus-conformance.toml/x"\n', "cannot be created"),
        ('no-html = "yes"\n', "no-html = 'yes' must be true or false"),
        ("timeout = [1, 2]\n", "must be a single value, as after --timeout"),
        ("token-env = 3\n", "must name an environment variable"),
        ("tier = \n", "is not valid TOML"),
    ],
)
def test_a_bad_file_is_a_usage_error_that_says_what(tmp_path: Path, text: str, message: str) -> None:
    write(tmp_path / config.FILE, text)
    with pytest.raises(UsageError) as error:
        parse(["run"], tmp_path)
    assert message in str(error.value)
    assert "s3cret-in-file" not in str(error.value)


def test_through_the_cli_one_line_exit_2_and_the_secret_not_echoed(tmp_path: Path) -> None:
    write(tmp_path / config.FILE, 'token = "s3cret-in-file"\n')
    result = run_cli("faults", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "token must not be in a config file" in result.stderr
    assert "s3cret-in-file" not in result.output
    result = run_cli("faults", "--config", tmp_path / "missing.toml", cwd=tmp_path)
    assert result.returncode == 2 and "no such file" in result.stderr


def test_token_env_unset_falls_back_to_the_usual_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / config.FILE, 'token-env = "NOT_SET_ANYWHERE_42"\n')
    monkeypatch.delenv("NOT_SET_ANYWHERE_42", raising=False)
    assert parse(["run"], tmp_path).faxplus_token is None  # then build_target reads $FAXPLUS_TOKEN
    monkeypatch.setenv("NOT_SET_ANYWHERE_42", "from-env")
    assert parse(["run"], tmp_path).faxplus_token == "from-env"
    assert parse(["run", "--token", "flag"], tmp_path).faxplus_token == "flag"


def test_plain_pytest_takes_the_run_values_of_the_file(tmp_path: Path) -> None:
    write(tmp_path / config.FILE, 'timeout = 9\n[run]\ntier = "nightly"\noutput-dir = "out"\n[sdk]\ntier = "ci"\n')
    added: dict[str, object] = {}
    add_to_pytest(lambda *names, dest, **kwargs: added.__setitem__(dest, kwargs["default"]), cwd=tmp_path)
    assert (added["faxplus_timeout"], added["faxplus_tier"], added["faxplus_output_dir"]) == (
        9.0,
        "nightly",
        tmp_path / "out",
    )
    assert added["faxplus_seed"] is None  # not in the file: the table's own default
    write(tmp_path / config.FILE, "timout = 9\n")
    with pytest.raises(pytest.UsageError, match="did you mean 'timeout'"):
        add_to_pytest(lambda *names, **kwargs: None, cwd=tmp_path)


@SYSTEM  # two whole runs for one line of output: the system tier
def test_the_run_says_which_config_file_it_used(tmp_path: Path) -> None:
    from conformance.mock import MockServer

    write(tmp_path / config.FILE, "[run]\nshrink-budget = 0\nno-html = true\n")
    with MockServer(token="config-said-token") as mock:
        said = run_cli(
            "run", "--base-url", mock.url, "--output-dir", tmp_path / "out",
            env={"FAXPLUS_TOKEN": "config-said-token"}, cwd=tmp_path,
        )  # fmt: skip
    assert said.returncode == 0, said.output[-1500:]
    assert said.stdout.splitlines()[0].endswith(f" · config: {tmp_path / config.FILE}"), said.stdout.splitlines()[0]
    (tmp_path / config.FILE).unlink()
    with MockServer(token="config-said-token") as mock:
        plain = run_cli(
            "run", "--base-url", mock.url, "--output-dir", tmp_path / "out2", "--no-html", "--shrink-budget", "0",
            env={"FAXPLUS_TOKEN": "config-said-token"}, cwd=tmp_path,
        )  # fmt: skip
    assert "config:" not in plain.stdout.splitlines()[0]


def test_the_plugin_reads_as_the_cli_does(tmp_path: Path) -> None:
    """The plugin's reading (the option table and the published keys) gives the `run` values the CLI's does."""
    write(tmp_path / "pyproject.toml", readme_example())
    found = config.find((), tmp_path)
    assert found is not None
    assert config.run_defaults(found) == config.defaults(found, cli._parser(), "run")
    write(tmp_path / config.FILE, "[mock]\nport = 1\n[sdk]\nrefresh = true\n[run]\nno-html = true\nmax-live = 0\n")
    found = config.find((), tmp_path)
    assert found is not None
    assert config.run_defaults(found) == config.defaults(found, cli._parser(), "run") != {}


def test_the_plugin_reads_the_file_without_building_the_cli(tmp_path: Path) -> None:
    (tmp_path / config.FILE).write_text('timeout = 9\n[run]\ntier = "nightly"\n[sdk]\nrefresh = true\n')
    code = (
        "import sys; from pathlib import Path; from conformance.plugin import file_defaults; "
        f"found = file_defaults(Path({str(tmp_path)!r})); "
        "assert found == {'faxplus_timeout': 9.0, 'faxplus_tier': 'nightly'}, found; "
        "assert 'conformance.cli' not in sys.modules, 'the plugin built the CLI'"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
