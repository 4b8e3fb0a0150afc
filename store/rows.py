"""What the store hands out: small frozen rows, never sqlite3.Row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

TRIAGE_STATES = ("new", "accepted", "dismissed")


@dataclass(frozen=True, slots=True)
class InboxRow:
    id: str
    title: str
    published: datetime | None
    first_seen: datetime | None
    feeds: tuple[str, ...]  # feed names
    agreements: tuple[str, ...]  # main agreement ids
    state: str
    starred: bool
    unread: bool
    cluster_id: str | None
    cluster_size: int
    conflicts: int
    link: str | None
    needs_review: bool = False  # the article changed the facts of this accepted story (they wait for review)


@dataclass(frozen=True, slots=True)
class FactRow:
    """A fact of any kind as stored, with its evidence (offsets into the story text)."""

    id: int
    story_id: str
    kind: str  # stage | payment | warning | conflict
    agreement_id: str | None
    stage: str | None = None
    happened: str | None = None
    amount: float | None = None
    currency: str | None = None
    payer: str | None = None
    payee: str | None = None
    status: str | None = None
    amount_kind: str | None = None
    speaker: str | None = None
    concern: str | None = None
    denied_by: str | None = None
    denial: str | None = None
    claim: str | None = None
    known: str | None = None
    evidence: str = ""
    ev_start: int | None = None
    ev_end: int | None = None
    ev_source: str = "feed"  # which text ev_start/ev_end index: headline (title), feed (text) or article
    # The user's part (store/corrections.py): "" (as extracted), edited, confirmed, added or rejected.
    user: str = ""
    correction_id: int | None = None
    note: str = ""
    user_link: str | None = None
    review: bool = False  # the extraction changed after the user edited or confirmed the fact
    was: str = ""  # what the extractor said of the fields the user changed ("status claimed")
    corrected_at: str | None = None  # when the user corrected or added it (ISO)


@dataclass(frozen=True, slots=True)
class MatchRow:
    agreement_id: str
    score: float
    main: bool
    source: str  # "auto" or "user"
    evidence: str
    ev_start: int | None
    ev_end: int | None
    ev_source: str = "feed"


@dataclass(frozen=True, slots=True)
class StoryDetail:
    id: str
    title: str
    text: str
    link: str | None
    author: str
    published: datetime | None
    first_seen: datetime | None
    feeds: tuple[str, ...]
    matches: tuple[MatchRow, ...]
    facts: tuple[FactRow, ...]
    state: str
    starred: bool
    unread: bool
    cluster_id: str | None
    cluster_sources: tuple[str, ...]  # feed names of every story in the cluster
    article: str = ""  # the main text of the page behind the link, when it was fetched
    article_status: str = "skipped"  # feeds.models.ARTICLE_STATUSES
    article_http_status: int | None = None
    article_error: str | None = None  # why there is no article, in the user's words
    article_fetched: datetime | None = None
    needs_review: bool = False  # the article changed the facts of this accepted story: they wait for review
    review_facts: tuple[FactRow, ...] = ()  # the facts the article gives, until the user accepts them


@dataclass(frozen=True, slots=True)
class ArticleHostRow:
    """Article fetches that went wrong on one host, by outcome (the feed health screen)."""

    host: str
    status: str
    count: int
    last_error: str | None
    last_at: datetime | None


@dataclass(frozen=True, slots=True)
class LedgerRow:
    """One line of a pane: a fact with the story it came from and whether the user accepted it."""

    fact: FactRow
    story_title: str
    story_link: str | None
    published: datetime | None
    source: str  # feed name(s)
    confirmed: bool
    sources: int = 1  # stories that report this same fact (grouped ledger rows)


@dataclass(frozen=True, slots=True)
class Negotiation:
    agreement_id: str
    title: str
    stage: str
    since: str | None  # date of the story (or the date the text gives) that set the stage
    source: str
    story_id: str
    evidence: str
    confirmed: bool
    stories: int  # stories matched to the agreement
    conflicts: int
    user: str = ""  # the stage is the user's: edited, confirmed or added (store/corrections.py)
    review: bool = False


@dataclass(frozen=True, slots=True)
class TriageChange:
    story_id: str
    action: str
    before: dict[str, object]
    after: dict[str, object]


@dataclass(frozen=True, slots=True)
class Counts:
    stories: int
    matched: int
    unread: int
    starred: int
    accepted: int
    dismissed: int
    feeds: int
    unhealthy: int


@dataclass(frozen=True, slots=True)
class DossierItem:
    """One line of an agreement's dossier: a fact, the story that tells it, and how many stories do."""

    fact: FactRow
    story_title: str
    link: str | None
    published: datetime | None
    outlet: str  # feed name(s) of the story; "you" for a fact added by hand
    confirmed: bool  # the story was accepted
    story_ids: tuple[str, ...] = ()  # every story telling this same fact (counted once)
    conflict: bool = False  # a stage event the story states against the known timeline

    @property
    def when(self) -> str:
        """The date the fact is about, else its story's date (ISO, as precise as known)."""
        if self.fact.happened:
            return self.fact.happened
        return self.published.date().isoformat() if self.published else ""


@dataclass(frozen=True, slots=True)
class Dossier:
    agreement_id: str
    title: str
    parties: tuple[str, ...]
    stage: DossierItem | None  # where the agreement stands (latest event; the user's and accepted first)
    events: tuple[DossierItem, ...]  # stage events, newest first; conflicts marked
    conflicts: tuple[DossierItem, ...]
    payments: tuple[DossierItem, ...]  # one line per payment, however many stories report it
    totals: tuple[tuple[str, str, float], ...]  # (status, currency, sum) over the payments, rejected aside
    warnings: tuple[DossierItem, ...]
    rejected: tuple[DossierItem, ...]  # facts the user rejected (shown struck, counted nowhere)
    stories: tuple[InboxRow, ...]  # the agreement's stories in inbox order (a cluster's together)
    story_count: int
    # Lines in all, when the dossier was read for a screen that shows the first few (Store.dossier's `lines`):
    # the totals and the stage are over every line; events, payments and warnings hold the first few.
    event_count: int = 0
    payment_count: int = 0
    warning_count: int = 0
    # The (status, currency) totals a correction of the user's went into (an edited, confirmed or added payment,
    # or a rejected one taken out): the screen marks those totals ✎ as the rows are.
    user_totals: tuple[tuple[str, str], ...] = ()
