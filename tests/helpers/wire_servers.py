"""Tiny raw-socket HTTP/1.1 servers that misbehave on purpose, for the Sender's transport tests.

Each listens on 127.0.0.1 on a free port, records every request it read (headers as they arrived,
body de-chunked), and is stopped by the `with` block of the test that started it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Received:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    chunked: bool = False

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


# A behaviour answers one request on `sock`; it returns False to close the connection afterwards.
Behaviour = Callable[[Received, socket.socket], bool]

OK_BODY = b'{"id":"h1"}'


def answer(sock: socket.socket, status: int = 200, body: bytes = OK_BODY, extra: str = "") -> None:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    sock.sendall(head.encode() + body)


def _read_until(sock: socket.socket, buffer: bytearray, marker: bytes) -> bytes | None:
    while marker not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    index = buffer.index(marker) + len(marker)
    head = bytes(buffer[:index])
    del buffer[:index]
    return head


def _read_exactly(sock: socket.socket, buffer: bytearray, size: int) -> bytes | None:
    while len(buffer) < size:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    data = bytes(buffer[:size])
    del buffer[:size]
    return data


def read_request(sock: socket.socket, buffer: bytearray) -> Received | None:
    head = _read_until(sock, buffer, b"\r\n\r\n")
    if head is None:
        return None
    lines = head.decode("latin-1").split("\r\n")
    method, target, _ = lines[0].split(" ", 2)
    headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
    request = Received(method, target, headers, b"")  # type: ignore[arg-type]
    if (request.header("transfer-encoding") or "").lower() == "chunked":
        request.chunked = True
        body = bytearray()
        while True:
            size_line = _read_until(sock, buffer, b"\r\n")
            if size_line is None:
                return None
            size = int(size_line.split(b";")[0].strip(), 16)
            data = _read_exactly(sock, buffer, size + 2)
            if data is None:
                return None
            if size == 0:
                break
            body += data[:-2]
        request.body = bytes(body)
    else:
        data = _read_exactly(sock, buffer, int(request.header("content-length") or 0))
        if data is None:
            return None
        request.body = data
    return request


@dataclass
class WireServer:
    behaviour: Behaviour
    requests: list[Received] = field(default_factory=list)
    connections: int = 0

    def __enter__(self) -> WireServer:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._listener.settimeout(0.05)  # so the accept loop notices the stop
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._socks: list[socket.socket] = []
        accept = threading.Thread(target=self._accept, daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            sock.settimeout(None)
            self.connections += 1
            self._socks.append(sock)
            worker = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            worker.start()
            self._threads.append(worker)

    def _serve(self, sock: socket.socket) -> None:
        buffer = bytearray()
        try:
            while not self._stop.is_set():
                request = read_request(sock, buffer)
                if request is None:
                    return
                self.requests.append(request)
                if not self.behaviour(request, sock):
                    return
        except OSError:
            return
        finally:
            sock.close()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._threads[0].join(timeout=5)
        self._listener.close()
        for sock in self._socks:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)


# --- behaviours ---------------------------------------------------------------------------------


def keep_alive(request: Received, sock: socket.socket) -> bool:
    answer(sock)
    return True


def close_after_answer(request: Received, sock: socket.socket) -> bool:
    """Answers, then silently drops the keep-alive connection (no `Connection: close`)."""
    answer(sock)
    time.sleep(0.05)  # the client has pooled the connection by now: its next request finds it dead
    return False


def crash_on(marker: bytes) -> Behaviour:
    """Closes the connection without answering a request whose body holds `marker`."""

    def behaviour(request: Received, sock: socket.socket) -> bool:
        if marker in request.body:
            return False
        answer(sock)
        return True

    return behaviour


def drip(interval: float = 1.0) -> Behaviour:
    """Sends its answer one byte per `interval`: a per-read timeout never trips."""

    def behaviour(request: Received, sock: socket.socket) -> bool:
        body = OK_BODY * 50
        data = f"HTTP/1.1 200 OK\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
        for index in range(len(data)):
            sock.sendall(data[index : index + 1])
            time.sleep(interval)
        return True

    return behaviour


def endless_body(request: Received, sock: socket.socket) -> bool:
    """A chunked answer that never ends."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"x" * 65536
    while True:
        sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))


def huge_length(request: Received, sock: socket.socket) -> bool:
    """Announces 100 MB, sends a few bytes, then holds the connection open."""
    sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{")
    hold(sock, 30)
    return False


def hold(sock: socket.socket, seconds: float) -> None:
    """Keep the connection open and silent until the client (or the test's end) closes it."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass
