"""One story in, everything `feeds` understands about it out; and the JSON Lines form of the same
for `migwatch analyze`.

`Analyzer` holds only the catalogue (its compiled index is rebuilt lazily after unpickling), so it can
be built once per worker process and reused for every story.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from feeds.agreements import Catalogue, default_catalogue
from feeds.cluster import Clusterer, fingerprint
from feeds.models import Analysis, Evidence, Story
from feeds.text import one_line, plain_text
from feeds.understand.analysis import understand
from feeds.understand.conflicts import timeline_stage


class InputError(Exception):
    """A line of `migwatch analyze` input that cannot be read; the message names the line."""


class Analyzer:
    """Match a story to the catalogue and extract its facts, each with its evidence sentence."""

    def __init__(self, catalogue: Catalogue | None = None) -> None:
        self.catalogue = catalogue if catalogue is not None else default_catalogue()

    def analyze(self, story: Story) -> Analysis:
        """The story's facts from its headline, feed text and article (when fetched); a story that matches
        nothing needs no fingerprint (only matched stories are clustered)."""
        analysis = understand(story, self.catalogue)
        if not analysis.matches:
            return analysis
        return replace(analysis, fingerprint=fingerprint(story, analysis))


def _span(evidence: Evidence) -> list[int]:
    return [evidence.start, evidence.end]


def _evidence(evidence: Evidence) -> dict[str, Any]:
    return {"evidence": evidence.sentence, "evidence_source": evidence.source, "evidence_span": _span(evidence)}


def analysis_to_dict(
    analysis: Analysis, cluster_id: str | None, from_timeline: dict[str, str] | None = None
) -> dict[str, Any]:
    """The JSON form `migwatch analyze` prints (and exports reuse). Evidence is the sentence; "evidence_source"
    names the text it came from ("headline", "feed" or "article") and "evidence_span" its offsets there
    (into Story.title, Story.text or Story.article).

    `from_timeline`: stages for main agreements the story names without saying where they stand, read
    from the catalogue's timeline as of the story's date. They fill "stage" and are listed again under
    "stage_from_timeline"; they have no evidence sentence and are not stage events."""
    payments = []
    for p in analysis.payments:
        payments.append({
            "amount": p.amount, "currency": p.currency, "payer": p.payer, "payee": p.payee,
            "status": p.status, "kind": p.kind, "agreement": p.agreement_id,
            **_evidence(p.evidence),
        })
    warnings = []
    for w in analysis.warnings:
        row: dict[str, Any] = {"by": w.by or None, "concern": w.concern, "agreement": w.agreement_id}
        if w.denied_by:
            row["denied_by"] = w.denied_by
            if w.denial is not None:
                row["denial"] = w.denial.sentence
                row["denial_source"] = w.denial.source
                row["denial_span"] = _span(w.denial)
        row.update(_evidence(w.evidence))
        warnings.append(row)
    stage = analysis.stage
    inferred = {k: v for k, v in (from_timeline or {}).items() if k not in stage}
    return {
        "id": analysis.story_id,
        "agreements": analysis.agreements,
        "mentions": analysis.mentions,
        "stage": {**stage, **inferred},
        "stage_from_timeline": inferred,
        "payments": payments,
        "rights_warnings": warnings,
        "conflicts": [
            {"agreement": c.agreement_id, "claim": c.claim, "known": c.known, **_evidence(c.evidence)}
            for c in analysis.conflicts
        ],
        "stage_events": [
            {"agreement": s.agreement_id, "stage": s.stage, "when": s.when, **_evidence(s.evidence)}
            for s in analysis.stages
        ],
        "matches": [
            {"agreement": m.agreement_id, "score": m.score, "main": m.main, **_evidence(m.evidence)}
            for m in analysis.matches
        ],
        "cluster": cluster_id,
    }


def story_from_row(row: object, line_no: int) -> Story:
    """A Story from one decoded input row; InputError naming the line when it cannot be one."""
    if not isinstance(row, dict):
        raise InputError(f"line {line_no}: not a JSON object")
    story_id = row.get("id")
    if story_id is None or isinstance(story_id, (dict, list, bool)) or str(story_id).strip() == "":
        raise InputError(f'line {line_no}: missing "id"')
    text = row.get("text")
    if text is None or isinstance(text, (dict, list)):
        raise InputError(f'line {line_no}: missing "text"')
    title = row.get("title")
    article = row.get("article")
    if article is not None and not isinstance(article, str):
        raise InputError(f'line {line_no}: "article" is not a string')
    # Input goes through the same text gate as feed items, so offsets index what a Story would hold.
    return Story(
        id=str(story_id),
        title=one_line(title) if title is not None else "",
        text=plain_text(text),
        article=plain_text(article) if article else "",
        link=str(row["link"]) if isinstance(row.get("link"), str) else None,
        published=_published(row.get("published")),
    )


def _published(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        for fmt in ("%Y-%m", "%Y"):
            try:
                when = datetime.strptime(text, fmt)  # noqa: DTZ007 - made aware below
                break
            except ValueError:
                continue
        else:
            return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def analyze_jsonl(lines: Iterable[str], catalogue: Catalogue | None = None) -> Iterator[dict[str, Any]]:
    """JSON Lines of stories in, one dict of facts per story out, with cluster ids across the batch.

    Blank lines are skipped; a line that is not a JSON object with an id and a text raises InputError
    before anything is yielded, so output is never half a batch.
    """
    reconfigure = getattr(lines, "reconfigure", None)
    if callable(reconfigure):
        # Stories arrive in odd encodings; a bad byte is analysed as U+FFFD, not a crash mid-batch.
        try:
            reconfigure(errors="replace")
        except (ValueError, OSError):
            pass
    analyzer = Analyzer(catalogue)
    stories: list[Story] = []
    for line_no, line in enumerate(lines, start=1):
        if line_no == 1:
            line = line.lstrip("\ufeff")
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"line {line_no}: not valid JSON: {exc.msg} (column {exc.colno})") from None
        except RecursionError:  # json recurses once per [ or {
            raise InputError(f"line {line_no}: not valid JSON: nested too deeply") from None
        stories.append(story_from_row(row, line_no))
    clusterer = Clusterer()
    for story in stories:
        analysis = analyzer.analyze(story)
        cluster_id = clusterer.assign(story.id, analysis.fingerprint, story.published)
        known = analysis.stage
        from_timeline = {}
        for agreement_id in analysis.agreements:
            if agreement_id not in known:
                stage = timeline_stage(analyzer.catalogue.get(agreement_id), story.published)
                if stage:
                    from_timeline[agreement_id] = stage
        yield analysis_to_dict(analysis, cluster_id, from_timeline)


def main() -> int:
    """`python -m feeds.analyze [FILE|-]`: the analyze command without the CLI around it."""
    import sys

    path = sys.argv[1] if len(sys.argv) > 1 else "-"
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
    try:
        for row in analyze_jsonl(stream):
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
    except InputError as exc:
        print(f"migwatch: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
