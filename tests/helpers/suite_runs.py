"""A whole run against a mock, as the fault and variant sweeps make it (tests/test_faults.py,
tests/test_variants.py): in-process through the engine, or through the CLI when given its options."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli

import conformance
from conformance.mock import MockServer
from conformance.report import outputs

TOKEN = "sweep-token-7f3a"


# Per request. Short where a fault is about time (a hang costs one timeout per request it stalls),
# generous elsewhere: a 1 MB body parsed on a loaded two-core machine may take over a second, and
# that is the machine, not the server.
STALLING_TIMEOUT, TIMEOUT = 1, 15


def run_suite(mock: MockServer, out: Path, *cli_args: object, timeout: float = TIMEOUT) -> tuple[int, dict]:
    """A whole run against `mock`: the exit code and summary.json. `cli_args`: through the CLI."""
    if not cli_args:
        target = conformance.Target(base_url=mock.url, token=TOKEN, timeout=timeout, output_dir=out)
        result = conformance.run(target, reporters=outputs.reporters(allure=False))
        assert result.as_dict() == json.loads((out / "summary.json").read_text())
        return result.exit_code, result.as_dict()
    proc = run_cli(
        "run", "--base-url", mock.url, "--timeout", timeout, "--no-html", "--output-dir", out, *cli_args,
        env={"FAXPLUS_TOKEN": TOKEN},
    )  # fmt: skip
    assert (out / "summary.json").is_file(), proc.output[-3000:]
    return proc.returncode, json.loads((out / "summary.json").read_text())


def fails(summary: dict) -> list[tuple[str, str]]:
    return [(f["family"], f["check"]) for f in summary["findings"] if f["verdict"] == "fail"]


def findings(summary: dict) -> list[str]:
    return [f"{f['verdict']} {f['family']}::{f['check']} ({f['category']})" for f in summary["findings"]]


def judged_a_family(results: Path) -> bool:
    """Whether a family's test has ended with its cases judged: its Allure result is written as it ends
    (the contract lint before it judges no case)."""
    for path in results.glob("*-result.json"):
        try:
            result = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):  # being written
            continue
        family = any(parameter["name"] == "family" for parameter in result.get("parameters", []))
        if family and result.get("status") in ("passed", "failed"):
            return True
    return False
