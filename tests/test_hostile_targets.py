"""Hostile and broken targets (issue 13): a deadline for the whole exchange, bounded responses, and a
cancel that ends, whatever the server does.

The servers are real sockets on 127.0.0.1 (tests/wire_servers.py, or the reference mock with one
reply slowed down); the runs are the real CLI: in a subprocess where it is signalled as CI cancels a
job, its `main` in this process where only what it did and wrote is judged.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
import tracemalloc
from pathlib import Path

import pytest
from conftest import CliResult, Watched, cli_in_process, run_cli, spawn_cli, wait_until
from helpers.selections import A_FEW, REGISTERS
from helpers.wire_servers import Received, WireServer, answer, drip, endless_body, hold, huge_length
from tiers import SYSTEM

from conformance.mock import MockServer
from conformance.send import Sender
from conformance.send._wire import Wire
from conformance.target import Target

TOKEN = "hostile-token-5d1"
SLACK = 8.0  # start-up (imports, the preflight) and shutdown of a subprocess run on a busy CI machine


def against(url: str, out: Path, *args: str) -> CliResult:
    """A run against `url`, reports in `out` (the CLI's main, in this process): whole, unless `args`
    select (`-k`)."""
    args = ("run", "--base-url", url, "--no-html", "--output-dir", out, *args)
    return cli_in_process(*args, env={"FAXPLUS_TOKEN": TOKEN})


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def transport_messages(data: dict) -> list[str]:
    return [f["message"] for f in data["findings"] if f["check"] == "transport"]


# --- 1. a deadline per request ------------------------------------------------------------------
def test_a_dripping_server_costs_one_deadline_per_request_and_the_finding_names_the_slow_answer(
    tmp_path: Path,
) -> None:
    # One byte every 0.2 s: a per-read timeout of 0.5 s never trips, so only a deadline on the whole
    # exchange ends each request.
    with WireServer(drip(0.2)) as server:
        started = time.monotonic()
        # A_FEW: ~40 cases, more than the breaker lets hang (3 in a row), of each kind of answer.
        proc = against(server.url, tmp_path, "--timeout", "0.5", "-k", A_FEW)
        took = time.monotonic() - started
        sent = len(server.requests)
    assert proc.returncode == 1, proc.output
    data = summary(tmp_path)
    assert "answer not complete after 0.5 s" in "\n".join(transport_messages(data)), data["findings"]
    assert data["counts"]["not_sent"] > 0, "the no-answer breaker counts overdue answers"
    assert took <= sent * 0.5 + SLACK, f"{took:.1f} s for {sent} requests (preflight included)"


def test_the_deadline_covers_connect_send_and_the_whole_body() -> None:
    with WireServer(drip(0.05)) as server:
        sender = Sender(Target(base_url=server.url, token=TOKEN, timeout=0.3))
        try:
            exchange = sender.send("POST", f"{server.url}/hooks", {"Content-Type": "application/json"}, b"{}")
        finally:
            sender.close()
    assert (exchange.error, exchange.error_detail) == ("timeout", "answer not complete after 0.3 s")
    assert exchange.elapsed < 0.3 + 2.0  # the answer needs ~30 s at this pace; the deadline cut it


@SYSTEM  # ~20 s of hanging deletes by design: the system tier
def test_cleanup_runs_each_request_under_the_deadline_and_all_within_its_budget(tmp_path: Path) -> None:
    # Registration is fast, but DELETE and GET /hooks hang: every cleanup request ends at its deadline
    # and the whole cleanup within --cleanup-timeout; what stays registered is listed for removal by hand.
    class SlowCleanup(MockServer):
        def respond(self, request):
            reply = super().respond(request)
            return reply if request.method == "POST" else reply.with_(delay=30.0)

    with SlowCleanup(token=TOKEN, port=0) as mock:
        started = time.monotonic()
        # A registration answers in milliseconds; 2 s leaves room for a loaded CI machine.
        # --max-live 0: with every delete hanging, the bound would (rightly) stop the run early.
        proc = against(mock.url, tmp_path, "--timeout", "2", "--cleanup-timeout", "5", "--max-live", "0")
        took = time.monotonic() - started
        registered = [hook["id"] for hook in mock.store.all()]
    assert proc.returncode == 0, proc.output  # the registrations themselves honour the contract
    cleanup = summary(tmp_path)["cleanup"]
    assert registered, "the run registered webhooks"
    # Every webhook still registered is listed; a few more may be listed whose DELETE the server carried
    # out without ever answering it: the run cannot know, so it lists them too.
    assert set(registered) <= set(cleanup["undeleted"])
    reasons = set(cleanup["failed"].values())
    assert reasons <= {"answer not complete after 2.0 s", "cleanup budget of 5.0 s spent"}, reasons
    assert "cleanup budget of 5.0 s spent" in reasons
    assert f"cleanup could not delete {len(cleanup['undeleted'])} webhook(s)" in proc.stdout
    assert cleanup["undeleted"][0] in proc.stdout
    assert took < 60, "the hanging cleanup was cut by its budget"


# --- 2. bounded responses -----------------------------------------------------------------------
def test_an_endless_body_is_cut_at_the_cap_and_judged(tmp_path: Path) -> None:
    with WireServer(endless_body) as server:
        # A_FEW: each kind of exchange (registration, a rejected body, a refused credential) is cut alike.
        proc = against(server.url, tmp_path, "--max-response-bytes", "65536", "--shrink-budget", "0", "-k", A_FEW)
    assert proc.returncode == 1, proc.output
    messages = transport_messages(summary(tmp_path))
    assert messages and all(m == "too-large: response over 65536 bytes" for m in messages), messages


def test_memory_stays_flat_while_reading_endless_bodies() -> None:
    cap, reads = 1024 * 1024, 30
    with WireServer(endless_body) as server:
        wire = Wire(cap)
        try:
            wire.exchange("GET", f"{server.url}/hooks", {}, None, deadline=10)  # imports, first connection
            tracemalloc.start()
            sizes = [len(wire.exchange("GET", f"{server.url}/hooks", {}, None, deadline=10).body) for _ in range(reads)]
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
            wire.close()
    assert sizes == [cap] * reads
    # 30 MiB went through; what was held at any time stays a few caps (the body, its copy, the buffers).
    assert peak < 6 * cap, f"peak {peak} bytes while reading {reads} bodies cut at {cap} bytes"


def test_a_100_mb_content_length_is_refused_without_waiting_for_the_body() -> None:
    with WireServer(huge_length) as server:
        sender = Sender(Target(base_url=server.url, token=TOKEN, timeout=30))
        try:
            exchange = sender.send("POST", f"{server.url}/hooks", {"Content-Type": "application/json"}, b"{}")
        finally:
            sender.close()
    # Not a timeout: the declared length alone is over the cap, so nothing of it is awaited.
    assert (exchange.error, exchange.error_detail) == ("too-large", "response over 1048576 bytes")
    assert exchange.status == 200


# --- 3. a cancel that ends ----------------------------------------------------------------------
def _hang(request: Received, sock) -> bool:
    """Answers the preflight's `[]` (so the run starts), then never answers anything again."""
    if request.body.strip() == b"[]":
        answer(sock, 400, b'{"error": "invalid", "description": "not an object"}')
        return True
    hold(sock, 120)
    return False


def _start(url: str, out: Path, *args: str) -> subprocess.Popen[str]:
    """A selected run: the server hangs on its first case, so the run is signalled with a case on the wire
    whatever it selects (a whole run loads ~1,100 recorded cases it never sends)."""
    args = ("run", "--base-url", url, "--no-html", "-k", REGISTERS, "--output-dir", out, *args)
    return spawn_cli(*args, env={"FAXPLUS_TOKEN": TOKEN})


def test_sigterm_lets_the_request_in_flight_end_within_its_deadline_then_cleans_up_and_writes(
    tmp_path: Path,
) -> None:
    timeout, budget = 3.0, 3.0
    with WireServer(_hang) as server:
        proc = _start(server.url, tmp_path, "--timeout", str(timeout), "--cleanup-timeout", str(budget))
        wait_until(proc, lambda: len(server.requests) >= 2)  # the preflight, then a case now hanging on the wire
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=120)
        took = time.monotonic() - signalled
    # The overdue case it measured is a violation: exit 1, and the run says it was cut short.
    assert proc.returncode == 1, stdout[-2000:] + stderr[-2000:]
    assert "interrupted" in stdout + stderr and "Traceback" not in stdout + stderr
    assert took <= timeout + budget + SLACK, f"ended {took:.1f} s after the signal"
    data = summary(tmp_path)
    assert "answer not complete after 3.0 s" in "\n".join(transport_messages(data))
    assert TOKEN not in stdout + stderr + (tmp_path / "summary.json").read_text()


