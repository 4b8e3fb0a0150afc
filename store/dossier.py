"""One agreement whole: where it stands and since when, its timeline of stage events, its payments with
totals by status and currency, its rights warnings and its stories, each fact with the story that tells it
and the user's corrections laid over what the extractor said.

The catalogue's known timeline is not stored; the caller (the dossier pane, the export) shows it beside.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from store.rows import Dossier, DossierItem, FactRow, InboxRow, LedgerRow, Negotiation

if TYPE_CHECKING:
    from store.corrections import Correction

DOSSIER_FACTS = 20_000  # facts of one kind read for a dossier (the agreement with most stories has fewer)
DOSSIER_STORIES = 300  # stories listed (the count says how many there are)
_SAME = {"payment": ("payer", "payee", "amount", "currency", "status", "amount_kind"),
         "warning": ("speaker", "concern")}
USER_SET = ("edited", "confirmed", "added")


def _same_key(f: FactRow) -> tuple[object, ...]:
    cols = _SAME.get(f.kind, ())
    return tuple((str(getattr(f, c)).lower() if isinstance(getattr(f, c), str) else getattr(f, c)) for c in cols)


def group_same(items: Iterable[DossierItem]) -> list[DossierItem]:
    """One line per fact however many stories tell it: the user's version first, else the newest report."""
    groups: dict[tuple[object, ...], list[DossierItem]] = {}
    for item in items:
        groups.setdefault(_same_key(item.fact), []).append(item)
    out = []
    for members in groups.values():
        members.sort(key=lambda i: (i.fact.user in USER_SET, i.confirmed,
                                    i.published.isoformat() if i.published else ""), reverse=True)
        ids = tuple(dict.fromkeys(sid for m in members for sid in m.story_ids))
        out.append(replace(members[0], story_ids=ids))
    return out


def totals_of(payments: Iterable[DossierItem]) -> list[tuple[str, str, float]]:
    """(status, currency, sum): "paid £240m · pledged £50m"; per-person sums are not totals."""
    sums: dict[tuple[str, str], float] = {}
    for p in payments:
        f = p.fact
        if f.amount is None or f.amount_kind == "per-person":
            continue
        key = (f.status or "?", (f.currency or "").upper())
        sums[key] = sums.get(key, 0.0) + f.amount
    order = {"paid": 0, "pledged": 1, "owed": 2, "claimed": 3, "proposed": 4}
    return [(s, c, v) for (s, c), v in sorted(sums.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1]))]


def current_stage(events: Sequence[DossierItem]) -> DossierItem | None:
    """The latest stage event in time, the user's and the accepted ones first, conflicting claims never."""
    candidates = [e for e in events if not e.conflict and e.fact.user != "rejected"]
    if not candidates:
        return None
    return max(candidates, key=lambda e: (e.fact.user in USER_SET or e.confirmed, e.when[:10], e.fact.id))


