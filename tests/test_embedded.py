"""The embedded mock: the reference mock in a process of its own, for a run without `--base-url`.

It must listen on loopback only, answer with its own fresh token, end with the run (also when the
run dies without a word), and stay up while an interrupted run lets its last requests finish.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import gone, run_like, wait_until
from helpers.suite_runs import judged_a_family

from conformance.suite._embedded import EmbeddedMock, MockUnavailable

VALID = {"target": "https://hooks.example.com/fax", "event": "fax_sent"}


def test_it_listens_on_loopback_with_its_own_token_and_stops_with_stop() -> None:
    mock = EmbeddedMock()
    try:
        parts = urlsplit(mock.url)
        assert parts.hostname == "127.0.0.1" and parts.port
        hooks = f"{mock.url}/hooks"
        assert httpx.post(hooks, json=VALID, headers={"Authorization": f"Bearer {mock.token}"}).status_code == 200
        assert httpx.post(hooks, json=VALID, headers={"Authorization": "Bearer mock-token"}).status_code == 401
    finally:
        mock.stop()
    assert gone(mock.pid, within=5)
    with pytest.raises(httpx.ConnectError):
        httpx.post(hooks, json=VALID)


def test_it_ends_when_the_run_dies_without_a_word() -> None:
    # A run that starts the mock, says its pid, and is then killed: no stop(), no cleanup code.
    script = "from conformance.suite._embedded import EmbeddedMock; m = EmbeddedMock(); m.url; print(m.pid)"
    with run_like(script) as (_, line):
        child = int(line)
    assert gone(child, within=10), "the embedded mock outlived its run"


def test_a_ctrl_c_to_the_runs_process_group_does_not_reach_the_mock() -> None:
    # The run handles Ctrl-C itself (it lets what is in flight finish): after the terminal's SIGINT
    # to the run's whole process group, the mock must still answer.
    script = "from conformance.suite._embedded import EmbeddedMock; m = EmbeddedMock(); print(m.url, m.token)"
    with run_like(script) as (run, line):
        url, token = line.split()
        os.killpg(run.pid, signal.SIGINT)
        time.sleep(0.5)
        answer = httpx.post(f"{url}/hooks", json=VALID, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200


def test_a_contract_it_cannot_load_is_one_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("openapi: [", encoding="utf-8")
    mock = EmbeddedMock(broken)
    with pytest.raises(MockUnavailable, match="the embedded mock did not start"):
        mock.url  # noqa: B018 - waits for it to listen
    assert gone(mock.pid, within=5)


def test_an_embedded_run_interrupted_from_the_terminal_ends_in_one_line_with_its_summary(tmp_path: Path) -> None:
    # A terminal's Ctrl-C signals the whole foreground process group (the run is in its own group
    # here, as a shell puts it): the run stops sending, writes what it measured, and exits 2.
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAXPLUS_")}
    command = [sys.executable, "-m", "conformance", "run", "--no-html", "--no-case-cache", "--output-dir", tmp_path]
    proc = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    assert proc.stdout is not None
    assert "embedded reference mock" in proc.stdout.readline()  # the run has started: its mock listens
    wait_until(proc, lambda: judged_a_family(tmp_path / "allure-results"))
    os.killpg(proc.pid, signal.SIGINT)
    stdout, stderr = proc.communicate(timeout=120)
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert proc.returncode == 2, stdout[-2000:] + stderr[-2000:]  # interrupted, and nothing broke
    assert "interrupted" in stderr
    assert [f for f in summary["findings"] if f["category"] == "transport"] == [], "the mock went away"
    assert summary["counts"]["cases"] > 0


def test_the_cli_starts_the_mock_before_it_imports_the_suite() -> None:
    """`from conformance.suite import EmbeddedMock` loads nothing else of the suite (nor schemathesis or
    Hypothesis): the mock's process starts on the other core while the CLI imports the rest."""
    code = (
        "import sys\n"
        "from conformance.suite import EmbeddedMock\n"
        "print(sorted(m for m in sys.modules if m.startswith('conformance.suite.')"
        " or m.split('.')[0] in ('schemathesis', 'hypothesis', 'pytest')))\n"
        "from conformance.suite import CasesRun, Session, build_diff\n"  # the rest, when asked for
        "print(CasesRun.__module__, Session.__module__, build_diff.__module__)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.stdout.splitlines() == [
        "['conformance.suite._embedded']",
        "conformance.suite._hooks conformance.suite._session conformance.suite._reference",
    ], proc.stdout + proc.stderr
