"""Payment status from the verb that governs the amount, on sentences written for these tests."""

from __future__ import annotations

import pytest

from feeds.analyze import Analyzer
from feeds.models import Story


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


LEAD = "Britain agreed to send asylum seekers to Rwanda under its migration partnership. "


@pytest.mark.parametrize(("sentence", "status"), [
    ("Britain has paid Rwanda £240m so far under the deal.", "paid"),
    ("Under the deal Britain will pay Rwanda a further £50m next year.", "owed"),
    ("Another £50m has to be paid to Kigali by April under the deal.", "owed"),
    ("The next instalment of £15m is due to Rwanda in the spring under the deal.", "owed"),
    ("Britain agreed to give Rwanda £20m a year for the deal.", "pledged"),
    ("The Home Office will provide Kigali with £120m over five years under the deal.", "pledged"),
    ("Ministers have set aside £30m for the Rwanda deal.", "pledged"),
    ("The Treasury allocated £80m to the Rwanda deal.", "pledged"),
    ("Britain committed £370m to Rwanda under the deal.", "pledged"),
    ("Britain offered Rwanda £10m to take more people under the deal.", "proposed"),
    ("Up to £5m could be provided to Rwanda for housing under the deal.", "proposed"),
    ("Officials proposed paying Rwanda £12m for each flight under the deal.", "proposed"),
    ("Rwanda is still seeking £50m from Britain over the deal.", "claimed"),
    ("Rwanda demands £50m from Britain over the cancelled deal.", "claimed"),
    ("Rwanda sent Britain an invoice for £50m over the cancelled deal.", "claimed"),
    ("Rwanda filed an arbitration claim for £100m against Britain over the deal.", "claimed"),
    ("Rwanda says Britain still owes it £50m over the cancelled deal.", "claimed"),
    # an obligation with a date is money owed
    ("Britain is due to pay Rwanda another £50m in April under the deal.", "owed"),
    ("Rwanda is scheduled to receive a further £50m next year under the deal.", "owed"),
    # a plan or a budget is a pledge
    ("Rwanda is to receive £120m under the deal.", "pledged"),
    ("The Home Office has budgeted £90m for the Rwanda deal.", "pledged"),
    ("A £15m grant for Rwanda was approved under the deal.", "pledged"),
    # a demand addressed to the other side
    ("Rwanda has asked Britain for £50m over the cancelled deal.", "claimed"),
    # floated, with the amount after "under the deal": the verb still governs ("under the deal" is no deal value)
    ("Ministers have floated paying Rwanda an extra £10m under the deal.", "proposed"),
    ("Up to £1m more can be provided to Rwanda under the deal.", "proposed"),
])
def test_status_follows_the_governing_verb(analyzer: Analyzer, sentence: str, status: str) -> None:
    payments = analyzer.analyze(Story(id="p", title="", text=LEAD + sentence)).payments
    assert [p.status for p in payments] == [status]


def test_a_verb_with_another_object_does_not_govern_the_amount(analyzer: Analyzer) -> None:
    text = LEAD + "MPs demanded answers about the £120m payment Britain made to Rwanda under the deal."
    assert [p.status for p in analyzer.analyze(Story(id="p", title="", text=text)).payments] == ["paid"]


def test_a_headline_is_a_source(analyzer: Analyzer) -> None:
    a = analyzer.analyze(Story(id="p", title="EU signs €210m migration deal with Mauritania", text=""))
    assert a.agreements == ["eu-mauritania"]
    (p,) = a.payments
    assert (p.amount, p.currency, p.evidence.source) == (210e6, "EUR", "headline")
    assert (p.evidence.start, p.evidence.end) == (0, len("EU signs €210m migration deal with Mauritania"))
    assert a.stage == {"eu-mauritania": "signed"}


def test_a_headline_claim(analyzer: Analyzer) -> None:
    a = analyzer.analyze(Story(id="p", title="Rwanda says UK still owes it £50m", text=""))
    assert a.agreements == ["uk-rwanda"]
    assert [(p.amount, p.status) for p in a.payments] == [(50e6, "claimed")]


