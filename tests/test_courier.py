"""The Courier: a run's sending in a process of its own (issue 10). Whatever it carries must behave as
the Sender does in-process: the same answers and count, `--concurrency` and the lanes, a first signal
that sends nothing queued yet answers what is on the wire, a hanging target that stops the run, a
token that never shows outside the pipe, and a process that never outlives its run. That a run's
findings are the same through it is proven in tests/test_determinism.py."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from conftest import gone, run_cli, run_like, spawn_cli
from helpers.counting import TOKEN, VALID, Counting, _outcome
from tiers import SYSTEM

from conformance.mock import MockServer
from conformance.mock._reply import Reply
from conformance.send import Courier, CourierLost, Exchange, NotSent, Sender, TargetHanging, courier_for
from conformance.target import Target


@contextlib.contextmanager
def through_courier(server: MockServer, **options: Any) -> Iterator[tuple[Sender, Courier, Target, dict[str, str]]]:
    """A Sender for `server` handed over to a Courier (closed on exit), its Target, and JSON POST headers."""
    target = Target(base_url=server.url, **{"token": TOKEN, **options})
    sender, courier = Sender(target), Courier()
    sender.hand_over_to(courier)
    try:
        yield sender, courier, target, {"Content-Type": "application/json", **target.auth_headers()}
    finally:
        sender.close()


def test_what_it_sends_comes_back_as_in_process_and_is_counted_here() -> None:
    bodies = [VALID, b"[]", b'{"target": 1}', None]
    with MockServer(token=TOKEN) as server:
        local = Sender(Target(base_url=server.url, token=TOKEN))
        try:
            headers = {"Content-Type": "application/json", **local.target.auth_headers()}
            expected = [local.send("POST", local.target.hooks_url, headers, body) for body in bodies]
        finally:
            local.close()
        with through_courier(server, concurrency=2) as (sender, courier, target, headers):
            got = [f.result(timeout=30) for f in [sender.submit("POST", target.hooks_url, headers, b) for b in bodies]]
    assert [(e.status, e.media_type) for e in got] == [(e.status, e.media_type) for e in expected]
    assert [e.status for e in got] == [200, 400, 400, 400]
    assert json.loads(got[0].response_body)["id"] and got[0].elapsed > 0
    assert courier.sent == 4 and sender.sent == 4  # sent there, counted here


def test_concurrency_and_lanes_are_the_couriers_one_sender() -> None:
    with Counting(pause=0.1) as server:
        with through_courier(server, concurrency=3) as (sender, _, target, headers):
            ahead = [sender.submit("POST", target.hooks_url, headers, VALID, ahead=True) for _ in range(15)]
            time.sleep(0.05)  # at most three are on the wire, the others wait in the AHEAD lane
            live = sender.submit("POST", target.hooks_url, {**headers, "X-Live": "1"}, VALID)
            live.result(timeout=30)
            finished_before_live = sum(f.done() for f in ahead)
            statuses = [f.result(timeout=30).status for f in ahead]
        peak = server.peak
    assert peak == 3, f"peak {peak} in flight for --concurrency 3"
    assert statuses == [200] * 15
    # The live request waited for a free thread, not behind all fifteen sent ahead.
    assert finished_before_live < 15


def test_a_first_signal_sends_nothing_queued_and_answers_what_is_on_the_wire() -> None:
    with Counting(pause=0.3) as server:
        with through_courier(server, concurrency=2) as (sender, _, target, headers):
            futures = [sender.submit("POST", target.hooks_url, headers, VALID, ahead=True) for _ in range(10)]
            while len(server.arrivals) < 2:
                time.sleep(0.01)
            assert sender.in_flight
            sender.stop()
            outcomes = [_outcome(f) for f in futures]
        arrived = len(server.arrivals)
    assert outcomes == [200, 200] + ["not sent"] * 8
    assert arrived == 2 and not sender.in_flight


def test_a_dropped_request_is_not_sent_unless_it_had_left() -> None:
    """What `Prefetch.release` relies on: cancelling a request given to the Courier never loses the
    answer of one already on the wire (it may have registered a webhook)."""
    with Counting(pause=0.3) as server:
        with through_courier(server, concurrency=1) as (sender, _, target, headers):
            first, second = (sender.submit("POST", target.hooks_url, headers, VALID, ahead=True) for _ in range(2))
            while not server.arrivals:
                time.sleep(0.01)
            assert first.cancel() is False and second.cancel() is False  # the Courier decides
            assert first.result(timeout=30).status == 200
            with pytest.raises(NotSent):
                second.result(timeout=30)
        assert len(server.arrivals) == 1


def test_a_hanging_target_stops_sending_there_and_here() -> None:
    with (
        Counting(pause=5.0) as server,
        through_courier(server, concurrency=1, timeout=0.3) as (sender, _, target, headers),
    ):
        futures = [sender.submit("POST", target.hooks_url, headers, VALID) for _ in range(5)]
        errors = [f.exception(timeout=30) or f.result().error for f in futures]
        with pytest.raises(TargetHanging):  # learnt from the Courier: this process stops too
            sender.send("POST", target.hooks_url, headers, VALID)
    assert errors[:3] == ["timeout"] * 3
    assert all(isinstance(e, TargetHanging) for e in errors[3:]), errors


def test_the_token_is_in_neither_its_command_line_nor_its_environment() -> None:
    secret, client = "courier-secret-token-4f1c9a", "courier-client-77"
    with (
        MockServer(token=secret) as server,
        through_courier(server, token=secret, client_id=client) as (sender, courier, target, headers),
    ):
        assert sender.submit("POST", target.hooks_url, headers, VALID).result(timeout=30).status == 200
        proc = Path(f"/proc/{courier.pid}")
        seen = (proc / "cmdline").read_bytes() + (proc / "environ").read_bytes()
    assert secret.encode() not in seen and client.encode() not in seen


def _lose(courier: Courier, server: Counting, waiting: Future[Exchange]) -> CourierLost:
    """Kill the Courier while `waiting` is on the wire: what the request then ends in."""
    while not server.arrivals:
        time.sleep(0.01)
    os.kill(courier.pid, signal.SIGKILL)
    with pytest.raises(CourierLost) as lost:
        waiting.result(timeout=30)
    return lost.value


def test_a_lost_process_fails_what_waited_for_it_in_one_line() -> None:
    with Counting(pause=0.5) as server, through_courier(server, concurrency=1) as (sender, courier, target, headers):
        lost = _lose(courier, server, sender.submit("POST", target.hooks_url, headers, VALID))
        with pytest.raises(CourierLost):  # nothing more is accepted
            sender.submit("POST", target.hooks_url, headers, VALID).result(timeout=5)
    assert str(lost).startswith("the sending process ended (killed by signal 9)")


def test_the_last_words_of_a_lost_process_are_masked() -> None:
    secret = "courier-lost-secret-93e1"
    with Counting(pause=0.5) as server, through_courier(server, token=secret) as (sender, courier, target, headers):
        waiting = sender.submit("POST", target.hooks_url, headers, VALID)
        # What a dying process might print on stderr (a traceback quoting a header, say).
        courier._child._errors.write(f"RuntimeError: Authorization: Bearer {secret}\n".encode())
        courier._child._errors.flush()
        lost = _lose(courier, server, waiting)
    assert secret not in str(lost)
    assert "RuntimeError: Authorization: Bearer" in str(lost)


def test_a_ctrl_c_to_the_runs_process_group_does_not_reach_it_and_it_ends_with_its_run() -> None:
    script = (
        "from conformance.send import Courier; from conformance.target import Target; c = Courier(); "
        "c.begin(Target(base_url='http://127.0.0.1:9/v3', token='t'), print); print(c.pid, flush=True)"
    )
    with run_like(script) as (run, line):
        child = int(line)
        os.killpg(run.pid, signal.SIGINT)  # what the terminal does on Ctrl-C: the run relays it
        assert not gone(child, within=1.0), "a Ctrl-C to the run took the Courier away from it"
    assert gone(child, within=10), "the Courier outlived its run"


def test_only_a_run_that_sends_ahead_and_deletes_nothing_meanwhile_gets_one() -> None:
    def wanted(**options: object) -> bool:
        courier = courier_for(Target(**options))  # type: ignore[arg-type]
        if courier is None:
            return False
        courier.close()
        return True

    assert wanted()  # the embedded mock, ci tier
    assert wanted(base_url="http://127.0.0.1:9/v3", token="t", cleanup=False)
    assert not wanted(base_url="http://127.0.0.1:9/v3", token="t")  # cleanup's deletes are this process's
    assert not wanted(tier="nightly")  # nothing recorded, nothing sent ahead
    assert not wanted(case_cache=False)


@SYSTEM
def test_an_embedded_run_replayed_through_it_judges_as_the_first(tmp_path: Path) -> None:
    """The first run draws and sends in-process (nothing recorded yet); the second replays every case
    through the Courier."""
    outs = []
    for name in ("first", "second"):
        out = tmp_path / name
        result = run_cli("run", "--no-html", "--output-dir", out, "--cache-dir", tmp_path / "cache", timeout=300)
        assert result.returncode == 0, result.output[-1500:]
        outs.append(json.loads((out / "summary.json").read_text()))
    for key in ("verdict", "counts", "families", "findings", "requests"):
        assert outs[0][key] == outs[1][key], key


def test_a_429_it_waited_out_is_counted_here() -> None:
    seen = {"count": 0}

    class Throttled(MockServer):
        def respond(self, request):
            seen["count"] += 1
            if seen["count"] == 1:
                return Reply(429, b'{"error": "rate_limited"}', headers={"Retry-After": "1"})
            return super().respond(request)

    with (
        Throttled(token=TOKEN) as server,
        through_courier(server, concurrency=1, max_wait=5) as (sender, _, target, headers),
    ):
        assert sender.submit("POST", target.hooks_url, headers, VALID).result(timeout=30).status == 200
    assert (sender.sent, sender.throttled) == (2, 1)
    assert sender.waited == pytest.approx(1.0, abs=0.2)


def _sockets_of_couriers_under(pid: int) -> int | None:
    """Sockets held by a Courier process whose parent is `pid`; None while there is none."""
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or b"conformance.send._courier_child" not in (entry / "cmdline").read_bytes():
                continue
            stat = (entry / "stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) != pid:
                continue
            return sum(os.readlink(fd).startswith("socket:") for fd in (entry / "fd").iterdir())
        except OSError:
            continue
    return None


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="reads /proc")
@SYSTEM
def test_a_replayed_run_that_deletes_nothing_sends_from_the_courier(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with Counting(pause=0.02) as server:
        args = ("run", "--base-url", server.url, "--no-html", "--no-cleanup", "--cache-dir", cache)
        first = run_cli(*args, "--output-dir", tmp_path / "first", env={"FAXPLUS_TOKEN": TOKEN})
        assert first.returncode == 0, first.output[-1500:]
        proc = spawn_cli(*args, "--output-dir", tmp_path / "second", env={"FAXPLUS_TOKEN": TOKEN})
        seen = 0
        while proc.poll() is None and not seen:
            seen = _sockets_of_couriers_under(proc.pid) or 0
            time.sleep(0.02)
        proc.communicate(timeout=300)
    assert proc.returncode == 0
    assert seen > 0, "no Courier process connected to the server"
