"""A process group that dies with the process that started it, however that one ends.

`python _guard.py COMMAND...` runs COMMAND in the guard's own process group (the caller starts the
guard as a session of its own) and exits with COMMAND's code. Its stdin is a pipe whose write end
only the caller holds and never writes to: when the caller is gone (an exit, a SIGTERM it did not
handle, a SIGKILL, a crash) the kernel closes that end, the guard reads EOF, and it kills its whole
group, COMMAND's own children included. A signal handler cannot do this for a SIGKILL; a parent-death
signal (Linux's PR_SET_PDEATHSIG) reaches only the direct child, and needs `preexec_fn`, which is not
safe in a process with threads.

Run by file path, not as `-m conformance...`: it imports nothing but the standard library, so it
starts in milliseconds and never loads the suite.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading


def main(command: list[str]) -> int:
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL)

    def watch() -> None:
        try:
            while os.read(0, 4096):  # the caller writes nothing: only EOF ever comes
                pass
        except OSError:
            pass
        if child.poll() is None:
            os.killpg(0, signal.SIGKILL)  # the caller is gone mid-install: the whole group, the guard too

    threading.Thread(target=watch, daemon=True).start()
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
