"""Wire: one HTTP exchange under a hard deadline, with a bounded response body.

httpx's timeouts are per read, so a server that drips one byte a second never trips them. The Wire
therefore gives httpx's connection pool a network backend of its own (`_Bounded`): every connect,
write and read of a socket waits at most for what is left of the exchange's deadline, so connect,
send and the complete response share one deadline. Exchanges run on the calling thread (the
Sender's sending threads), each thread with a plain `httpx.Client` of its own: a third of the CPU
an event loop costs per request, which the run spends drawing and judging instead
(docs/benchmarks.md).

A keep-alive connection the server closed while it sat in the pool fails the next request before any
response byte. Browsers and curl retry such a request once on a fresh connection; so does the Wire,
so the failure lands on the request that caused it, not on the innocent one after it.

The other way a connection falls out of step: a server that answers before reading the body (a 401
decided from the headers) and keeps the connection open reads that body as the start of the next
request, which then gets an answer it did not earn; one that sends more than one answer has the
second read as the next request's. So a connection is not reused after an answer to a request with a
body that may have come before the body was read (not a 2xx, 400 or 422: `_maybe_unread`), nor after
an answer the server sent more bytes behind (`Answer.overrun`): the cost is a fresh connection, the
gain that every answer is judged against the request it belongs to.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpcore
import httpx

from ._errors import Cancelled, Overdue

# Failures of a reused connection before the server answered anything: the request never reached it.
STALE = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


@dataclass(frozen=True)
class _Outgoing:
    """One request as the Wire sends it (and sends again on a fresh connection)."""

    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None
    removed: tuple[str, ...]  # client defaults not to send
    chunked: bool
    reuse: bool = False  # keep the connection whatever the answer, as an ordinary keep-alive client does


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    request_headers: dict[str, str]  # as sent, names as sent
    too_large: bool = False  # the body was cut at the cap
    retried: bool = False  # a stale keep-alive connection was replaced once
    overrun: int = 0  # bytes the server sent past this answer (the connection was then closed)


@dataclass
class _Trace:
    """httpcore's `trace` extension: did this request open its own connection, and how far did it get?"""

    events: list[str] = field(default_factory=list)

    def __call__(self, name: str, info: Mapping[str, Any]) -> None:
        self.events.append(name)

    @property
    def reused(self) -> bool:
        return not any(e.startswith("connection.connect_tcp.") for e in self.events)

    @property
    def answered(self) -> bool:
        return "http11.receive_response_headers.complete" in self.events


class _Deadline(threading.local):
    """When the exchange running on this thread must be over (monotonic seconds); None: no exchange."""

    ends: float | None = None
    # The exchange's head waits for its body, to leave in one write (`_Stream.write`).
    coalesce: bool = False

    def left(self, timeout: float | None, error: type[Exception]) -> float | None:
        if self.ends is None:
            return timeout
        remaining = self.ends - time.monotonic()
        if remaining <= 0:
            raise error("the exchange's deadline passed")
        return remaining if timeout is None else min(timeout, remaining)


