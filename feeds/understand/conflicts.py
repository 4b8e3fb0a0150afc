"""Claims that contradict the catalogue's timeline."""

from __future__ import annotations

from datetime import datetime

from feeds.models import Agreement, Conflict, StageEvent
from feeds.understand.doc import Doc
from feeds.understand.stages import _MONTHS


def find_conflicts(doc: Doc, stages: list[StageEvent], catalogue_get) -> list[Conflict]:  # type: ignore[no-untyped-def]
    """A dated claim about a one-off event (signed, struck down, cancelled, suspended) that the catalogue's
    timeline dates otherwise. A claim without a year ("in July") is never a conflict."""
    conflicts: list[Conflict] = []
    seen: set[tuple[str, str]] = set()
    for event in stages:
        if event.stage not in ("signed", "struck-down", "cancelled", "suspended") or not event.when:
            continue
        agreement: Agreement | None = catalogue_get(event.agreement_id)
        if agreement is None:
            continue
        known = [t for t in agreement.timeline if t.stage == event.stage]
        if not known:
            continue
        claim_year, _, claim_month = event.when.partition("-")
        agrees = any(
            t.date[:4] == claim_year and (not claim_month or t.date[5:7] in ("", claim_month)) for t in known
        )
        if agrees or (event.agreement_id, event.when) in seen:
            continue
        seen.add((event.agreement_id, event.when))
        conflicts.append(Conflict(
            agreement_id=event.agreement_id,
            claim=f"{event.stage} in {_month_year(event.when)}",
            known="; ".join(f"{t.stage} {_month_year(t.date)}" for t in known),
            evidence=event.evidence,
        ))
    return conflicts


def _month_year(date: str) -> str:
    parts = date.split("-")
    if len(parts) >= 2 and parts[1].isdigit() and 1 <= int(parts[1]) <= 12:
        month = next(m for m, n in _MONTHS.items() if n == int(parts[1]))
        return f"{month} {parts[0]}"
    return parts[0]


def timeline_stage(agreement: Agreement | None, published: datetime | None) -> str | None:
    """The stage the catalogue's timeline gives an agreement as of a date: its last dated stage change on
    or before it. For a story that names an agreement without saying where it stands."""
    if agreement is None or published is None:
        return None
    day = published.strftime("%Y-%m-%d")
    stage = None
    for event in sorted(agreement.timeline, key=lambda t: t.date):
        if event.stage and event.date <= day[: len(event.date)]:
            stage = event.stage
    return stage
