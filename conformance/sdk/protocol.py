"""The adapter interface: a driver process speaking JSON lines on stdin/stdout.

The gate writes one request object per line and reads one answer object per line:

    → {"op": "hello"}
    ← {"ok": true, "sdk": "faxplus-api", "version": "3.0.5", "language": "python"}
    → {"op": "register", "base_url": "http://127.0.0.1:PORT/v3", "token": "...", "webhook": {...}}
    ← {"ok": true, "id": "..."}
    ← {"ok": false, "status": 400, "error": "...", "description": "...", "exception": "..."}
    ← {"unsupported": "why this input cannot be expressed through the SDK"}

Optional answer keys: "call" (a snippet in the SDK's language that replays the request), "notes"
(a list of {"check", "message"}: typed-API gaps the driver saw), "body" (the raw error body).
Lines that are not JSON objects (an SDK printing to stdout) are skipped. A driver that dies or
does not answer within the timeout is restarted; the gate records the case as a driver crash.
"""

from __future__ import annotations

import collections
import json
import os
import queue
import shlex
import subprocess
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DRIVERS = Path(__file__).parent / "drivers"
CALL_TIMEOUT = 20.0


class DriverError(Exception):
    """The driver could not be started or does not speak the protocol."""


class Driver:
    """One driver subprocess; restarted transparently after a crash or a hang."""

    def __init__(self, command: Sequence[str], *, env: dict[str, str] | None = None, timeout: float = CALL_TIMEOUT):
        self.command = list(command)
        self.env = env
        self.timeout = timeout
        self.starts = 0
        self.stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()

    @property
    def restarts(self) -> int:
        """How often a crashed or hung driver had to be started again."""
        return max(0, self.starts - 1)

    @property
    def display(self) -> str:
        return shlex.join(self.command)

    def _start(self) -> None:
        try:
            self._proc = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
                env=self.env,
            )
        except OSError as error:
            raise DriverError(f"cannot start the SDK driver `{self.display}`: {error.strerror or error}") from error
        self.starts += 1
        self._lines = lines = queue.Queue[str | None]()
        proc = self._proc

        def pump_out() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.put(line)
            lines.put(None)

        def pump_err() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                self.stderr.append(line.rstrip("\n"))

        threading.Thread(target=pump_out, daemon=True).start()
        threading.Thread(target=pump_err, daemon=True).start()

    def _stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.stdin:
                proc.stdin.close()
            proc.wait(timeout=3)
        except (OSError, subprocess.TimeoutExpired):
            proc.kill()
            proc.wait(timeout=5)

    def _last_stderr(self) -> str:
        lines = [line for line in self.stderr if line.strip()]
        return lines[-1].strip() if lines else "no output on stderr"

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        """Send one request; the answer, or {"crash": why} if the driver died or hung."""
        if self._proc is None or self._proc.poll() is not None:
            self._stop()
            self._start()
        assert self._proc is not None and self._proc.stdin is not None
        try:
            self._proc.stdin.write(json.dumps(request) + "\n")
            self._proc.stdin.flush()
        except OSError:
            self._stop()
            return {"crash": f"the driver exited before reading the request ({self._last_stderr()})"}
        while True:
            try:
                line = self._lines.get(timeout=self.timeout)
            except queue.Empty:
                self._proc.kill()
                self._stop()
                return {"crash": f"the driver gave no answer within {self.timeout:g} s"}
            if line is None:
                code = self._proc.wait()
                self._stop()
                return {"crash": f"the driver exited with code {code} ({self._last_stderr()})"}
            try:
                answer = json.loads(line)
            except ValueError:
                continue  # stray output of the SDK, not an answer
            if isinstance(answer, dict):
                return answer

    def hello(self) -> dict[str, Any]:
        answer = self.call({"op": "hello"})
        if "crash" in answer:
            raise DriverError(f"the SDK driver `{self.display}` did not start: {answer['crash']}")
        if "unsupported" in answer:
            return {}
        return answer

    def close(self) -> None:
        self._stop()

    def __enter__(self) -> Driver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def python_driver(
    site: Path, python: str, script: str = "faxplus_python.py", *args: str
) -> tuple[list[str], dict[str, str]]:
    """A bundled Python driver, run with `-S` so only the installed SDK directory is importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FAXPLUS_"))}
    env["PYTHONPATH"] = str(site)
    env["PYTHONIOENCODING"] = "utf-8"
    return [python, "-S", "-u", str(DRIVERS / script), *args], env
