"""One agreement whole: where it stands and since when, its timeline of stage events, its payments with
totals by status and currency, its rights warnings and its stories, each fact with the story that tells it
and the user's corrections laid over what the extractor said.

The catalogue's known timeline is not stored; the caller (the dossier pane, the export) shows it beside.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

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


def user_total_keys(payments: Iterable[DossierItem],
                    rejected: Iterable[DossierItem] = ()) -> tuple[tuple[str, str], ...]:
    """The (status, currency) keys of totals_of that a correction of the user's touched."""
    keys = {((p.fact.status or "?"), (p.fact.currency or "").upper()) for p in payments
            if p.fact.user in USER_SET and p.fact.amount is not None and p.fact.amount_kind != "per-person"}
    keys |= {((p.fact.status or "?"), (p.fact.currency or "").upper()) for p in rejected
             if p.fact.kind == "payment" and p.fact.amount is not None}
    return tuple(sorted(keys))


def _parsed(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _when(happened: str | None, published: str | None) -> str:
    """DossierItem.when of a fact from its date and its story's."""
    if happened:
        return happened
    day = _parsed(published)
    return day.date().isoformat() if day else ""


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value else ""


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
                    *, raw: bool = False, outlets: bool = True, ids: Sequence[int] | None = None
                    ) -> list[LedgerRow]: ...

        def overlay_ledger(self, rows: Sequence[LedgerRow], *, keep_rejected: bool = False,
                           corrections: Sequence[Correction] | None = None) -> list[LedgerRow]: ...

        def added_facts(self, kind: str | None = None, agreement: str | None = None) -> list[FactRow]: ...

        def outlets_of(self, story_ids: Iterable[str]) -> dict[str, str]: ...

        def active_corrections(self, *, agreement: str | None = None, story_ids: Sequence[str] | None = None
                               ) -> list[Correction]: ...

        def inbox_ids(self, *, agreement: str | None = None, query: str | None = None,
                      include_dismissed: bool = False, unread_only: bool = False, starred_only: bool = False,
                      limit: int = -1, offset: int = 0) -> list[str]: ...

        def inbox_rows(self, ids: Sequence[str]) -> list[InboxRow]: ...

        def inbox_id_count(self, *, agreement: str | None = None) -> int: ...

        def lean_facts(self, kind: str, agreement: str, limit: int) -> list[tuple[Any, ...]]: ...

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

    def _items(self, kind: str, agreement_id: str, corrections: Sequence[Correction] | None = None,
               *, outlets: bool = True) -> list[DossierItem]:
        """corrections: the agreement's in force, read once for the whole dossier (None: read here).
        outlets=False: the stories' outlets are left empty (`_with_outlets` fills those of the lines kept)."""
        if corrections is None:
            corrections = self.active_corrections(agreement=agreement_id)
        rows = self.overlay_ledger(self._ledger(kind, DOSSIER_FACTS, 0, agreement_id, raw=True, outlets=outlets),
                                   keep_rejected=True, corrections=corrections)
        if kind != "conflict":
            from store.corrections import added_fact

            rows = [self.added_row(added_fact(c)) for c in corrections if c.action == "add" and c.kind == kind] + rows
        return [DossierItem(fact=r.fact, story_title=r.story_title, link=r.story_link, published=r.published,
                            outlet=r.source, confirmed=r.confirmed,
                            story_ids=(r.fact.story_id,) if r.fact.story_id else ()) for r in rows]

    def dossier(self, agreement_id: str, *, lines: int | None = None) -> Dossier | None:
        """The agreement's dossier; None when no such agreement is known. lines: keep the first (newest) few
        events, payments and warnings (the screen shows 40; the export has them all); the stage, the totals and
        the counts are over every one either way."""
        info = self.agreement_info(agreement_id)
        if info is None:
            return None
        title, parties = info
        corrections = self.active_corrections(agreement=agreement_id)
        # The stories' outlets (a subquery a fact) are read for the lines kept, not for every fact.
        conflicts = self._items("conflict", agreement_id, corrections, outlets=False)
        conflict_at = {(c.fact.story_id, c.fact.ev_start) for c in conflicts}
        # A kind no correction touches, for a screen that shows the first few lines: ordered and grouped from
        # the facts' dates and values alone, the text read for the lines kept (`_lean_events`, `_lean_grouped`).
        touched = {c.kind for c in corrections}
        rejected: list[DossierItem] = []
        if lines is not None and "stage" not in touched:
            events, stage, event_count = self._lean_events(agreement_id, conflict_at, lines)
        else:
            events = [replace(e, conflict=True) if (e.fact.story_id, e.fact.ev_start) in conflict_at
                      and e.fact.user == "" else e for e in self._items("stage", agreement_id, corrections,
                                                                          outlets=False)]
            rejected += [i for i in events if i.fact.user == "rejected"]
            events = [e for e in events if e.fact.user != "rejected"]
            events.sort(key=lambda e: (e.when[:10], e.fact.id), reverse=True)
            stage, event_count = current_stage(events), len(events)
        payments: list[DossierItem] = []
        warnings: list[DossierItem] = []
        for kind, bucket in (("payment", payments), ("warning", warnings)):
            if lines is not None and kind not in touched:
                bucket.extend(self._lean_grouped(kind, agreement_id))
            else:
                items = self._items(kind, agreement_id, corrections, outlets=False)
                rejected += [i for i in items if i.fact.user == "rejected"]
                bucket.extend(group_same(i for i in items if i.fact.user != "rejected"))
            bucket.sort(key=lambda i: (i.when[:10], i.fact.id), reverse=True)
        counts = event_count, len(payments), len(warnings)
        totals = totals_of(payments)
        user_totals = user_total_keys(payments, rejected)
        if lines is not None:
            events, payments, warnings = events[:lines], payments[:lines], warnings[:lines]
        with_outlets = self._with_outlets([*events, *payments, *warnings, *conflicts, *rejected,
                                           *([stage] if stage is not None else [])])
        stories = self.inbox_rows(self.inbox_ids(agreement=agreement_id, limit=DOSSIER_STORIES))
        story_count = self.inbox_id_count(agreement=agreement_id)
        return Dossier(agreement_id=agreement_id, title=title, parties=parties,
                       stage=with_outlets(stage) if stage is not None else None,
                       events=tuple(map(with_outlets, events)), conflicts=tuple(map(with_outlets, conflicts)),
                       payments=tuple(map(with_outlets, payments)), totals=tuple(totals),
                       warnings=tuple(map(with_outlets, warnings)), rejected=tuple(map(with_outlets, rejected)),
                       stories=tuple(stories), story_count=story_count, event_count=counts[0], payment_count=counts[1],
                       warning_count=counts[2], user_totals=user_totals)

    def _by_ids(self, kind: str, agreement_id: str, ids: Sequence[int]) -> dict[int, DossierItem]:
        """These facts as dossier lines (as `_items` makes them, outlets empty), by id."""
        out: dict[int, DossierItem] = {}
        ids = list(ids)
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            for r in self._ledger(kind, len(part), 0, agreement_id, raw=True, outlets=False, ids=part):
                out[r.fact.id] = DossierItem(fact=r.fact, story_title=r.story_title, link=r.story_link,
                                             published=r.published, outlet=r.source, confirmed=r.confirmed,
                                             story_ids=(r.fact.story_id,) if r.fact.story_id else ())
        return out

    def _lean_events(self, agreement_id: str, conflict_at: set[tuple[str, int | None]], lines: int
                     ) -> tuple[list[DossierItem], DossierItem | None, int]:
        """(the newest `lines` stage events, the current stage, how many events) when no correction touches the
        agreement's stage events: the same as sorting every event and `current_stage`, from their dates alone."""
        rows = self.lean_facts("stage", agreement_id, DOSSIER_FACTS)
        keyed = [(_when(r[2], r[4])[:10], r[0], bool(r[5]), (r[1], r[3]) in conflict_at) for r in rows]
        keyed.sort(key=lambda k: (k[0], k[1]), reverse=True)
        candidates = [k for k in keyed if not k[3]]
        best = max(candidates, key=lambda k: (k[2], k[0], k[1])) if candidates else None
        kept = keyed[:lines]
        items = self._by_ids("stage", agreement_id, [k[1] for k in kept] + ([best[1]] if best else []))
        events = [replace(items[k[1]], conflict=True) if k[3] else items[k[1]] for k in kept]
        return events, items[best[1]] if best else None, len(rows)

    def _lean_grouped(self, kind: str, agreement_id: str) -> list[DossierItem]:
        """`group_same` over the agreement's payments or warnings when no correction touches them: grouped from
        their values, the text read for one line a group."""
        columns = {"payment": (6, 7, 8, 9, 10, 11), "warning": (12, 13)}[kind]  # _SAME's, in lean_facts
        groups: dict[tuple[object, ...], list[tuple[Any, ...]]] = {}
        for r in self.lean_facts(kind, agreement_id, DOSSIER_FACTS):
            groups.setdefault(tuple(r[i].lower() if isinstance(r[i], str) else r[i] for i in columns), []).append(r)
        heads: list[tuple[int, tuple[str, ...]]] = []
        for members in groups.values():
            # As group_same: the newest report first (no line here is the user's), stable in ledger order.
            members.sort(key=lambda r: (bool(r[5]), _iso(_parsed(r[4]))), reverse=True)
            heads.append((members[0][0], tuple(dict.fromkeys(m[1] for m in members if m[1]))))
        items = self._by_ids(kind, agreement_id, [h[0] for h in heads])
        return [replace(items[fact_id], story_ids=story_ids) for fact_id, story_ids in heads]

    def _with_outlets(self, items: Sequence[DossierItem]) -> Callable[[DossierItem], DossierItem]:
        """A function giving an item its story's outlet (the facts the user added keep theirs: "you")."""
        outlets = self.outlets_of(i.fact.story_id for i in items if i.fact.user != "added" and i.fact.story_id)

        def with_outlet(item: DossierItem) -> DossierItem:
            if item.fact.user == "added" or not item.fact.story_id:
                return item
            return replace(item, outlet=outlets.get(item.fact.story_id, ""))

        return with_outlet

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
