"""npm never outlives the process whose install started it (issue 22: a SIGKILL'd run, or an `sdk`
that a SIGTERM ended, left `npm ci` running in its own process group).

The install runs under a guard (conformance/report/_guard.py) that kills npm's whole group once the
starting process is gone, however it ended. Proven with the stand-in npm of tests/helpers/fake_npm.py,
which never finishes here and has a child of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from helpers.fake_npm import FakeNpm, wait_for

from conformance.report.allure_install import installed

# A process that starts the install and then lives on until it is killed (or ends as told).
STARTER = """
import os, sys, time
from pathlib import Path
from conformance.report.allure_install import AllureInstall
install = AllureInstall.start(Path(sys.argv[1]))
print("started", flush=True)
if sys.argv[2] == "exit":
    while install.pid is None:
        time.sleep(0.01)
    time.sleep(0.5)
    os._exit(0)  # no close(), no handler: as a process that ends without cleaning up
time.sleep(120)
"""


@pytest.mark.parametrize("end", ["sigkill", "sigterm", "exit"])
def test_npm_and_its_children_die_with_the_process_that_started_the_install(tmp_path: Path, end: str) -> None:
    fake = FakeNpm.make(tmp_path)
    env = {**os.environ, **fake.env(HOLD=str(tmp_path / "never"))}
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER, str(fake.package), end], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert wait_for(fake.started), "npm did not start"
        if end != "exit":
            starter.send_signal(signal.SIGKILL if end == "sigkill" else signal.SIGTERM)
        starter.wait(timeout=30)
        assert fake.all_gone(within=10), "npm or its child outlived it"
        assert installed(fake.package) is None  # half a tree is never an install
    finally:
        starter.kill()
        starter.wait()
        fake.kill_leftovers()


def test_without_the_guard_the_same_npm_would_have_outlived_it(tmp_path: Path) -> None:
    """The control: the stand-in npm, started in a group of its own as before the guard, lives on
    after its starter's SIGKILL (so the test above can tell a guard from none)."""
    fake = FakeNpm.make(tmp_path)
    env = {**os.environ, **fake.env(HOLD=str(tmp_path / "never"))}
    script = (
        "import subprocess, sys, time\n"
        "subprocess.Popen(['npm', 'ci'], cwd=sys.argv[1], start_new_session=True)\n"
        "time.sleep(120)\n"
    )
    starter = subprocess.Popen([sys.executable, "-c", script, str(fake.package)], env=env)
    try:
        assert wait_for(fake.started), "npm did not start"
        starter.kill()
        starter.wait(timeout=30)
        time.sleep(1)
        assert fake.pids()[0] in fake.running(), "npm ended by itself: the guard test would prove nothing"
    finally:
        starter.kill()
        starter.wait()
        fake.kill_leftovers()
