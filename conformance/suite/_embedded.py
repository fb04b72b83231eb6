"""The embedded mock: the reference mock in a process of its own, started for a run without `--base-url`.

Its own process, because the run is CPU-bound where the mock would share its GIL (1.9 s -> 1.6 s for
the ci tier, docs/benchmarks.md), and because it starts on the other core while the run imports.
It listens on 127.0.0.1 on a free port, with a fresh random token, and ends when the run closes its
stdin, or when the run dies (the pipe closes with it).
"""

from __future__ import annotations

import os
import queue
import secrets
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import conformance
from conformance.target import UsageError

START_TIMEOUT = 30.0  # seconds for the mock to listen; a loaded CI machine takes well under 1


class MockUnavailable(UsageError):
    """The embedded mock did not start: one line, exit 2, like any infrastructure error."""


class EmbeddedMock:
    def __init__(self, spec: Path | None = None) -> None:
        self.token = secrets.token_urlsafe(24)
        root = str(Path(conformance.__file__).resolve().parents[1])  # importable from any cwd
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))}
        self._errors = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "conformance.mock._child", *([str(spec)] if spec else [])],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._errors,
            env=env,
            start_new_session=True,  # the terminal's Ctrl-C is the run's, not the mock's
        )
        assert self._proc.stdin is not None
        self._proc.stdin.write(self.token.encode() + b"\n")
        self._proc.stdin.flush()
        self._url: str | None = None

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def url(self) -> str:
        """Its base URL, once it listens (waits for that, at most START_TIMEOUT)."""
        if self._url is None:
            assert self._proc.stdout is not None
            lines: queue.Queue[bytes] = queue.Queue()
            # A thread, not select(): select() does not take pipes on Windows.
            threading.Thread(target=lambda: lines.put(self._proc.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
            try:
                line = lines.get(timeout=START_TIMEOUT).decode().strip()
            except queue.Empty:
                line = ""
            if not line.startswith("http://"):
                self._proc.kill()  # if it hangs rather than failed
                self._proc.wait()
                self._errors.seek(0)
                why = self._errors.read().decode(errors="replace").strip().splitlines()
                self.stop()
                raise MockUnavailable(
                    f"the embedded mock did not start ({why[-1] if why else 'no answer'}): "
                    "check the Python environment, or pass --base-url"
                )
            self._url = line
        return self._url

    def stop(self) -> None:
        if self._proc.stdin is not None and not self._proc.stdin.closed:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        if self._proc.stdout is not None:
            self._proc.stdout.close()
        self._errors.close()