def test_a_second_signal_ends_the_run_at_once_and_still_writes_the_summary(tmp_path: Path) -> None:
    with WireServer(_hang) as server:
        proc = _start(server.url, tmp_path, "--timeout", "60", "--cleanup-timeout", "60")
        run = Watched(proc)
        wait_until(proc, lambda: len(server.requests) >= 2)
        proc.send_signal(signal.SIGTERM)
        # The second only once the run has taken the first (two signals that arrive before the handler
        # runs are one): it says so.
        wait_until(proc, lambda: run.printed("SIGTERM: stopping;"))
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = run.communicate(timeout=60)
        took = time.monotonic() - signalled
    assert proc.returncode == 2, stdout[-2000:] + stderr[-2000:]
    assert "Traceback" not in stdout + stderr
    assert took <= SLACK, f"ended {took:.1f} s after the second signal, not at once"
    assert (tmp_path / "summary.json").is_file()


@pytest.mark.parametrize("value", ["0", "-1", "lots"])
def test_a_bad_cap_is_a_usage_error(tmp_path: Path, value: str) -> None:
    proc = run_cli("run", "--max-response-bytes", value, "--no-html", "--output-dir", tmp_path, timeout=60)
    assert proc.returncode == 2, proc.output
    assert "--max-response-bytes" in proc.stderr and "Traceback" not in proc.output
