"""The small frozen values that cross package lines.

Nothing here knows about feedparser dicts, sqlite rows or widgets: `feeds` produces these, `store`
persists them and `tui` shows them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from operator import attrgetter
from typing import TypeVar

STAGES = (
    "exploratory",
    "negotiating",
    "signed",
    "implementing",
    "suspended",
    "legally-challenged",
    "struck-down",
    "cancelled",
)
PAYMENT_STATUSES = ("paid", "owed", "pledged", "claimed", "proposed")
EVIDENCE_SOURCES = ("headline", "feed", "article")
ARTICLE_STATUSES = ("ok", "blocked", "robots", "too-short", "not-html", "failed", "skipped", "pending")


_T = TypeVar("_T")


def fast_pickle(cls: type[_T]) -> type[_T]:
    """Pickle a frozen, slotted dataclass as (class, field values). dataclasses pickles those field by field
    in Python; a poll sends every story and its analysis from a worker process, and this halves that cost."""
    names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    values = attrgetter(*names)
    single = len(names) == 1

    def __reduce__(self: _T) -> tuple[type[_T], tuple[object, ...]]:  # noqa: N807
        return cls, ((values(self),) if single else values(self))

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


@fast_pickle
@dataclass(frozen=True, slots=True)
class Story:
    """One feed item after the text gate: every string is plain text, safe to show literally."""

    id: str
    title: str
    text: str
    link: str | None = None
    published: datetime | None = None  # always timezone-aware when set
    author: str = ""
    feed_url: str | None = None
    article: str = ""  # the main text of the page behind `link`, when it was fetched (plain text, gated)


@fast_pickle
@dataclass(frozen=True, slots=True)
class Evidence:
    """The sentence a fact came from, with its character offsets in the text named by `source`:
    "headline" (Story.title), "feed" (Story.text, the feed's own summary or content) or "article"
    (Story.article, the page behind the link)."""

    sentence: str
    start: int
    end: int
    source: str = "feed"  # one of EVIDENCE_SOURCES


@fast_pickle
@dataclass(frozen=True, slots=True)
class Match:
    agreement_id: str
    score: float
    main: bool  # False: the agreement is only mentioned in passing
    evidence: Evidence


@fast_pickle
@dataclass(frozen=True, slots=True)
class StageEvent:
    agreement_id: str
    stage: str  # one of STAGES
    evidence: Evidence
    when: str | None = None  # a date the text gives for the change, ISO-ish ("2023", "2024-07")


@fast_pickle
@dataclass(frozen=True, slots=True)
class Payment:
    amount: float | None
    currency: str | None  # ISO 4217
    payer: str | None
    payee: str | None
    status: str  # one of PAYMENT_STATUSES
    evidence: Evidence
    agreement_id: str | None = None
    kind: str = "total"  # total | per-person | tranche


@fast_pickle
@dataclass(frozen=True, slots=True)
class RightsWarning:
    by: str
    concern: str
    evidence: Evidence
    agreement_id: str | None = None
    denied_by: str | None = None
    denial: Evidence | None = None


@fast_pickle
@dataclass(frozen=True, slots=True)
class Conflict:
    agreement_id: str
    claim: str
    known: str
    evidence: Evidence


@fast_pickle
@dataclass(frozen=True, slots=True)
class Analysis:
    """Everything `feeds` understood about one story."""

    story_id: str
    matches: tuple[Match, ...] = ()
    stages: tuple[StageEvent, ...] = ()
    payments: tuple[Payment, ...] = ()
    warnings: tuple[RightsWarning, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    fingerprint: bytes = b""  # for clustering (feeds.cluster)

    @property
    def agreements(self) -> list[str]:
        return [m.agreement_id for m in self.matches if m.main]

    @property
    def mentions(self) -> list[str]:
        return [m.agreement_id for m in self.matches if not m.main]

    @property
    def stage(self) -> dict[str, str]:
        """The latest stage the story gives for each agreement (text order)."""
        out: dict[str, str] = {}
        for ev in self.stages:
            out[ev.agreement_id] = ev.stage
        return out


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    date: str  # ISO date, "2024-07-06" or "2024-07"
    stage: str | None
    note: str


@dataclass(frozen=True, slots=True)
class Agreement:
    id: str
    title: str
    parties: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()
    timeline: tuple[TimelineEvent, ...] = ()
    bundled: bool = True


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed's polling state and health, as stored."""

    url: str
    name: str = ""
    etag: str | None = None
    last_modified: str | None = None
    last_status: int | None = None
    last_result: str = ""  # "ok", "not-modified", "error", "gone", ...
    last_error: str | None = None
    failures: int = 0
    next_poll_at: datetime | None = None
    next_poll_why: str = ""
    last_polled_at: datetime | None = None
    retired: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)
