"""The user's corrections (store/corrections.py) and the dossier (store/dossier.py) on the fixed test database."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_tui_support import build_db

from store import Store
from store.corrections import CorrectionError, parse_amount, validate


@pytest.fixture
def store(tmp_path: Path):
    with Store(build_db(tmp_path / "c.db")) as s:
        yield s


def _reanalyse(store: Store, story_id: str) -> None:
    """What re-analysis does to a story: its facts rows are deleted and written again (new ids)."""
    rows = store.conn.execute("SELECT * FROM facts WHERE story_id = ? ORDER BY id", (story_id,)).fetchall()
    cols = [d[1] for d in store.conn.execute("PRAGMA table_info(facts)")]
    store.conn.execute("DELETE FROM facts WHERE story_id = ?", (story_id,))
    for r in rows:
        values = dict(zip(cols, r, strict=True))
        values.pop("id")
        store.conn.execute(f"INSERT INTO facts ({', '.join(values)}) VALUES ({', '.join('?' * len(values))})",
                           list(values.values()))


def test_dossier_counts_the_same_payment_once_and_marks_the_conflict(store: Store) -> None:
    d = store.dossier("uk-rwanda")
    assert d is not None and d.title == "UK–Rwanda partnership"
    assert len(d.payments) == 1 and set(d.payments[0].story_ids) == {"s-owes", "s-owes-2"}
    assert d.totals == (("claimed", "GBP", 50_000_000.0),)
    assert d.stage is not None and d.stage.fact.stage == "cancelled" and d.stage.when == "2024-07"
    assert [c.fact.claim for c in d.conflicts] == ["cancelled in 2023"]
    assert {s.id for s in d.stories} == {"s-owes", "s-owes-2"} and d.story_count == 2
    assert store.dossier("no-such-deal") is None


def test_a_corrected_payment_survives_reanalysis_and_undo_brings_the_extraction_back(store: Store) -> None:
    row = store.payments(agreement="uk-rwanda", grouped=True)[0]
    change = store.correct(store.same_facts(row.fact), "edit",
                           {**{k: getattr(row.fact, k) for k in ("amount", "currency", "payer", "payee")},
                            "status": "paid"}, note="Home Office confirmed the transfer")
    assert change.action == "fact.edit"
    for story_id in ("s-owes", "s-owes-2"):
        _reanalyse(store, story_id)
    d = store.dossier("uk-rwanda")
    assert d is not None and d.totals == (("paid", "GBP", 50_000_000.0),)
    fact = d.payments[0].fact
    assert fact.user == "edited" and fact.was == "status claimed" and not fact.review
    # The extractor's own rows are untouched.
    assert {r[0] for r in store.conn.execute("SELECT status FROM facts WHERE kind = 'payment'")} == {"claimed"}
    assert store.payments(agreement="uk-rwanda")[0].fact.status == "paid"
    assert store.undo() is not None
    assert store.dossier("uk-rwanda").totals == (("claimed", "GBP", 50_000_000.0),)  # type: ignore[union-attr]


def test_a_changed_extraction_of_a_corrected_fact_waits_for_review(store: Store) -> None:
    row = store.payments(agreement="uk-rwanda")[0]
    store.correct([row.fact], "confirm")
    store.conn.execute("UPDATE facts SET payee = 'Kigali' WHERE id = ?", (row.fact.id,))
    fact = next(r.fact for r in store.payments(agreement="uk-rwanda") if r.fact.story_id == row.fact.story_id)
    assert fact.user == "confirmed" and fact.payee == "Rwanda" and fact.review


def test_reject_hides_a_fact_and_add_keeps_the_users_source(store: Store) -> None:
    warning = store.warnings(agreement="us-rwanda")[0]
    store.correct([warning.fact], "reject")
    assert store.warnings(agreement="us-rwanda") == []
    d = store.dossier("us-rwanda")
    assert d is not None and d.warnings == () and [r.fact.user for r in d.rejected] == ["rejected"]
    store.add_fact("payment", "us-rwanda", {"amount": "7.5m", "currency": "usd", "payer": "United States",
                                            "payee": "Rwanda", "status": "pledged", "happened": "2025-08"},
                   note="State Department fact sheet", link="https://state.example/rwanda")
    rows = store.payments(agreement="us-rwanda")
    assert rows[0].fact.user == "added" and rows[0].fact.amount == 7_500_000 and rows[0].source == "you"
    assert rows[0].story_link == "https://state.example/rwanda"
    assert store.dossier("us-rwanda").totals == (("pledged", "USD", 7_500_000.0),)  # type: ignore[union-attr]
    store.undo()
    assert store.payments(agreement="us-rwanda") == []


def test_a_stage_correction_sets_the_negotiations_pane(store: Store) -> None:
    n = next(n for n in store.negotiations() if n.agreement_id == "italy-albania")
    fact = next(f for f in store.story(n.story_id).facts if f.kind == "stage")  # type: ignore[union-attr]
    store.correct([fact], "edit", {"stage": "suspended", "happened": "2025-03"})
    n = next(n for n in store.negotiations() if n.agreement_id == "italy-albania")
    assert (n.stage, n.since, n.user) == ("suspended", "2025-03", "edited")


@pytest.mark.parametrize(("values", "message"), [
    ({"amount": "-5m", "currency": "GBP", "payer": "UK", "payee": "Rwanda", "status": "paid"}, "amount: must be positive"),
    ({"amount": "5m", "currency": "XYZ", "payer": "UK", "payee": "Rwanda", "status": "paid"}, "currency: XYZ"),
    ({"amount": "5m", "currency": "GBP", "payer": " ", "payee": "Rwanda", "status": "paid"}, "payer: required"),
    ({"amount": "lots", "currency": "GBP", "payer": "UK", "payee": "Rwanda", "status": "paid"}, "amount: 'lots'"),
    ({"amount": "5m", "currency": "GBP", "payer": "UK", "payee": "Rwanda", "status": "given"}, "status: choose"),
    ({"amount": "5m", "currency": "GBP", "payer": "UK", "payee": "Rwanda", "status": "paid", "happened": "May"},
     "date: write it"),
])
def test_the_form_refuses_bad_values_and_saves_nothing(store: Store, values: dict, message: str) -> None:
    with pytest.raises(CorrectionError, match=message):
        validate("payment", values)
    with pytest.raises(CorrectionError):
        store.add_fact("payment", "uk-rwanda", values, note="n", link=None)
    assert store.conn.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0


def test_amounts_as_people_write_them() -> None:
    assert parse_amount("£50m") == 50_000_000
    assert parse_amount("1.2bn") == 1_200_000_000
    assert parse_amount("50,000,000") == 50_000_000
    assert parse_amount("12 000") == 12_000


def _many_reports(path: Path, stories: int) -> Store:
    """One payment told by `stories` stories (and a second payment by one more), for corrections at scale."""
    from datetime import UTC, datetime, timedelta

    from feeds.models import Analysis, Evidence, FeedState, Match, Payment, Story

    store = Store(path)
    url = "https://many.example/rss"
    store.sync_feeds([(url, "Many", ())])
    items = []
    for i in range(stories + 1):
        text = f"The UK paid {50 if i < stories else 7} million to Rwanda, officials said."
        s = Story(id=f"m{i:05d}", title=f"Report {i}", text=text, link=f"https://many.example/{i}",
                  published=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(minutes=i))
        ev = Evidence(text, 0, len(text))
        items.append((s, Analysis(s.id, matches=(Match("uk-rwanda", 0.9, True, ev),), payments=(
            Payment((50 if i < stories else 7) * 1e6, "GBP", "UK", "Rwanda", "paid", ev, "uk-rwanda"),))))
    store.save_feed_result(FeedState(url=url, last_result="ok", last_status=200), items)
    return store


def test_a_correction_of_a_payment_told_by_a_thousand_stories_overlays_each(tmp_path: Path) -> None:
    # More stories than one query's batch: every report of the payment shows the user's values.
    with _many_reports(tmp_path / "many.db", 1200) as store:
        row = next(r for r in store.payments(agreement="uk-rwanda", grouped=True) if r.fact.amount == 50e6)
        targets = store.same_facts(row.fact)
        assert len(targets) == 1200
        store.correct(targets, "edit", {"status": "pledged"})
        ungrouped = store.payments(limit=5000, agreement="uk-rwanda")
        assert len(ungrouped) == 1201
        assert {r.fact.status for r in ungrouped if r.fact.amount == 50e6} == {"pledged"}
        assert all(r.fact.user == "edited" for r in ungrouped if r.fact.amount == 50e6)
        assert [r.fact.user for r in ungrouped if r.fact.amount == 7e6] == [""]
        d = store.dossier("uk-rwanda")
        assert d is not None
        assert d.totals == (("paid", "GBP", 7_000_000.0), ("pledged", "GBP", 50_000_000.0))
        assert len(d.payments) == 2 and len(next(p for p in d.payments if p.fact.amount == 50e6).story_ids) == 1200


def _cut(d, n: int):
    from dataclasses import replace

    return replace(d, events=d.events[:n], payments=d.payments[:n], warnings=d.warnings[:n])


@pytest.mark.parametrize("lines", [1, 2, 40])
def test_the_screens_dossier_is_the_whole_dossiers_first_lines(store: Store, lines: int) -> None:
    # Store.dossier(lines=N) orders and groups the kinds no correction touches from their dates and values
    # alone; it must say exactly what the whole dossier (the export's) says, cut to N lines.
    agreements = [r[0] for r in store.conn.execute("SELECT DISTINCT agreement_id FROM matches")]

    def same() -> None:
        for agreement in agreements:
            full = store.dossier(agreement)
            assert full is not None
            assert store.dossier(agreement, lines=lines) == _cut(full, lines)
            assert (full.event_count, full.payment_count, full.warning_count) == (
                len(full.events), len(full.payments), len(full.warnings))

    same()
    row = store.payments(agreement="uk-rwanda", grouped=True)[0]
    store.correct(store.same_facts(row.fact), "edit", {"status": "paid"})
    same()  # payments touched (read whole), stages not
    stage = next(f for f in store.story("s-owes").facts if f.kind == "stage")  # type: ignore[union-attr]
    store.correct([stage], "reject")
    store.add_fact("warning", "uk-rwanda", {"speaker": "Amnesty", "concern": "detention"}, note="report", link=None)
    same()


def test_the_screens_dossier_of_a_payment_told_by_a_thousand_stories(tmp_path: Path) -> None:
    with _many_reports(tmp_path / "many.db", 1200) as store:
        lean = store.dossier("uk-rwanda", lines=40)
        full = store.dossier("uk-rwanda")
        assert lean is not None and full is not None and lean == _cut(full, 40)
        assert lean.story_count == 1201 and len(lean.stories) == 300
        assert [len(p.story_ids) for p in lean.payments] == [1, 1200]
        assert lean.payments[1].outlet == "Many"
