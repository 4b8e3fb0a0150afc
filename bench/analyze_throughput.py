"""How many stories a second the analysis runs on one core.

    .venv/bin/python bench/analyze_throughput.py [--stories 3000] [--seed 7]

Stories are synthetic and varied: agreement stories with payments, warnings and stage changes, stories
that name the same countries without concerning any agreement, and long filler. Two mixes are timed:

- "agreement mix": three stories in four concern an agreement (the analysis at full stretch);
- "firehose mix": nine in ten are general news (markets, sport, weather, politics, often naming the same
  countries), as in the feeds a poller reads, where most stories concern no agreement;
- "full articles": a headline, a one-sentence feed summary and the article behind the link (about 5,000
  characters: an agreement story with its money and warnings inside a long report), as `feeds` reads a
  story once its article is fetched.

Targets on one core: ≥ 500 stories/s on the agreement mix, ≥ 2000/s on the firehose mix, ≥ 200 full
articles/s.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feeds.agreements import load_catalogue  # noqa: E402
from feeds.analyze import Analyzer  # noqa: E402
from feeds.cluster import Clusterer  # noqa: E402
from feeds.models import Story  # noqa: E402

PAIRS = [
    ("Britain", "Rwanda"), ("the United States", "Rwanda"), ("Washington", "El Salvador"),
    ("Italy", "Albania"), ("the European Union", "Tunisia"), ("Australia", "Nauru"), ("Denmark", "Rwanda"),
    ("the US", "Uganda"), ("the EU", "Mauritania"), ("the U.S.", "Eswatini"), ("Brussels", "Egypt"),
]
OPENERS = [
    "{a} and {b} are holding talks on a plan to send asylum seekers to {b}, officials said on {day}.",
    "{b} has received a group of {n} deportees from {a} under a deal signed last year.",
    "A court in {a} ruled the scheme to move migrants to {b} unlawful on {day}.",
    "{a} scrapped its agreement to deport migrants to {b} in {month} {year}.",
    "The first flight carrying {n} migrants deported by {a} landed in {b} on {day}.",
]
MONEY = [
    "{a} has paid {b} £{m}m so far, according to officials.",
    "{b} is seeking {m} million pounds (${k}m) from {a} over the cancelled arrangement.",
    "The deal commits {a} to an upfront A${m} million payment and a further A${k}m annually.",
    "{a} pledged €{m}.5bn in support to {b}, but no payment has been made yet.",
    "Officials said {a} would pay US${k},000 per person transferred.",
]
WARNINGS = [
    "The UN refugee agency warned that people sent to {b} could be returned to countries they fled.",
    "Amnesty International condemned the conditions in detention centres in {b}.",
    "Human rights groups raised concerns over press freedom and the treatment of political opponents.",
    "{b} has denied the allegations and said migrants would be safe.",
]
DISTRACTORS = [
    "{b} signed a tourism deal worth €{m} million with a European football club on {day}.",
    "The IMF agreed a ${k}m loan with {b} as it seeks to stabilise its currency.",
    "Net migration to {a} fell to {n},000 last year, official statistics showed.",
    "A backlog of {n},000 cases built up in the immigration courts of {a}.",
]
FILLER = [
    "The announcement came after weeks of speculation in local media.",
    "Opposition politicians called for more details to be published before parliament votes.",
    "The minister did not take questions from reporters after the briefing.",
    "Analysts said the economy was expected to grow by {k} per cent this year.",
    "Thousands of people gathered in the capital for the annual festival on {day}.",
]
# General news: the same countries, money and dates, but nothing about sending people anywhere.
NEWS = [
    "Shares in {b} rose {k} per cent on {day} after the central bank held interest rates.",
    "{a}'s football team beat {b} {k}-1 in a friendly played in front of {n},000 fans.",
    "Heavy rain is expected across {b} on {day}, the weather service said.",
    "The finance minister of {a} unveiled a budget worth ${m} billion for schools and hospitals.",
    "{b}'s president met business leaders from {a} to discuss a new trade corridor.",
    "A new bridge linking the capital of {b} to the airport opened on {day} after {k} months of work.",
    "Tourism to {b} reached a record {n},000 visitors in {month}, officials said.",
    "The opposition in {a} called for an inquiry into the price of energy bills.",
    "A film festival in {b} drew directors from {a} and across the region.",
    "Exports of coffee and tea from {b} grew by {k} per cent in {year}.",
]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
MONTHS = ["January", "March", "July", "October"]


def make_news(rng: random.Random, n: int) -> Story:
    a, b = rng.choice(PAIRS)
    fill = {"a": a, "b": b, "day": rng.choice(DAYS), "month": rng.choice(MONTHS), "year": rng.randint(2016, 2025),
            "n": rng.randint(2, 400), "m": rng.randint(5, 500), "k": rng.randint(2, 90)}
    sentences = [rng.choice(NEWS).format(**fill) for _ in range(rng.randint(4, 9))]
    sentences += [rng.choice(FILLER).format(**fill) for _ in range(rng.randint(2, 8))]
    rng.shuffle(sentences)
    paragraphs = [" ".join(sentences[k : k + 2]) for k in range(0, len(sentences), 2)]
    return Story(id=f"news-{n}", title=sentences[0][:70], text="\n\n".join(paragraphs))


def make_story(rng: random.Random, n: int) -> Story:
    a, b = rng.choice(PAIRS)
    fill = {"a": a, "b": b, "day": rng.choice(DAYS), "month": rng.choice(MONTHS), "year": rng.randint(2016, 2025),
            "n": rng.randint(2, 400), "m": rng.randint(5, 500), "k": rng.randint(2, 90)}

    def pick(pool: list[str], count: int) -> list[str]:
        return [rng.choice(pool).format(**fill) for _ in range(count)]

    if rng.random() < 0.25:
        sentences = pick(DISTRACTORS, 2) + pick(FILLER, rng.randint(3, 12))
    else:
        sentences = pick(OPENERS, 2) + pick(MONEY, rng.randint(0, 2)) + pick(WARNINGS, rng.randint(0, 2))
        sentences += pick(FILLER, rng.randint(2, 14))
        rng.shuffle(sentences[2:])
    paragraphs = []
    while sentences:
        take = rng.randint(1, 3)
        paragraphs.append(" ".join(sentences[:take]))
        sentences = sentences[take:]
    title = f"{a.replace('the ', '').title()} and {b}: story {n}"
    return Story(id=f"bench-{n}", title=title, text="\n\n".join(paragraphs))


QUOTES = [
    "“We have seen nothing like this in years,” said a resident of the capital who asked not to be named.",
    "The ministry said in a statement that it would respond in detail once the report had been studied.",
    "Officials from both governments met again on {day} to review how the arrangement was working.",
    "Local newspapers in {b} carried the story on their front pages, alongside reports on the economy.",
    "A spokesperson for the opposition said the government had questions to answer about its plans.",
    "The figures published on {day} cover the period from {month} {year} to the end of last month.",
]


def make_article(rng: random.Random, n: int) -> Story:
    """A headline, a feed summary and a ~5,000-character article that carries the story."""
    story = make_story(rng, n)
    a, b = rng.choice(PAIRS)
    fill = {"a": a, "b": b, "day": rng.choice(DAYS), "month": rng.choice(MONTHS), "year": rng.randint(2016, 2025),
            "n": rng.randint(2, 400), "m": rng.randint(5, 500), "k": rng.randint(2, 90)}
    paragraphs = story.text.split("\n\n")
    while sum(len(p) for p in paragraphs) < 4800:
        pool = QUOTES if rng.random() < 0.5 else FILLER + NEWS
        paragraphs.insert(rng.randint(1, len(paragraphs)), " ".join(
            rng.choice(pool).format(**fill) for _ in range(rng.randint(1, 3))))
    summary = paragraphs[0].split(". ")[0] + "."
    return Story(id=f"article-{n}", title=story.title, text=summary, article="\n\n".join(paragraphs))


def run(label: str, stories: list[Story], analyzer: Analyzer) -> float:
    clusterer = Clusterer()
    chars = sum(len(s.text) + len(s.article) for s in stories)
    start = time.process_time()
    matched = 0
    for story in stories:
        analysis = analyzer.analyze(story)
        clusterer.assign(story.id, analysis.fingerprint, story.published)
        matched += bool(analysis.agreements)
    elapsed = time.process_time() - start
    rate = len(stories) / elapsed
    print(f"{label}: {len(stories)} stories ({chars / len(stories):.0f} chars on average, {matched} matched) "
          f"in {elapsed:.2f} CPU s: {rate:.0f} stories/s on one core")
    return rate


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stories", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    stories = [make_story(rng, n) for n in range(args.stories)]
    firehose = [make_story(rng, n) if rng.random() < 0.1 else make_news(rng, n) for n in range(args.stories)]
    analyzer = Analyzer(load_catalogue())
    # build the compiled index and import datasketch (only matched stories are fingerprinted) off the clock
    next(s for s in stories if analyzer.analyze(s).matches)
    articles = [make_article(rng, n) for n in range(max(1, args.stories // 3))]
    run("agreement mix", stories, analyzer)
    run("firehose mix ", firehose, analyzer)
    run("full articles", articles, analyzer)


if __name__ == "__main__":
    main()
