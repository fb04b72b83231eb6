"""Safe and steady against a shared server: cleanup (also on SIGINT), 429 honoured, production
refused, transport faults ending in their documented result, baselines of known deviations.

Every server here is real and listens on 127.0.0.1. Every run is the real CLI: its `main` in this
process where the test judges what the run did and wrote (`cli_in_process`), a subprocess where the
process itself is observed (a signal, a usage error's one line on stderr).

Each run is a selection of the suite's tests (`-k`, tests/helpers/selections.py): what is checked here
is the run's machinery (cleanup, signals, 429s, baselines, usage errors), not what the whole suite
finds, and a selection costs ~0.3 s of CPU where a whole run costs ~7 s.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import CliResult, SharedRuns, cli_in_process, run_cli, spawn_cli, wait_until
from helpers.selections import A_FEW, REGISTERS

from conformance.mock import FAULTS, Fault, MockServer
from conformance.mock._reply import Reply
from conformance.send import Sender, Sweeper, cleanup
from conformance.send._politeness import Pace, retry_after
from conformance.target import Target

TOKEN = "safety-token-91c"
FAULT = "numbers-min-items-ignored"  # the known violation of the failing run and the baseline
# A_FEW (valid Webhooks, registered and deleted; numbers-empty, which catches FAULT) and one client
# envelope: on it numbers-empty is a finding too, baselined as `numbers-empty@envelope-chunked`.
FAILING = f"{A_FEW} or (test_client_envelope_is_accepted and envelope-chunked)"


def cli(*args: str, out: Path, select: str, process: bool = False) -> CliResult:
    """`run -k SELECT ARGS`: in this process, or (`process`) the CLI as a subprocess of its own. The
    subprocesses meet a server that is not there or not HTTP (a 1 s deadline ends them soon); the runs
    in this process share its cores with the mock's threads, so a loaded machine must not make a prompt
    answer a transport finding (15 s, as the sweeps)."""
    run, timeout = (run_cli, "1") if process else (cli_in_process, "15")
    options = ("--no-html", "--timeout", timeout, "--output-dir", out, "-k", select)
    return run("run", *options, *args, env={"FAXPLUS_TOKEN": TOKEN})


def summary(out: Path) -> dict:
    return json.loads((out / "summary.json").read_text())


def one_line_error(proc: CliResult) -> str:
    assert proc.returncode == 2, proc.stdout[-1500:] + proc.stderr[-1500:]
    assert "Traceback" not in proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    return lines[0]


@pytest.fixture(scope="module")
def failing_run(shared_runs: SharedRuns) -> tuple[CliResult, Path, list]:
    """One run against a mock with a known violation: its result, its reports, what it left registered
    (read by the cleanup test and, as the run before any baseline, by the baseline test). Once per
    session (`shared_runs`): the two tests may run on different xdist workers."""

    def produce(out: Path) -> CliResult:
        with MockServer(token=TOKEN, fault=FAULTS[FAULT]) as mock:
            proc = cli("--base-url", mock.url, out=out, select=FAILING)
            left = mock.store.all()
        (out / "left.json").write_text(json.dumps(left))
        return proc

    proc = shared_runs("staging-safety-failing", produce)
    assert proc is not None and proc.output_dir is not None
    return proc, proc.output_dir, json.loads((proc.output_dir / "left.json").read_text())


# --- cleanup ------------------------------------------------------------------------------------
def test_failing_run_leaves_nothing_registered(failing_run: tuple[CliResult, Path, list]) -> None:
    proc, out, left = failing_run
    assert proc.returncode == 1
    assert summary(out)["cleanup"]["deleted"] > 0
    assert left == []


def test_webhooks_are_deleted_as_the_run_goes_not_only_at_the_end(tmp_path: Path) -> None:
    with MockServer(token=TOKEN) as mock:
        # Every case sent as its test runs; REGISTERS: ~27 cases, each registers a webhook.
        proc = cli("--base-url", mock.url, "--no-case-cache", out=tmp_path, select=REGISTERS)
        methods = [request.method for request in mock.requests]
        left = mock.store.all()
    assert proc.returncode == 0
    last_case = max(i for i, method in enumerate(methods) if method == "POST")
    deletes = methods.count("DELETE")
    data = summary(tmp_path)
    # Each case's webhook deleted once (a whole run asserted only > 20: not every case registers there).
    assert deletes == data["cleanup"]["deleted"] == data["counts"]["cases"] > 20
    # Most are deleted while cases are still being sent: at the end, cleanup only checks.
    assert methods[:last_case].count("DELETE") > deletes / 2
    assert left == []


class FlakyDeletes(MockServer):
    """Answers the first DELETE of every webhook 503, and deletes it the second time."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.refused: set[str] = set()

    def respond(self, request):
        path = request.path.split("?", 1)[0]
        if request.method == "DELETE" and path not in self.refused:
            self.refused.add(path)
            return Reply(503, b'{"error": "busy"}')
        return super().respond(request)


