"""The user's own corrections to the ledger, kept apart from what the extractor said.

A correction names its fact by something re-analysis keeps: the story, the fact's kind, its agreement and a
natural key (payments: currency and rounded amount; warnings: the speaker; stages: the agreement alone),
with an ordinal for the rare story that states two such facts. `facts.id` is not stable: re-analysing a
story (an article fetched later, better rules) rewrites its facts rows, and the correction must outlive that.

The extractor's rows are never edited. What the panes, the dossier and the exports show is the extracted
fact with the user's values laid over it (`overlay`), marked as the user's; a fact the user added by hand is
a correction with no extracted fact behind it. When a later analysis says something else about a fact the
user edited or confirmed, the user's values stay and the fact is marked for review.

Every correction is journalled in `triage_log`, so `z` undoes it like any triage action.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from feeds.models import PAYMENT_STATUSES, STAGES
from store.rows import FactRow, LedgerRow, TriageChange

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

CORRECTION_ACTIONS = ("edit", "reject", "confirm", "add")
KINDS = ("stage", "payment", "warning")
# The values a user may set, per kind ("happened" is the date the fact is about).
EDITABLE = {
    "stage": ("stage", "happened"),
    "payment": ("amount", "currency", "payer", "payee", "status", "amount_kind", "happened"),
    "warning": ("speaker", "concern", "denied_by", "happened"),
}
CURRENCIES = ("GBP", "USD", "EUR", "AUD", "CAD", "NZD", "JPY", "CHF", "DKK", "SEK", "NOK", "RWF", "ILS", "LYD",
              "SSP", "SZL", "UGX", "GHS", "CRC", "PAB", "ALL", "TND", "TRY", "MXN", "HNL", "GTQ", "XOF", "MAD",
              "EGP", "LBP", "JOD", "PKR", "AFN", "KES", "NGN", "ZAR", "PLN", "HUF", "CZK", "RON", "BGN")
AMOUNT_KINDS = ("total", "per-person", "tranche")
_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_AMOUNT = re.compile(r"^(?P<n>\d+(?:[.,]\d+)*)\s*(?P<unit>k|thousand|m|mn|million|bn|b|billion)?$", re.I)
_UNITS = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9, "b": 1e9, "billion": 1e9}


class CorrectionError(ValueError):
    """A value the correction form cannot take; the message says which and why, in the user's words."""


def parse_amount(text: str) -> float:
    """'50m', '1.2bn', '50,000,000', '£50m' → a positive number; anything else is a CorrectionError."""
    raw = text.strip().replace(" ", "").lstrip("£$€")
    if raw.startswith("-"):
        raise CorrectionError("amount: must be positive (a payment's direction is its payer and payee)")
    m = _AMOUNT.match(raw)
    if not m:
        raise CorrectionError(f"amount: {text.strip()!r} is not a number (write 50m, 1.2bn or 50,000,000)")
    number = m.group("n")
    # "1,200" is a thousands separator; "1,5" a decimal comma.
    if "," in number and "." not in number and re.fullmatch(r"\d{1,3}(,\d{3})+", number) is None:
        number = number.replace(",", ".")
    value = float(number.replace(",", "")) * _UNITS.get((m.group("unit") or "").lower(), 1.0)
    if value <= 0:
        raise CorrectionError("amount: must be more than zero")
    return value


