"""A test signals only what it started (tests/helpers/processes.py): a pid it recorded may belong to
another process, or to a thread of one, once the process it named has ended. On Linux a signal sent
to a thread's id reaches the whole process: a stale `os.kill(pid, SIGKILL)` can take down an xdist
worker whose in-process mock has just given that id to a connection's thread."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest
from conftest import gone
from helpers.processes import is_process, kill_if

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="thread ids are pids on Linux")

# A process with a second thread; it prints that thread's id and lives until killed.
WITH_A_THREAD = (
    "import threading, time\n"
    "t = threading.Thread(target=time.sleep, args=(60,), daemon=True); t.start()\n"
    "print(t.native_id, flush=True); time.sleep(60)\n"
)


@pytest.fixture
def threaded() -> Iterator[tuple[subprocess.Popen[str], int]]:
    proc = subprocess.Popen([sys.executable, "-c", WITH_A_THREAD], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        yield proc, int(proc.stdout.readline())
    finally:
        proc.kill()
        proc.wait()


def test_a_threads_id_is_not_a_process_and_is_never_signalled(threaded: tuple[subprocess.Popen[str], int]) -> None:
    proc, tid = threaded
    assert tid != proc.pid
    assert is_process(proc.pid) and not is_process(tid)
    assert kill_if(tid, lambda _: True) is False  # what a stale pid that is now this thread's gets
    assert proc.poll() is None, "a kill meant for an ended process took a live one with it"
    assert not gone(proc.pid, within=0.5) and gone(tid, within=0.5)


def test_a_live_process_is_killed_only_when_it_is_still_ours(threaded: tuple[subprocess.Popen[str], int]) -> None:
    proc, _ = threaded
    assert kill_if(proc.pid, lambda _: False) is False
    assert proc.poll() is None
    assert kill_if(proc.pid, lambda pid: pid == proc.pid) is True
    assert proc.wait(timeout=10) == -9


def test_an_ended_process_is_not_one() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    assert not is_process(proc.pid) and kill_if(proc.pid, lambda _: True) is False
