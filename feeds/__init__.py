"""Getting stories in and understanding them: config, fetching, parsing, matching, extraction.

No UI and no SQL here (feeds.pipeline is the one module that talks to `store`). Public names are
re-exported from their modules; heavy modules (httpx, feedparser) are imported only by the functions
that need them, so `migwatch analyze` and the dashboard start fast.
"""

from feeds.models import (
    ARTICLE_STATUSES,
    EVIDENCE_SOURCES,
    PAYMENT_STATUSES,
    STAGES,
    Agreement,
    Analysis,
    Conflict,
    Evidence,
    FeedState,
    Match,
    Payment,
    RightsWarning,
    StageEvent,
    Story,
    TimelineEvent,
)
from feeds.text import one_line, plain_text

__all__ = [
    "ARTICLE_STATUSES",
    "EVIDENCE_SOURCES",
    "PAYMENT_STATUSES",
    "STAGES",
    "Agreement",
    "Analysis",
    "Conflict",
    "Evidence",
    "FeedState",
    "Match",
    "Payment",
    "RightsWarning",
    "StageEvent",
    "Story",
    "TimelineEvent",
    "one_line",
    "plain_text",
]