def validate(kind: str, values: dict[str, Any], *, adding: bool = False) -> dict[str, Any]:
    """The form's values checked and normalised; a CorrectionError names the first field that is wrong."""
    if kind not in KINDS:
        raise CorrectionError(f"kind: {kind!r} cannot be corrected (only {', '.join(KINDS)})")
    out: dict[str, Any] = {}
    for name in EDITABLE[kind]:
        value = values.get(name)
        if isinstance(value, str):
            value = " ".join(value.split())
        if value in ("", None):
            value = None
        out[name] = value
    if kind == "stage":
        if out["stage"] not in STAGES:
            raise CorrectionError(f"stage: choose one of {', '.join(STAGES)}")
    elif kind == "payment":
        amount = out["amount"]
        if amount is None:
            raise CorrectionError("amount: required")
        if isinstance(amount, str):
            amount = parse_amount(amount)
        elif float(amount) <= 0:
            raise CorrectionError("amount: must be more than zero")
        out["amount"] = float(amount)
        currency = (out["currency"] or "").upper()
        if currency not in CURRENCIES:
            raise CorrectionError(f"currency: {out['currency'] or '(empty)'!s} is not a known ISO code "
                                  f"(e.g. {', '.join(CURRENCIES[:6])})")
        out["currency"] = currency
        for side in ("payer", "payee"):
            if not out[side]:
                raise CorrectionError(f"{side}: required (who pays, who is paid)")
        if out["status"] not in PAYMENT_STATUSES:
            raise CorrectionError(f"status: choose one of {', '.join(PAYMENT_STATUSES)}")
        if out["amount_kind"] is not None and out["amount_kind"] not in AMOUNT_KINDS:
            raise CorrectionError(f"kind: choose one of {', '.join(AMOUNT_KINDS)}")
    elif kind == "warning":
        if not out["speaker"]:
            raise CorrectionError("speaker: required (who warned)")
        if not out["concern"]:
            raise CorrectionError("concern: required (what they warned of)")
    if out["happened"] is not None and not _DATE.match(str(out["happened"])):
        raise CorrectionError("date: write it as YYYY, YYYY-MM or YYYY-MM-DD")
    return out


def check_source(note: str | None, link: str | None, *, adding: bool) -> tuple[str, str | None]:
    note = " ".join((note or "").split())
    link = (link or "").strip() or None
    if link is not None and not re.match(r"^https?://[^\s/]+", link, re.I):
        raise CorrectionError("source link: must be an http(s) address")
    if adding and not (note or link):
        raise CorrectionError("note or source link: a fact added by hand needs its source")
    return note, link


def natural_key(kind: str, fact: FactRow) -> str:
    """What identifies a fact within its story across re-analysis (see the module docstring)."""
    if kind == "payment":
        amount = fact.amount
        rounded = f"{amount:.2g}" if amount is not None else "?"
        return f"{(fact.currency or '').upper()}:{rounded}"
    if kind == "warning":
        return " ".join((fact.speaker or "").lower().split())
    return ""


def fact_keys(facts: Iterable[FactRow]) -> dict[int, str]:
    """facts.id → the fact's stable key within its story ("GBP:5e+07#0"): the natural key and an ordinal."""
    seen: dict[tuple[str, str, str | None, str], int] = {}
    out: dict[int, str] = {}
    for f in sorted(facts, key=lambda f: f.id):
        base = (f.story_id, f.kind, f.agreement_id, natural_key(f.kind, f))
        n = seen.get(base, 0)
        seen[base] = n + 1
        out[f.id] = f"{base[3]}#{n}"
    return out


@dataclass(frozen=True, slots=True)
class Correction:
    id: int
    story_id: str | None
    kind: str
    agreement_id: str | None
    fact_key: str
    action: str
    fields: dict[str, Any]
    base: dict[str, Any]
    note: str
    link: str | None
    at: datetime | None


def _values(fact: FactRow, kind: str) -> dict[str, Any]:
    return {name: getattr(fact, name) for name in EDITABLE[kind]}


def _describe(values: dict[str, Any]) -> str:
    return ", ".join(f"{k} {v}" for k, v in values.items() if v not in (None, ""))


def corrected_fact(fact: FactRow, c: Correction) -> FactRow:
    """The extracted fact with the user's values over it, marked; review when the extraction has changed
    since the user looked at it."""
    current = _values(fact, c.kind)
    review = c.action in ("edit", "confirm") and bool(c.base) and current != c.base
    if c.action == "reject":
        return replace(fact, user="rejected", correction_id=c.id, note=c.note, user_link=c.link, review=False,
                       corrected_at=_iso_or_none(c.at))
    changed = {k: v for k, v in current.items() if c.fields.get(k) != v}
    was = _describe({k: current[k] for k in changed}) if c.action == "edit" else ""
    return replace(fact, **c.fields, user="edited" if c.action == "edit" else "confirmed", correction_id=c.id,
                   note=c.note, user_link=c.link, review=review, was=was, corrected_at=_iso_or_none(c.at))


