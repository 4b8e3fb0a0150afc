"""httpx on asyncio's own sockets: an httpx transport that speaks HTTP/1.1 with h11 over asyncio protocols.

httpx's default transport is httpcore, which runs every socket operation under asyncio through anyio (a
cancel scope with its own timer, an exception-mapping context manager, a checkpoint on every send, a
pause/resume of reading around every receive; encode/httpcore#930 measured the same) and, in 1.0.9, keeps
connections in a pool that rescans every connection and waiting request twice per request and hands one
idle connection to several waiting requests, which then retry (encode/httpcore#1035; fixed in the httpx2
fork by pydantic/httpx2#1075 and #1169). For a feed poll, hundreds of small exchanges, that machinery cost
more CPU than the HTTP itself: a round of 500 304s spent three quarters of its time there.

This transport keeps what a feed poll uses. h11 (httpcore's own HTTP/1.1 state machine) does the protocol:
framing, chunked bodies, keep-alive rules, header validation. `AsyncioStream` does the I/O: a read returns
buffered bytes at once or waits on one future with one timer, a write hands the bytes to the transport,
reading pauses while a slow consumer lets the buffer grow. `AsyncioTransport` keeps idle connections per
origin and checks each for expiry and a server-side close before reuse. Redirects, decoding (gzip) and the
Request/Response types stay httpx's; the caller (`feeds.fetch`) bounds the requests in flight.
"""

# ruff: noqa: ASYNC109 - `timeout` parameters are per-operation socket timeouts, as in httpx's transports

from __future__ import annotations

import asyncio
import select
import ssl
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

import h11

from feeds.fetch import import_httpx

import_httpx()  # httpx without its command-line client; the import below finds it loaded
import httpx  # noqa: E402

HIGH_WATER = 256 * 1024  # bytes buffered from the socket before reading pauses
LOW_WATER = 64 * 1024


class _Protocol(asyncio.Protocol):
    """Buffers what arrives; the stream takes it out. Reading pauses while the buffer is over HIGH_WATER."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.paused = False
        self.drain: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > HIGH_WATER and not self.paused and self.transport is not None:
            self.paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()
        drain = self.drain
        if drain is not None and not drain.done():
            drain.set_result(None)

    def pause_writing(self) -> None:
        if self.drain is None or self.drain.done():
            self.drain = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        drain = self.drain
        if drain is not None and not drain.done():
            drain.set_result(None)


def _expire(future: asyncio.Future[None], exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc)


async def _wait(future: asyncio.Future[None], timeout: float | None, exc: Exception) -> None:
    """Await `future`, failing with `exc` after `timeout` seconds (one timer, no task)."""
    if timeout is None:
        await future
        return
    handle = asyncio.get_running_loop().call_later(timeout, _expire, future, exc)
    try:
        await future
    finally:
        handle.cancel()


def _readable(sock: Any) -> bool:
    try:
        poller = select.poll()
        poller.register(sock.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (AttributeError, OSError, ValueError):  # no poll() (Windows): select() does the same
        try:
            return bool(select.select([sock], [], [], 0)[0])
        except (OSError, ValueError):
            return True  # a socket that cannot be asked is not one to reuse


class AsyncioStream:
    """One connection's bytes: reads and writes with timeouts, on an asyncio transport and `_Protocol`."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._protocol
        if not p.buffer and not p.eof:
            p.waiter = asyncio.get_running_loop().create_future()
            try:
                await _wait(p.waiter, timeout, httpx.ReadTimeout(f"no data within {timeout}s"))
            finally:
                p.waiter = None
        if not p.buffer:
            if p.error is not None:
                raise httpx.ReadError(str(p.error) or type(p.error).__name__) from p.error
            return b""  # the peer closed the connection
        if len(p.buffer) <= max_bytes:
            data = bytes(p.buffer)
            p.buffer.clear()
        else:
            data = bytes(p.buffer[:max_bytes])
            del p.buffer[:max_bytes]
        if p.paused and len(p.buffer) < LOW_WATER and not self._transport.is_closing():
            p.paused = False
            self._transport.resume_reading()
        return data

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._transport.is_closing():
            raise httpx.WriteError("the connection is closed")
        self._transport.write(buffer)
        drain = self._protocol.drain
        if drain is not None and not drain.done():
            await _wait(drain, timeout, httpx.WriteTimeout(f"could not send within {timeout}s"))

    def close(self) -> None:
        """Close at once: the loop closes the socket (nothing is waited for, so a cancelled task can call it)."""
        self._transport.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> AsyncioStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(self._transport, self._protocol, ssl_context,
                                                 server_hostname=server_hostname)
        except TimeoutError:
            self._transport.close()
            raise httpx.ConnectTimeout(f"TLS handshake not done within {timeout}s") from None
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            self._transport.close()
            raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
        if transport is None:
            raise httpx.ConnectError("the connection closed during the TLS handshake")
        return AsyncioStream(transport, self._protocol)  # type: ignore[arg-type]

    def server_closed(self) -> bool:
        """True when an idle connection has bytes or an end waiting: the server closed it (or spoke out of
        turn), so it must not carry another request. What the loop has not read yet is asked of the socket
        itself (one poll), as anyio does."""
        if self._protocol.buffer or self._protocol.eof or self._transport.is_closing():
            return True
        sock = self._transport.get_extra_info("socket")
        return sock is None or _readable(sock)


