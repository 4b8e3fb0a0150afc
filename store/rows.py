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
