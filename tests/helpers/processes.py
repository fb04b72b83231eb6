"""Helpers for the tests that start a real peer server as a subprocess (Prism, FastAPI, connexion)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable

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
