"""httpx on asyncio's own sockets: an httpcore network backend and the httpx transport that uses it.

httpcore runs every socket operation under asyncio through anyio: a cancel scope with its own timer, an
exception-mapping context manager, a checkpoint on every send, and a pause/resume of reading around every
receive. For a feed poll, which is hundreds of small exchanges, that was a third of the CPU of a 304
(encode/httpcore#930 measured the same). This backend does the same work on asyncio's transports and
protocols: a read returns buffered bytes at once or waits on one future with one timer, a write hands the
bytes to the transport. HTTP/1.1 (h11), TLS settings and decoding are still httpcore's and httpx's; the
connections are kept alive by `AsyncioTransport`, which replaces httpcore's pool (see there why).
"""

# ruff: noqa: ASYNC109 - the `timeout` parameters are httpcore's network backend interface

from __future__ import annotations

import asyncio
import select
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from functools import partial
from typing import Any

from feeds.fetch import import_httpx

import_httpx()  # httpx without its command-line client; the imports below find it loaded
import httpcore  # noqa: E402
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


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        p = self._protocol
        if not p.buffer and not p.eof:
            p.waiter = asyncio.get_running_loop().create_future()
            try:
                await _wait(p.waiter, timeout, httpcore.ReadTimeout(f"no data within {timeout}s"))
            finally:
                p.waiter = None
        if not p.buffer:
            if p.error is not None:
                raise httpcore.ReadError(str(p.error) or type(p.error).__name__) from p.error
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
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        drain = self._protocol.drain
        if drain is not None and not drain.done():
            await _wait(drain, timeout, httpcore.WriteTimeout(f"could not send within {timeout}s"))

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(self, ssl_context: ssl.SSLContext, server_hostname: str | None = None,
                        timeout: float | None = None) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(self._transport, self._protocol, ssl_context,
                                                 server_hostname=server_hostname)
        except TimeoutError:
            self._transport.close()
            raise httpcore.ConnectTimeout(f"TLS handshake not done within {timeout}s") from None
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            self._transport.close()
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        if transport is None:
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        return AsyncioStream(transport, self._protocol)  # type: ignore[arg-type]

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # An idle connection with bytes or an end waiting has been closed (or spoken to) by the server.
            # What the loop has not read yet is asked of the socket itself (one poll), as anyio does.
            if self._protocol.buffer or self._protocol.eof:
                return True
            sock = self._transport.get_extra_info("socket")
            return sock is not None and _readable(sock)
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport, protocol = await loop.create_connection(
                    _Protocol, host, port, local_addr=(local_address, 0) if local_address else None,
                    happy_eyeballs_delay=0.25)
        except TimeoutError:
            raise httpcore.ConnectTimeout(f"no connection to {host}:{port} within {timeout}s") from None
        except OSError as exc:  # socket.gaierror (DNS) included; the cause is kept for the error message
            raise httpcore.ConnectError(str(exc) or type(exc).__name__) from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            if sock is not None:
                sock.setsockopt(*option)
        return AsyncioStream(transport, protocol)  # type: ignore[arg-type]

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.UnsupportedProtocol("feeds are not fetched over unix sockets")

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


# What httpcore raises for a network or protocol failure; re-raised as httpx's exception of the same name.
_HTTPCORE_ERRORS = (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError,
                    httpcore.UnsupportedProtocol)


class _Body(httpx.AsyncByteStream):
    """A response body; closing it hands the connection back to the transport (`release`)."""

    def __init__(self, stream: Any, release: Callable[[], Awaitable[None]]) -> None:
        self._stream = stream
        self._release: Callable[[], Awaitable[None]] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for part in self._stream:
                yield part
        except _HTTPCORE_ERRORS as exc:
            raise _mapped(exc) from exc

    async def aclose(self) -> None:
        release, self._release = self._release, None
        try:
            await self._stream.aclose()
        finally:
            if release is not None:
                await release()


def _mapped(exc: Exception) -> Exception:
    """httpcore's exception as httpx's of the same name (ReadTimeout → httpx.ReadTimeout, …)."""
    kind = getattr(httpx, type(exc).__name__, None)
    if not (isinstance(kind, type) and issubclass(kind, httpx.TransportError)):
        kind = httpx.TransportError
    return kind(str(exc))  # type: ignore[no-any-return]


