"""Proxies as httpx does them: HTTP_PROXY / HTTPS_PROXY / ALL_PROXY / NO_PROXY and a [poll] proxy key, for
feeds and articles alike, against a real proxy server (pproxy) on 127.0.0.1."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from feedserver import FeedServer, Route

from feeds.fetch import fetch_feed, new_client
from tui.cli import main

FEED = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item><title>Deportation flight '
        b'lands</title><link>http://example.invalid/a</link><guid>p1</guid><description>One sentence.'
        b'</description></item></channel></rss>')


class Proxy:
    """A pproxy server in a child process; its log says which targets it carried."""

    def __init__(self, scheme: str, tmp: Path, auth: str | None = None) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = int(s.getsockname()[1])
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self.log = tmp / f"proxy-{self.port}.log"
        listen = self.url + (f"#{auth}" if auth else "")
        self._out = open(self.log, "w")  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen([sys.executable, "-m", "pproxy", "-l", listen, "-v"],
                                         stdout=self._out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the proxy did not start")

    def carried(self) -> str:
        self._out.flush()
        return self.log.read_text()

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
        self._out.close()


@pytest.fixture
def http_proxy(tmp_path: Path) -> Iterator[Proxy]:
    proxy = Proxy("http", tmp_path)
    yield proxy
    proxy.stop()


@pytest.fixture(autouse=True)
def _no_proxy_from_the_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy"):
        monkeypatch.delenv(name, raising=False)


async def get(url: str, proxy: str | None = None):
    client = new_client(2, 5.0, proxy)
    try:
        return await fetch_feed(client, url)
    finally:
        await client.aclose()


async def test_http_proxy_from_the_environment(feed_server: FeedServer, http_proxy: Proxy,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    feed_server.routes["/f.xml"] = Route(body=FEED)
    monkeypatch.setenv("HTTP_PROXY", http_proxy.url)
    result = await get(feed_server.url("/f.xml"))
    assert result.ok and result.body == FEED
    assert f"127.0.0.1:{feed_server.port}" in http_proxy.carried()


async def test_no_proxy_names_hosts_reached_directly(feed_server: FeedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    feed_server.routes["/f.xml"] = Route(body=FEED)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    assert not (await get(feed_server.url("/f.xml"))).ok
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    assert (await get(feed_server.url("/f.xml"))).ok


async def test_https_goes_through_a_connect_tunnel(http_proxy: Proxy, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    bundle = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    server = FeedServer(tls=context).start()
    try:
        server.routes["/f.xml"] = Route(body=FEED)
        monkeypatch.setenv("HTTPS_PROXY", http_proxy.url)
        result = await get(server.url("/f.xml"))
        assert result.ok and result.body == FEED
        assert f"127.0.0.1:{server.port}" in http_proxy.carried()
    finally:
        server.stop()


async def test_a_proxy_that_refuses_is_the_feeds_error(feed_server: FeedServer, tmp_path: Path) -> None:
    feed_server.routes["/f.xml"] = Route(body=FEED)
    proxy = Proxy("http", tmp_path, auth="user:secret")
    try:
        result = await get(feed_server.url("/f.xml"), proxy.url)
        assert not result.ok and result.status == 407
        assert not feed_server.requests
        with_password = f"http://user:secret@127.0.0.1:{proxy.port}"
        assert (await get(feed_server.url("/f.xml"), with_password)).ok
    finally:
        proxy.stop()


async def test_a_dead_proxy_is_a_network_error(feed_server: FeedServer) -> None:
    feed_server.routes["/f.xml"] = Route(body=FEED)
    result = await get(feed_server.url("/f.xml"), "http://127.0.0.1:9")
    assert not result.ok and result.error_kind == "network" and not feed_server.requests


def test_poll_through_a_socks5_proxy_from_the_config(feed_server: FeedServer, tmp_path: Path, capsys) -> None:
    feed_server.routes["/f.xml"] = Route(body=FEED)
    proxy = Proxy("socks5", tmp_path)
    try:
        config = tmp_path / "c.toml"
        config.write_text(f'[poll]\nproxy = "{proxy.url}"\nfull_text = "never"\n\n'
                          f'[[feeds]]\nname = "Wire"\nurl = "{feed_server.url("/f.xml")}"\n', encoding="utf-8")
        assert main(["--config", str(config), "--db", str(tmp_path / "m.db"), "poll", "--once"]) == 0
        assert "1 new story" in capsys.readouterr().out
        assert f"127.0.0.1:{feed_server.port}" in proxy.carried()
    finally:
        proxy.stop()


@pytest.mark.parametrize("value", ['"ftp://proxy.example:21"', '"http://"', '"socks5://host:notaport"', "8080"])
def test_a_bad_proxy_key_is_refused_naming_it(tmp_path: Path, value: str, capsys) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f"[poll]\nproxy = {value}\n", encoding="utf-8")
    assert main(["--config", str(config), "feeds"]) == 2
    err = capsys.readouterr().err
    assert "poll.proxy" in err and str(config) in err
