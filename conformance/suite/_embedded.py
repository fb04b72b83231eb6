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
import threading

from conformance._child import Child
from conformance.target import UsageError

START_TIMEOUT = 30.0  # seconds for the mock to listen; a loaded CI machine takes well under 1


class MockUnavailable(UsageError):
    """The embedded mock did not start: one line, exit 2, like any infrastructure error."""


class EmbeddedMock:
    def __init__(self, spec: str | os.PathLike[str] | None = None) -> None:
        """`spec`: the contract's file, given to the mock's process on its command line (None: the vendored one)."""
        self.token = secrets.token_urlsafe(24)
        self._child = Child("conformance.mock._mock_child", *([str(spec)] if spec else []))
        self._child.stdin.write(self.token.encode() + b"\n")
        self._child.stdin.flush()
        self._url: str | None = None

    @property
    def pid(self) -> int:
        return self._child.pid

    @property
    def url(self) -> str:
        """Its base URL, once it listens (waits for that, at most START_TIMEOUT)."""
        if self._url is None:
            lines: queue.Queue[bytes] = queue.Queue()
            # A thread, not select(): select() does not take pipes on Windows.
            threading.Thread(target=lambda: lines.put(self._child.stdout.readline()), daemon=True).start()
            try:
                line = lines.get(timeout=START_TIMEOUT).decode().strip()
            except queue.Empty:
                line = ""
            if not line.startswith("http://"):
                why = self._child.why(within=0)  # "no answer" if it hangs rather than failed
                self._child.kill()
                self.stop()
                raise MockUnavailable(
                    f"the embedded mock did not start ({why}): check the Python environment, or pass --base-url"
                )
            self._url = line
        return self._url

    def stop(self) -> None:
        self._child.end()
