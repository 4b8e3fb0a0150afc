"""A real HTTP server on 127.0.0.1 for tests: routes are set per test, every request is recorded."""

from __future__ import annotations

import gzip
import hashlib
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/rss+xml; charset=utf-8"
    validators: bool = True  # send ETag / Last-Modified and answer 304 to them
    last_modified: str = "Mon, 05 May 2025 09:00:00 GMT"
    delay: float = 0.0  # seconds before answering
    drip: float = 0.0  # seconds between body bytes
    handler: Callable[[BaseHTTPRequestHandler], None] | None = None  # full control

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha1(self.body).hexdigest()[:12] + '"'


@dataclass
class Request:
    path: str
    headers: dict[str, str]
    client_port: int = 0  # which of the client's connections carried it
    at: float = field(default_factory=time.monotonic)  # when it arrived


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that give up mid-body (timeouts under test) are expected


class FeedServer:
    def __init__(self, tls: ssl.SSLContext | None = None, host: str = "127.0.0.1") -> None:
        """`tls`: a server-side context, to serve https (the test issues its certificate); `host`: another
        loopback address (127.0.0.2 …), for tests that need two hosts."""
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.host = host
        self._server = _QuietServer((host, 0), self._handler_class())
        self.scheme = "https" if tls is not None else "http"
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def url(self, path: str) -> str:
        return f"{self.scheme}://{self.host}:{self.port}{path}"

    def start(self) -> FeedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def hits(self, path: str) -> list[Request]:
        return [r for r in self.requests if r.path == path]

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:  # noqa: N802
                server.requests.append(Request(self.path, {k.lower(): v for k, v in self.headers.items()},
                                               self.client_address[1]))
                route = server.routes.get(self.path)
                if route is None:
                    self._send(404, b"not found", {"Content-Type": "text/plain"})
                    return
                if route.delay:
                    time.sleep(route.delay)
                if route.handler is not None:
                    route.handler(self)
                    return
                headers = {"Content-Type": route.content_type, **route.headers}
                if route.validators and route.status == 200:
                    headers["ETag"] = route.etag
                    headers["Last-Modified"] = route.last_modified
                    inm = self.headers.get("If-None-Match")
                    ims = self.headers.get("If-Modified-Since")
                    if (inm and inm == route.etag) or (not inm and ims and ims == route.last_modified):
                        self._send(304, b"", {k: v for k, v in headers.items() if k != "Content-Type"})
                        return
                body = route.body
                if route.status == 200 and "gzip" in (self.headers.get("Accept-Encoding") or ""):
                    body = gzip.compress(body)
                    headers["Content-Encoding"] = "gzip"
                self._send(route.status, body, headers, drip=route.drip)

            def _send(self, status: int, body: bytes, headers: dict[str, str], drip: float = 0.0) -> None:
                try:
                    self.send_response(status)
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if drip:
                        for i in range(len(body)):
                            self.wfile.write(body[i:i + 1])
                            self.wfile.flush()
                            time.sleep(drip)
                    elif body and status != 304:
                        self.wfile.write(body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
