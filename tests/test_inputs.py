"""Hostile and mistaken input at the edges (issue 14): config URLs, search queries made of FTS5 syntax."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.models import Analysis, FeedState, Story
from store import Store
from tui.cli import main


@pytest.mark.parametrize("url", ["not a url", "example.org/rss", "feeds.xml", "www.bbc.co.uk/news/rss.xml",
                                 "javascript:alert(1)", "data:text/xml,<rss/>", "ftp://e.org/f.xml"])
def test_a_feed_url_that_is_no_url_and_no_path_is_refused_when_the_config_is_read(tmp_path: Path, url: str,
                                                                                  capsys) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[[feeds]]\nname = "x"\nurl = "{url}"\n', encoding="utf-8")
    assert main(["--config", str(config), "poll", "--once"]) == 2
    err = capsys.readouterr().err
    assert "feeds[0].url" in err and str(config) in err and err.count("\n") == 1


@pytest.mark.parametrize("url", ["./feed.xml", "../feeds/feed.xml", "~/feed.xml", "/srv/feed.xml",
                                 "file:///srv/feed.xml", "https://e.org/rss"])
def test_paths_that_look_like_paths_and_urls_are_taken(tmp_path: Path, url: str, capsys) -> None:
    config = tmp_path / "c.toml"
    config.write_text(f'[[feeds]]\nname = "x"\nurl = "{url}"\n', encoding="utf-8")
    assert main(["--config", str(config), "feeds"]) == 0


FTS_SYNTAX = ['"', '""', '"unclosed', "*", "a*", "*a", "NEAR(", "NEAR(a b", "NEAR(a, 5)", "a OR", "OR", "AND",
              "NOT", "a NOT", "-", "-a", "^", "^a", "a:b", "title:", "{a b}", "(", ")", "a)", "((a", "+", "a + b",
              "'", "`", "\\", ";", "x" * 10_000, "deport " * 2000, "\x00", "\u202e", "🙂", "a\nb", "a\tb"]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    path = tmp_path_factory.mktemp("fts") / "m.db"
    s = Store(path)
    s.save_feed_result(FeedState(url="http://e.org/f"), [
        (Story(id="s1", title="Deportation flight lands in Kigali", text="A deal worth £50m."), Analysis("s1")),
        (Story(id="s2", title="NEAR the border", text="OR AND NOT * quotes \" here"), Analysis("s2"))])
    s.index_pending()
    return s


@pytest.mark.parametrize("query", FTS_SYNTAX)
def test_search_queries_made_of_fts5_syntax_never_error(store: Store, query: str) -> None:
    rows = store.inbox(query=query)
    assert isinstance(rows, list)
    assert store.inbox_ids(query=query) is not None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_search_text_is_answered(store: Store, query: str) -> None:
    store.inbox(query=query)
