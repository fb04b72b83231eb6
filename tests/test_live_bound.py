"""Bounded live state (issue 21, item 4): a run never holds more than --max-live of its own webhooks
at once, reports the peak, and stops (incomplete, exit 2) rather than exceed it when deletes fail.

The servers are the reference mock on 127.0.0.1, counting what is registered at every answer.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path

from conftest import run_cli
from helpers.selections import REGISTERS

from conformance.mock import MockServer, Reply

TOKEN = "live-token-8c2"


class Counting(MockServer):
    """The reference mock, keeping the most webhooks it ever held at once."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.most = 0
        self._count = threading.Lock()

    def respond(self, request):  # type: ignore[no-untyped-def]
        reply = self.refuse(request) or super().respond(request)
        with self._count:
            self.most = max(self.most, len(self.store.all()))
        return reply

    def refuse(self, request) -> Reply | None:  # type: ignore[no-untyped-def]
        return None


class NoDeletes(Counting):
    def refuse(self, request) -> Reply | None:  # type: ignore[no-untyped-def]
        return Reply(503, b'{"error": "busy"}') if request.method == "DELETE" else None


def run(server: MockServer, out: Path, *args: str) -> tuple[int, dict]:
    """A run of REGISTERS through the CLI, in its own process; the exit code and summary.json. Its ~27
    cases each register a webhook, several at once (--concurrency 8): what --max-live bounds, and all
    of what it bounds (the other tests' cases register nothing, or what these do)."""
    proc = run_cli(
        *("run", "--base-url", server.url, "--no-html", "--output-dir", out, "--shrink-budget", "0", *args),
        *("-k", REGISTERS),
        env={"FAXPLUS_TOKEN": TOKEN},
    )
    return proc.returncode, json.loads((out / "summary.json").read_text())


def test_the_run_never_holds_more_than_max_live_webhooks(tmp_path: Path) -> None:
    with Counting(token=TOKEN) as server:
        code, data = run(server, tmp_path, "--max-live", "3", "--concurrency", "8")
        left = server.store.all()
    assert code == 0, data["incomplete"]
    live = data["live"]
    assert live["max"] == 3 and 1 <= live["peak"] <= 3
    assert server.most <= 3, f"the server held {server.most} of the run's webhooks at once"
    assert left == []


def test_without_the_bound_the_same_run_holds_more(tmp_path: Path) -> None:
    # The counterpart that shows the test above can fail: unbounded, the run outpaces its deletes.
    with NoDeletes(token=TOKEN) as server:
        code, data = run(server, tmp_path, "--max-live", "0", "--concurrency", "8", "--cleanup-timeout", "1")
    assert data["live"] is None
    assert server.most > 3


def test_a_bound_that_deletes_cannot_keep_stops_the_run_incomplete(tmp_path: Path) -> None:
    with NoDeletes(token=TOKEN) as server:
        code, data = run(server, tmp_path, "--max-live", "4", "--cleanup-timeout", "1")
        most = server.most
    assert most <= 4
    assert code == 2 and not data["complete"]
    assert any("--max-live 4 reached" in gap for gap in data["incomplete"]), data["incomplete"]
