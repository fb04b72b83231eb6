"""Bounded live state (issue 21, item 4): a run never holds more than --max-live of its own webhooks
at once, reports the peak, and stops (incomplete, exit 2) rather than exceed it when deletes fail.

The servers are the reference mock on 127.0.0.1, counting what is registered at every answer.
"""

from __future__ import annotations

import threading
from pathlib import Path

import conformance
from conformance.mock import MockServer
from conformance.mock._reply import Reply
from conformance.report import outputs

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


def run(server: MockServer, out: Path, **fields: object) -> conformance.RunResult:
    target = conformance.Target(base_url=server.url, token=TOKEN, output_dir=out, shrink_budget=0, **fields)  # type: ignore[arg-type]
    return conformance.run(target, reporters=outputs.reporters(allure=False))


def test_the_run_never_holds_more_than_max_live_webhooks(tmp_path: Path) -> None:
    with Counting(token=TOKEN) as server:
        result = run(server, tmp_path, max_live=3, concurrency=8, case_cache=False)
        left = server.store.all()
    assert result.exit_code == 0, result.gaps
    live = result.document["live"]
    assert live["max"] == 3 and 1 <= live["peak"] <= 3
    assert server.most <= 3, f"the server held {server.most} of the run's webhooks at once"
    assert left == []


def test_without_the_bound_the_same_run_holds_more(tmp_path: Path) -> None:
    # The counterpart that shows the test above can fail: unbounded, the run outpaces its deletes.
    with NoDeletes(token=TOKEN) as server:
        result = run(server, tmp_path, max_live=0, concurrency=8, cleanup_timeout=1, case_cache=False)
    assert result.document["live"] is None
    assert server.most > 3


def test_a_bound_that_deletes_cannot_keep_stops_the_run_incomplete(tmp_path: Path) -> None:
    with NoDeletes(token=TOKEN) as server:
        result = run(server, tmp_path, max_live=4, cleanup_timeout=1, case_cache=False)
        most = server.most
    assert most <= 4
    assert result.exit_code == 2 and not result.complete
    assert any("--max-live 4 reached" in gap for gap in result.gaps), result.gaps
