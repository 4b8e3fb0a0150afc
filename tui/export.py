"""`migwatch export KIND --format csv|json|md`: stories and the ledger, each fact with its evidence."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Any

from store import LedgerRow, Store

PAGE = 5000


def _ledger_pages(fetch: Any) -> Iterable[LedgerRow]:
    offset = 0
    while True:
        rows = fetch(limit=PAGE, offset=offset)
        yield from rows
        if len(rows) < PAGE:
            return
        offset += PAGE


def _common(row: LedgerRow) -> dict[str, Any]:
    return {
        "story_id": row.fact.story_id, "story_title": row.story_title, "link": row.story_link,
        "published": row.published.isoformat() if row.published else None, "source": row.source,
        "confirmed": row.confirmed, "evidence": row.fact.evidence, "evidence_source": row.fact.ev_source,
        "evidence_span": [row.fact.ev_start, row.fact.ev_end] if row.fact.ev_start is not None else None,
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
        return [{"agreement": r.fact.agreement_id, "by": r.fact.speaker, "concern": r.fact.concern,
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
                   "evidence_span"]
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
