"""The Courier's own process: `python -m conformance.send._courier_child`.

Reads the Target (its token included) from stdin, then requests; answers each on stdout (the
protocol is in `_courier`). Signals are the run's to relay: the terminal's Ctrl-C must not end
this process while the run lets its last requests finish. It ends when stdin closes.
"""

from __future__ import annotations

import functools
import os
import pickle
import signal
import sys
import threading
from concurrent.futures import Future
from typing import IO, Any

from conformance.target import Target

from ._errors import NotSent
from ._exchange import Exchange
from ._sender import Sender


def serve(source: IO[bytes], sink: IO[bytes]) -> None:
    target: Target = pickle.load(source)
    sender = Sender(target)
    lock = threading.Lock()
    requests: dict[int, Future[Exchange]] = {}

    def reply(ident: int, future: Future[Exchange]) -> None:
        requests.pop(ident, None)
        counts = (sender.sent, sender.throttled, sender.waited)
        if future.cancelled():
            message: tuple[Any, ...] = ("error", ident, NotSent(), counts)
        elif (error := future.exception()) is not None:
            message = ("error", ident, _portable(error), counts)
        else:
            message = ("done", ident, future.result(), counts)
        with lock:
            try:
                pickle.dump(message, sink, protocol=pickle.HIGHEST_PROTOCOL)
                sink.flush()
            except OSError:
                pass  # the run is gone: nobody waits for this answer

    try:
        while True:
            try:
                message = pickle.load(source)
            except (EOFError, OSError):
                break  # the run is over, or gone
            if message[0] == "send":
                ident, method, url, headers, content, chunked, ahead = message[1:]
                sent = requests[ident] = sender.submit(method, url, headers, content, chunked=chunked, ahead=ahead)
                sent.add_done_callback(functools.partial(reply, ident))
            elif message[0] == "drop" and (dropped := requests.get(message[1])) is not None:
                dropped.cancel()  # its callback answers NotSent; on the wire already, its answer comes
            elif message[0] == "stop":
                sender.stop()
            elif message[0] == "cancel":
                sender.cancel()
    finally:
        sender.stop()
        sender.cancel()
        sender.close()


def _portable(error: BaseException) -> BaseException:
    """`error` as it pickles and unpickles (an exception with unusual arguments may not)."""
    try:
        pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - anything that does not survive the pipe
        return RuntimeError(f"{type(error).__name__}: {error}")
    return error


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    serve(sys.stdin.buffer, sys.stdout.buffer)
    os._exit(0)  # every answer is written; the interpreter's teardown would only make the run wait
