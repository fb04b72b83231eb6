"""The reference mock: a real HTTP/1.1 server on loopback that serves the contract faithfully.

`POST /hooks` follows the contract; `GET /hooks` and `DELETE /hooks/{hook_id}` are served as in
the public Fax.Plus API so that a run can list and remove what it registered. Paths are accepted
with or without the `/v3` prefix of the contract's servers.
"""

from __future__ import annotations

import collections
import itertools
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from conformance.contract import Contract, vendored

from ._behaviour import Context, Pipeline, Store, check_auth, webhook_validator
from ._change import Change
from ._codings import COMPRESS, choose
from ._fault import Fault
from ._framing import FAITHFUL, Framing
from ._reply import Reply, Request, error_reply, json_reply
from ._variant import Variant

DEFAULT_TOKEN = "mock-token"  # documented: the mock's credential when none is given
PREFIX = "/v3"
HANG_LIMIT = 60.0  # a hanging request is dropped after this long, or when the server stops
MAX_LINE = 65537  # longest chunk-size or trailer line read, as the stdlib limits header lines


class BadFraming(ValueError):
    """A request body whose chunked framing cannot be read."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real clients expect
    # Without this, Nagle + delayed ACK hold each small response for ~40 ms (≈23 requests/s).
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        pass  # silent: request lines are recorded, and headers (tokens) are never logged

    def handle_expect_100(self) -> bool:
        # The stdlib answers `100 Continue` before the handler runs; a server may instead read the
        # body at once (clients such as httpx send it without waiting) and answer finally.
        if self.server.mock.wire.interim_continue:
            return super().handle_expect_100()
        return True

    def _body(self) -> bytes | None:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._chunked_body()
        length = self.headers.get("Content-Length")
        if length is None:
            return None
        try:
            size = int(length)
        except ValueError:
            raise BadFraming(f"Content-Length {length!r} is not a number") from None
        return self.rfile.read(size) if size > 0 else b""

    def _chunked_body(self) -> bytes:
        """RFC 9112 §7.1: hex-sized chunks (extensions ignored), a zero chunk, optional trailers."""
        chunks = []
        while True:
            line = self.rfile.readline(MAX_LINE)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise BadFraming("a chunk size is not hexadecimal") from None
            if size == 0:
                break
            chunks.append(self.rfile.read(size))
            if self.rfile.readline(MAX_LINE) not in (b"\r\n", b"\n"):
                raise BadFraming("a chunk is not followed by CRLF")
        while self.rfile.readline(MAX_LINE) not in (b"\r\n", b"\n", b""):
            pass  # trailer fields: nothing here needs them
        return b"".join(chunks)

    def _request(self, body: bytes | None) -> Request:
        headers: dict[str, str] = {}
        repeated = set()
        for name, value in self.headers.items():
            if name.lower() in headers:
                repeated.add(name.lower())
            headers.setdefault(name.lower(), value)
        return Request(self.command, self.path, headers, body, frozenset(repeated))

    def _answer(self, reply: Reply) -> None:
        if reply.drop:
            self.close_connection = True
            return
        delay = reply.delay + self.server.mock.latency
        if delay:
            if not self.server.stopping.wait(min(delay, HANG_LIMIT)) and delay == float("inf"):
                self.close_connection = True
                return
            if self.server.stopping.is_set():
                self.close_connection = True
                return
        wire = self.server.mock.wire
        body = reply.body
        if wire.early_hints:
            self.send_response_only(103, "Early Hints")
            self.send_header("Link", "</hooks>; rel=preconnect")
            self.end_headers()
        if wire.http10:
            self.protocol_version = "HTTP/1.0"  # this connection's last answer: it closes below
        self.send_response(reply.status)
        if reply.content_type:
            self.send_header("Content-Type", reply.content_type)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        coding = choose(self.headers.get("Accept-Encoding"), wire.offered) if body else None
        if coding is not None:
            body = COMPRESS[coding](body)
            self.send_header("Content-Encoding", coding)
            self.send_header("Vary", "Accept-Encoding")
        chunked = wire.chunked and not wire.http10  # HTTP/1.0 has no chunked coding
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not wire.http10:
            self.send_header("Content-Length", str(len(body)))
        if wire.close or wire.http10 or (self.headers.get("Connection") or "").lower() == "close":
            self.send_header("Connection", "close")  # also sets close_connection
        self.end_headers()
        if self.command != "HEAD":  # HEAD: the headers of the answer, never a body
            self.wfile.write(_chunked(body) if chunked else body)
        if wire.drop_idle:
            self.close_connection = True  # silently: the client finds out when it reuses the connection

    def _handle(self) -> None:
        mock = self.server.mock
        if mock.wire.refuse_unread:
            refusal = mock.refusal(self._request(None))
            if refusal is not None:
                self._answer(refusal)  # the body stays on the socket, to be read as the next request
                return
        try:
            body = self._body()
        except BadFraming as error:
            self.close_connection = True  # the rest of the stream cannot be trusted
            self._answer(error_reply(400, "invalid_body", str(error)))
            return
        request = self._request(body)
        self.server.mock.record(request)
        try:
            reply = self.server.mock.respond(request)
        except Exception:  # noqa: BLE001 - what any framework does with a handler's bug: a 500, not a dead socket
            reply = error_reply(500, "internal_server_error", "An unexpected error happened, please contact support")
        self._answer(reply)

    def __getattr__(self, name: str) -> Any:
        # Every method (QUERY, TRACE, PROPFIND, ...) is routed, so an unknown one gets a JSON 405
        # with `Allow` instead of the stdlib's HTML 501.
        if name.startswith("do_"):
            return self._handle
        raise AttributeError(name)


def _chunked(body: bytes) -> bytes:
    return (f"{len(body):x}\r\n".encode() + body + b"\r\n" if body else b"") + b"0\r\n\r\n"


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: a client opening 8 connections at once would see some SYNs
    # dropped and retried a second later, slower than a short --timeout. Servers listen with 128+.
    request_queue_size = 128
    mock: MockServer
    stopping: threading.Event

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that refuses our certificate (or sends none when one is demanded) is not the
        # mock's bug: no traceback on stderr for a failed handshake.
        if not isinstance(sys.exc_info()[1], (ssl.SSLError, ConnectionError)):
            super().handle_error(request, client_address)


class MockServer:
    """The reference mock, optionally with one Fault or one Variant.

    >>> with MockServer() as mock:  # doctest: +SKIP
    ...     httpx.post(f"{mock.url}/hooks", json={...}, headers={"Authorization": "Bearer mock-token"})
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        token: str = DEFAULT_TOKEN,
        fault: Fault | None = None,
        variant: Variant | None = None,
        tls: ssl.SSLContext | None = None,
        latency: float = 0.0,
        contract: Contract | None = None,
    ) -> None:
        """`tls`: a server-side SSLContext to serve HTTPS (tests of --ca-bundle and mutual TLS);
        `latency`: seconds added to every answer, to stand in for a server across a network;
        `contract`: the contract it serves (`--spec`), the vendored one by default."""
        if fault and variant:
            raise ValueError("a mock serves one change: a fault or a variant, not both")
        self.token = token
        self.contract = contract or vendored()
        self.latency = latency
        self.fault = fault
        self.variant = variant
        change: Change | None = fault or variant
        self.change = change
        self.wire: Framing = change.wire if change else FAITHFUL
        self.store = Store()
        self.requests: collections.deque[Request] = collections.deque(maxlen=10_000)
        self._serial = itertools.count(1)  # next() is atomic under the GIL: no lock on the hot path
        self._pipeline = Pipeline(stages={**Pipeline().stages, **(change.stages if change else {})})
        self._validator = webhook_validator(self.contract, change.schema if change else None)
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.mock = self
        self._httpd.stopping = threading.Event()
        self.tls = tls
        if tls is not None:
            # The handshake runs on the handler's thread at the first read, not in accept(): a client
            # that stalls or fails it never blocks the accepting loop.
            self._httpd.socket = tls.wrap_socket(self._httpd.socket, server_side=True, do_handshake_on_connect=False)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The base URL: the prefix before `/hooks`, as for the real API."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{PREFIX}"

    def record(self, request: Request) -> None:
        self.requests.append(request)

    def refusal(self, request: Request) -> Reply | None:
        """What the auth stage answers from the headers alone (None: it lets the request through)."""
        ctx = self._context(serial=0)
        return self._pipeline.stages["auth"](request, ctx)

    def _context(self, serial: int) -> Context:
        return Context(self.token, self.store, self.contract, self._validator, serial=serial)

    def respond(self, request: Request) -> Reply:
        path = request.path.split("?", 1)[0]
        if path.startswith(PREFIX + "/"):
            path = path[len(PREFIX) :]
        ctx = self._context(serial=next(self._serial))
        if path == "/hooks" and request.method == "POST":
            reply = self._pipeline.run(request, ctx)
            return self.change.reply(request, ctx, reply) if self.change and self.change.reply else reply
        if path == "/hooks" and request.method == "GET":
            return check_auth(request, ctx) or json_reply(200, {"data": self.store.all()})
        if path.startswith("/hooks/") and request.method == "DELETE":
            denied = check_auth(request, ctx)
            if denied:
                return denied
            if self.store.remove(path[len("/hooks/") :]):
                return json_reply(200, {})
            return error_reply(404, "webhook_not_found", "No webhook with this id")
        if path == "/hooks" or path.startswith("/hooks/"):
            allow = "GET, POST" if path == "/hooks" else "DELETE"
            reply = error_reply(405, "method_not_allowed", f"{request.method} is not allowed here")
            return reply.with_(headers={"Allow": allow})
        return error_reply(404, "not_found", "No such endpoint")

    def start(self) -> MockServer:
        # A short poll interval: stop() returns in ~50 ms instead of serve_forever's default 0.5 s.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="faxplus-mock", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.stopping.set()
        if self._thread is not None:  # shutdown() would wait forever for a loop that never ran
            self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def serve_forever(self) -> None:
        """Serve in the foreground until interrupted (the `mock` command)."""
        try:
            self._httpd.serve_forever()
        finally:
            self._httpd.stopping.set()
            self._httpd.server_close()
            time.sleep(0)