async def connect(host: str, port: int, timeout: float | None = None) -> AsyncioStream:
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            transport, protocol = await loop.create_connection(_Protocol, host, port, happy_eyeballs_delay=0.25)
    except TimeoutError:
        raise httpx.ConnectTimeout(f"no connection to {host}:{port} within {timeout}s") from None
    except OSError as exc:  # socket.gaierror (DNS) included; the cause is kept for the error message
        raise httpx.ConnectError(str(exc) or type(exc).__name__) from exc
    return AsyncioStream(transport, protocol)  # type: ignore[arg-type]


class PeerRefused(httpx.ConnectError):
    """The address a connection reached is not one this request may talk to (see `allow_peer`)."""

    @classmethod
    def at(cls, host: str, address: str) -> PeerRefused:
        return cls(f"{host} is at {address or 'an unknown address'}, which a link from a public feed may not reach")


READ_SIZE = 64 * 1024
MAX_HEAD = 100 * 1024  # bytes of status line and headers, as httpcore allows


class _Connection:
    """One HTTP/1.1 connection: h11's state machine over an `AsyncioStream`, one exchange at a time."""

    def __init__(self, stream: AsyncioStream, keepalive_expiry: float | None) -> None:
        self._stream = stream
        self._h11 = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        self._keepalive_expiry = keepalive_expiry
        self._idle_since = 0.0
        self.exchanges = 0
        peer = stream._transport.get_extra_info("peername")
        self.peer: str = str(peer[0]) if isinstance(peer, tuple) and peer else ""

    def reusable(self) -> bool:
        expiry = self._keepalive_expiry
        if expiry is not None and time.monotonic() - self._idle_since > expiry:
            return False
        return not self._stream.server_closed()

    async def send(self, request: httpx.Request, timeouts: dict[str, float | None]) -> h11.Response:
        url = request.url
        self.exchanges += 1
        try:
            data = self._h11.send(h11.Request(method=request.method.encode(), target=url.raw_path,
                                              headers=request.headers.raw)) or b""
            async for chunk in request.stream:  # type: ignore[union-attr]
                if chunk:
                    data += self._h11.send(h11.Data(data=chunk)) or b""
            data += self._h11.send(h11.EndOfMessage()) or b""
            await self._stream.write(data, timeouts.get("write"))
            while True:
                event = await self._next(timeouts.get("read"))
                if isinstance(event, h11.Response):
                    return event
                # a 1xx informational answer: the real one follows
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from exc
        except h11.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from exc

    async def _next(self, timeout: float | None) -> Any:
        while True:
            event = self._h11.next_event()
            if event is not h11.NEED_DATA:
                return event
            data = await self._stream.read(READ_SIZE, timeout)
            if not data and self._h11.their_state is h11.SEND_RESPONSE:
                raise httpx.RemoteProtocolError("no answer was sent")
            self._h11.receive_data(data)

    async def body(self, timeout: float | None) -> AsyncIterator[bytes]:
        try:
            while True:
                event = await self._next(timeout)
                if isinstance(event, h11.Data):
                    yield bytes(event.data)
                elif isinstance(event, h11.EndOfMessage) or event is h11.PAUSED:
                    return
                elif isinstance(event, h11.ConnectionClosed):
                    raise httpx.RemoteProtocolError("the body was cut short")
        except h11.RemoteProtocolError as exc:
            raise httpx.RemoteProtocolError(str(exc)) from exc

    def finish(self) -> bool:
        """The exchange is over: True when the connection can carry the next one, else it is closed."""
        if self._h11.our_state is h11.DONE and self._h11.their_state is h11.DONE:
            self._h11.start_next_cycle()
            self._idle_since = time.monotonic()
            return True
        self.close()
        return False

    def close(self) -> None:
        self._stream.close()


