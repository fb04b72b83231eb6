"""Cleanup cannot be steered by the server (issue 21, item 2): a server-issued id is only ever one
percent-encoded path segment under /hooks/, an id no encoding makes safe is never requested, and no
failure of cleanup loses the run's verdicts.

The hostile server is the reference mock with its ids swapped for hostile ones, on 127.0.0.1.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
from conftest import cli_in_process
from helpers.selections import REGISTERS
from hypothesis import given
from hypothesis import strategies as st

from conformance.mock import MockServer
from conformance.mock._reply import Reply, json_reply
from conformance.send import Cleanup, UnaddressableId, cleanup, hook_url, shown_id, why_unaddressable
from conformance.target import Target

TOKEN = "cleanup-safety-token-7e2"
HOOKS = "http://127.0.0.1:9/v3/hooks"

# Each would reach something other than one webhook, or break the URL, if it were requested.
HOSTILE = [
    "../accounts/self",  # httpx normalizes it to /v3/accounts/self
    "..",
    ".",
    "a/b",
    "..\\accounts",
    "id\x00with-nul",
    "id\r\nX-Injected: 1",
    "id\x1b[2J",  # a terminal escape, if printed raw
    "x" * 300,
]


@pytest.mark.parametrize("hook_id", HOSTILE, ids=repr)
def test_an_id_that_would_leave_its_segment_is_never_addressed(hook_id: str) -> None:
    assert why_unaddressable(hook_id) is not None
    with pytest.raises(UnaddressableId):
        hook_url(HOOKS, hook_id)


@given(st.text(min_size=1, max_size=40))
def test_an_addressed_id_is_exactly_one_segment_under_hooks(hook_id: str) -> None:
    try:
        url = hook_url(HOOKS, hook_id)
    except UnaddressableId:
        assert why_unaddressable(hook_id) is not None
        return
    parsed = httpx.URL(url)
    prefix, _, segment = parsed.raw_path.decode().rpartition("/")
    assert prefix == "/v3/hooks" and unquote(segment) == hook_id


def test_ids_are_printed_escaped_and_bounded() -> None:
    assert shown_id("5f2a") == "5f2a"
    assert "\x1b" not in shown_id("id\x1b[2J") and "\\x1b" in shown_id("id\x1b[2J")
    assert len(shown_id("x" * 300)) < 80


class HostileIds(MockServer):
    """The reference mock, but every third webhook it registers gets one of `HOSTILE` as its id
    (a server that echoes a client-chosen id, or builds ids from the payload)."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.issued = 0

    def respond(self, request):  # type: ignore[no-untyped-def]
        reply: Reply = super().respond(request)
        if request.method != "POST" or reply.status != 200:
            return reply
        self.issued += 1
        if self.issued % 3:
            return reply
        good = reply.json()["id"]
        stored = next(h for h in self.store.all() if h["id"] == good)
        self.store.remove(good)
        hostile = HOSTILE[(self.issued // 3) % len(HOSTILE)]
        self.store.add({k: v for k, v in stored.items() if k != "id"}, hook_id=hostile)
        return json_reply(200, {"id": hostile})


def test_a_server_that_issues_hostile_ids_cannot_steer_cleanup(tmp_path: Path) -> None:
    with HostileIds(token=TOKEN) as server:
        # REGISTERS: ~27 webhooks registered, every third of them under one of the 9 HOSTILE ids.
        proc = cli_in_process(
            *("run", "--base-url", server.url, "--no-html", "--timeout", "2", "--output-dir", tmp_path),
            *("-k", REGISTERS),
            env={"FAXPLUS_TOKEN": TOKEN},
        )
        requests = list(server.requests)
        left = {h["id"] for h in server.store.all()}
    assert proc.returncode == 0, proc.output[-3000:]  # a warn (below), no crash, no lost verdicts
    data = json.loads((tmp_path / "summary.json").read_text())
    # Nothing carrying the token went anywhere but /hooks or one segment under it.
    paths = {r.path.split("?", 1)[0] for r in requests}
    assert {p for p in paths if p != "/v3/hooks" and not p.startswith("/v3/hooks/")} == set()
    deletes = [r.path for r in requests if r.method == "DELETE"]
    assert deletes and all("/" not in unquote(p[len("/v3/hooks/") :]) for p in deletes)
    assert all(why_unaddressable(unquote(p[len("/v3/hooks/") :])) is None for p in deletes)
    # The hostile ones are listed, never requested; every other webhook is gone.
    unaddressable = data["cleanup"]["unaddressable"]
    assert set(unaddressable) == {shown_id(i) for i in left} and left <= set(HOSTILE)
    assert all("cannot be addressed safely" in why for why in unaddressable.values())
    groups = [g for g in data["groups"] if g["check"] == "addressable-id"]
    assert [g["verdict"] for g in groups] == ["warn"]
    assert "cannot be addressed safely" in proc.stdout


class Exploding:
    """A Wire whose every request raises what no cleanup code expects."""

    def exchange(self, *args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")


def test_no_failure_inside_cleanup_escapes_it() -> None:
    target = Target(base_url="http://127.0.0.1:9/v3", token=TOKEN)
    report = cleanup(target, ["5f2a", "6b3c"], "run-1.example.com", wire=Exploding())  # type: ignore[arg-type]
    assert isinstance(report, Cleanup)
    assert report.error == "cleanup broke off: RuntimeError"
    assert report.undeleted == ["5f2a", "6b3c"] and not report.verified
