"""worth_article: the broad prefilter that decides whether a short feed item's article is fetched."""

from __future__ import annotations

import pytest

from feeds.agreements import default_catalogue
from feeds.understand import worth_article


@pytest.mark.parametrize(("title", "summary"), [
    ("Ministers defend plan to send asylum seekers abroad", ""),
    ("Kigali says London still owes it £50m", "The row over the cancelled partnership goes on."),
    ("Albanian court hears challenge to Italian-run centres", ""),
    ("", "Dozens of people were pushed back across the border at night, witnesses said."),
    ("Tunisia and Brussels sign memorandum", ""),
])
def test_worth_fetching(title: str, summary: str) -> None:
    assert worth_article(title, summary, default_catalogue())


@pytest.mark.parametrize(("title", "summary"), [
    ("Central bank holds rates as inflation eases", "Markets rose on the news."),
    ("Rwanda beat Kenya in the regional final", "A late goal settled the match."),
])
def test_not_worth_fetching(title: str, summary: str) -> None:
    assert not worth_article(title, summary, default_catalogue())
