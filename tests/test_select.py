"""`--select` (pytest's `-k` under plain pytest): a run of some of the suite's tests, which every
artifact calls partial. The gate tier's own runs use it where a test is about the run's machinery
(signals, cleanup, reports), not about what the whole suite finds: a whole run costs ~25x more.

Runs are in-process (`conformance.run`, the CLI's `main`), against mocks on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import cli_in_process, run_suite_in_pytest
from test_engine import assert_every_artifact_says, environment, junit_properties

import conformance
from conformance.engine import Phase, PhaseStarted
from conformance.judge import Verdict
from conformance.mock import FAULTS, MockServer
from conformance.report import console, outputs

TOKEN = "select-token-5b1"
# The fault breaks `numbers` minItems; `numbers-empty` is the family that catches it.
FAULT, CATCHES = "numbers-min-items-ignored", "numbers-empty"


def run(mock: MockServer, out: Path, select: str | None) -> conformance.RunResult:
    target = conformance.Target(base_url=mock.url, token=TOKEN, output_dir=out, select=select, shrink_budget=0)
    return conformance.run(target, reporters=outputs.reporters())


def test_only_the_selected_tests_run_and_every_artifact_says_the_run_is_partial(tmp_path: Path) -> None:
    with MockServer(token=TOKEN, fault=FAULTS[FAULT]) as mock:
        result = run(mock, tmp_path, CATCHES)
    data = result.document
    assert (result.exit_code, result.verdict, result.complete) == (1, Verdict.FAIL, True)
    assert set(data["families"]) and all(CATCHES in name for name in data["families"]), data["families"]
    selection = data["selection"]
    assert selection["expression"] == CATCHES and 0 < selection["tests"] < selection["of"]
    assert 0 < data["requests"] < 60  # a whole run sends ~1,100
    assert f"--select {CATCHES} " in data["replay"]
    partial = f"--select '{CATCHES}' ran {selection['tests']} of the suite's {selection['of']} tests"
    assert partial in (tmp_path / "summary.md").read_text().split("\n\n")[1]  # under the verdict line
    assert partial in junit_properties(tmp_path)["faxplus.selection"]
    assert partial in environment(tmp_path)["Selection"]
    lines = console.summary(result).splitlines()
    assert partial in lines[1] and f"selected {selection['tests']} of {selection['of']} tests" in lines[-1]
    assert_every_artifact_says(result, tmp_path)


def test_the_verdict_covers_only_what_was_selected(tmp_path: Path) -> None:
    """The same faulty server passes a selection that does not reach its fault: a selection is the
    user's choice of what to judge, as `pytest -k` is, and the reports say it is partial."""
    with MockServer(token=TOKEN, fault=FAULTS[FAULT]) as mock:
        result = run(mock, tmp_path, "valid_webhook_is_registered")
    assert (result.exit_code, result.verdict) == (0, Verdict.PASS)
    assert result.document["selection"]["tests"] == 1


def test_a_selection_that_matches_nothing_is_exit_2_and_says_how_to_list_the_names(tmp_path: Path) -> None:
    with MockServer(token=TOKEN) as mock:
        result = run(mock, tmp_path, "no-such-family")
    assert (result.exit_code, result.complete, result.document["requests"]) == (2, False, 0)
    assert result.gaps[0].startswith("--select 'no-such-family' matches none of the suite's tests")
    assert "--collect-only" in result.gaps[0]


@pytest.mark.parametrize("expression", ["numbers and (", "not", "numbers or or event"])
def test_a_bad_expression_is_one_line_before_anything_is_sent(tmp_path: Path, expression: str) -> None:
    result = cli_in_process("run", "--no-html", "--output-dir", tmp_path, "-k", expression)
    assert result.returncode == 2
    line = f"argument -k/--select: {expression} is not a pytest -k expression"
    assert line in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "summary.json").exists()


def test_plain_pytest_k_is_the_runs_selection(tmp_path: Path) -> None:
    with MockServer(token=TOKEN, fault=FAULTS[FAULT]) as mock:
        proc = run_suite_in_pytest(
            "-k", CATCHES, "--base-url", mock.url, "--conformance-output", tmp_path, "--shrink-budget", "0",
            env={"FAXPLUS_TOKEN": TOKEN},
        )  # fmt: skip
    data = json.loads((tmp_path / "summary.json").read_text())
    assert (proc.returncode, data["exit_code"]) == (1, 1), proc.stdout[-2000:]
    assert data["selection"]["expression"] == CATCHES and data["selection"]["tests"] < data["selection"]["of"]
    assert all(CATCHES in name for name in data["families"])


@pytest.mark.parametrize(
    ("narrowing", "how"),
    [
        (("--deselect", "conformance/suite/test_post_hooks.py::test_schemathesis_generation"), "pytest --deselect"),
        (("conformance/suite/test_post_hooks.py::test_request_envelope",), "pytest node ids"),
    ],
    ids=["deselect", "node-ids"],
)
def test_plain_pytest_narrowed_otherwise_is_partial_too(tmp_path: Path, narrowing: tuple[str, ...], how: str) -> None:
    """Plain pytest narrows the suite in other ways than -k: each is a partial run, and says how."""
    root = Path(conformance.__file__).resolve().parents[1]  # node ids are rooted where `conformance/` is
    suite = () if how == "pytest node ids" else ("conformance/suite/test_post_hooks.py",)
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", os.devnull, "--rootdir", root]
    with MockServer(token=TOKEN) as mock:
        proc = subprocess.run(
            [*map(str, command), *suite, *narrowing, "--base-url", mock.url, "--conformance-output", str(tmp_path)],
            env={**{k: v for k, v in os.environ.items() if not k.startswith("FAXPLUS_")}, "FAXPLUS_TOKEN": TOKEN},
            cwd=root, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    data = json.loads((tmp_path / "summary.json").read_text())
    assert proc.returncode == 0 == data["exit_code"], proc.stdout[-2000:]
    selection = data["selection"]
    assert (selection["by"], selection["expression"]) == ("pytest", how)
    assert selection["tests"] >= 1 and (selection["of"] is None) == (how == "pytest node ids")
    summary_md = (tmp_path / "summary.md").read_text().lower()
    assert f"partial run: {how} ran {selection['tests']} of the suite's" in summary_md


def test_a_selected_run_promises_no_total_it_cannot_know(tmp_path: Path) -> None:
    """The progress line's total: under --select only pytest knows which tests run, so none is given
    (a warm cache's whole count would read `10/942`)."""
    events: list[object] = []
    with MockServer(token=TOKEN) as mock:
        target = conformance.Target(base_url=mock.url, token=TOKEN, output_dir=tmp_path, select=CATCHES)
        conformance.run(target, handlers=[events.append])
    started = [e for e in events if isinstance(e, PhaseStarted) and e.phase is Phase.CASES]
    assert [e.expected for e in started] == [None]