class _Stream(httpcore.NetworkStream):
    """A socket whose every wait is bounded by the deadline of the exchange using it."""

    def __init__(self, inner: httpcore.NetworkStream, wire: Wire) -> None:
        self._inner, self._wire = inner, wire
        self._head = b""  # a request's head held back for its body (`write`)
        self.retired = False  # out of step: httpcore's pool closes it instead of reusing it
        self.kept = False  # reused whatever waits on it (`Wire.exchange(reuse=True)`), as ordinary clients do
        wire._opened(self)

    def waiting(self) -> int:
        """Bytes already on the socket, unread (0 where that cannot be told without reading)."""
        sock = self._inner.get_extra_info("socket")
        if isinstance(sock, ssl.SSLSocket):
            return sock.pending()  # decrypted only: a record still encrypted may be a session ticket
        if not isinstance(sock, socket.socket):
            return 0
        timeout = sock.gettimeout()  # httpcore sets it again before every read
        try:
            sock.settimeout(0)  # with a timeout, Python would wait for data first, MSG_DONTWAIT or not
            return len(sock.recv(65536, socket.MSG_PEEK))
        except OSError:  # nothing waiting (EAGAIN), or the socket is already closed
            return 0
        finally:
            with contextlib.suppress(OSError):
                sock.settimeout(timeout)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._head:  # never wait for an answer to a request not yet sent
            self.write(b"", timeout)
        return self._inner.read(max_bytes, self._wire._deadline.left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        """httpcore writes a request's head, then its body. A Content-Length body's head waits and
        both leave in one write, as curl, Python's http.client and Node send a small request: one
        segment, one wake-up of the server, not two (a third less CPU per exchange on each side)."""
        if self._wire._deadline.coalesce and not self._head and buffer.endswith(b"\r\n\r\n"):
            self._head = buffer
            return
        buffer, self._head = self._head + buffer, b""
        if buffer:
            self._inner.write(buffer, self._wire._deadline.left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._wire._closed(self)
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        left = self._wire._deadline.left(timeout, httpcore.ConnectTimeout)
        self._wire._closed(self)  # the TLS stream below replaces this one
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, left), self._wire)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable" and self.retired:
            return True  # what httpcore's pool takes for a server's close: it drops the connection
        if info == "is_readable" and self.kept:
            return False  # bytes a server sent out of step are read as the next answer, as by any client
        return self._inner.get_extra_info(info)

    def abort(self) -> None:
        """From another thread: end whatever read or write waits on this socket now."""
        sock = self._inner.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed
                sock.shutdown(socket.SHUT_RDWR)


