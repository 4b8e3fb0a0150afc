from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from feedserver import FeedServer  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fixture_bytes():
    def read(name: str) -> bytes:
        return (FIXTURES / name).read_bytes()

    return read


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """Never read or write the real user's config or data."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.delenv("MIGWATCH_CONFIG", raising=False)
    os.environ.setdefault("NO_COLOR", "1")


def write_config(path: Path, feeds: list[tuple[str, str]], extra: str = "") -> Path:
    lines = ['[poll]\ninterval = "15m"\nconcurrency = 8\ntimeout = "5s"\n', extra]
    for name, url in feeds:
        lines.append(f'[[feeds]]\nname = "{name}"\nurl = "{url}"\n')
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def _articles_only_from_loopback(monkeypatch):
    """Tests talk to loopback only: an article link to any other host fails the test that polled it."""
    from feeds import articles

    strays: list[str] = []
    original = articles.ArticleFetcher.fetch

    async def fetch(self, job):  # type: ignore[no-untyped-def]
        host = articles.host_of(job.url)
        if host != "localhost" and not host.startswith("127.") and host != "::1":
            strays.append(job.url)
            return articles.FetchedPage(job.story_id, "failed", host, error="not loopback (test guard)")
        return await original(self, job)

    monkeypatch.setattr(articles.ArticleFetcher, "fetch", fetch)
    yield
    assert not strays, f"a test asked for articles beyond loopback: {strays[:3]}"
