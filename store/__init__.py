"""SQLite through sqlite-utils: the schema and its migrations, one Store class, the queries panes need."""

from store.rows import (
    TRIAGE_STATES,
    ArticleHostRow,
    Counts,
    Dossier,
    DossierItem,
    FactRow,
    InboxRow,
    LedgerRow,
    MatchRow,
    Negotiation,
    StoryDetail,
    TriageChange,
)
from store.schema import SCHEMA_VERSION
from store.store import DatabaseFault, Store, StoreError, database_fault

__all__ = [
    "SCHEMA_VERSION",
    "TRIAGE_STATES",
    "ArticleHostRow",
    "Counts",
    "Dossier",
    "DossierItem",
    "DatabaseFault",
    "FactRow",
    "InboxRow",
    "LedgerRow",
    "MatchRow",
    "Negotiation",
    "Store",
    "StoreError",
    "StoryDetail",
    "TriageChange",
    "database_fault",
]
