"""Run options, declared once: the one table that builds the CLI's `run` options, the pytest
plugin's options and the `Target` they fill.

Adding an option is one `Option(...)` row. `tests/test_options.py` proves that the CLI and the
plugin offer the same options, so the two ways of running the suite cannot drift apart.

>>> OPTIONS["--timeout"].dest
'faxplus_timeout'
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.target import TIERS, Target, UsageError


@dataclass(frozen=True)
class Option:
    flag: str
    help: str
    field: str | None = None  # the Target field it sets; None: used by the run, not the Target
    type: Callable[[str], Any] | None = str
    default: Any = None
    flag_only: bool = False  # a switch (store_true)
    choices: tuple[str, ...] | None = None
    env: str | None = None  # where the value comes from when the flag is not given
    negate: bool = False  # the switch sets `field` to False (`--no-cleanup` → cleanup=False)
    cli_only: str | None = None  # why the pytest plugin does not take it (reports pytest does not build)
    # The dest another pytest plugin uses for the same flag (pytest-base-url owns `--base-url`).
    shared_dest: str | None = None
    aliases: tuple[str, ...] = ()  # older names the plugin still accepts
    many: bool = False  # may be given more than once (a list)

    @property
    def dest(self) -> str:
        return self.shared_dest or "faxplus_" + self.flag.removeprefix("--").replace("-", "_")

    def kwargs(self) -> dict[str, Any]:
        if self.flag_only:
            return {"action": "store_true", "default": False, "help": self.help}
        out: dict[str, Any] = {"type": self.type, "default": self.default, "help": self.help}
        if self.many:
            out["action"] = "append"
        if self.choices:
            out["choices"] = self.choices
        return out


def _opt(*args: Any, **kwargs: Any) -> Option:
    return Option(*args, **kwargs)


RUN_OPTIONS: tuple[Option, ...] = (
    _opt(
        "--base-url",
        "prefix before /hooks, e.g. https://staging.example/v3; default: the embedded mock",
        "base_url",
        shared_dest="base_url",
    ),
    _opt("--token", "PAT or OAuth bearer token (default: $FAXPLUS_TOKEN)", "token", env="FAXPLUS_TOKEN"),
    _opt(
        "--client-id",
        "OAuth client id, sent as x-fax-clientid (default: $FAXPLUS_CLIENT_ID)",
        "client_id",
        env="FAXPLUS_CLIENT_ID",
    ),
    _opt("--tier", "ci: deterministic gate (default); nightly: deeper", "tier", default="ci", choices=TIERS),
    _opt("--seed", "nightly seed to replay (printed by every nightly run)", "seed", type=int),
    _opt(
        "--timeout",
        "seconds each request may take, connect to last response byte (default 5)",
        "timeout",
        type=float,
        default=5.0,
    ),
    _opt(
        "--max-response-bytes",
        "a longer response body is cut, and that is a fail (default 1048576)",
        "max_response_bytes",
        type=int,
        default=1024 * 1024,
    ),
    _opt(
        "--cleanup-timeout",
        "total seconds for deleting what the run registered (default 30)",
        "cleanup_timeout",
        type=float,
        default=30.0,
    ),
    _opt(
        "--output-dir",
        "where reports go (default reports/, sdk: reports/sdk; the plugin writes none without it)",
        "output_dir",
        type=Path,
        aliases=("--conformance-output",),
    ),
    _opt(
        "--target-base",
        "domain of registered webhook targets (default example.com)",
        "target_domain",
        default="example.com",
    ),
    _opt("--allow-production", "permit the production host", "allow_production", flag_only=True),
    _opt("--rate", "at most this many requests per second (default: no cap)", "rate", type=float),
    _opt(
        "--concurrency",
        "requests in flight at once (default 8, 16 in the nightly tier; 1 to the embedded mock, which "
        "answers at once); findings do not depend on it",
        "concurrency",
        type=int,
    ),
    _opt(
        "--cache-dir",
        "where the ci tier keeps the cases it drew, to replay them (default: ~/.cache/faxplus-conformance)",
        "cache_dir",
        type=Path,
    ),
    _opt(
        "--no-case-cache",
        "draw the ci tier's cases afresh instead of replaying those an earlier run drew",
        "case_cache",
        flag_only=True,
        negate=True,
    ),
    _opt("--max-wait", "total seconds to wait out 429s (default 120)", "max_wait", type=float, default=120.0),
    _opt("--no-cleanup", "keep the webhooks the run registered", "cleanup", flag_only=True, negate=True),
    _opt(
        "--max-live",
        "the run's own webhooks registered at once, at most (default 10; 0: no bound); it deletes before it "
        "registers more",
        "max_live",
        type=int,
        default=10,
    ),
    _opt("--baseline", "accepted findings of this target: fail only on new ones", "baseline", type=Path),
    _opt("--update-baseline", "write this run's fails to --baseline", "update_baseline", flag_only=True),
    _opt(
        "--shrink-budget",
        "requests spent shrinking fails to minimal examples (default 150; 0: off)",
        "shrink_budget",
        type=int,
        default=150,
    ),
    _opt(
        "--ca-bundle",
        "PEM file of CAs to trust (an internal CA); default: SSL_CERT_FILE or certifi",
        "ca_bundle",
        type=Path,
    ),
    _opt(
        "--client-cert",
        "PEM client certificate for mutual TLS (with its key, or see --client-key)",
        "client_cert",
        type=Path,
    ),
    _opt("--client-key", "PEM private key of --client-cert, if not in the same file", "client_key", type=Path),
    _opt("--insecure", "do not verify TLS certificates (warned on every run; last resort)", "insecure", flag_only=True),
    _opt("--no-proxy", "ignore HTTP_PROXY / HTTPS_PROXY / ALL_PROXY (honoured by default)", "no_proxy", flag_only=True),
    _opt(
        "--spec",
        "the contract: another version of the OpenAPI file (default: the vendored one)",
        "spec",
        type=Path,
        env="FAXPLUS_SPEC",
    ),
    # A diff run (`diff`, or any run given a reference): see conformance/suite/_reference.py.
    _opt("--reference-url", "also send every case here and report divergences (twice: learn noise)", many=True),
    _opt(
        "--reference-token", "the reference's token (default: $FAXPLUS_REFERENCE_TOKEN)", env="FAXPLUS_REFERENCE_TOKEN"
    ),
    _opt(
        "--reference-client-id",
        "the reference's OAuth client id (default: $FAXPLUS_REFERENCE_CLIENT_ID)",
        env="FAXPLUS_REFERENCE_CLIENT_ID",
    ),
    _opt("--no-html", "skip the Allure HTML report", flag_only=True, cli_only="pytest builds no HTML report"),
    _opt("--single-file", "HTML as one self-contained file", flag_only=True, cli_only="pytest builds no HTML report"),
    _opt("--history", "trend history file kept across runs", type=Path, cli_only="pytest builds no HTML report"),
)
OPTIONS: Mapping[str, Option] = {o.flag: o for o in RUN_OPTIONS}
# What every command that writes reports takes (`run`, `sdk`, `diff`): rows of the one table, not copies,
# added by `add_output_options`.
OUTPUT_FLAGS = ("--output-dir", "--no-html", "--single-file", "--history")
OUTPUT_OPTIONS: tuple[Option, ...] = tuple(OPTIONS[flag] for flag in OUTPUT_FLAGS)
BASELINE_OPTION = OPTIONS["--baseline"]


def add_to_argparse(parser: argparse.ArgumentParser) -> None:
    add_options(parser, RUN_OPTIONS)


def add_options(parser: argparse.ArgumentParser, options: Iterable[Option]) -> None:
    """Rows of the table as argparse options (same flag, dest, type and default wherever used)."""
    for option in options:
        parser.add_argument(option.flag, dest=option.dest, **option.kwargs())


def add_output_options(parser: argparse.ArgumentParser, *, baseline: bool = False) -> None:
    """The output options every reporting command shares (and `--baseline` where the run has no other)."""
    add_options(parser, (*OUTPUT_OPTIONS, BASELINE_OPTION) if baseline else OUTPUT_OPTIONS)


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
    import pytest

    from conformance import config

    try:
        found = config.find((), cwd)
        if found is None:
            return {}
        from conformance.cli import _parser  # here, not at the top: the CLI imports this module

        return config.defaults(found, _parser(), "run")
    except UsageError as error:
        raise pytest.UsageError(str(error)) from None


def values(get: Callable[[str], Any]) -> Iterator[tuple[Option, Any]]:
    """(option, value) of every option that fills the Target."""
    for option in RUN_OPTIONS:
        if option.field is not None:
            yield option, get(option.dest)


def build_target(get: Callable[[str], Any], **overrides: Any) -> Target:
    """The Target from option values (`get(dest)`: argparse's getattr or pytest's getoption)."""
    fields: dict[str, Any] = {}
    for option, value in values(get):
        if option.env and not value:
            value = os.environ.get(option.env) or None
        if option.negate:
            value = not value
        if value is not None:
            fields[option.field] = value  # type: ignore[index]
    fields.update(overrides)
    if fields.get("update_baseline") and fields.get("baseline") is None:
        raise UsageError("--update-baseline needs --baseline FILE to write to")
    return Target(**fields)
