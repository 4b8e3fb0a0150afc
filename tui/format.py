"""Formatting shared by the panes and screens.

Every string that came from a feed (titles, feed names, errors, evidence, amounts' parties) is rendered
through `lit()` as a `rich.text.Text`: never parsed as markup, control characters removed. DataTable `str`
cells and `border_title` strings parse markup, so nothing here hands them a feed `str`.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.content import Content

from feeds.text import strip_controls
from store import FactRow, InboxRow

# ------------------------------------------------------------------------------------------- formatting


def clean(value: object, *, one_line: bool = True, limit: int = 2_000) -> str:
    """A feed string made safe to show: no control characters, one line (for cells), bounded."""
    text = strip_controls("" if value is None else str(value))
    if one_line:
        text = " ".join(text.split())
    return text[:limit]


def lit(value: object, style: str = "", *, one_line: bool = True) -> Text:
    """Untrusted text as a literal `Text`: `[bold]` stays `[bold]`."""
    return Text(clean(value, one_line=one_line, limit=100_000 if not one_line else 2_000), style=style)


def title_content(label: str, value: object | None = None) -> Content:
    """A border title: our label plus, optionally, untrusted text kept literal."""
    if value is None:
        return Content(label)
    return Content.assemble(label, Content(clean(value, limit=80)))


CURRENCY_SYMBOLS = {"GBP": "£", "USD": "$", "EUR": "€", "AUD": "A$", "CAD": "C$", "NZD": "NZ$", "JPY": "¥",
                    "CHF": "CHF ", "DKK": "DKK ", "SEK": "SEK ", "NOK": "NOK "}


def _trim(value: float, digits: int) -> str:
    return f"{value:.{digits}f}".rstrip("0").rstrip(".")


def format_amount(amount: float | None, currency: str | None) -> str:
    """50000000, "GBP" → "£50m"; 1.5e9, "EUR" → "€1.5bn"; 12000, "USD" → "$12,000"."""
    code = (currency or "").upper()
    symbol = CURRENCY_SYMBOLS.get(code, f"{code} " if code else "")
    if amount is None:
        return f"{symbol.strip()} amount unknown".strip()
    sign = "-" if amount < 0 else ""
    n = abs(amount)
    if n >= 1e9:
        number = _trim(n / 1e9, 2) + "bn"
    elif n >= 1e6:
        number = _trim(n / 1e6, 2) + "m"
    elif n == int(n):
        number = f"{int(n):,}"
    else:
        number = f"{n:,.2f}"
    return f"{sign}{symbol}{number}"


def amount_with_kind(fact: FactRow, per_person: str = " per person", tranche: str = " tranche") -> str:
    """'£50m', with what kind of sum it is when it is not a total ('€2,000 per person', '$5m tranche')."""
    amount = format_amount(fact.amount, fact.currency)
    if fact.amount_kind == "per-person":
        amount += per_person
    elif fact.amount_kind == "tranche":
        amount += tranche
    return amount


def payment_amount(fact: FactRow) -> str:
    """The amount as the narrow ledger columns show it ('€2,000/person', '$5m part')."""
    return amount_with_kind(fact, per_person="/person", tranche=" part")


def format_payment(fact: FactRow, tranche: str = " tranche") -> str:
    """'UK → Rwanda £50m claimed' (plain str: the caller wraps it in Text)."""
    parts = f"{short_party(fact.payer)} → {short_party(fact.payee)}"
    return f"{parts} {amount_with_kind(fact, tranche=tranche)} {fact.status or ''}".rstrip()


def format_date(value: datetime | None, now: datetime | None = None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d")


def format_when(value: datetime | None, now: datetime) -> str:
    """A time relative to `now`, for the status line and feed health: 'in 4m', '2h ago'."""
    if value is None:
        return "—"
    seconds = (value - now).total_seconds()
    future = seconds >= 0
    s = abs(seconds)
    if s < 60:
        span = f"{int(s)}s"
    elif s < 3600:
        span = f"{int(s // 60)}m"
    elif s < 86400:
        span = f"{int(s // 3600)}h{int(s % 3600 // 60):02d}m"
    else:
        span = f"{int(s // 86400)}d"
    return f"in {span}" if future else f"{span} ago"


def flags_text(row: InboxRow) -> Text:
    """Five fixed cells: unread ●, starred ★, accepted ✓, contradiction ⚠, facts waiting for review ↻."""
    text = Text()
    text.append("●" if row.unread else " ", "bold dodger_blue1")
    text.append("★" if row.starred else " ", "bold yellow")
    text.append("✓" if row.state == "accepted" else " ", "bold green")
    text.append("⚠" if row.conflicts else " ", "bold red")
    text.append("↻" if row.needs_review else " ", "bold yellow")
    return text


def sources_text(row: InboxRow) -> Text:
    if row.cluster_size > 1:
        return Text(f"{row.cluster_size} reports", style="magenta")  # stories of its event; the preview names the outlets
    return lit(row.feeds[0] if row.feeds else "", "dim")


_STAGE_STYLES = {"exploratory": "cyan", "negotiating": "cyan", "signed": "green", "implementing": "green",
                 "suspended": "yellow", "legally-challenged": "yellow", "struck-down": "red", "cancelled": "red"}


_SHORT_PARTIES = {"united kingdom": "UK", "united states": "US", "european union": "EU",
                  "the united kingdom": "UK", "the united states": "US", "the european union": "EU"}


def short_party(name: object) -> str:
    text = clean(name)
    return _SHORT_PARTIES.get(text.lower(), text) or "?"

