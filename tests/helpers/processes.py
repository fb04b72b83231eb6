"""Helpers for the tests that start processes: a real peer server as a subprocess (Prism, FastAPI,
connexion), and the pids a test may signal.

A pid a test recorded (a fake npm's, a run's child's) may be reused once that process has ended, and
on Linux threads share the pid space: `os.kill(tid, SIGKILL)` takes down the whole process the
thread belongs to. A pytest worker whose in-process mock starts a thread per connection goes through
thousands of ids a minute (`pid_max` is 32,768 here), so a kill of a pid that ended a while ago can
kill an xdist worker mid-test (CI's lost workers had another cause: tests/test_nesting.py). A test
therefore signals only a live process that is still its own: `is_process` and `kill_if` below.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator

import httpx
import pytest


def wait_serving(url: str, *, alive: Callable[[], bool], log: Callable[[], str], what: str, seconds: float) -> None:
    """Poll `url` until any HTTP answer comes; fail the test with the log's tail if the process
    exits first or stays silent for `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        if not alive():
            pytest.fail(f"{what} exited before answering:\n{log()[-1500:]}")
        try:
            httpx.get(url, timeout=1)  # any HTTP answer (a 401 or 405 too) means it serves
            return
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                pytest.fail(f"{what} did not answer within {seconds:.0f} s:\n{log()[-1500:]}")
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate, then kill if it will not go."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def _pidfd(pid: int) -> Iterator[int | None]:
    """A pidfd of process `pid` (it names that process until closed, however its pid is reused), or
    None where pidfds are unsupported; ProcessLookupError if no process has that pid. A thread's id
    is refused (ENOENT or EINVAL, by kernel): a thread is not a process anyone started."""
    if not hasattr(os, "pidfd_open"):
        yield None
        return
    try:
        fd = os.pidfd_open(pid)
    except OSError as exc:
        if exc.errno in (errno.ENOENT, errno.EINVAL):  # a thread's id
            raise ProcessLookupError(pid) from exc
        raise
    try:
        yield fd
    finally:
        os.close(fd)


def is_process(pid: int) -> bool:
    """Whether `pid` names a live process, not a thread's id and not a zombie (an ended process its
    parent has not reaped yet).

    >>> is_process(os.getpid())
    True
    """
    try:
        with _pidfd(pid):
            status = f"/proc/{pid}/status"
            if not os.path.exists(status):  # no procfs: a signal 0 tells whether it exists
                os.kill(pid, 0)
                return True
            with open(status, "rb") as file:
                fields = dict(line.split(b":", 1) for line in file.read().splitlines() if b":" in line)
            return fields.get(b"Tgid", b"").strip() == str(pid).encode() and not fields.get(
                b"State", b""
            ).strip().startswith(b"Z")
    except (ProcessLookupError, FileNotFoundError):
        return False


def kill_if(pid: int, ours: Callable[[int], bool], signum: int = signal.SIGKILL) -> bool:
    """Send `signum` to process `pid` if it is a live process and `ours(pid)` says it is still the
    one the test started (its pid pinned by a pidfd meanwhile, so no reuse can slip in between);
    whether it was sent."""
    try:
        with _pidfd(pid) as fd:
            if not (is_process(pid) and ours(pid)):
                return False
            if fd is None:
                os.kill(pid, signum)
            else:
                signal.pidfd_send_signal(fd, signum)
            return True
    except (ProcessLookupError, PermissionError):
        return False
