"""Every CLI run tests/test_cli.py makes, by name, shared with tests/test_exit_codes.py (one run
each per session, `shared_runs`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from conftest import CliResult, run_cli

from conformance.mock import FAULTS, MockServer

TOKEN = "tok-SECRET-abc123"
CLIENT_ID = "cid-SECRET-xyz789"
SECRET_ENV = {"FAXPLUS_TOKEN": TOKEN, "FAXPLUS_CLIENT_ID": CLIENT_ID}

# fault → (family, check) of the finding that names the broken rule
BROKEN_RULE = {
    "numbers-min-items-ignored": ("numbers-empty", "status"),
    "success-201": ("valid-webhook", "status"),
}


def against_mock(fault: str | None = None, *extra: object) -> Callable[[Path], CliResult]:
    """A `run --base-url` against a MockServer (optionally faulty) that lives for the run only."""

    def produce(out: Path) -> CliResult:
        with MockServer(port=0, token=TOKEN, fault=FAULTS[fault] if fault else None) as server:
            return run_cli("run", "--base-url", server.url, "--no-html", "--output-dir", out, *extra, env=SECRET_ENV)

    return produce


# Every CLI run this module makes, longest first (the order they are prefetched in).
RUNS: dict[str, Callable[[Path], CliResult]] = {
    "nightly": lambda out: run_cli("run", "--tier", "nightly", "--seed", "1234", "--no-html", "--output-dir", out),
    "reference": against_mock(),
    **{f"fault-{name}": against_mock(name) for name in sorted(BROKEN_RULE)},
    "embedded": lambda out: run_cli("run", "--no-html", "--output-dir", out),
    "hanging": against_mock("slow-answers", "--timeout", "0.5"),
}