def added_fact(c: Correction) -> FactRow:
    return FactRow(id=-int(c.fact_key.split(":", 1)[1]), story_id=c.story_id or "", kind=c.kind, agreement_id=c.agreement_id,
                   evidence=c.note, user="added", correction_id=c.id, note=c.note, user_link=c.link,
                   corrected_at=_iso_or_none(c.at),
                   **{k: v for k, v in c.fields.items() if k in EDITABLE[c.kind]})


@lru_cache(maxsize=256)
def _json_of(items: tuple[tuple[str, Any], ...]) -> str:
    return json.dumps(dict(items))


def _json(values: dict[str, Any]) -> str:
    """json.dumps of a fact's values; the reports of one fact have the same, so each is made once."""
    try:
        return _json_of(tuple(values.items()))
    except TypeError:  # an unhashable value
        return json.dumps(values)


def _iso_or_none(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class CorrectionsMixin:
    """The corrections part of `Store` (which provides `conn` and `transaction`)."""

    conn: sqlite3.Connection

    if TYPE_CHECKING:
        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

        def _facts(self, where: str, params: Sequence[object], table: str = "facts") -> Iterable[FactRow]: ...

    # ------------------------------------------------------------------------------------ reading

    def active_corrections(self, *, agreement: str | None = None, story_ids: Sequence[str] | None = None
                           ) -> list[Correction]:
        """The corrections in force: per target the latest not undone (an undo brings the one before back)."""
        sql = ("SELECT id, story_id, kind, agreement_id, fact_key, action, fields, base, note, link, at "
               "FROM corrections c WHERE undone = 0 AND id = (SELECT max(id) FROM corrections d WHERE d.undone = 0 "
               "AND d.kind = c.kind AND d.fact_key = c.fact_key AND d.story_id IS c.story_id "
               "AND d.agreement_id IS c.agreement_id)")
        params: list[object] = []
        if agreement is not None:
            sql += " AND agreement_id = ?"
            params.append(agreement)
        if story_ids is not None:
            ids = list(story_ids)
            if not ids:
                return []
            sql += f" AND story_id IN ({','.join('?' * len(ids))})"
            params += ids
        sql += " ORDER BY id"
        out = []
        for r in self.conn.execute(sql, params):
            at = datetime.fromisoformat(r[10]) if r[10] else None
            out.append(Correction(id=r[0], story_id=r[1], kind=r[2], agreement_id=r[3], fact_key=r[4], action=r[5],
                                  fields=json.loads(r[6] or "{}"), base=json.loads(r[7] or "{}"), note=r[8] or "",
                                  link=r[9], at=at))
        return out

    def has_corrections(self) -> bool:
        return self.conn.execute("SELECT 1 FROM corrections WHERE undone = 0 LIMIT 1").fetchone() is not None

    def overlay_facts(self, facts: Sequence[FactRow], corrections: Sequence[Correction] | None = None
                      ) -> list[FactRow]:
        """The facts with the user's corrections laid over them (rejected ones kept, marked)."""
        stories = sorted({f.story_id for f in facts})
        if corrections is None:
            corrections = self.active_corrections(story_ids=stories)
        by_target = {(c.story_id, c.kind, c.agreement_id, c.fact_key): c for c in corrections if c.action != "add"}
        if not by_target:
            return list(facts)
        # A fact's key counts its story's facts of its kind: read those of every touched story, a kind and a
        # few hundred stories a query (a payment told by a thousand stories is a thousand touched stories).
        present = {(f.story_id, f.kind) for f in facts}
        touched: dict[str, set[str]] = {}
        for target in by_target.values():
            if (target.story_id, target.kind) in present and target.story_id is not None:
                touched.setdefault(target.kind, set()).add(target.story_id)
        keys: dict[int, str] = {}
        for kind, story_set in touched.items():
            ids = sorted(story_set)
            for start in range(0, len(ids), 500):
                part = ids[start:start + 500]
                keys.update(fact_keys(self._facts(f"WHERE kind = ? AND story_id IN ({','.join('?' * len(part))})",
                                                  (kind, *part))))
        out = []
        for f in facts:
            c = by_target.get((f.story_id, f.kind, f.agreement_id, keys.get(f.id, "")))
            out.append(corrected_fact(f, c) if c is not None else f)
        return out

    def overlay_ledger(self, rows: Sequence[LedgerRow], *, keep_rejected: bool = False,
                       corrections: Sequence[Correction] | None = None) -> list[LedgerRow]:
        """corrections: those in force for these rows' stories, when the caller has read them already."""
        if not rows or (not corrections if corrections is not None else not self.has_corrections()):
            return list(rows)
        facts = self.overlay_facts([r.fact for r in rows], corrections)
        return [replace(r, fact=f) for r, f in zip(rows, facts, strict=True)
                if keep_rejected or f.user != "rejected"]

    def refreshed_row(self, row: LedgerRow) -> LedgerRow | None:
        """One ledger row read again with the corrections over it (None: the user rejected it): what a pane
        shows right after a correction, before its full re-read."""
        stored = next(iter(self._facts("WHERE id = ?", (row.fact.id,))), None) if row.fact.id >= 0 else None
        if stored is None:
            return None
        fact = self.overlay_facts([stored])[0]
        return None if fact.user == "rejected" else replace(row, fact=fact)

    def added_facts(self, kind: str | None = None, agreement: str | None = None) -> list[FactRow]:
        return [added_fact(c) for c in self.active_corrections(agreement=agreement)
                if c.action == "add" and (kind is None or c.kind == kind)]

    # ------------------------------------------------------------------------------------ writing

    def same_facts(self, fact: FactRow) -> list[FactRow]:
        """The facts other stories tell that are the same as this one (one grouped ledger row): a correction
        of the row is a correction of each, so a payment reported three times is not counted twice after."""
        cols = {"payment": ("agreement_id", "payer", "payee", "amount", "currency", "status", "amount_kind"),
                "warning": ("agreement_id", "speaker", "concern")}.get(fact.kind)
        if cols is None or fact.id < 0:
            return [fact]
        stored = next(iter(self._facts("WHERE id = ?", (fact.id,))), fact)  # as extracted, not as corrected
        where = " AND ".join(f"{c} IS ?" for c in cols)
        found = list(self._facts(f"WHERE kind = ? AND {where} ORDER BY id",
                                 (fact.kind, *(getattr(stored, c) for c in cols))))
        return found or [fact]

    def correct(self, facts: Sequence[FactRow], action: str, values: dict[str, Any] | None = None,
                note: str | None = None, link: str | None = None) -> TriageChange:
        """Edit, reject or confirm extracted facts (the same fact from several stories at once): one journal
        entry, so one `z` undoes it."""
        if action not in ("edit", "reject", "confirm"):
            raise ValueError(f"unknown correction {action!r}")
        if not facts:
            raise ValueError("no fact to correct")
        kind = facts[0].kind
        if kind not in KINDS:
            raise CorrectionError(f"a {kind} is not corrected by hand: correct the stage instead")
        note, link = check_source(note, link, adding=False)
        # Fields the form leaves out keep what the fact says (its amount's kind, say).
        fields = validate(kind, {**_values(facts[0], kind), **(values or {})}) if action == "edit" else {}
        at = _now()
        # Every target story's facts of this kind in a few queries: their keys and stored values.
        stories = sorted({f.story_id for f in facts if f.user != "added"})
        story_facts: list[FactRow] = []
        for start in range(0, len(stories), 500):
            part = stories[start:start + 500]
            story_facts += self._facts(f"WHERE kind = ? AND story_id IN ({','.join('?' * len(part))})", (kind, *part))
        keys = fact_keys(story_facts)
        by_id = {f.id: f for f in story_facts}
        with self.transaction() as conn:
            if not any(f.user == "added" for f in facts):
                # One statement for every report of the fact (a payment told by a thousand stories).
                ids = self._insert_many(conn, [self._row(by_id, keys, f, kind, action, fields, note, link, at)
                                               for f in facts])
            else:
                ids = []
                for fact in facts:
                    if fact.user == "added":
                        # A fact the user added is corrected by a new version of the addition.
                        ids.append(self._insert(conn, fact.story_id or None, kind, fact.agreement_id,
                                                f"added:{-fact.id}", "add" if action != "reject" else "reject",
                                                fields or _values(fact, kind), {}, note or fact.note,
                                                link or fact.user_link, at))
                    else:
                        ids += self._insert_many(conn, [self._row(by_id, keys, fact, kind, action, fields, note,
                                                                  link, at)])
            story_id = facts[0].story_id or ""
            after: dict[str, object] = {"corrections": ids, "kind": kind, "agreement": facts[0].agreement_id}
            conn.execute("INSERT INTO triage_log (story_id, action, before, after, at) VALUES (?, ?, ?, ?, ?)",
                         (story_id, f"fact.{action}", "{}", json.dumps(after), at))
        return TriageChange(story_id, f"fact.{action}", {}, after)

    def add_fact(self, kind: str, agreement_id: str, values: dict[str, Any], note: str | None, link: str | None,
                 story_id: str | None = None) -> TriageChange:
        """A fact the user adds by hand, with a note and a source link."""
        fields = validate(kind, values, adding=True)
        note, link = check_source(note, link, adding=True)
        at = _now()
        with self.transaction() as conn:
            cid = self._insert(conn, story_id, kind, agreement_id, "", "add", fields, {}, note, link, at)
            conn.execute("UPDATE corrections SET fact_key = ? WHERE id = ?", (f"added:{cid}", cid))
            after: dict[str, object] = {"corrections": [cid], "kind": kind, "agreement": agreement_id}
            conn.execute("INSERT INTO triage_log (story_id, action, before, after, at) VALUES (?, ?, ?, ?, ?)",
                         (story_id or "", "fact.add", "{}", json.dumps(after), at))
        return TriageChange(story_id or "", "fact.add", {}, after)

    @staticmethod
    def _row(by_id: dict[int, FactRow], keys: dict[int, str], fact: FactRow, kind: str, action: str,
             fields: dict[str, Any], note: str, link: str | None, at: str) -> tuple[object, ...]:
        """The corrections row of an extracted fact, as `correct` writes it."""
        stored = by_id.get(fact.id)
        if stored is None:
            raise KeyError(f"fact {fact.id} is no longer stored (the story was analysed again)")
        base = _values(stored, kind)
        fields_now = fields if action == "edit" else (base if action == "confirm" else {})
        return (fact.story_id, kind, fact.agreement_id, keys[fact.id], action, _json(fields_now), _json(base), note,
                link, at)

    @staticmethod
    def _insert_many(conn: sqlite3.Connection, rows: Sequence[tuple[object, ...]]) -> list[int]:
        """Insert corrections rows; their ids in order (the write lock is held: nobody else inserts meanwhile)."""
        last = conn.execute("SELECT coalesce(max(id), 0) FROM corrections").fetchone()[0]
        conn.executemany(
            "INSERT INTO corrections (story_id, kind, agreement_id, fact_key, action, fields, base, note, link, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        ids = [r[0] for r in conn.execute("SELECT id FROM corrections WHERE id > ? ORDER BY id", (last,))]
        assert len(ids) == len(rows), "corrections written meanwhile"
        return ids

    @staticmethod
    def _insert(conn: sqlite3.Connection, story_id: str | None, kind: str, agreement_id: str | None, key: str,
                action: str, fields: dict[str, Any], base: dict[str, Any], note: str, link: str | None,
                at: str) -> int:
        cur = conn.execute(
            "INSERT INTO corrections (story_id, kind, agreement_id, fact_key, action, fields, base, note, link, at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (story_id, kind, agreement_id, key, action, json.dumps(fields), json.dumps(base), note, link, at))
        return int(cur.lastrowid or 0)

    @staticmethod
    def _undo_corrections(conn: sqlite3.Connection, after: dict[str, Any]) -> None:
        ids = [int(i) for i in after.get("corrections", [])]
        if ids:
            conn.execute(f"UPDATE corrections SET undone = 1 WHERE id IN ({','.join('?' * len(ids))})", ids)
