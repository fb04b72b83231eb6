"""The embedded mock's own process: `python -m conformance.mock._mock_child [SPEC]`.

Reads its token from the first line of stdin (never from argv, which `ps` shows), serves the
reference mock of the contract in SPEC (default: the vendored one) on a free port of 127.0.0.1,
prints its base URL, and stops when stdin closes: when the run ends, or dies. Signals are the
run's to handle: a Ctrl-C in the terminal must not take the mock away while the run lets its last
requests finish.
"""

from __future__ import annotations

import os
import signal
import sys

from conformance.contract import for_spec
from conformance.mock import MockServer


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    contract = for_spec(argv[0] if argv else None)  # a bad file ends here, as one line on stderr
    token = sys.stdin.readline().strip()
    server = MockServer(token=token, contract=contract).start()
    print(server.url, flush=True)
    try:
        sys.stdin.read()  # until the run closes the pipe
    finally:
        # The run is over, or gone: nothing to end gracefully, and a graceful stop (serve_forever's
        # poll) would add ~50 ms to the end of every run, which waits for this process.
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])