# A kept-alive connection that fails before the response starts was closed by the server meanwhile: the GET
# is sent once more on a new connection (httpx's own pool leaves that to the caller).
_STALE = (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError)


class AsyncioTransport(httpx.AsyncBaseTransport):
    """An httpx transport: httpcore's HTTP/1.1 connections on `AsyncioBackend`, kept alive per origin.

    httpcore 1.0.9's connection pool rescans every connection and queued request twice per request and hands
    one idle connection to several waiting requests, which then retry (encode/httpcore#1035; fixed in the
    httpx2 fork by pydantic/httpx2#1075 and #1169). For 500 conditional GETs on 16 connections that was 0.5 s
    of CPU, more than the HTTP itself. The pipeline already bounds the requests in flight, overall and per
    host, so what a pool must still do here is small: at most `max_connections` at once, and for each origin
    a stack of idle connections, each checked for expiry and for a server-side close before it is reused.
    """

    def __init__(self, *, ssl_context: ssl.SSLContext, limits: httpx.Limits) -> None:
        self._ssl_context = ssl_context
        self._backend = AsyncioBackend()
        self._keepalive_expiry = limits.keepalive_expiry
        self._max_idle = limits.max_keepalive_connections if limits.max_keepalive_connections is not None else 100
        self._slots = asyncio.Semaphore(limits.max_connections or 100)
        self._idle: dict[tuple[bytes, bytes, int], list[httpcore.AsyncHTTPConnection]] = {}
        self._open: set[httpcore.AsyncHTTPConnection] = set()

    async def _connection(self, origin: httpcore.Origin) -> tuple[httpcore.AsyncHTTPConnection, bool]:
        """An idle connection to `origin` that is still good (and so reused), or a new one."""
        idle = self._idle.get((origin.scheme, origin.host, origin.port))
        while idle:
            connection = idle.pop()
            if not connection.has_expired():
                return connection, True
            await self._discard(connection)
        return self._new(origin), False

    def _new(self, origin: httpcore.Origin) -> httpcore.AsyncHTTPConnection:
        connection = httpcore.AsyncHTTPConnection(origin, ssl_context=self._ssl_context,
                                                  keepalive_expiry=self._keepalive_expiry,
                                                  network_backend=self._backend)
        self._open.add(connection)
        return connection

    async def _discard(self, connection: httpcore.AsyncHTTPConnection) -> None:
        # Closing does not wait on anything (the loop closes the socket), so it completes even when the task
        # is being cancelled.
        self._open.discard(connection)
        await connection.aclose()

    async def _release(self, origin: httpcore.Origin, connection: httpcore.AsyncHTTPConnection) -> None:
        """The response is closed: its connection is kept for the next request to `origin`, or closed."""
        try:
            if connection.is_idle() and sum(map(len, self._idle.values())) < self._max_idle:
                self._idle.setdefault((origin.scheme, origin.host, origin.port), []).append(connection)
            else:
                await self._discard(connection)
        finally:
            self._slots.release()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        port = url.port or (443 if url.raw_scheme == b"https" else 80)
        origin = httpcore.Origin(url.raw_scheme, url.raw_host, port)
        req = httpcore.Request(method=request.method,
                               url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port,
                                                target=url.raw_path),
                               headers=request.headers.raw, content=request.stream, extensions=request.extensions)
        await self._slots.acquire()
        connection = None
        try:
            connection, reused = await self._connection(origin)
            try:
                resp = await connection.handle_async_request(req)
            except _STALE:
                if not reused:
                    raise
                await self._discard(connection)
                connection = self._new(origin)
                resp = await connection.handle_async_request(req)
        except BaseException as exc:
            if connection is not None:
                await self._discard(connection)
            self._slots.release()
            if isinstance(exc, _HTTPCORE_ERRORS):
                raise _mapped(exc) from exc
            raise
        return httpx.Response(status_code=resp.status, headers=resp.headers,
                              stream=_Body(resp.stream, partial(self._release, origin, connection)),
                              extensions=resp.extensions)

    async def aclose(self) -> None:
        connections, self._open, self._idle = self._open, set(), {}
        for connection in connections:
            await connection.aclose()