class DossierMixin:
    """The dossier part of `Store`."""

    conn: sqlite3.Connection

    if TYPE_CHECKING:
        def _ledger(self, kind: str, limit: int, offset: int, agreement: str | None, grouped: bool = False,
                    *, raw: bool = False) -> list[LedgerRow]: ...

        def overlay_ledger(self, rows: Sequence[LedgerRow], *, keep_rejected: bool = False) -> list[LedgerRow]: ...

        def added_facts(self, kind: str | None = None, agreement: str | None = None) -> list[FactRow]: ...

        def active_corrections(self, *, agreement: str | None = None, story_ids: Sequence[str] | None = None
                               ) -> list[Correction]: ...

        def inbox_ids(self, *, agreement: str | None = None, query: str | None = None,
                      include_dismissed: bool = False, unread_only: bool = False, starred_only: bool = False,
                      limit: int = -1, offset: int = 0) -> list[str]: ...

        def inbox_rows(self, ids: Sequence[str]) -> list[InboxRow]: ...

    def agreement_info(self, agreement_id: str) -> tuple[str, tuple[str, ...]] | None:
        r = self.conn.execute("SELECT title, parties FROM agreements WHERE id = ?", (agreement_id,)).fetchone()
        if r is None:
            # Stories matched to an agreement the catalogue no longer names still have a dossier.
            known = self.conn.execute("SELECT 1 FROM matches WHERE agreement_id = ? LIMIT 1", (agreement_id,))
            return (agreement_id, ()) if known.fetchone() else None
        return r[0] or agreement_id, tuple(json.loads(r[1] or "[]"))

    def added_row(self, f: FactRow) -> LedgerRow:
        """A fact the user added, as a ledger row: its source is the user's link and note."""
        title = ""
        if f.story_id:
            r = self.conn.execute("SELECT title FROM stories WHERE id = ?", (f.story_id,)).fetchone()
            title = r[0] if r else ""
        when = None
        if f.happened:
            try:
                when = datetime.fromisoformat(f.happened[:10] if len(f.happened) >= 10 else
                                              (f.happened + "-01-01")[:10])
            except ValueError:
                when = None
        return LedgerRow(fact=f, story_title=title, story_link=f.user_link, published=when, source="you",
                         confirmed=True)

    def _items(self, kind: str, agreement_id: str) -> list[DossierItem]:
        rows = self.overlay_ledger(self._ledger(kind, DOSSIER_FACTS, 0, agreement_id, raw=True), keep_rejected=True)
        if kind != "conflict":
            rows = [self.added_row(f) for f in self.added_facts(kind, agreement_id)] + rows
        return [DossierItem(fact=r.fact, story_title=r.story_title, link=r.story_link, published=r.published,
                            outlet=r.source, confirmed=r.confirmed,
                            story_ids=(r.fact.story_id,) if r.fact.story_id else ()) for r in rows]

    def dossier(self, agreement_id: str) -> Dossier | None:
        """The agreement's dossier; None when no such agreement is known."""
        info = self.agreement_info(agreement_id)
        if info is None:
            return None
        title, parties = info
        # _ledger puts the user's added facts first on its first page; keep them once.
        conflicts = self._items("conflict", agreement_id)
        conflict_at = {(c.fact.story_id, c.fact.ev_start) for c in conflicts}
        events = [replace(e, conflict=(e.fact.story_id, e.fact.ev_start) in conflict_at and e.fact.user == "")
                  for e in self._items("stage", agreement_id)]
        rejected = [i for i in events if i.fact.user == "rejected"]
        events = [e for e in events if e.fact.user != "rejected"]
        events.sort(key=lambda e: (e.when[:10], e.fact.id), reverse=True)
        payments: list[DossierItem] = []
        warnings: list[DossierItem] = []
        for kind, bucket in (("payment", payments), ("warning", warnings)):
            items = self._items(kind, agreement_id)
            rejected += [i for i in items if i.fact.user == "rejected"]
            bucket.extend(group_same(i for i in items if i.fact.user != "rejected"))
            bucket.sort(key=lambda i: (i.when[:10], i.fact.id), reverse=True)
        ids = self.inbox_ids(agreement=agreement_id)
        stories = self.inbox_rows(ids[:DOSSIER_STORIES])
        return Dossier(agreement_id=agreement_id, title=title, parties=parties, stage=current_stage(events),
                       events=tuple(events), conflicts=tuple(conflicts), payments=tuple(payments),
                       totals=tuple(totals_of(payments)), warnings=tuple(warnings), rejected=tuple(rejected),
                       stories=tuple(stories), story_count=len(ids))

    def correct_negotiations(self, negotiations: list[Negotiation]) -> list[Negotiation]:
        """The Negotiations pane with the user's stage corrections: an agreement whose stage events the user
        touched gets its stage from the dossier's rule."""
        touched = {c.agreement_id for c in self.active_corrections() if c.kind == "stage" and c.agreement_id}
        if not touched:
            return negotiations
        by_id = {n.agreement_id: n for n in negotiations}
        titles = dict(self.conn.execute("SELECT id, title FROM agreements").fetchall())
        for agreement_id in touched:
            items = [i for i in self._items("stage", agreement_id) if i.fact.user != "rejected"]
            conflicts = {(c.fact.story_id, c.fact.ev_start) for c in self._items("conflict", agreement_id)}
            items = [replace(i, conflict=(i.fact.story_id, i.fact.ev_start) in conflicts and i.fact.user == "")
                     for i in items]
            stage = current_stage(items)
            old = by_id.get(agreement_id)
            if stage is None:
                by_id.pop(agreement_id, None)
                continue
            f = stage.fact
            by_id[agreement_id] = Negotiation(
                agreement_id=agreement_id, title=titles.get(agreement_id, agreement_id), stage=f.stage or "?",
                since=stage.when or None, source=stage.outlet, story_id=f.story_id, evidence=f.evidence,
                confirmed=stage.confirmed, stories=old.stories if old else 0, conflicts=old.conflicts if old else 0,
                user=f.user, review=f.review)
        out = list(by_id.values())
        out.sort(key=lambda n: (n.since or ""), reverse=True)
        return out
