"""The SDK gate's runs, as tests/test_sdk*.py share them: the test clients, one gate run per name."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from conftest import CliResult, SharedRuns, run_cli

CLIENTS = Path(__file__).parent.parent / "sdk_clients"
PINNED = "faxplus-api==3.0.5"


def client(broken: str | None = None) -> str:
    command = [sys.executable, str(CLIENTS / "conformant.py")] + (["--break", broken] if broken else [])
    return " ".join(command)


def gate_run(shared_runs: SharedRuns, name: str, *args: str) -> tuple[CliResult, dict[str, Any]]:
    options = ("--no-html", "--output-dir")  # the gate's checks are under test here, not the HTML build
    result = shared_runs(f"sdk-{name}", lambda out: run_cli("sdk", *options, out, *args, timeout=240))
    assert result is not None
    assert result.returncode in (0, 1), result.output
    return result, result.summary()


def fails(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in summary["findings"] if f["verdict"] == "fail"}


def warns(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["id"]: f for f in summary["findings"] if f["verdict"] == "warn"}
