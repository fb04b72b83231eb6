"""Wire: one HTTP exchange under a hard deadline, with a bounded response body.

httpx's timeouts are per read, so a server that drips one byte a second never trips them. Every
exchange therefore runs on an `httpx.AsyncClient` on one event-loop thread owned by the Wire, inside
`asyncio.timeout(deadline)`: connect, send and the complete response share one deadline.

A keep-alive connection the server closed while it sat in the pool fails the next request before any
response byte. Browsers and curl retry such a request once on a fresh connection; so does the Wire,
so the failure lands on the request that caused it, not on the innocent one after it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ssl
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

# Failures of a reused connection before the server answered anything: the request never reached it.
STALE = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class Overdue(Exception):
    """The answer was not complete within the deadline."""

    def __init__(self, deadline: float) -> None:
        super().__init__(f"answer not complete after {deadline} s")


class Cancelled(Exception):
    """The run was cancelled (a second signal): the exchange was abandoned."""

    def __init__(self) -> None:
        super().__init__("run cancelled before the answer was complete")


@dataclass(frozen=True)
class _Outgoing:
    """One request as the Wire sends it (and sends again on a fresh connection)."""

    method: str
    url: str
    headers: dict[str, str]
    content: bytes | None
    removed: tuple[str, ...]  # client defaults not to send
    chunked: bool


@dataclass
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    request_headers: dict[str, str]  # as sent, names as sent
    too_large: bool = False  # the body was cut at the cap
    retried: bool = False  # a stale keep-alive connection was replaced once


@dataclass
class _Trace:
    """httpcore's `trace` extension: did this request open its own connection, and how far did it get?"""

    events: list[str] = field(default_factory=list)

    async def __call__(self, name: str, info: Mapping[str, Any]) -> None:
        self.events.append(name)

    @property
    def reused(self) -> bool:
        return not any(e.startswith("connection.connect_tcp.") for e in self.events)

    @property
    def answered(self) -> bool:
        return "http11.receive_response_headers.complete" in self.events


class Wire:
    def __init__(self, max_response_bytes: int, client_options: Mapping[str, Any] | None = None) -> None:
        self.cap = max_response_bytes
        # TLS trust, client certificate and proxies: `_tls.client_options(target)`, the same for every client.
        self._options = dict(client_options or {})
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="faxplus-wire", daemon=True)
        self._thread.start()
        self._client = self._call(self._new_client())
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self.cancelled = False

    async def _new_client(self) -> httpx.AsyncClient:
        # The per-read timeout is only a backstop: the deadline below bounds the whole exchange.
        return httpx.AsyncClient(timeout=httpx.Timeout(None), follow_redirects=False, **self._options)

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

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
    ) -> Answer:
        """One request and its complete answer, or Overdue / Cancelled / an httpx.TransportError."""
        if self.cancelled:
            raise Cancelled
        outgoing = _Outgoing(method, url, dict(headers), content, removed, chunked)
        future = asyncio.run_coroutine_threadsafe(self._bounded(outgoing, deadline), self._loop)
        self._pending.add(future)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise Cancelled from None
        except BaseException:
            future.cancel()  # a KeyboardInterrupt while waiting: abandon the exchange
            raise
        finally:
            self._pending.discard(future)

    def cancel(self) -> None:
        """End every exchange in flight now, and refuse new ones (thread- and signal-safe)."""
        self.cancelled = True
        for future in list(self._pending):
            future.cancel()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self.cancel()
        try:
            self._call(self._client.aclose())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()

    async def _bounded(self, outgoing: _Outgoing, deadline: float) -> Answer:
        try:
            async with asyncio.timeout(deadline):
                return await self._with_one_retry(outgoing)
        except TimeoutError:
            raise Overdue(deadline) from None
        except ssl.SSLError as error:
            # anyio lets a TLS alert after the handshake through unwrapped: a transport failure like any other.
            raise httpx.ReadError(f"TLS: {error.reason or error}") from error

    async def _with_one_retry(self, outgoing: _Outgoing) -> Answer:
        trace = _Trace()
        try:
            return await self._once(self._client, outgoing, trace)
        except STALE:
            if not trace.reused or trace.answered:
                raise  # a fresh connection broke, or the server began answering: this request's failure
        # Again on a connection of its own: if this one fails too, the failure is this request's.
        async with await self._new_client() as fresh:
            answer = await self._once(fresh, outgoing, _Trace())
        answer.retried = True
        return answer

    async def _once(self, client: httpx.AsyncClient, out: _Outgoing, trace: _Trace) -> Answer:
        body: Any = _chunks(out.content) if out.chunked and out.content is not None else out.content
        extensions = {"trace": trace}
        request = client.build_request(out.method, out.url, headers=out.headers, content=body, extensions=extensions)
        for name in out.removed:
            request.headers.pop(name, None)
        sent = {k.decode("latin-1"): v.decode("latin-1") for k, v in request.headers.raw}
        response = await client.send(request, stream=True)
        try:
            answer = Answer(response.status_code, {k.lower(): v for k, v in response.headers.items()}, b"", sent)
            declared = response.headers.get("content-length", "")
            if declared.isdigit() and int(declared) > self.cap:
                answer.too_large = True  # no need to wait for 100 MB we would cut anyway
                return answer
            received = bytearray()
            async for chunk in response.aiter_bytes():
                received += chunk
                if len(received) > self.cap:
                    answer.too_large = True
                    del received[self.cap :]
                    break
            answer.body = bytes(received)
            return answer
        finally:
            await response.aclose()


async def _chunks(content: bytes) -> Any:
    yield content