def test_the_body_repeating_the_headline_counts_once_with_the_body_as_evidence(analyzer: Analyzer) -> None:
    title = "Italy pays Albania €16m for migrant centres"
    text = "Italy has paid Albania €16m for the two migrant centres it runs on Albanian soil, officials said."
    a = analyzer.analyze(Story(id="p", title=title, text=text))
    (p,) = a.payments
    assert p.evidence.source == "feed"


def test_the_article_repeating_the_feed_summary_counts_once(analyzer: Analyzer) -> None:
    summary = "Italy has paid Albania €16m for the two migrant centres it runs there."
    article = summary + " The centres at Shëngjin and Gjadër hold men intercepted at sea. Rights groups " \
        "say the detainees have no access to lawyers."
    a = analyzer.analyze(Story(id="p", title="Migrant centres", text=summary, article=article))
    (p,) = a.payments
    assert p.evidence.source == "article"
    assert article[p.evidence.start : p.evidence.end] == p.evidence.sentence
    assert [w.evidence.source for w in a.warnings] == ["article"]


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("The pact promised Ankara six billion euros for refugee schools.", 6e9, "EUR"),
    ("Critics put the bill at half a billion pounds.", 5e8, "GBP"),
])
def test_amounts_in_words(text: str, amount: float, currency: str) -> None:
    from feeds.understand.money import parse_money

    assert [(m.amount, m.currency) for m in parse_money(text)] == [(amount, currency)]


def test_a_truncated_summary_and_its_article_count_once_with_the_article_as_evidence(analyzer: Analyzer) -> None:
    summary = "Italy has paid Albania €16m for the centres, officials said, as …"
    article = ("Italy has paid Albania €16m for the two migrant centres it runs on Albanian soil, officials said "
               "on Monday.")
    (p,) = analyzer.analyze(Story(id="p", title="Migrant centres", text=summary, article=article)).payments
    assert p.evidence.source == "article"


def test_the_deals_value_in_the_sentence_after_the_headline(analyzer: Analyzer) -> None:
    story = Story("v", "Brussels and Nouakchott seal migration pact",
                  "The €95m agreement will pay for patrol boats and a reception centre.")
    payments = analyzer.analyze(story).payments
    assert [(p.amount, p.currency, p.payer, p.payee) for p in payments] == [
        (95e6, "EUR", "European Union", "Mauritania")]


def test_where_people_were_moved_is_not_who_paid(analyzer: Analyzer) -> None:
    story = Story("w", "Australia and Cambodia resettlement deal ends",
                  "Four refugees were flown from Nauru to Phnom Penh under the A$40m deal.")
    payments = analyzer.analyze(story).payments
    assert [(p.amount, p.payer, p.payee) for p in payments] == [(40e6, "Australia", "Cambodia")]


def test_a_debt_its_creditor_reports_is_a_claim(analyzer: Analyzer) -> None:
    a = analyzer.analyze(Story("c", "Britain owes Rwanda £20m under axed asylum deal, Kigali says", ""))
    assert [(p.amount, p.status) for p in a.payments] == [(20e6, "claimed")]
    # the same debt reported by a neutral source is owed
    b = analyzer.analyze(Story("d", "Britain owes Rwanda £20m under axed asylum deal, auditors find", ""))
    assert [(p.amount, p.status) for p in b.payments] == [(20e6, "owed")]


def test_a_headline_infinitive_is_money_to_come(analyzer: Analyzer) -> None:
    a = analyzer.analyze(Story("e", "Nauru to receive A$50m under resettlement deal with Australia", ""))
    assert [(p.amount, p.status) for p in a.payments] == [(50e6, "pledged")]


def test_money_handed_over_in_a_headline(analyzer: Analyzer) -> None:
    a = analyzer.analyze(Story("h", "EU hands Tunisia €60m despite concerns over abuses of migrants", ""))
    assert [(p.amount, p.payer, p.payee) for p in a.payments] == [(60e6, "European Union", "Tunisia")]