class _Bounded(httpcore.NetworkBackend):
    """httpcore's own backend, its connects and streams bounded by the exchange's deadline."""

    def __init__(self, inner: httpcore.NetworkBackend, wire: Wire) -> None:
        self._inner, self._wire = inner, wire

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        left = self._wire._deadline.left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, left, local_address, socket_options), self._wire)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        left = self._wire._deadline.left(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, left, socket_options), self._wire)

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class Wire:
    def __init__(self, max_response_bytes: int, client_options: Mapping[str, Any] | None = None) -> None:
        self.cap = max_response_bytes
        # TLS trust, client certificate and proxies: `_tls.client_options(target)`, the same for every client.
        self._options = dict(client_options or {})
        self._deadline = _Deadline()
        self._streams: set[_Stream] = set()
        self._lock = threading.Lock()
        # One client (one connection pool) per sending thread: httpcore's sync pool can close a
        # connection another thread was just handed (encode/httpcore#1110), which surfaced here as a
        # false transport fail ("[Errno 9] Bad file descriptor") on a conformant server.
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self.cancelled = False

    def _new_client(self) -> httpx.Client:
        # No httpx timeout: the deadline bounds every wait. No connection cap: `--concurrency` is the cap.
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=64)
        client = httpx.Client(timeout=httpx.Timeout(None), follow_redirects=False, limits=limits, **self._options)
        # Every pool the client may use (direct, or a proxy from the environment) connects through _Bounded.
        for pool in _pools(client):
            pool._network_backend = _Bounded(pool._network_backend, self)
        return client

    def _thread_client(self) -> httpx.Client:
        client: httpx.Client | None = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = self._new_client()
            with self._lock:
                self._clients.append(client)
        return client

    def _opened(self, stream: _Stream) -> None:
        with self._lock:
            self._streams.add(stream)
        if self.cancelled:
            stream.abort()

    def _closed(self, stream: _Stream) -> None:
        with self._lock:
            self._streams.discard(stream)

    def exchange(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str],
        content: bytes | None,
        *,
        deadline: float,
        removed: tuple[str, ...] = (),
        chunked: bool = False,
        reuse: bool = False,
    ) -> Answer:
        """One request and its complete answer, or Overdue / Cancelled / an httpx.TransportError.

        `reuse`: the connection stays in the pool after any answer, as an ordinary keep-alive client
        keeps it: the next request on this thread shows what an answer out of step does to it
        (`Sender.submit_in_order`, and replaying a finding that came after another request)."""
        if self.cancelled:
            raise Cancelled
        outgoing = _Outgoing(method, url, dict(headers), content, removed, chunked, reuse)
        self._deadline.ends = time.monotonic() + deadline
        try:
            return self._with_one_retry(outgoing)
        except httpx.TimeoutException:
            if self.cancelled:
                raise Cancelled from None
            raise Overdue(deadline) from None  # httpx itself has no timeout: the deadline passed
        except httpx.TransportError:
            if self.cancelled:
                raise Cancelled from None
            raise
        except ssl.SSLError as error:
            # A TLS alert after the handshake is a transport failure like any other.
            raise httpx.ReadError(f"TLS: {error.reason or error}") from error
        finally:
            self._deadline.ends = None

    def cancel(self) -> None:
        """End every exchange in flight now, and refuse new ones (thread- and signal-safe)."""
        self.cancelled = True
        with self._lock:
            streams = list(self._streams)
        for stream in streams:
            stream.abort()

    def close(self) -> None:
        self.cancel()
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    def _with_one_retry(self, outgoing: _Outgoing) -> Answer:
        trace = _Trace()
        try:
            return self._once(self._thread_client(), outgoing, trace)
        except STALE:
            if not trace.reused or trace.answered or self.cancelled:
                raise  # a fresh connection broke, or the server began answering: this request's failure
        # Again on a connection of its own: if this one fails too, the failure is this request's.
        with self._new_client() as fresh:
            answer = self._once(fresh, outgoing, _Trace())
        answer.retried = True
        return answer

    def _once(self, client: httpx.Client, out: _Outgoing, trace: _Trace) -> Answer:
        body: Any = _chunks(out.content) if out.chunked and out.content is not None else out.content
        extensions = {"trace": trace}
        request = client.build_request(out.method, out.url, headers=out.headers, content=body, extensions=extensions)
        for name in out.removed:
            request.headers.pop(name, None)
        sent = {k.decode("latin-1"): v.decode("latin-1") for k, v in request.headers.raw}
        # One write for head and body, unless the body is chunked (each chunk is its own write, as
        # streaming clients send it) or the head asks to be answered first (Expect: 100-continue).
        self._deadline.coalesce = bool(out.content) and not out.chunked and "expect" not in request.headers
        try:
            response = client.send(request, stream=True)
        finally:
            self._deadline.coalesce = False
        try:
            answer = self._read(response, sent)
        finally:
            response.close()
        stream = response.extensions.get("network_stream")
        if isinstance(stream, _Stream):
            answer.overrun = _held(client, stream) + stream.waiting()
            with_body = out.chunked or bool(out.content)
            stream.kept = out.reuse
            if not out.reuse and (answer.overrun or (with_body and _maybe_unread(answer.status))):
                stream.retired = True
        return answer

    def _read(self, response: httpx.Response, sent: dict[str, str]) -> Answer:
        answer = Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, b"", sent)
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.cap:
            answer.too_large = True  # no need to wait for 100 MB we would cut anyway
            return answer
        received = bytearray()
        for chunk in response.iter_bytes():
            received += chunk
            if len(received) > self.cap:
                answer.too_large = True
                del received[self.cap :]
                break
        answer.body = bytes(received)
        return answer


def _maybe_unread(status: int) -> bool:
    """An answer a server may give before it read the body: not a success, and not the 400 or 422
    that judging a body's content needs it read for. Retiring only those keeps the keep-alive
    connection for the invalid Webhooks, most of a run, and for every 2xx."""
    return not 200 <= status < 300 and status not in (400, 422)


def _pools(client: httpx.Client) -> Iterator[httpcore.ConnectionPool]:
    for transport in (client._transport, *client._mounts.values()):
        pool = getattr(transport, "_pool", None)
        if pool is not None:
            yield pool


def _held(client: httpx.Client, stream: _Stream) -> int:
    """Bytes httpcore read from `stream` past the answer and holds for the next one (its h11 buffer)."""
    for pool in _pools(client):
        for connection in pool.connections:
            http11 = getattr(connection, "_connection", None)
            if getattr(http11, "_network_stream", None) is stream:
                state = getattr(http11, "_h11_state", None)
                return len(state.trailing_data[0]) if state is not None else 0
    return 0


def _chunks(content: bytes) -> Iterator[bytes]:
    yield content
