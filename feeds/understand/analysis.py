"""One story in, everything the understanding layer finds in it out (without the clustering fingerprint,
which `feeds.analyze.Analyzer` adds)."""

from __future__ import annotations

from feeds.agreements import Catalogue
from feeds.models import Analysis, Story
from feeds.understand.conflicts import find_conflicts
from feeds.understand.match import could_match, match_story, prepare
from feeds.understand.payments import extract_payments
from feeds.understand.stages import extract_stages, implied_by_payments
from feeds.understand.warnings import extract_warnings


def understand(story: Story, catalogue: Catalogue) -> Analysis:
    """Match a story (headline, feed text and article) to the catalogue and extract its facts."""
    # Most of a news firehose concerns no agreement: one cheap pass over the text settles those.
    if not could_match(story, catalogue.index):
        return Analysis(story_id=story.id)
    doc = prepare(story, catalogue)
    matches = match_story(doc)
    if not matches:
        return Analysis(story_id=story.id)
    payments = extract_payments(doc)
    stages = implied_by_payments(extract_stages(doc), payments, doc)
    return Analysis(
        story_id=story.id,
        matches=tuple(matches),
        stages=tuple(stages),
        payments=tuple(payments),
        warnings=tuple(extract_warnings(doc)),
        conflicts=tuple(find_conflicts(doc, stages, catalogue.get)),
    )
