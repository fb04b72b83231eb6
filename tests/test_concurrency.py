"""Concurrency on the wire (issue 10): up to `--concurrency` requests in flight, and still `--rate`,
the 429 budget, cleanup and an interrupt honoured. Identical findings whatever the concurrency are
proven in tests/test_determinism.py."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from conftest import cli_in_process, run_cli, spawn_cli, wait_until
from helpers.counting import TOKEN, VALID, Counting, _outcome
from helpers.selections import REGISTERS

from conformance.mock import MockServer
from conformance.mock._reply import Reply
from conformance.send import Sender
from conformance.send._politeness import Pace
from conformance.target import Target


def _send_many(target: Target, count: int) -> list:
    sender = Sender(target)
    headers = {"Content-Type": "application/json", **target.auth_headers()}
    try:
        futures = [sender.submit("POST", target.hooks_url, headers, VALID) for _ in range(count)]
        return [future.result() for future in futures]
    finally:
        sender.close()


@pytest.mark.parametrize("concurrency", [1, 4])
def test_no_more_than_concurrency_requests_are_in_flight(concurrency: int) -> None:
    with Counting() as server:
        exchanges = _send_many(Target(base_url=server.url, token=TOKEN, concurrency=concurrency), 24)
        peak = server.peak
    assert [e.status for e in exchanges] == [200] * 24
    assert peak == concurrency, f"peak {peak} in flight for --concurrency {concurrency}"


def test_rate_caps_requests_per_second_across_all_sending_threads() -> None:
    with Counting(pause=0.0) as server:
        _send_many(Target(base_url=server.url, token=TOKEN, concurrency=8, rate=40), 20)
        arrivals = sorted(server.arrivals)
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    # 40/s is one every 25 ms; scheduling jitter may bunch two arrivals, never the run as a whole.
    # From the second arrival on: the first also waits for its connection, which a loaded machine
    # delays by tens of ms (CI: 0.419 s from the first, where 0.428 s was asked). Uncapped, the 20
    # arrive within ~30 ms.
    assert arrivals[-1] - arrivals[1] >= 18 * 0.025 * 0.8, gaps


def test_a_429_holds_every_sending_thread_once_and_is_charged_once() -> None:
    seen = {"count": 0}
    lock = threading.Lock()
    together = threading.Barrier(4, timeout=30)

    class Throttled(MockServer):
        def respond(self, request):
            with lock:
                seen["count"] += 1
                first = seen["count"] <= 4
            if first:
                together.wait()  # the four 429s go out at once, however late a sending thread started
                return Reply(429, b'{"error": "rate_limited"}', headers={"Retry-After": "1"})
            return super().respond(request)

    with Throttled(token=TOKEN) as server:
        target = Target(base_url=server.url, token=TOKEN, concurrency=4, max_wait=5)
        sender = Sender(target)
        headers = {"Content-Type": "application/json", **target.auth_headers()}
        try:
            started = time.monotonic()
            futures = [sender.submit("POST", target.hooks_url, headers, VALID) for _ in range(4)]
            statuses = [f.result().status for f in futures]
            took = time.monotonic() - started
        finally:
            sender.close()
    assert statuses == [200] * 4
    assert sender.budget.throttled == 4
    # Four 429s at once are one second of waiting for the whole run, not four.
    assert sender.budget.spent == pytest.approx(1.0, abs=0.2)
    assert took >= 0.9


def test_pace_hold_reports_only_the_extra_wait() -> None:
    pace = Pace(None)
    assert pace.hold(1.0) == pytest.approx(1.0, abs=0.05)
    assert pace.hold(0.5) == 0.0  # already held longer
    assert pace.hold(1.5) == pytest.approx(0.5, abs=0.05)


def test_an_interrupted_concurrent_run_leaves_nothing_registered(tmp_path: Path) -> None:
    """SIGINT in the middle of a run with 8 requests in flight: each in-flight answer is recorded, and
    every webhook the server registered is deleted (the Ctrl-C case of tests/test_staging_safety.py
    runs with the default concurrency; this one adds the case cache's requests sent ahead)."""
    import signal

    # Valid Webhooks and the valid spaces: ~85 cases, each registered (~170 requests with their deletes),
    # all sent ahead from the cache: the signal lands well before their end. REGISTERS alone is ~56
    # requests, and the signal at 20 answered left only ~20 of them, too close to the end to be sure.
    select = f"{REGISTERS} or test_valid_space_is_registered"
    cache = tmp_path / "cache"
    with MockServer(token=TOKEN) as warm:  # a first run fills the case cache
        first = cli_in_process(
            "run", "--base-url", warm.url, "--no-html", "--output-dir", tmp_path / "warm", "--cache-dir", cache,
            "-k", select, env={"FAXPLUS_TOKEN": TOKEN},
        )  # fmt: skip
    assert first.returncode == 0, first.output[-1500:]
    with Counting(pause=0.02) as server:
        proc = spawn_cli(
            *("run", "--base-url", server.url, "--no-html", "--output-dir", tmp_path / "out", "--cache-dir", cache),
            *("-k", select),
            env={"FAXPLUS_TOKEN": TOKEN},
        )
        # Well into the run: 20 requests answered (no more than --max-live are registered at once).
        wait_until(proc, lambda: len(server.arrivals) >= 20 and len(server.store.all()) >= 5)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
        left = server.store.all()
    assert proc.returncode == 2, stdout[-2000:] + stderr[-2000:]
    assert left == [], f"{len(left)} webhooks left registered"
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["interrupted"] is True and summary["counts"]["cases"] > 0


def test_a_bad_concurrency_is_a_usage_error(tmp_path: Path) -> None:
    # `-k`: were it not refused, a run of a few cases, not the whole suite against the embedded mock.
    result = run_cli("run", "--concurrency", "0", "--no-html", "--output-dir", tmp_path, "-k", REGISTERS, timeout=60)
    assert result.returncode == 2, result.output
    assert "--concurrency" in result.stderr and "Traceback" not in result.output


def test_the_sender_is_usable_from_many_threads_without_losing_count() -> None:
    with Counting(pause=0.0) as server:
        target = Target(base_url=server.url, token=TOKEN, concurrency=8)
        sender = Sender(target)
        try:
            futures = [sender.submit("GET", target.hooks_url, target.auth_headers(), None) for _ in range(200)]
            statuses = {f.result().status for f in futures}
        finally:
            sender.close()
    assert statuses == {200}
    assert sender.sent == 200


def test_default_concurrency_is_8_across_a_network_16_in_the_nightly_tier_and_1_to_the_embedded_mock() -> None:
    assert Target(base_url="http://127.0.0.1:9/v3", token="t").in_flight == 8
    assert Target(base_url="http://127.0.0.1:9/v3", token="t", tier="nightly").in_flight == 16
    assert Target(tier="nightly").in_flight == 1
    assert Target().in_flight == 1  # the embedded mock shares this process: threads would only contend
    assert Target(concurrency=3).in_flight == 3


def test_a_stopped_sender_sends_nothing_queued_and_lets_what_is_on_the_wire_finish() -> None:
    with Counting(pause=0.3) as server:
        target = Target(base_url=server.url, token=TOKEN, concurrency=2)
        sender = Sender(target)
        headers = {"Content-Type": "application/json", **target.auth_headers()}
        try:
            futures = [sender.submit("POST", target.hooks_url, headers, VALID) for _ in range(10)]
            while len(server.arrivals) < 2:
                time.sleep(0.01)
            sender.stop()  # what the first signal does
            outcomes = [_outcome(f) for f in futures]
        finally:
            sender.close()
        arrived = len(server.arrivals)
    assert outcomes[:2] == [200, 200]  # on the wire when stopped: answered
    assert outcomes[2:] == ["not sent"] * 8
    assert arrived == 2


def test_lanes_serve_what_a_test_waits_for_before_what_is_sent_ahead_and_cleanup_last() -> None:
    from conformance.send._lanes import Lane, Lanes

    lanes, order, gate = Lanes(1), [], threading.Event()
    try:
        lanes.submit(Lane.NOW, gate.wait)  # holds the only sending thread
        later = [
            lanes.submit(lane, order.append, name)
            for lane, name in [
                (Lane.IDLE, "delete"),
                (Lane.AHEAD, "ahead-1"),
                (Lane.AHEAD, "ahead-2"),
                (Lane.NOW, "live"),
            ]
        ]
        dropped = lanes.submit(Lane.AHEAD, order.append, "never")
        assert dropped.cancel()  # not started: cancelled, never run
        gate.set()
        for future in later:
            future.result(timeout=5)
    finally:
        lanes.shutdown()
    assert order == ["live", "ahead-1", "ahead-2", "delete"]


def test_a_wake_up_lost_to_an_interrupted_notify_still_reaches_the_sending_thread() -> None:
    """The first Ctrl-C raises KeyboardInterrupt into the main thread wherever it is; inside the
    queue's Condition.notify(), between waking a waiter and forgetting it, it leaves that waiter in
    the list, and the next notify() wakes the stale one instead of the idle thread. Made here on
    purpose: a locked lock nobody waits on, first in the queue's waiters."""
    from conformance.send._lanes import Lane, Lanes

    lanes = Lanes(1)
    try:
        time.sleep(0.1)  # the thread waits on the queue
        stale = threading.Lock()
        stale.acquire()
        with lanes._queue.not_empty:
            lanes._queue.not_empty._waiters.appendleft(stale)  # type: ignore[attr-defined]
        assert lanes.submit(Lane.NOW, sum, [1, 2]).result(timeout=5) == 3
    finally:
        lanes.shutdown()
