"""The engine (issue 19): a run in phases, typed events, one frozen RunResult, and every artifact
stating the RunResult's exit code and verdict (issue 21, item 1).

Runs are in-process function calls (`conformance.run`), against the embedded mock or a mock on
127.0.0.1 that the test starts and stops.
"""

from __future__ import annotations

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from helpers.selections import A_FEW, REGISTERS
from helpers.wire_servers import WireServer, hold

import conformance
from conformance.engine import (
    CaseJudged,
    Event,
    FindingOpened,
    Phase,
    PhaseFinished,
    PhaseStarted,
    RunResult,
    decide,
)
from conformance.judge import Verdict
from conformance.mock import FAULTS, MockServer
from conformance.report import console, outputs

TOKEN = "engine-token-3f9"


def run(target: conformance.Target) -> tuple[RunResult, list[Event]]:
    events: list[Event] = []
    result = conformance.run(target, handlers=[events.append], reporters=outputs.reporters())
    return result, events


def junit_properties(out: Path) -> dict[str, str]:
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    return {p.get("name", ""): p.get("value", "") for p in suite.iter("property")}


def environment(out: Path) -> dict[str, str]:
    text = (out / "allure-results" / "environment.properties").read_text(encoding="latin-1")
    return dict(line.replace("\\ ", " ").split("=", 1) for line in text.splitlines() if "=" in line)


def assert_every_artifact_says(result: RunResult, out: Path) -> None:
    data = json.loads((out / "summary.json").read_text())
    assert (data["exit_code"], data["verdict"], data["complete"]) == (
        result.exit_code,
        str(result.verdict),
        result.complete,
    )
    assert data["incomplete"] == list(result.gaps)
    props = junit_properties(out)
    assert (props["faxplus.exit_code"], props["faxplus.verdict"]) == (str(result.exit_code), str(result.verdict))
    assert props["faxplus.complete"] == ("true" if result.complete else "false")
    env = environment(out)
    assert (env["Exit code"], env["Verdict"]) == (str(result.exit_code), str(result.verdict))
    assert f"(exit {result.exit_code})" in (out / "summary.md").read_text().splitlines()[0]
    text = console.summary(result).splitlines()
    assert text[0].startswith(str(result.verdict)) and text[-1] == console.closing_line(result)  # first and last
    assert text[-1].endswith(f"exit {result.exit_code}" + ("" if result.complete else " · incomplete"))


def test_an_embedded_run_goes_through_every_phase_in_order_and_tells_each_case(tmp_path: Path) -> None:
    result, events = run(conformance.Target(output_dir=tmp_path))
    # The reference mock follows the contract exactly: pass (the contract's own gaps are notes).
    assert (result.exit_code, result.verdict, result.complete) == (0, Verdict.PASS, True)
    started = [e.phase for e in events if isinstance(e, PhaseStarted)]
    finished = [e.phase for e in events if isinstance(e, PhaseFinished)]
    # No cleanup against the embedded mock is still a phase that ran (and did nothing).
    order = [Phase.PREFLIGHT, Phase.SEND_AHEAD, Phase.CASES, Phase.SHRINK, Phase.CLEANUP, Phase.REPORT]
    assert started == finished == [p for p in order if p is not Phase.SHRINK or p in started]
    judged = [e for e in events if isinstance(e, CaseJudged)]
    assert len(judged) == result.document["counts"]["cases"] > 500
    opened = {e.finding.key for e in events if isinstance(e, FindingOpened)}
    assert opened == {f.key for f in result.findings}
    assert set(result.timings) >= {"preflight", "cases", "cleanup", "report"}
    verbose = console.summary(result, verbose=True)
    assert all(f"\n{name} " in verbose for name in result.document["families"])  # -v: every family
    assert "\nnumbers-empty " not in console.summary(result)  # by default an all-pass family is folded
    assert_every_artifact_says(result, tmp_path)


def test_the_result_is_frozen_and_its_document_cannot_be_changed_through_it(tmp_path: Path) -> None:
    result, _ = run(conformance.Target(output_dir=tmp_path, shrink_budget=0, select=REGISTERS))  # any run's result
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.exit_code = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.document["verdict"] = "pass"  # type: ignore[index]
    copy = result.as_dict()
    copy["verdict"] = "fail"
    assert result.document["verdict"] == "pass"


def test_a_violating_server_exits_1_in_every_artifact(tmp_path: Path) -> None:
    # A_FEW: numbers-empty catches this fault, beside families that pass and a refused credential.
    with MockServer(token=TOKEN, fault=FAULTS["numbers-min-items-ignored"]) as mock:
        target = conformance.Target(base_url=mock.url, token=TOKEN, output_dir=tmp_path, shrink_budget=0, select=A_FEW)
        result, _ = run(target)
    assert (result.exit_code, result.verdict, result.complete) == (1, Verdict.FAIL, True)
    assert any(g.verdict is Verdict.FAIL for g in result.groups)
    assert_every_artifact_says(result, tmp_path)


def test_a_run_the_breaker_stopped_says_exit_2_and_incomplete_everywhere_and_passes_no_test(tmp_path: Path) -> None:
    # Every request hangs: the no-answer breaker stops sending after a few deadlines.
    def hang(request, sock):  # type: ignore[no-untyped-def]
        hold(sock, 30)
        return False

    with WireServer(hang) as server:
        target = conformance.Target(
            base_url=server.url, token=TOKEN, output_dir=tmp_path, timeout=0.3, shrink_budget=0, cleanup_timeout=1
        )
        result = conformance.run(target, reporters=outputs.reporters())
    assert not result.complete and any(gap.startswith("stopped sending") for gap in result.gaps)
    assert result.exit_code == decide(result.verdict, gaps=result.gaps)
    assert_every_artifact_says(result, tmp_path)
    cases = ET.parse(tmp_path / "junit.xml").getroot().iter("testcase")
    passed = [c.get("name") for c in cases if not list(c)]  # no <failure>, <error> or <skipped>: passed
    assert passed in ([], ["test_contract_lint"]), passed  # nothing sent is nothing passed


@pytest.mark.parametrize(
    ("verdict", "gaps", "kwargs", "code"),
    [
        (Verdict.PASS, (), {}, 0),
        (Verdict.WARN, (), {}, 0),
        (Verdict.FAIL, (), {}, 1),
        (Verdict.WARN, (), {"diverged": True}, 1),
        (Verdict.WARN, ("interrupted",), {}, 2),
        (Verdict.FAIL, ("interrupted",), {}, 1),
        (Verdict.FAIL, (), {"baseline_written": True}, 0),
        (Verdict.FAIL, ("stopped",), {"baseline_written": True}, 2),
        (Verdict.PASS, (), {"suite_ran": False}, 2),
    ],
)
def test_the_exit_code_is_decided_in_one_place(
    verdict: Verdict, gaps: tuple[str, ...], kwargs: dict, code: int
) -> None:
    assert decide(verdict, gaps=gaps, **kwargs) == code


def test_importing_the_package_builds_no_schema_and_reads_no_file() -> None:
    import subprocess
    import sys

    code = (
        "import sys, builtins; opened = []; real = builtins.open\n"
        "builtins.open = lambda *a, **k: opened.append(a[0]) or real(*a, **k)\n"
        "import conformance\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('schemathesis', 'hypothesis', 'yaml', 'jsonschema')]\n"
        "print(heavy, opened)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "[] []", proc.stdout + proc.stderr
