"""How many stories a second the analysis runs on one core.

    .venv/bin/python bench/analyze_throughput.py [--stories 3000] [--seed 7]

Stories are synthetic and varied: agreement stories with payments, warnings and stage changes, stories
that name the same countries without concerning any agreement, and long filler. Two mixes are timed:

- "agreement mix": three stories in four concern an agreement (the analysis at full stretch);
- "firehose mix": nine in ten are general news (markets, sport, weather, politics, often naming the same
  countries), as in the feeds a poller reads, where most stories concern no agreement;
- "full articles": a headline, a one-sentence feed summary and the article behind the link (about 5,000
  characters: an agreement story with its money and warnings in a few sentences, inside paragraphs of
  varied news prose — background, reaction, people introduced by name and role, quotes, figures — that
  carry no fact, as most of a real report's sentences do), as `feeds` reads a story once its article is
  fetched.

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


# The prose of a real report around its facts: background, reaction, colour, figures, people introduced
# by name and role, quotes that say nothing the ledger records. Most sentences of a long article are these.
PROSE = [
    "The announcement came after weeks of speculation in local media about the terms on offer.",
    "“We have seen nothing like this in years,” said a resident of the capital who asked not to be named.",
    "The ministry said in a statement that it would respond in detail once the report had been studied.",
    "Officials from both governments met again on {day} to review how the arrangement was working.",
    "Local newspapers in {b} carried the story on their front pages, alongside reports on the economy.",
    "A spokesperson for the opposition said the government had questions to answer about its plans.",
    "The figures published on {day} cover the period from {month} {year} to the end of last month.",
    "Maria Lindqvist, a professor of public policy at a university in the capital, said the numbers "
    "involved were small compared with the political attention the issue receives.",
    "Turnout at the last general election was the lowest in two decades, and the governing coalition holds "
    "a majority of only {k} seats.",
    "The interior minister, who took office in {month}, has made border policy the centrepiece of her "
    "first months in the job.",
    "Opinion polls suggest that voters are divided, with roughly {k} per cent backing the government's "
    "approach and a similar share opposed.",
    "In the port town, fishermen said they had noticed more patrol boats in recent weeks, though few "
    "wanted to talk about it on the record.",
    "The cost of living remains the main concern of most households, according to a survey published by "
    "the statistics office on {day}.",
    "Diplomats in {b} said the talks had touched on trade, energy and security as well as the question of "
    "who would pay for what.",
    "“It is a question of fairness,” the prime minister told a press conference, adding that the details "
    "would be set out in parliament.",
    "Tomas Brenner, a spokesman for the foreign ministry, declined to say when the next round of meetings "
    "would take place.",
    "Critics of the government have seized on the issue ahead of regional elections due in {month}.",
    "The city has grown rapidly over the past decade, and many of its {n},000 new residents work in "
    "construction and services.",
    "A similar debate took place in {year}, when the then government set out proposals that were later "
    "quietly dropped.",
    "Reporters were shown around a building on the edge of town that officials said could be used for "
    "offices, a canteen and a clinic.",
    "The finance ministry has yet to publish a full breakdown of the costs, which it says are commercially "
    "sensitive.",
    "Several business groups welcomed the clarity the announcement provided, while unions said they would "
    "study the detail.",
    "Ana Petrova, who runs a community centre in the capital, said people she worked with were anxious "
    "about what the changes would mean for them.",
    "The weather on the coast has been unusually calm for the time of year, officials noted.",
    "Parliament is expected to debate the measures in the autumn, though no date has been set.",
    "The government has faced a series of resignations this year, including that of its deputy leader in "
    "{month}.",
    "Asked about the timetable on {day}, a government source said only that work was continuing.",
    "A regional governor said the area had the infrastructure to cope, pointing to a new road and a "
    "hospital that opened in {year}.",
    "The president's office posted a short video of the meeting on social media, without comment.",
    "The two countries have had diplomatic relations since the 1960s and trade between them has grown "
    "steadily.",
    "Some analysts said the move was aimed as much at voters at home as at the partners abroad.",
    "“We will not comment on speculation,” a spokeswoman said when asked about reports of a second site.",
    "Officials said the figures would be updated every quarter and published on the ministry's website.",
    "The issue has divided the coalition, with the junior partner calling for a review of the costs.",
    "Shares in {b}'s largest bank rose {k} per cent on {day} after the central bank held interest rates.",
    "The opposition leader, speaking at a rally on {day}, promised a different approach if elected.",
    "Earlier this year the same ministry announced a new visa scheme for seasonal farm workers.",
    "A court hearing in an unrelated tax case was adjourned until {month}, lawyers said.",
]


def make_article(rng: random.Random, n: int) -> Story:
    """A headline, a feed summary and a ~5,000-character article: the story's facts in a few sentences,
    inside paragraphs of varied news prose that carry none."""
    story = make_story(rng, n)
    fill = {"a": rng.choice(PAIRS)[0], "b": rng.choice(PAIRS)[1], "day": rng.choice(DAYS),
            "month": rng.choice(MONTHS), "year": rng.randint(2016, 2025), "n": rng.randint(2, 400),
            "m": rng.randint(5, 500), "k": rng.randint(2, 90)}
    paragraphs = story.text.split("\n\n")
    prose = rng.sample(PROSE, len(PROSE))
    while sum(len(p) for p in paragraphs) < 4800 and prose:
        take = rng.randint(1, 3)
        paragraphs.insert(rng.randint(1, len(paragraphs)), " ".join(s.format(**fill) for s in prose[:take]))
        prose = prose[take:]
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
