"""The Payments pane: who pays whom how much, and whether paid, pledged, owed or claimed."""

from __future__ import annotations

from rich.text import Text

from store import LedgerRow, Store
from tui.format import lit, payment_amount, short_party
from tui.panes.base import LedgerTable, _confirmed, _source


class PaymentsTable(LedgerTable):
    KIND = "payment"
    KEEP = frozenset({"amount", "status"})
    # The amount comes first and has its own column: it is what a monitor scans for, and it must never be
    # the part a narrow pane cuts off.
    COLUMNS = (("Amount", "amount", 11, 0), ("Status", "status", 8, 0),
               ("Payer → payee", "parties", 18, 3), ("Source", "source", 8, 1))

    def row_cells(self, item: object) -> tuple[str, str, tuple[Text, ...]]:
        r: LedgerRow = item  # type: ignore[assignment]
        f = r.fact
        amount = payment_amount(f)
        return str(f.id), f.story_id, (
            _confirmed(lit(amount, "bold"), r.confirmed, f.user, f.review),
            lit(f.status or "", "bold" if f.status in ("owed", "claimed") else ""),
            lit(f"{short_party(f.payer)} → {short_party(f.payee)}"), _source(r))



def query(store: Store, agreement: str | None, limit: int, offset: int = 0) -> list[LedgerRow]:
    """A page of the pane: the same payment told by several stories is one row."""
    return store.payments(limit=limit, offset=offset, agreement=agreement, grouped=True)
