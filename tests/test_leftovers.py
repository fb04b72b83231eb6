"""Leftovers of killed runs are found and removed (issue 21, item 3): every webhook carries its run's
label, a later run reports what earlier runs left, and `faxplus-conformance cleanup` removes those and
only those.

The server is the reference mock on 127.0.0.1; the killed run is the real CLI, killed with SIGKILL (the
later run and `cleanup` are the CLI's main, in this process). The runs are REGISTERS (`-k`): valid
Webhooks, each registered, all that leftovers and cleanup are made of.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import Watched, cli_in_process, run_cli, spawn_cli, wait_until
from helpers.selections import REGISTERS

from conformance.mock import MockServer, Reply
from conformance.send import new_label
from conformance.send._run_label import label_of, started

TOKEN = "leftovers-token-4b1"
SOMEONE_ELSES = {"target": "https://hooks.example.com/keep-me", "event": "fax_sent"}


def cleanup(url: str, *args: str):  # type: ignore[no-untyped-def]
    return cli_in_process("cleanup", "--base-url", url, *args, env={"FAXPLUS_TOKEN": TOKEN})


def test_a_label_names_its_run_and_when_it_started() -> None:
    label = new_label(at=1_800_000_000)
    assert started(label) == 1_800_000_000
    assert label_of({"target": f"https://a.b.{label}.example.com/x"}, "example.com") == label
    assert label_of({"target": f"http://192.0.2.7/{label}/x"}, "example.com") == label
    # Only in its own place: not a look-alike host, not elsewhere in the path, not another domain.
    assert label_of({"target": f"https://{label}.example.org/x"}, "example.com") is None
    assert label_of({"target": f"https://hooks.example.com/{label}/x"}, "example.com") is None
    assert label_of({"target": "https://run-zz.example.com/x"}, "example.com") is None


def settled(read: Callable[[], list[Any]], quiet: float = 0.5, within: float = 10) -> list[Any]:
    """`read()` once it has stopped changing for `quiet` seconds: a request the killed run had fully
    sent is still being handled by the mock for a moment after the kill, and registers one more."""
    last, since, limit = read(), time.monotonic(), time.monotonic() + within
    while time.monotonic() - since < quiet and time.monotonic() < limit:
        time.sleep(0.05)
        now = read()
        if now != last:
            last, since = now, time.monotonic()
    return last


def test_after_sigkill_a_later_run_reports_the_leftovers_and_cleanup_removes_them_all(tmp_path: Path) -> None:
    with MockServer(token=TOKEN) as mock:
        keep = mock.store.add(dict(SOMEONE_ELSES))
        proc = spawn_cli(
            *("run", "--base-url", mock.url, "--no-html", "--output-dir", tmp_path / "killed", "--rate", "100"),
            *("-k", REGISTERS),  # ~27 cases: still registering when 6 are live (--max-live 10)
            env={"FAXPLUS_TOKEN": TOKEN},
        )
        wait_until(proc, lambda: len(mock.store.all()) >= 6)
        proc.send_signal(signal.SIGKILL)  # no handler runs: nothing is deleted
        proc.wait(timeout=30)
        left = [h for h in settled(mock.store.all) if h["id"] != keep]
        assert left, "the killed run left webhooks behind"

        later = cli_in_process(
            *("run", "--base-url", mock.url, "--no-html", "--output-dir", tmp_path / "later", "--shrink-budget", "0"),
            *("-k", REGISTERS),  # its own webhooks too, which it must not count as an earlier run's
            env={"FAXPLUS_TOKEN": TOKEN},
        )
        reported = json.loads((tmp_path / "later" / "summary.json").read_text())["cleanup"]["earlier_runs"]
        assert sum(reported.values()) == len(left) and len(reported) == 1
        assert "faxplus-conformance cleanup --base-url URL" in later.stdout

        dry = cleanup(mock.url, "--dry-run")
        assert dry.returncode == 0 and f"would delete {len(left)} webhook(s)" in dry.stdout
        young = cleanup(mock.url, "--older-than", "1d")
        assert young.returncode == 0 and f"left {len(left)} webhook(s) of runs younger" in young.stdout
        assert len(mock.store.all()) == len(left) + 1, "a dry run and a younger-than filter delete nothing"

        done = cleanup(mock.url)
        remaining = mock.store.all()
    assert done.returncode == 0, done.output
    assert f"deleted {len(left)}, not deleted 0; still listed afterwards: 0" in done.stdout
    assert [h["id"] for h in remaining] == [keep], "only the suite's own webhooks are touched"


def test_cleanup_says_in_one_line_what_is_missing() -> None:
    proc = run_cli("cleanup")
    assert proc.returncode == 2 and "Traceback" not in proc.output
    assert proc.stderr.strip().splitlines() == [
        "faxplus-conformance: cleanup needs --base-url URL (the server the runs registered their webhooks on)"
    ]


class HangingDeletes(MockServer):
    """Registers at once; every DELETE hangs (a cleanup that a second signal must cut short)."""

    def respond(self, request):  # type: ignore[no-untyped-def]
        if request.method == "DELETE":
            return Reply(200, b"{}", delay=30.0)  # never deletes; answers (too late) that it did
        return super().respond(request)


def test_after_a_double_signal_the_artifacts_list_what_was_left_behind(tmp_path: Path) -> None:
    with HangingDeletes(token=TOKEN) as mock:
        proc = spawn_cli(
            *("run", "--base-url", mock.url, "--no-html", "--output-dir", tmp_path, "--max-live", "0"),
            # REGISTERS at 20 requests/s: still sending (~27 cases) when the first signal comes, not
            # already in the cleanup whose start the test waits for (a whole run needed no --rate).
            *("--timeout", "60", "--cleanup-timeout", "60", "-k", REGISTERS, "--rate", "20"),
            env={"FAXPLUS_TOKEN": TOKEN},
        )
        run = Watched(proc)
        wait_until(proc, lambda: len(mock.store.all()) >= 3)
        proc.send_signal(signal.SIGTERM)  # stop sending; cleanup starts and hangs on its deletes
        # Once cleanup has started (a stopping run says when it does; the deletes begin earlier, in the background).
        wait_until(proc, lambda: run.printed("progress: cleanup …"))
        proc.send_signal(signal.SIGTERM)  # cancel cleanup too
        stdout, stderr = run.communicate(timeout=60)
        left = {h["id"] for h in mock.store.all()}
    assert proc.returncode == 2, stdout[-2000:] + stderr[-2000:]
    data = json.loads((tmp_path / "summary.json").read_text())
    assert data["complete"] is False and left
    # What it knew it registered is listed (a request cut off on the wire may register one it never learnt).
    listed = set(data["cleanup"]["undeleted"])
    assert listed and listed <= left, (listed, left)
    assert "left behind" in (tmp_path / "summary.md").read_text()
    assert "cleanup could not delete" in stdout


class RefusesDeletes(MockServer):
    def respond(self, request):  # type: ignore[no-untyped-def]
        return Reply(503, b'{"error": "busy"}') if request.method == "DELETE" else super().respond(request)


def test_cleanup_exits_2_when_a_leftover_could_not_be_deleted() -> None:
    with RefusesDeletes(token=TOKEN) as mock:
        label = new_label()
        mock.store.add({"target": f"https://hooks.{label}.example.com/x", "event": "fax_sent"})
        proc = cleanup(mock.url)
    assert proc.returncode == 2, proc.output
    assert "deleted 0, not deleted 1" in proc.stdout and "HTTP 503" in proc.stdout
