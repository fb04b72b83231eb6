"""The fault sweep: the reference mock passes, and every fault in the catalogue is killed in the
`ci` tier by the family or check that names its broken rule (a kill by accident does not count).

Each case runs the real CLI in a subprocess against a real mock on 127.0.0.1, so adding a
fault to the catalogue adds a test here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import run_cli

from conformance.mock import FAULTS, Fault, MockServer

TOKEN = "sweep-token-7f3a"


def run_suite(mock: MockServer, out: Path) -> tuple[int, dict]:
    result = run_cli(
        "run", "--base-url", mock.url, "--timeout", "1", "--no-html", "--output-dir", out, env={"FAXPLUS_TOKEN": TOKEN}
    )
    assert (out / "summary.json").is_file(), result.output[-3000:]
    return result.returncode, json.loads((out / "summary.json").read_text())


def fails(summary: dict) -> list[tuple[str, str]]:
    return [(f["family"], f["check"]) for f in summary["findings"] if f["verdict"] == "fail"]


def test_reference_mock_is_conformant(tmp_path: Path) -> None:
    with MockServer(token=TOKEN) as mock:
        code, summary = run_suite(mock, tmp_path)
    assert fails(summary) == []
    assert code == 0
    assert summary["verdict"] in ("pass", "warn")
    # Nothing the run registered is left behind.
    assert mock.store.all() == []


@pytest.mark.parametrize("fault", list(FAULTS), ids=FAULTS.names())
def test_fault_is_killed_by_its_rule(fault: Fault, tmp_path: Path) -> None:
    with MockServer(token=TOKEN, fault=fault) as mock:
        code, summary = run_suite(mock, tmp_path)
    found = fails(summary)
    named = [(family, check) for family, check in found if family in fault.caught_by or check in fault.caught_by]
    assert code == 1, f"{fault.name}: exit {code}, findings {found}"
    assert named, f"{fault.name} was not caught by {sorted(fault.caught_by)}; findings: {found}"
