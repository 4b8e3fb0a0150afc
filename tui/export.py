"""`migwatch export KIND --format csv|json|md`: stories and the ledger, each fact with its evidence."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from feeds.models import TimelineEvent
from store import Dossier, DossierItem, FactRow, LedgerRow, Store

PAGE = 5000


def _ledger_pages(fetch: Any) -> Iterable[LedgerRow]:
    offset = 0
    while True:
        rows = fetch(limit=PAGE, offset=offset)
        yield from rows
        if len(rows) < PAGE:
            return
        offset += PAGE


def user_part(f: FactRow) -> dict[str, Any] | None:
    """The user's correction of a fact, as exports carry it (None: the fact is as extracted)."""
    if not f.user:
        return None
    return {"by": "user", "action": f.user, "at": f.corrected_at, "note": f.note or None, "link": f.user_link,
            "extracted": f.was or None, "review": f.review}


def _common(row: LedgerRow) -> dict[str, Any]:
    return {
        "story_id": row.fact.story_id, "story_title": row.story_title, "link": row.story_link,
        "published": row.published.isoformat() if row.published else None, "source": row.source,
        "confirmed": row.confirmed, "evidence": row.fact.evidence, "evidence_source": row.fact.ev_source,
        "evidence_span": [row.fact.ev_start, row.fact.ev_end] if row.fact.ev_start is not None else None,
        "correction": user_part(row.fact),
    }


def export_rows(store: Store, kind: str, catalogue: Any = None) -> list[dict[str, Any]]:
    if kind == "stories":
        return [_with_timeline_stage(row, catalogue) for row in store.export_stories()]
    if kind == "negotiations":
        titles = store.agreement_titles()
        out = []
        for row in _ledger_pages(store.stage_events):
            f = row.fact
            out.append({"agreement": f.agreement_id, "title": titles.get(f.agreement_id or "", f.agreement_id),
                        "stage": f.stage, "happened": f.happened, **_common(row)})
        for row in _ledger_pages(store.conflicts):
            f = row.fact
            out.append({"agreement": f.agreement_id, "title": titles.get(f.agreement_id or "", f.agreement_id),
                        "stage": None, "conflict": {"claim": f.claim, "known": f.known}, **_common(row)})
        return out
    if kind == "payments":
        return [{"agreement": r.fact.agreement_id, "payer": r.fact.payer, "payee": r.fact.payee,
                 "amount": r.fact.amount, "currency": r.fact.currency, "status": r.fact.status,
                 "kind": r.fact.amount_kind, **_common(r)} for r in _ledger_pages(store.payments)]
    if kind == "warnings":
        return [{"agreement": r.fact.agreement_id, "by": r.fact.speaker or None, "concern": r.fact.concern,
                 "denied_by": r.fact.denied_by, "denial": r.fact.denial, **_common(r)}
                for r in _ledger_pages(store.warnings)]
    raise ValueError(kind)


def _with_timeline_stage(row: dict[str, Any], catalogue: Any) -> dict[str, Any]:
    """As `migwatch analyze` does: an agreement the story is about without saying where it stands takes the
    stage the catalogue's timeline gives as of the story's date (listed again under stage_from_timeline)."""
    if catalogue is None:
        return row
    from datetime import datetime

    from feeds.extract import timeline_stage

    published = row.get("published") or row.get("first_seen")
    try:
        when = datetime.fromisoformat(published) if published else None
    except ValueError:
        when = None
    stage = dict(row.get("stage") or {})
    inferred = {}
    for agreement_id in row.get("agreements") or []:
        if agreement_id not in stage:
            known = timeline_stage(catalogue.get(agreement_id), when)
            if known:
                inferred[agreement_id] = known
    if not inferred:
        return row
    return {**row, "stage": {**stage, **inferred}, "stage_from_timeline": inferred}


