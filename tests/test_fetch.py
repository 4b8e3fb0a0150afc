"""fetch_feed against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer, Route

from feeds.fetch import fetch_feed, new_client, parse_retry_after, read_file_feed
from feeds.version import __version__

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>a</title></item></channel></rss>'


async def fetch(server: FeedServer, path: str, **kw):
    client = new_client(4, 5.0)
    try:
        return await fetch_feed(client, server.url(path), **kw)
    finally:
        await client.aclose()


async def test_conditional_get_sends_validators_verbatim_and_gets_304(feed_server: FeedServer) -> None:
    feed_server.routes["/f"] = Route(body=FEED)
    first = await fetch(feed_server, "/f")
    assert first.status == 200 and first.body == FEED
    assert first.etag == feed_server.routes["/f"].etag and first.etag.startswith('"')
    ua = feed_server.requests[0].headers["user-agent"]
    assert "migwatch" in ua and __version__ in ua
    assert "gzip" in feed_server.requests[0].headers["accept-encoding"]
    second = await fetch(feed_server, "/f", etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304 and second.body is None
    req = feed_server.requests[1].headers
    assert req["if-none-match"] == first.etag and req["if-modified-since"] == first.last_modified


async def test_last_modified_alone_gets_304(feed_server: FeedServer) -> None:
    feed_server.routes["/f"] = Route(body=FEED)
    result = await fetch(feed_server, "/f", last_modified="Mon, 05 May 2025 09:00:00 GMT")
    assert result.not_modified


async def test_gzip_body_is_decoded(feed_server: FeedServer) -> None:
    feed_server.routes["/f"] = Route(body=FEED * 50)
    result = await fetch(feed_server, "/f")
    assert result.body == FEED * 50


async def test_permanent_redirect_reports_new_url(feed_server: FeedServer) -> None:
    feed_server.routes["/old"] = Route(status=301, headers={"Location": "/new"}, validators=False)
    feed_server.routes["/new"] = Route(body=FEED)
    result = await fetch(feed_server, "/old")
    assert result.ok and result.moved_to == feed_server.url("/new") and result.body == FEED


async def test_temporary_hop_in_chain_does_not_move(feed_server: FeedServer) -> None:
    feed_server.routes["/a"] = Route(status=301, headers={"Location": "/b"}, validators=False)
    feed_server.routes["/b"] = Route(status=302, headers={"Location": "/c"}, validators=False)
    feed_server.routes["/c"] = Route(body=FEED)
    result = await fetch(feed_server, "/a")
    assert result.ok and result.moved_to is None and result.final_url == feed_server.url("/c")


async def test_redirect_loop_is_an_error(feed_server: FeedServer) -> None:
    feed_server.routes["/a"] = Route(status=302, headers={"Location": "/b"}, validators=False)
    feed_server.routes["/b"] = Route(status=302, headers={"Location": "/a"}, validators=False)
    result = await fetch(feed_server, "/a")
    assert result.error_kind == "redirect" and "loop" in result.error


async def test_410_is_gone(feed_server: FeedServer) -> None:
    feed_server.routes["/gone"] = Route(status=410, validators=False, body=b"gone")
    result = await fetch(feed_server, "/gone")
    assert result.error_kind == "gone" and result.status == 410


async def test_429_retry_after_seconds(feed_server: FeedServer) -> None:
    feed_server.routes["/slow"] = Route(status=429, headers={"Retry-After": "120"}, validators=False)
    result = await fetch(feed_server, "/slow")
    assert result.error_kind == "throttled" and result.retry_after == 120


async def test_503_retry_after_http_date(feed_server: FeedServer) -> None:
    when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 600))
    feed_server.routes["/busy"] = Route(status=503, headers={"Retry-After": when}, validators=False)
    result = await fetch(feed_server, "/busy")
    assert result.error_kind == "throttled" and 500 < result.retry_after <= 600


async def test_cache_control_max_age(feed_server: FeedServer) -> None:
    feed_server.routes["/f"] = Route(body=FEED, headers={"Cache-Control": "public, max-age=7200"})
    assert (await fetch(feed_server, "/f")).max_age == 7200
    feed_server.routes["/n"] = Route(body=FEED, headers={"Cache-Control": "no-cache, max-age=7200"})
    assert (await fetch(feed_server, "/n")).max_age is None


async def test_read_timeout_is_bounded(feed_server: FeedServer) -> None:
    feed_server.routes["/hang"] = Route(body=FEED, delay=3.0)
    started = time.monotonic()
    result = await fetch(feed_server, "/hang", deadline=0.5)
    assert result.error_kind == "timeout"
    assert time.monotonic() - started < 2.0


async def test_dripping_body_hits_the_deadline(feed_server: FeedServer) -> None:
    feed_server.routes["/drip"] = Route(body=FEED, drip=0.2, validators=False, content_type="text/xml")
    started = time.monotonic()
    result = await fetch(feed_server, "/drip", deadline=1.0)
    assert result.error_kind == "timeout"
    assert time.monotonic() - started < 2.5


async def test_body_cap(feed_server: FeedServer) -> None:
    feed_server.routes["/big"] = Route(body=b"<rss>" + b"x" * 300_000 + b"</rss>", validators=False)
    result = await fetch(feed_server, "/big", max_body=100_000)
    assert result.error_kind == "too-large" and result.body is None


async def test_refused_connection_is_recorded_not_raised() -> None:
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now
    client = new_client(1, 2.0)
    try:
        result = await fetch_feed(client, f"http://127.0.0.1:{port}/feed")
    finally:
        await client.aclose()
    assert result.error_kind == "network" and "refused" in result.error


async def test_http_error_status(feed_server: FeedServer) -> None:
    result = await fetch(feed_server, "/missing")
    assert result.error_kind == "http" and result.status == 404 and "404" in result.error


def test_file_feed_unchanged_is_not_modified(tmp_path) -> None:
    path = tmp_path / "f.xml"
    path.write_bytes(FEED)
    first = read_file_feed(str(path))
    assert first.body == FEED and first.etag
    again = read_file_feed(path.as_uri(), etag=first.etag)
    assert again.not_modified
    missing = read_file_feed(str(tmp_path / "nope.xml"))
    assert missing.error_kind == "file"


def test_retry_after_parsing() -> None:
    assert parse_retry_after("30") == 30
    assert parse_retry_after("garbage") is None
    assert parse_retry_after("999999999") == 86400


# ------------------------------------------------------------------------------------------ https


@pytest.fixture
def tls_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FeedServer]:
    """An https server on 127.0.0.1 whose certificate a test CA issued; the CA is trusted the way a user
    trusts a private CA, through SSL_CERT_FILE."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    server = FeedServer(tls=context).start()
    try:
        yield server
    finally:
        server.stop()


