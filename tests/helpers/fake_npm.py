"""A stand-in `npm` first on PATH, for the tests of the Allure install (tests/test_allure_install.py).

It installs into a package folder of the test's own (never the checkout's reports/), records every
invocation and pid in a log, and behaves as its environment says:

- ``FAKE_NPM_HOLD=FILE``: after writing ``node_modules/allure/cli.js`` (as a half-done real install may
  have it), wait until FILE exists (at most 60 s): an install the test ends when it likes;
- ``FAKE_NPM_SLEEP=SECONDS``: then sleep;
- ``FAKE_NPM_FAIL=1``: then fail as npm does without the registry (exit 1, ``npm error`` lines).

While it runs it has a child (a ``sleep``), so that killing its process group can be told from
killing it alone. The ``cli.js`` it writes is a stand-in Allure: ``generate --config FILE`` writes an
``index.html`` where the config's ``output`` says, so a run's HTML step completes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .processes import is_process, kill_if

SCRIPT = """#!/bin/sh
echo "npm $$ $*" >> "{log}"
mkdir -p node_modules/allure
cp "{cli}" node_modules/allure/cli.js
sleep 300 &
child=$!
echo "child $child" >> "{log}"
if [ -n "$FAKE_NPM_HOLD" ]; then
  n=0
  while [ ! -e "$FAKE_NPM_HOLD" ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n + 1)); done
fi
sleep "${{FAKE_NPM_SLEEP:-0}}"
kill $child
if [ -n "$FAKE_NPM_FAIL" ]; then
  echo "npm error code E404" >&2
  echo "npm error 404 Not Found - GET https://registry.npmjs.org/allure - Not found" >&2
  exit 1
fi
echo "done $$" >> "{log}"
"""

ALLURE = """
const fs = require("fs"), path = require("path");
const config = JSON.parse(fs.readFileSync(process.argv[process.argv.indexOf("--config") + 1], "utf8"));
fs.mkdirSync(config.output, { recursive: true });
const page = "<!DOCTYPE html><html><head></head><body>stand-in</body></html>";
fs.writeFileSync(path.join(config.output, "index.html"), page);
"""

# `faxplus-conformance ARGS` with the Allure package folder moved to argv[1] (the fake's, not reports/).
RUN_WITH_PACKAGE = (
    "import sys\n"
    "from pathlib import Path\n"
    "import conformance.report.allure_install as install\n"
    "install.reports_dir = lambda: Path(sys.argv[1])\n"
    "from conformance.cli import main\n"
    "sys.exit(main(sys.argv[2:]))\n"
)


@dataclass(frozen=True)
class FakeNpm:
    bin_dir: Path
    log: Path
    package: Path  # the folder it installs into: package.json, package-lock.json, node_modules/

    @classmethod
    def make(cls, root: Path) -> FakeNpm:
        bin_dir, package = root / "bin", root / "package"
        bin_dir.mkdir(parents=True)
        package.mkdir()
        (package / "package.json").write_text(json.dumps({"name": "fake", "private": True}))
        (package / "package-lock.json").write_text(json.dumps({"name": "fake", "lockfileVersion": 3}))
        (bin_dir / "allure-cli.js").write_text(ALLURE)
        npm = bin_dir / "npm"
        npm.write_text(SCRIPT.format(log=root / "npm.log", cli=bin_dir / "allure-cli.js"))
        npm.chmod(0o755)
        return cls(bin_dir, root / "npm.log", package)

    def env(self, **behaviour: str) -> dict[str, str]:
        """PATH with the fake first, and its FAKE_NPM_* behaviour (HOLD=..., SLEEP=..., FAIL=...)."""
        path = f"{self.bin_dir}{os.pathsep}{os.environ['PATH']}"
        return {"PATH": path, **{f"FAKE_NPM_{key}": value for key, value in behaviour.items()}}

    def lines(self) -> list[list[str]]:
        return [line.split() for line in self.log.read_text().splitlines()] if self.log.exists() else []

    def invocations(self) -> list[list[str]]:
        """Each npm started: its arguments."""
        return [words[2:] for words in self.lines() if words[0] == "npm"]

    def pids(self) -> list[int]:
        """Every process it started: npm itself and its child."""
        return [int(words[1]) for words in self.lines() if words[0] in ("npm", "child")]

    def started(self) -> bool:
        """npm and its child are up."""
        return any(words[0] == "child" for words in self.lines())

    def ours(self, pid: int) -> bool:
        """Whether process `pid` is one the fake started: npm and its child both have the fake's
        folder first on PATH, which no other process has (it is the test's own temporary folder)."""
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            return False
        return f"PATH={self.bin_dir}{os.pathsep}".encode() in environ

    def running(self) -> list[int]:
        """What the fake started that still runs (never a later process that reuses one of its pids)."""
        return [pid for pid in self.pids() if is_process(pid) and self.ours(pid)]

    def all_gone(self, within: float) -> bool:
        """Whether it started anything, and all of it has ended within `within` seconds."""
        ends = time.monotonic() + within
        while self.running():
            if time.monotonic() > ends:
                return False
            time.sleep(0.05)
        return bool(self.pids())

    def kill_leftovers(self) -> None:
        """The test stops what it started, whatever the code under test did, and only that: a pid
        that ended long ago may be another process's or a thread's now (tests/helpers/processes.py)."""
        for pid in self.pids():
            kill_if(pid, self.ours)


def spawn_run(fake: FakeNpm, *args: object, env: dict[str, str]) -> subprocess.Popen[str]:
    """`faxplus-conformance ARGS` in a session of its own (as a shell's job), installing into the fake's
    package folder; no FAXPLUS_* variable inherited, only those in `env`."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("FAXPLUS_")}
    command = [sys.executable, "-c", RUN_WITH_PACKAGE, str(fake.package), *map(str, args)]
    return subprocess.Popen(
        command,
        env={**inherited, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(ready: Callable[[], bool], within: float = 60) -> bool:
    """Poll `ready()` until it holds (True) or `within` seconds pass (False)."""
    limit = time.monotonic() + within
    while time.monotonic() < limit:
        if ready():
            return True
        time.sleep(0.02)
    return bool(ready())