class _Body(httpx.AsyncByteStream):
    """A response body; closing it hands the connection back to the transport (`release`)."""

    def __init__(self, chunks: AsyncIterator[bytes], release: Callable[[], None]) -> None:
        self._chunks = chunks
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._chunks:
            yield part

    async def aclose(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            try:
                await self._chunks.aclose()  # type: ignore[attr-defined]
            finally:
                release()


# A kept-alive connection that fails before the answer was closed by the server meanwhile: the GET is sent
# once more on a new connection.
_STALE = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


def _check_peer(connection: _Connection, allow_peer: Callable[[str], bool] | None, url: httpx.URL) -> None:
    if allow_peer is not None and not allow_peer(connection.peer):
        raise PeerRefused.at(url.host, connection.peer)


class AsyncioTransport(httpx.AsyncBaseTransport):
    """An httpx transport for http and https: HTTP/1.1 connections kept alive per origin, at most
    `max_connections` in use. `ssl_context` is called once, for the first https connection: plain http
    never loads a CA bundle (45 ms of a round of 304s)."""

    def __init__(self, *, ssl_context: Callable[[], ssl.SSLContext], limits: httpx.Limits) -> None:
        self._make_ssl_context = ssl_context
        self._ssl_context: ssl.SSLContext | None = None
        self._keepalive_expiry = limits.keepalive_expiry
        self._max_idle = limits.max_keepalive_connections if limits.max_keepalive_connections is not None else 100
        self._slots = asyncio.Semaphore(limits.max_connections or 100)
        self._idle: dict[tuple[bytes, bytes, int], list[_Connection]] = {}
        self._open: set[_Connection] = set()

    async def _connect(self, url: httpx.URL, port: int, timeout: float | None) -> _Connection:
        if url.scheme not in ("http", "https"):
            raise httpx.UnsupportedProtocol(f"cannot fetch a {url.scheme!r} URL")
        stream = await connect(url.host, port, timeout)
        if url.scheme == "https":
            if self._ssl_context is None:
                self._ssl_context = self._make_ssl_context()
                self._ssl_context.set_alpn_protocols(["http/1.1"])
            stream = await stream.start_tls(self._ssl_context, server_hostname=url.host, timeout=timeout)
        connection = _Connection(stream, self._keepalive_expiry)
        self._open.add(connection)
        return connection

    def _reuse(self, origin: tuple[bytes, bytes, int]) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            connection = idle.pop()
            if connection.reusable():
                return connection
            self._discard(connection)
        return None

    def _discard(self, connection: _Connection) -> None:
        self._open.discard(connection)
        connection.close()

    def _release(self, origin: tuple[bytes, bytes, int], connection: _Connection) -> None:
        """The response is closed: the connection is kept for the next request to `origin`, or closed."""
        try:
            if connection.finish() and sum(map(len, self._idle.values())) < self._max_idle:
                self._idle.setdefault(origin, []).append(connection)
            else:
                self._discard(connection)
        finally:
            self._slots.release()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.scheme == "https" else 80)
        origin = (url.raw_scheme, url.raw_host, port)
        timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
        await self._slots.acquire()
        connection: _Connection | None = None
        try:
            # A request may name which addresses it can reach (the article fetcher: never a private one for a
            # public feed). The check is on the address connected to, after DNS, before a byte is sent.
            allow_peer = request.extensions.get("allow_peer")
            connection = self._reuse(origin)
            if connection is not None:
                _check_peer(connection, allow_peer, url)
                try:
                    head = await connection.send(request, timeouts)
                except _STALE:
                    self._discard(connection)
                    connection = None
            if connection is None:
                connection = await self._connect(url, port, timeouts.get("connect"))
                _check_peer(connection, allow_peer, url)
                head = await connection.send(request, timeouts)
        except BaseException:
            if connection is not None:
                self._discard(connection)
            self._slots.release()
            raise
        return httpx.Response(
            status_code=head.status_code, headers=head.headers,
            stream=_Body(connection.body(timeouts.get("read")), partial(self._release, origin, connection)),
            extensions={"http_version": b"HTTP/" + head.http_version, "reason_phrase": head.reason})

    async def aclose(self) -> None:
        connections, self._open, self._idle = self._open, set(), {}
        for connection in connections:
            connection.close()