def _flat(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(_flat(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={_flat(v)}" for k, v in value.items())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


_COMMON_COLUMNS = ["story_id", "story_title", "link", "published", "source", "confirmed", "evidence", "evidence_source",
                   "evidence_span", "correction"]
# The columns of an export with no rows yet (a CSV still starts with its header).
EMPTY_COLUMNS = {
    "stories": ["id", "title", "link", "published", "first_seen", "cluster", "feeds", "agreements", "mentions",
                "stage", "payments", "rights_warnings", "stage_events", "conflicts", "article", "needs_review",
                "triage"],
    "negotiations": ["agreement", "title", "stage", "happened", *_COMMON_COLUMNS],
    "payments": ["agreement", "payer", "payee", "amount", "currency", "status", "kind", *_COMMON_COLUMNS],
    "warnings": ["agreement", "by", "concern", "denied_by", "denial", *_COMMON_COLUMNS],
}


def render(kind: str, rows: list[dict[str, Any]], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    columns: list[str] = [] if rows else list(EMPTY_COLUMNS.get(kind, []))
    for row in rows:
        for key in row:
            if key not in columns:
                columns.append(key)
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(columns)
        for row in rows:
            # A cell starting with = + - @ would be a formula in a spreadsheet: feed text must stay text.
            cells = [_flat(row.get(c)) for c in columns]
            writer.writerow(["'" + c if c[:1] in ("=", "+", "-", "@") else c for c in cells])
        return buf.getvalue()
    if fmt == "md":
        if not rows:
            return f"# migwatch {kind}\n\n(nothing yet)\n"

        def cell(v: Any) -> str:
            return _flat(v).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")

        lines = [f"# migwatch {kind}", "", "| " + " | ".join(columns) + " |",
                 "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
        return "\n".join(lines) + "\n"
    raise ValueError(fmt)


# ---------------------------------------------------------------------------------------------- dossier
#
# `migwatch export dossier AGREEMENT --format md|json`: a brief a newsroom can use. Every line cites the
# outlet, the story's date, its link and the evidence quote; the user's corrections are included and marked.


def _amount(f: FactRow) -> str:
    from tui.format import format_payment

    return format_payment(f, tranche=" (tranche)")


def _item(item: DossierItem) -> dict[str, Any]:
    f = item.fact
    out: dict[str, Any] = {"date": item.when or None, "outlet": item.outlet or None,
                           "story_date": item.published.date().isoformat() if item.published else None,
                           "link": item.link, "story_title": item.story_title or None, "evidence": f.evidence or None,
                           "stories": list(item.story_ids), "correction": user_part(f)}
    if f.kind == "stage":
        out.update(stage=f.stage, conflict=item.conflict)
    elif f.kind == "payment":
        out.update(amount=f.amount, currency=f.currency, payer=f.payer, payee=f.payee, status=f.status,
                   kind=f.amount_kind)
    elif f.kind == "warning":
        out.update(by=f.speaker, concern=f.concern, denied_by=f.denied_by, denial=f.denial)
    elif f.kind == "conflict":
        out.update(claim=f.claim, known=f.known)
    return out


def dossier_data(d: Dossier, timeline: Sequence[TimelineEvent]) -> dict[str, Any]:
    return {
        "agreement": d.agreement_id, "title": d.title, "parties": list(d.parties),
        "stage": _item(d.stage) if d.stage is not None else None,
        "known_timeline": [{"date": t.date, "stage": t.stage, "note": t.note} for t in timeline],
        "timeline": [_item(e) for e in d.events],
        "conflicts": [_item(c) for c in d.conflicts],
        "payment_totals": [{"status": s, "currency": c, "amount": a} for s, c, a in d.totals],
        "payments": [_item(p) for p in d.payments],
        "warnings": [_item(w) for w in d.warnings],
        "rejected_by_user": [_item(r) for r in d.rejected],
        "stories": [{"id": r.id, "title": r.title, "link": r.link, "outlet": r.feeds[0] if r.feeds else None,
                     "published": (r.published or r.first_seen).isoformat() if (r.published or r.first_seen) else None,
                     "reports": r.cluster_size} for r in d.stories],
        "story_count": d.story_count,
    }


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|~!])")


def md(value: object) -> str:
    """Untrusted text in Markdown: one line, every character that Markdown reads as syntax escaped."""
    from tui.format import clean

    return _MD_SPECIAL.sub(r"\\\1", clean(value, limit=4000))


def _md_link(link: str | None) -> str:
    if link and re.match(r"^https?://[^\s<>]+$", link):
        return f"<{link}>"
    return md(link) if link else "no link"


def _cite(item: DossierItem) -> str:
    date = item.published.date().isoformat() if item.published else "undated"
    cite = f"{md(item.outlet or 'unknown outlet')}, {date}, {_md_link(item.link)}"
    if len(item.story_ids) > 1:
        cite += f" (and {len(item.story_ids) - 1} more report{'s' if len(item.story_ids) > 2 else ''})"
    if item.fact.evidence and item.fact.user != "added":
        cite += f" — “{md(item.fact.evidence)}”"
    return cite


def _mark(f: FactRow) -> str:
    if not f.user:
        return ""
    words = {"edited": "corrected by you", "confirmed": "confirmed by you", "added": "added by you",
             "rejected": "rejected by you"}[f.user]
    parts = [f"**✎ {words}**" + (f" {f.corrected_at[:10]}" if f.corrected_at else "")]
    if f.was:
        parts.append(f"extracted: {md(f.was)}")
    if f.note:
        parts.append(f"note: {md(f.note)}")
    if f.user_link:
        parts.append(f"source: {_md_link(f.user_link)}")
    if f.review:
        parts.append("the extraction has changed since: review")
    return " — " + "; ".join(parts)


def render_dossier_md(d: Dossier, timeline: Sequence[TimelineEvent]) -> str:
    from tui.panes.dossier import format_totals

    lines = [f"# {md(d.title)} ({md(d.agreement_id)})", "",
             f"Parties: {md(', '.join(d.parties)) or '—'} · {d.story_count} stor{'y' if d.story_count == 1 else 'ies'}",
             ""]
    if d.stage is not None:
        f = d.stage.fact
        lines.append(f"**Stage:** {md(f.stage)} since {md(d.stage.when or '—')} — {_cite(d.stage)}{_mark(f)}")
    else:
        lines.append("**Stage:** none reported yet")
    known = [t for t in timeline if t.stage]
    if known and d.stage is not None and known[-1].stage != d.stage.fact.stage:
        lines.append(f"\n⚠ The known timeline's last stage is {md(known[-1].stage)} ({md(known[-1].date)}).")
    if d.conflicts:
        lines += ["", "**Conflicts with the known timeline**", ""]
        lines += [f"- ⚠ says “{md(c.fact.claim)}”; known: {md(c.fact.known)} — {_cite(c)}" for c in d.conflicts]
    lines += ["", "## Timeline (what the news says)", ""]
    lines += [f"- {md(e.when or 'undated')} **{md(e.fact.stage)}**{' ⚠ against the known timeline' if e.conflict else ''}"
              f" — {_cite(e)}{_mark(e.fact)}" for e in d.events] or ["(no stage events)"]
    lines += ["", "## Known timeline (catalogue)", ""]
    lines += [f"- {md(t.date)}{' **' + md(t.stage) + '**' if t.stage else ''} — {md(t.note)}" for t in timeline] \
        or ["(none in the catalogue)"]
    lines += ["", "## Payments", "", f"Totals: {format_totals(d.totals) or 'none reported'} "
              "(each payment counted once, however many stories report it)", ""]
    lines += [f"- {md(p.when or 'undated')} {md(_amount(p.fact))} — {_cite(p)}{_mark(p.fact)}" for p in d.payments] \
        or ["(no payments)"]
    lines += ["", "## Rights warnings", ""]
    lines += [f"- {md(w.when or 'undated')} **{md(w.fact.speaker)}**: {md(w.fact.concern)}"
              f"{' (denied by ' + md(w.fact.denied_by) + ')' if w.fact.denied_by else ''} — {_cite(w)}{_mark(w.fact)}"
              for w in d.warnings] or ["(no warnings)"]
    if d.rejected:
        lines += ["", "## Rejected by you (counted nowhere)", ""]
        lines += [f"- ~~{md(_describe(r))}~~ — {_cite(r)}{_mark(r.fact)}" for r in d.rejected]
    lines += ["", f"## Stories ({d.story_count})", ""]
    for r in d.stories:
        when = (r.published or r.first_seen)
        outlet = f"{r.cluster_size} reports" if r.cluster_size > 1 else (r.feeds[0] if r.feeds else "")
        lines.append(f"- {when.date().isoformat() if when else 'undated'} {md(r.title)} — {md(outlet)}, "
                     f"{_md_link(r.link)}")
    return "\n".join(lines) + "\n"


def _describe(item: DossierItem) -> str:
    f = item.fact
    if f.kind == "payment":
        return _amount(f)
    if f.kind == "warning":
        return f"{f.speaker}: {f.concern}"
    return f"{item.when} {f.stage}"


def export_dossier(store: Store, agreement_id: str, timeline: Sequence[TimelineEvent], fmt: str) -> str | None:
    """The brief, or None when no such agreement is known."""
    d = store.dossier(agreement_id)
    if d is None:
        return None
    if fmt == "json":
        return json.dumps(dossier_data(d, timeline), ensure_ascii=False, indent=2) + "\n"
    if fmt == "md":
        return render_dossier_md(d, timeline)
    raise ValueError(fmt)