async def test_https_feed_is_fetched_and_revalidated_on_one_connection(tls_server: FeedServer) -> None:
    tls_server.routes["/f"] = Route(body=FEED * 40)
    client = new_client(2, 5.0)
    try:
        first = await fetch_feed(client, tls_server.url("/f"))
        assert first.ok and first.status == 200 and first.body == FEED * 40
        second = await fetch_feed(client, tls_server.url("/f"), etag=first.etag)
        assert second.not_modified
    finally:
        await client.aclose()


async def test_https_with_an_untrusted_certificate_is_a_network_error(tls_server: FeedServer,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE")
    tls_server.routes["/f"] = Route(body=FEED)
    result = await fetch(tls_server, "/f")
    assert not result.ok and result.error_kind == "network"
    assert "certificate" in (result.error or "").lower()
    assert not tls_server.requests  # nothing was sent over the unverified connection


async def test_http_feed_redirected_to_https_follows_to_the_tls_server(feed_server: FeedServer,
                                                                      tls_server: FeedServer) -> None:
    tls_server.routes["/new"] = Route(body=FEED)
    feed_server.routes["/old"] = Route(status=301, headers={"Location": tls_server.url("/new")}, validators=False)
    result = await fetch(feed_server, "/old")
    assert result.ok and result.body == FEED and result.moved_to == tls_server.url("/new")


async def test_requests_to_one_server_share_one_kept_alive_connection(feed_server: FeedServer) -> None:
    feed_server.routes["/a"] = Route(body=FEED)
    feed_server.routes["/b"] = Route(body=FEED * 3)
    client = new_client(4, 5.0)
    try:
        first = await fetch_feed(client, feed_server.url("/a"))
        for _ in range(3):
            assert (await fetch_feed(client, feed_server.url("/a"), etag=first.etag)).not_modified
            assert (await fetch_feed(client, feed_server.url("/b"))).body == FEED * 3
    finally:
        await client.aclose()
    assert len(feed_server.requests) == 7
    assert len({r.client_port for r in feed_server.requests}) == 1


async def test_a_kept_alive_connection_closed_as_the_request_arrives_is_retried_once(
        feed_server: FeedServer) -> None:
    """The server takes the next request on a kept-alive connection and hangs up without an answer (as a
    server whose idle timeout fires at that moment does): the GET is sent again on a new connection."""

    def first_only(handler) -> None:  # type: ignore[no-untyped-def]
        served = getattr(handler, "served", 0)
        handler.served = served + 1
        if served:
            handler.close_connection = True
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(len(FEED)))
        handler.end_headers()
        handler.wfile.write(FEED)

    feed_server.routes["/f"] = Route(handler=first_only)
    client = new_client(1, 5.0)
    try:
        results = [await fetch_feed(client, feed_server.url("/f")) for _ in range(2)]
    finally:
        await client.aclose()
    assert [r.body for r in results] == [FEED, FEED]
    hits = feed_server.hits("/f")
    assert len(hits) == 3 and hits[0].client_port == hits[1].client_port != hits[2].client_port


async def test_a_request_that_times_out_mid_body_frees_its_connection_slot(feed_server: FeedServer) -> None:
    feed_server.routes["/slow"] = Route(body=FEED, drip=0.05, validators=False)
    feed_server.routes["/f"] = Route(body=FEED)
    client = new_client(1, 5.0)  # one connection at a time: a leaked slot would block the next request
    try:
        slow = await fetch_feed(client, feed_server.url("/slow"), deadline=0.3)
        assert slow.error_kind == "timeout"
        after = await fetch_feed(client, feed_server.url("/f"), deadline=2.0)
    finally:
        await client.aclose()
    assert after.ok and after.body == FEED


async def test_a_kept_alive_connection_the_server_dropped_is_not_reused(feed_server: FeedServer) -> None:
    """The server answers, then closes without saying so: the next request must open a new connection
    instead of failing on the dead one."""

    def answer_then_hang_up(handler) -> None:  # type: ignore[no-untyped-def]
        handler.send_response(200)
        handler.send_header("Content-Type", "application/rss+xml")
        handler.send_header("Content-Length", str(len(FEED)))
        handler.end_headers()
        handler.wfile.write(FEED)
        handler.wfile.flush()
        handler.close_connection = True

    feed_server.routes["/f"] = Route(handler=answer_then_hang_up)
    client = new_client(1, 5.0)
    try:
        for _ in range(3):
            result = await fetch_feed(client, feed_server.url("/f"))
            assert result.ok and result.body == FEED
            time.sleep(0.05)  # noqa: ASYNC251 - the close reaches the socket while the loop is not reading
    finally:
        await client.aclose()
    assert len(feed_server.hits("/f")) == 3
