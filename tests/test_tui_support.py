"""Shared test data for the dashboard tests: a small database built through Store.save_feed_result.

Every story here is written for the tests (nothing is read from ../shared). Dates and feed states are fixed
so snapshots do not change from one run to the next.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from feeds.config import FeedConfig, PollSettings, Settings
from feeds.models import (
    Agreement,
    Analysis,
    Conflict,
    Evidence,
    FeedState,
    Match,
    Payment,
    RightsWarning,
    StageEvent,
    Story,
)
from store import Store

NOW = datetime(2025, 3, 14, 12, 0, tzinfo=UTC)
HOSTILE_TITLE = "[bold red]x[/] [link=file:///etc/passwd]y[/link] [@click=app.quit]z[/] [/ \x1b]0;pwned\x07\x1b[2J end"

AGREEMENTS = (
    Agreement("uk-rwanda", "UK–Rwanda partnership", ("United Kingdom", "Rwanda")),
    Agreement("us-rwanda", "US–Rwanda arrangement", ("United States", "Rwanda")),
    Agreement("italy-albania", "Italy–Albania protocol", ("Italy", "Albania")),
)

FEED_A = "https://harbour.example/rss"
FEED_B = "https://coastline.example/feed"
FEED_C = "https://broken.example/rss"


def ev(text: str, sentence: str) -> Evidence:
    start = text.index(sentence)
    return Evidence(sentence, start, start + len(sentence))


def _story(sid: str, title: str, text: str, day: int, link: str | None = None) -> Story:
    return Story(id=sid, title=title, text=text, link=link or f"https://harbour.example/{sid}",
                 published=datetime(2025, 3, day, 9, 0, tzinfo=UTC))


def sample_items() -> dict[str, list[tuple[Story, Analysis]]]:
    """Stories per feed URL, with their analysis."""
    t1 = ("Rwanda says the United Kingdom still owes it money. Officials in Kigali claimed the UK owes "
          "£50m under the cancelled partnership. The deal was cancelled in July 2024 after the election.")
    s1 = _story("s-owes", "Rwanda says UK still owes £50m", t1, 10)
    a1 = Analysis(
        s1.id,
        matches=(Match("uk-rwanda", 0.95, True, ev(t1, "Rwanda says the United Kingdom still owes it money.")),),
        stages=(StageEvent("uk-rwanda", "cancelled", ev(t1, "The deal was cancelled in July 2024 after the election."),
                           when="2024-07"),),
        payments=(Payment(50_000_000, "GBP", "UK", "Rwanda", "claimed",
                          ev(t1, "Officials in Kigali claimed the UK owes £50m under the cancelled partnership."),
                          "uk-rwanda"),),
    )
    t2 = ("Kigali wants £50m from London. The partnership was cancelled in 2023, the report says. "
          "Rwanda claimed the money is still owed.")
    s2 = _story("s-owes-2", "Kigali presses London over £50m", t2, 11, "https://coastline.example/kigali")
    a2 = Analysis(
        s2.id,
        matches=(Match("uk-rwanda", 0.9, True, ev(t2, "Kigali wants £50m from London.")),),
        payments=(Payment(50_000_000, "GBP", "UK", "Rwanda", "claimed",
                          ev(t2, "Rwanda claimed the money is still owed."), "uk-rwanda"),),
        conflicts=(Conflict("uk-rwanda", "cancelled in 2023", "cancelled 2024-07",
                            ev(t2, "The partnership was cancelled in 2023, the report says.")),),
    )
    t3 = ("Washington and Kigali are in early talks on taking deportees. Talks are ongoing and at an early stage. "
          "UNHCR warned that people could be returned to countries they fled.")
    s3 = _story("s-talks", "US and Rwanda hold early talks on deportees", t3, 12)
    a3 = Analysis(
        s3.id,
        matches=(Match("us-rwanda", 0.9, True, ev(t3, "Washington and Kigali are in early talks on taking deportees.")),),
        stages=(StageEvent("us-rwanda", "negotiating", ev(t3, "Talks are ongoing and at an early stage.")),),
        warnings=(RightsWarning("UNHCR", "refoulement",
                                ev(t3, "UNHCR warned that people could be returned to countries they fled."),
                                "us-rwanda"),),
    )
    t4 = ("Lawyers challenged the Albanian centres in court. Amnesty said detention there is arbitrary.")
    s4 = _story("s-albania", "Court hears challenge to Albania centres", t4, 9)
    a4 = Analysis(
        s4.id,
        matches=(Match("italy-albania", 0.8, True, ev(t4, "Lawyers challenged the Albanian centres in court.")),),
        stages=(StageEvent("italy-albania", "legally-challenged",
                           ev(t4, "Lawyers challenged the Albanian centres in court.")),),
        warnings=(RightsWarning("Amnesty International", "arbitrary detention",
                                ev(t4, "Amnesty said detention there is arbitrary."), "italy-albania"),),
    )
    t5 = "Ferries were cancelled because of the storm. No agreement is mentioned here."
    s5 = _story("s-weather", "Storm closes Channel ports", t5, 13, "javascript:alert(1)")
    t6 = "A title full of markup and escapes, shown literally."
    s6 = _story("s-hostile", HOSTILE_TITLE, t6, 8)
    return {
        FEED_A: [(s1, a1), (s3, a3), (s4, a4), (s5, Analysis(s5.id)), (s6, Analysis(s6.id))],
        FEED_B: [(s2, a2)],
    }


def build_db(path: Path) -> Path:
    """A small fixed database: five stories in two feeds (one cluster of two), one broken feed."""
    store = Store(path)
    try:
        store.sync_agreements(AGREEMENTS)
        store.sync_feeds([(FEED_A, "Harbour Times", ()), (FEED_B, "Coastline Wire", ()),
                          (FEED_C, "Broken [b]Feed[/b]", ())])
        items = sample_items()
        polled = datetime(2025, 3, 14, 11, 50, tzinfo=UTC)
        store.save_feed_result(
            FeedState(url=FEED_A, name="Harbour Times", last_status=200, last_result="ok", last_polled_at=polled,
                      next_poll_at=datetime(2025, 3, 14, 12, 5, tzinfo=UTC), next_poll_why="interval 15m"),
            items[FEED_A])
        store.save_feed_result(
            FeedState(url=FEED_B, name="Coastline Wire", last_status=200, last_result="ok", last_polled_at=polled,
                      next_poll_at=datetime(2025, 3, 14, 12, 30, tzinfo=UTC), next_poll_why="Cache-Control max-age"),
            items[FEED_B], cluster_ids={"s-owes-2": "s-owes"})
        store.save_feed_state(FeedState(
            url=FEED_C, name="Broken [b]Feed[/b]", last_status=503, last_result="error",
            last_error="HTTP 503 [red]Service Unavailable[/red]", failures=3, last_polled_at=polled,
            next_poll_at=datetime(2025, 3, 14, 13, 50, tzinfo=UTC), next_poll_why="backoff after 3 failures"))
        # s-owes was stored before its cluster mate: put it in the cluster explicitly.
        store.conn.execute("UPDATE stories SET cluster_id = 's-owes' WHERE id IN ('s-owes', 's-owes-2')")
    finally:
        store.close()
    return path


def settings(**overrides: object) -> Settings:
    base = Settings(
        poll=PollSettings(interval=900.0),
        feeds=(FeedConfig("Harbour Times", FEED_A), FeedConfig("Coastline Wire", FEED_B)),
        agreements=AGREEMENTS,
    )
    return Settings(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, **overrides})  # type: ignore[arg-type]


def frozen_clock() -> datetime:
    return NOW


class FakePoller:
    """Stands in for feeds.pipeline.Poller: rounds come from a list, calls are recorded."""

    def __init__(self, rounds: list | None = None, on_round=None) -> None:
        self.rounds = list(rounds or [])
        self.calls: list[bool] = []
        self.closed = False
        self.on_round = on_round

    async def poll_round(self, *, force: bool = False, progress=None):
        from feeds.pipeline import RoundProgress, RoundResult

        self.calls.append(force)
        if progress is not None:
            progress(RoundProgress(0, 2, 0, 0))
        if self.on_round is not None:
            self.on_round(len(self.calls))
        if progress is not None:
            progress(RoundProgress(2, 2, 0, 0))
        if self.rounds:
            return self.rounds.pop(0)
        return RoundResult(polled=2, next_poll_at=None)

    async def aclose(self) -> None:
        self.closed = True