def test_what_the_deletes_during_the_run_missed_is_deleted_at_the_end() -> None:
    with FlakyDeletes(token=TOKEN) as mock:
        ids = [mock.store.add({"target": f"https://run-1.example.com/{i}", "event": "fax_sent"}) for i in range(6)]
        target = Target(base_url=mock.url, token=TOKEN, concurrency=2)
        sender = Sender(target)
        try:
            sweeper = Sweeper(target, sender.wire, sender.pace, sender.background)
            for hook_id in ids:
                sweeper.delete(hook_id)  # each refused: 503
            deadline = time.monotonic() + 10
            while len(mock.refused) < len(ids) and time.monotonic() < deadline:
                time.sleep(0.01)
            report = cleanup(target, ids, "run-1.example.com", wire=sender.wire, swept=sweeper)
        finally:
            sender.close()
        left = mock.store.all()
    assert len(mock.refused) == 6  # the run's own attempts, all refused
    assert sorted(report.deleted) == sorted(ids) and report.undeleted == [] and report.verified
    assert left == []


def test_webhooks_registered_without_a_usable_id_are_found_by_their_run_domain(tmp_path: Path) -> None:
    # The server registers but answers {"webhook_id": ...}: the run never learns the ids, yet every
    # URL target it sent lives on the run's own subdomain of example.com, so cleanup finds them.
    # What it cannot attribute are schemathesis's non-URL edge targets ("", noise): never callable.
    with MockServer(token=TOKEN, fault=FAULTS["webhook-id-renamed"]) as mock:
        proc = cli("--base-url", mock.url, out=tmp_path, select=REGISTERS)  # ~27 webhooks, their ids unknown
        left = mock.store.all()
    assert proc.returncode == 1
    assert summary(tmp_path)["cleanup"]["deleted"] > 20
    urls = [hook["target"] for hook in left if urlsplit(str(hook["target"])).scheme in ("http", "https")]
    assert urls == []


def test_no_cleanup_keeps_what_was_registered(tmp_path: Path) -> None:
    with MockServer(token=TOKEN) as mock:
        proc = cli("--base-url", mock.url, "--no-cleanup", out=tmp_path, select=REGISTERS)
        left = mock.store.all()
    assert proc.returncode == 0
    assert len(left) > 0


def test_sigint_mid_run_still_cleans_up_and_writes(tmp_path: Path) -> None:
    with MockServer(token=TOKEN) as mock:
        # REGISTERS at 30 requests/s: ~27 POSTs and as many DELETEs, ~2 s of sending to interrupt.
        proc = spawn_cli(
            *("run", "--base-url", mock.url, "--no-html", "--output-dir", tmp_path, "--rate", "30", "-k", REGISTERS),
            env={"FAXPLUS_TOKEN": TOKEN},
        )
        # Mid-run: 5 webhooks live for cleanup, and a case already judged (a DELETE follows its judgement).
        wait_until(proc, lambda: len(mock.store.all()) >= 5 and any(r.method == "DELETE" for r in mock.requests))
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
        left = mock.store.all()
    assert left == [], stdout[-1000:] + stderr[-1000:]
    assert proc.returncode == 2, stdout[-3000:] + stderr[-3000:]
    assert (tmp_path / "summary.json").is_file()
    data = summary(tmp_path)
    assert data["counts"]["cases"] > 0
    # The artifacts say what the process did: exit 2, incomplete, and why.
    assert (data["exit_code"], data["complete"]) == (2, False), data["incomplete"]
    assert any(gap.startswith("interrupted") for gap in data["incomplete"])
    assert "**Incomplete:** interrupted" in (tmp_path / "summary.md").read_text()
    assert "interrupted" in stderr


# --- politeness ---------------------------------------------------------------------------------
def _throttle_first(n: int, retry: str) -> Fault:
    """A mock that answers the first `n` registrations with 429 + Retry-After, then is faithful."""
    seen = {"count": 0}
    lock = threading.Lock()

    def reply(request, ctx, original: Reply) -> Reply:
        with lock:
            seen["count"] += 1
            throttled = seen["count"] <= n
        return Reply(429, b'{"error": "rate_limited"}', headers={"Retry-After": retry}) if throttled else original

    return Fault("throttle", "429 first", frozenset(), reply=reply)


def test_429_with_retry_after_slows_the_run_instead_of_failing_it(tmp_path: Path) -> None:
    # The preflight sees the first 429 itself; the suite must wait out the other two.
    with MockServer(token=TOKEN, fault=_throttle_first(3, "1")) as mock:
        proc = cli("--base-url", mock.url, out=tmp_path, select=REGISTERS)  # the 429s meet valid Webhooks
    data = summary(tmp_path)
    assert proc.returncode == 0, proc.stdout[-1500:]
    assert [f for f in data["findings"] if f["verdict"] == "fail"] == []
    assert data["throttled"]["answers_429"] >= 2


