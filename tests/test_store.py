"""The store on real SQLite files: migrations, inbox order, search, triage journal, the ledger."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.models import Analysis, Evidence, FeedState, Match, Payment, StageEvent, Story
from store import SCHEMA_VERSION, Store
from store.schema import MIGRATIONS


def ev(text: str) -> Evidence:
    return Evidence(text, 0, len(text))


def story(i: int, title: str, text: str = "", day: int = 1) -> Story:
    return Story(f"urn:t:{i}", title, text or title, f"https://e.org/{i}", datetime(2025, 5, day, tzinfo=UTC))


def matched(s: Story, agreement: str, *facts: object, cluster_fp: bytes = b"") -> tuple[Story, Analysis]:
    stages = tuple(f for f in facts if isinstance(f, StageEvent))
    payments = tuple(f for f in facts if isinstance(f, Payment))
    return s, Analysis(s.id, matches=(Match(agreement, 0.9, True, ev(s.text)),), stages=stages, payments=payments)


@pytest.fixture
def store(tmp_path: Path):
    st = Store(tmp_path / "m.db")
    st.sync_feeds([("http://127.0.0.1/a.xml", "Feed A", ())])
    yield st
    st.close()


def feed(st: Store) -> FeedState:
    return st.feed_states()[0]


def test_a_v1_database_is_migrated_forward(tmp_path: Path) -> None:
    import sqlite_utils

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    MIGRATIONS[0](sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO stories (id, title, text, published, first_seen, cluster_id) VALUES "
                 "('old', 'Old story about Kigali', 'text', '2024-01-01T00:00:00+00:00', '2024-01-02', 'old')")
    conn.execute("INSERT INTO triage (story_id, state, starred, unread) VALUES ('old', 'new', 1, 1)")
    conn.close()
    with Store(path) as st:
        assert st.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert st.inbox_ids() == ["old"]
        assert [r.title for r in st.inbox(query="kigali")] == ["Old story about Kigali"]
        assert st.triage_state("old")["starred"] is True


def test_a_v2_database_gets_a_rebuilt_word_index(tmp_path: Path) -> None:
    """v3 rebuilds the full-text index without positions; what was searchable stays searchable, and what was
    not indexed yet is indexed when needed, as before."""
    import sqlite_utils

    path = tmp_path / "v2.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for migration in MIGRATIONS[:2]:
        migration(sqlite_utils.Database(conn))
    conn.execute("PRAGMA user_version = 2")
    for n, title in enumerate(("Deportation flights to Rwanda", "Albania centres empty"), 1):
        conn.execute("INSERT INTO stories (id, title, text, first_seen, cluster_id) VALUES (?, ?, 'text', "
                     "'2025-01-01', ?)", (f"s{n}", title, f"s{n}"))
        conn.execute("INSERT INTO triage (story_id, state, starred, unread) VALUES (?, 'new', 0, 1)", (f"s{n}",))
    conn.execute("INSERT INTO stories_fts (rowid, title, text) SELECT rowid, title, text FROM stories WHERE id = 's1'")
    conn.execute("UPDATE meta SET value = '1' WHERE key = 'fts_rowid'")
    conn.close()
    with Store(path) as st:
        sql = st.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'stories_fts'").fetchone()[0]
        assert "detail=column" in sql
        assert [r.id for r in st.inbox(query="deport")] == ["s1"]
        assert [r.id for r in st.inbox(query="albania centres")] == ["s2"]  # indexed on the way


def test_inbox_matched_first_then_newest_and_clusters_together(store: Store) -> None:
    a = story(1, "Unmatched newest", day=9)
    b = story(2, "Matched old", day=1)
    c = story(3, "Matched newer", day=5)
    d = story(4, "Same event as old, newest of its cluster", day=7)
    store.save_feed_result(feed(store), [(a, Analysis(a.id)), matched(b, "uk-rwanda"), matched(c, "us-rwanda")])
    store.save_feed_result(feed(store), [matched(d, "uk-rwanda")], cluster_ids={d.id: b.id})
    order = [r.title for r in store.inbox()]
    # b's cluster is now as new as d (day 7), so it comes before c (day 5); unmatched last.
    assert order == ["Same event as old, newest of its cluster", "Matched old", "Matched newer", "Unmatched newest"]
    assert store.inbox()[0].cluster_size == 2


def test_search_sees_stories_stored_mid_round(store: Store) -> None:
    s = story(1, "Offshore processing on Nauru ends", "The last refugee left Nauru.")
    store.save_feed_result(feed(store), [(s, Analysis(s.id))])
    assert [r.id for r in store.inbox(query="nauru")] == [s.id]
    assert store.inbox(query='"') == []  # a bare quote is not an FTS syntax error
    assert [r.id for r in store.inbox(query="refug")] == [s.id]  # prefix on the last word


def test_search_for_a_word_with_punctuation_inside_finds_it(store: Store) -> None:
    """The index splits "Salvador's" and "uk-rwanda" into words and keeps no positions: the query must
    ask for the same words, not a phrase (which FTS5 refuses, and the inbox went blank)."""
    s = story(1, "El Salvador's prison deal", "The UK-Rwanda co-operation and the US–Rwanda deal: a:b.")
    other = story(2, "Nauru", "Nothing else here.")
    store.save_feed_result(feed(store), [(s, Analysis(s.id)), (other, Analysis(other.id))])
    for query in ("Salvador's", "co-operation", "uk-rwanda", "US–Rwanda", "a:b", "Salvador's prison"):
        assert [r.id for r in store.inbox(query=query)] == [s.id], query
    # A last word ending in punctuation is whole: "c++" is the word "c", not every word starting with c.
    assert store.inbox(query="c++") == [] and [r.id for r in store.inbox(query="co")] == [s.id]


def test_triage_is_journaled_and_undone_across_restarts(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store(path) as st:
        st.sync_feeds([("http://127.0.0.1/a.xml", "A", ())])
        s = story(1, "A story")
        st.save_feed_result(st.feed_states()[0], [(s, Analysis(s.id))])
        st.triage(s.id, "star", starred=True)
        st.triage(s.id, "dismiss", state="dismissed")
    with Store(path) as st:
        assert st.triage_state(s.id) == {"state": "dismissed", "starred": True, "unread": True}
        assert st.inbox() == []  # dismissed stories leave the inbox
        st.undo()
        assert st.triage_state(s.id)["state"] == "new"
        st.undo()
        assert st.triage_state(s.id)["starred"] is False
        assert st.undo() is None


def test_current_stage_is_the_latest_event_in_time(store: Store) -> None:
    text = "The deal, signed in April 2022, was scrapped in July 2024."
    s = story(1, "Scrapped", text, day=3)
    signed = StageEvent("uk-rwanda", "signed", ev(text), when="2022-04")
    cancelled = StageEvent("uk-rwanda", "cancelled", ev(text), when="2024-07")
    # Text order puts the background fact last; the dates decide.
    store.save_feed_result(feed(store), [matched(s, "uk-rwanda", cancelled, signed)])
    (row,) = store.negotiations()
    assert row.stage == "cancelled" and row.since == "2024-07"


def test_accepted_facts_are_confirmed_in_the_ledger(store: Store) -> None:
    s = story(1, "Rwanda claims £50m", "Rwanda is still claiming £50m from the UK.")
    pay = Payment(50e6, "GBP", "United Kingdom", "Rwanda", "claimed", ev(s.text), "uk-rwanda")
    store.save_feed_result(feed(store), [matched(s, "uk-rwanda", pay)])
    assert store.payments()[0].confirmed is False
    store.triage(s.id, "accept", state="accepted")
    assert store.payments()[0].confirmed is True
    store.triage(s.id, "dismiss", state="dismissed")
    assert store.payments() == []


def test_link_makes_a_story_matched_and_undo_unlinks(store: Store) -> None:
    s = story(1, "Unmatched story")
    store.save_feed_result(feed(store), [(s, Analysis(s.id))])
    store.link(s.id, "italy-albania")
    assert store.inbox()[0].agreements == ("italy-albania",)
    store.undo()
    assert store.inbox()[0].agreements == ()


def test_dismissing_one_report_of_an_event_keeps_the_events_facts(store: Store) -> None:
    a = story(1, "Rwanda claims £50m", "Rwanda is still claiming £50m from the UK.")
    b = story(2, "Rwanda wants its money", "Rwanda wants the UK to pay.")
    pay = Payment(50e6, "GBP", "United Kingdom", "Rwanda", "claimed", ev(a.text), "uk-rwanda")
    store.save_feed_result(feed(store), [matched(a, "uk-rwanda", pay), matched(b, "uk-rwanda")],
                           cluster_ids={b.id: a.id})
    store.triage(a.id, "dismiss", state="dismissed")
    assert [r.fact.amount for r in store.payments()] == [50e6]  # b still reports the event
    store.triage(b.id, "dismiss", state="dismissed")
    assert store.payments() == []


def test_a_contradicted_stage_claim_is_never_the_current_stage(store: Store) -> None:
    from feeds.models import Conflict

    text = "The deal was cancelled in 2023."
    s = story(1, "Drifted", text, day=4)
    claim = StageEvent("uk-rwanda", "cancelled", ev(text), when="2023")
    other = StageEvent("uk-rwanda", "signed", Evidence("It was signed in 2022.", 40, 62), when="2022")
    a = Analysis(s.id, matches=(Match("uk-rwanda", 0.9, True, ev(text)),), stages=(other, claim),
                 conflicts=(Conflict("uk-rwanda", "cancelled in 2023", "cancelled July 2024", ev(text)),))
    store.save_feed_result(feed(store), [(s, a)])
    (row,) = store.negotiations()
    assert row.stage == "signed" and row.conflicts == 1


def test_grouped_payments_count_their_sources(store: Store) -> None:
    a, b = story(1, "A", "UK owes £50m.", day=1), story(2, "B", "UK owes £50m.", day=2)
    pay = Payment(50e6, "GBP", "United Kingdom", "Rwanda", "claimed", ev("UK owes £50m."), "uk-rwanda")
    store.save_feed_result(feed(store), [matched(a, "uk-rwanda", pay), matched(b, "uk-rwanda", pay)])
    assert len(store.payments()) == 2  # exports keep every report with its evidence
    (row,) = store.payments(grouped=True)
    assert row.sources == 2 and row.fact.story_id == b.id  # the newest report represents the fact


def test_searching_an_agreements_name_finds_its_stories_whatever_they_call_it(store: Store) -> None:
    """'UK–Rwanda' as a search: the deal's stories (which say "Britain"), not only texts with both words."""
    from feeds.agreements import default_catalogue

    store.sync_agreements(default_catalogue())
    deal = story(1, "Britain's scheme is scrapped", "Ministers abandoned the plan to send people to Kigali.")
    other = story(2, "Tourism", "Visitors from the UK lifted Rwanda's earnings.")
    store.save_feed_result(feed(store), [matched(deal, "uk-rwanda"), (other, Analysis(other.id))])
    for query in ("UK–Rwanda", "uk-rwanda", "Rwanda scheme"):
        assert {r.id for r in store.inbox(query=query)} >= {deal.id}, query
    assert [r.id for r in store.inbox(query="Rwanda")] == [other.id]  # a word, not a name: plain search
