"""Child: a process a run starts (the embedded mock, the Courier) and that must not outlive it.

`python -m MODULE ARGS`, importable from any working directory, in a session of its own (the
terminal's Ctrl-C is the run's to handle: it lets its last requests finish first), talking over
stdin and stdout. Secrets go down stdin, never in argv or the environment, which `ps` shows. The
child ends when its stdin closes: when the run ends it, or dies. What it printed on stderr is kept
to say why, if it ends before its time.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import IO

END_TIMEOUT = 5.0  # seconds for a child to end once its stdin closed, before it is killed


class Child:
    def __init__(self, module: str, *args: str) -> None:
        root = str(Path(__file__).resolve().parents[1])  # importable from any cwd
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by end()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            env=env,
            start_new_session=True,
        )
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self.stdin: IO[bytes] = self._proc.stdin
        self.stdout: IO[bytes] = self._proc.stdout

    @property
    def pid(self) -> int:
        return self._proc.pid

    def why(self, within: float = 1.0) -> str:
        """Why it ended: its last line on stderr, or its exit; "no answer" if it is still running."""
        try:
            code = self._proc.wait(timeout=within)
        except subprocess.TimeoutExpired:
            return "no answer"
        self._errors.seek(0)
        lines = self._errors.read().decode(errors="replace").strip().splitlines()
        if lines:
            return lines[-1]
        return f"killed by signal {-code}" if code < 0 else f"exit {code}"

    def kill(self) -> None:
        self._proc.kill()
        self._proc.wait()

    def end(self) -> None:
        """Close its stdin (it ends), wait for it (kill it after END_TIMEOUT), and close the pipes."""
        if not self.stdin.closed:
            with contextlib.suppress(OSError):  # it is gone already, and the pipe had unwritten bytes
                self.stdin.close()
        try:
            self._proc.wait(timeout=END_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
        self.stdout.close()
        self._errors.close()