def test_429_beyond_the_wait_budget_ends_incomplete(tmp_path: Path) -> None:
    with MockServer(token=TOKEN, fault=_throttle_first(10**9, "1")) as mock:
        proc = cli("--base-url", mock.url, "--max-wait", "2", out=tmp_path, select=REGISTERS)
    line = one_line_error(proc)
    assert "429" in line and "--rate" in line
    assert summary(tmp_path)["counts"]["not_sent"] > 0


def test_retry_after_forms() -> None:
    assert retry_after("2") == 2.0
    assert retry_after("100000") == 60.0  # clamped; the total budget bounds the run
    assert retry_after("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
    assert retry_after("soon", default=1.5) == 1.5


def test_pace_spaces_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = {"now": 100.0}
    slept: list[float] = []
    monkeypatch.setattr(time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(time, "sleep", lambda s: (slept.append(s), clock.__setitem__("now", clock["now"] + s)))
    pace = Pace(4.0)  # 4 requests per second: 0.25 s apart
    for _ in range(3):
        pace.wait()
    assert slept == [0.25, 0.25]


# --- production guard and transport faults ------------------------------------------------------
def test_production_host_is_refused(tmp_path: Path) -> None:
    line = one_line_error(
        cli("--base-url", "https://restapi.fax.plus/v3", out=tmp_path, select=REGISTERS, process=True)
    )
    assert "--allow-production" in line


def test_dns_failure_is_a_usage_error(tmp_path: Path) -> None:
    line = one_line_error(
        cli("--base-url", "http://no-such-host.invalid/v3", out=tmp_path, select=REGISTERS, process=True)
    )
    assert "no-such-host.invalid" in line


def test_tls_failure_is_a_usage_error(tmp_path: Path) -> None:
    with MockServer(token=TOKEN) as mock:  # plain HTTP: a TLS handshake against it fails
        line = one_line_error(
            cli("--base-url", f"https://127.0.0.1:{mock.port}/v3", out=tmp_path, select=REGISTERS, process=True)
        )
    assert "TLS" in line or "SSL" in line or "cannot reach" in line


@pytest.fixture
def not_http() -> Iterator[int]:
    """A TCP server on 127.0.0.1 that answers every connection with a line that is not HTTP."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=2)
    server.close()


def test_server_that_is_not_http_is_a_usage_error(tmp_path: Path, not_http: int) -> None:
    line = one_line_error(
        cli("--base-url", f"http://127.0.0.1:{not_http}/v3", out=tmp_path, select=REGISTERS, process=True)
    )
    assert "HTTP" in line


# --- baseline -----------------------------------------------------------------------------------
def test_baseline_turns_a_known_finding_into_a_pass_and_reports_stale_entries(
    tmp_path: Path, failing_run: tuple[CliResult, Path, list]
) -> None:
    baseline = tmp_path / "baseline.json"
    first = failing_run[0]  # the same server and options, no baseline yet
    with MockServer(token=TOKEN, fault=FAULTS[FAULT]) as mock:
        options = ("--base-url", mock.url, "--baseline", str(baseline))
        written = cli(*options, "--update-baseline", out=tmp_path / "b", select=FAILING)
        gated = cli(*options, out=tmp_path / "c", select=FAILING)
    assert first.returncode == 1
    assert written.returncode == 0
    # The family on the default path, and its smallest member on every envelope (`FAMILY@ENVELOPE`):
    # FAILING selects one envelope, enough for a FAMILY@ENVELOPE id to be written, matched and stale.
    accepted = [e["id"] for e in json.loads(baseline.read_text())["accepted"]]
    assert "numbers-empty::status" in accepted and "numbers-empty@envelope-chunked::status" in accepted
    assert all(re.fullmatch(r"numbers-empty(@[a-z0-9-]+)?::status", entry) for entry in accepted), accepted
    assert gated.returncode == 0, gated.stdout[-1500:]
    assert sorted(summary(tmp_path / "c")["baseline"]["matched"]) == sorted(accepted)

    with MockServer(token=TOKEN) as mock:  # the deviation is fixed: the entry is stale
        fixed = cli("--base-url", mock.url, "--baseline", str(baseline), out=tmp_path / "d", select=FAILING)
    assert fixed.returncode == 0
    assert sorted(summary(tmp_path / "d")["baseline"]["stale"]) == sorted(accepted)
    assert "numbers-empty::status" in fixed.stdout


def test_generated_targets_never_point_at_a_real_service() -> None:
    from conformance.suite._probe import confine_target

    domain = "run-1a2b.example.com"
    moved = confine_target({"target": "http://myapp.com:8080/fax_received?x=1", "event": "fax_sent"}, domain)
    assert moved == {"target": "http://myapp.com.run-1a2b.example.com:8080/fax_received?x=1", "event": "fax_sent"}
    mine = {"target": f"https://hooks.{domain}/x", "event": "fax_sent"}
    assert confine_target(mine, domain) == mine
    for edge in ("", "Jd\U000b5018", "mailto:someone@example.org", "http://[::1"):
        assert confine_target({"target": edge}, domain) == {"target": edge}
