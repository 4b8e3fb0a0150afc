"""Stages from the story's main event, and matching short items, on sentences written for these tests."""

from __future__ import annotations

import pytest

from feeds.analyze import Analyzer
from feeds.models import Story


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def stage(analyzer: Analyzer, text: str, title: str = "") -> dict[str, str]:
    return analyzer.analyze(Story(id="s", title=title, text=text)).stage


@pytest.mark.parametrize(("title", "text", "expected"), [
    ("Court rules plan to send asylum seekers from Britain to Rwanda unlawful", "", "struck-down"),
    ("", "Britain's plan to deport asylum seekers to Rwanda is unlawful, the Court of Appeal ruled on Thursday.",
     "struck-down"),
    ("", "A court in London heard a challenge to the plan to deport asylum seekers to Rwanda.",
     "legally-challenged"),
    ("", "A judge blocked the first flight taking asylum seekers from Britain to Rwanda.", "legally-challenged"),
    ("", "Britain offered Rwanda a deal to take asylum seekers it refuses.", "exploratory"),
    ("", "The first twelve asylum seekers arrived in Rwanda from Britain under the deal on Monday.",
     "implementing"),
    ("", "The Supreme Court struck down Britain's Rwanda deportation scheme in 2023. In 2024 Britain and "
         "Rwanda signed a new asylum treaty.", "signed"),
])
def test_main_event(analyzer: Analyzer, title: str, text: str, expected: str) -> None:
    assert stage(analyzer, text, title) == {"uk-rwanda": expected}


@pytest.mark.parametrize(("text", "agreement"), [
    ("The UK–Rwanda deal was signed.", "uk-rwanda"),
    ("Officials discussed the Italy-Albania protocol.", "italy-albania"),
    ("Ministers defended the EU-Tunisia memorandum.", "eu-tunisia"),
    # an en dash before an alias that holds the deal noun ("Albania protocol")
    ("The Italy–Albania protocol came into force in the spring.", "italy-albania"),
])
def test_a_deal_named_plainly_is_matched(analyzer: Analyzer, text: str, agreement: str) -> None:
    assert analyzer.analyze(Story(id="m", title="", text=text)).agreements == [agreement]


@pytest.mark.parametrize(("title", "text"), [
    ("Court throws out case against Eswatini deportations",
     "A court in Mbabane threw out a lawsuit challenging the deal under which the United States sends "
     "deportees to Eswatini."),
    ("Judges reject bid to stop Eswatini transfers",
     "The High Court rejected a bid by activists to stop the transfer of US deportees to Eswatini."),
])
def test_a_challenge_dismissed_leaves_the_deal_running(analyzer: Analyzer, title: str, text: str) -> None:
    assert stage(analyzer, text, title) == {"us-eswatini": "implementing"}


def test_a_headline_alone_keeps_its_agreement(analyzer: Analyzer) -> None:
    a = analyzer.analyze(Story(id="m", title="Italy–Albania migrant protocol suspended after court ruling", text=""))
    assert a.agreements == ["italy-albania"]
    assert a.matches[0].evidence.source == "headline"


def test_a_trade_deal_between_the_same_states_is_not_the_agreement(analyzer: Analyzer) -> None:
    assert analyzer.analyze(Story(id="m", title="", text="The UK–Rwanda trade deal was signed.")).agreements == []


def test_money_paid_under_a_deal_means_it_is_being_implemented(analyzer: Analyzer) -> None:
    text = "Washington paid El Salvador $6m to hold deported Venezuelans in its prison."
    assert stage(analyzer, text) == {"us-el-salvador": "implementing"}


def test_a_plan_named_by_its_owner_is_the_scheme_not_a_new_idea(analyzer: Analyzer) -> None:
    named = "Lawyers attacked Italy's plan to send migrants to centres in Albania."
    assert "exploratory" not in {e.stage for e in analyzer.analyze(Story(id="p", title="", text=named)).stages}
    intention = "Italy plans to send migrants rescued at sea to centres in Albania."
    assert stage(analyzer, intention) == {"italy-albania": "exploratory"}


CENTRES = " Italy runs two centres in Albania for asylum seekers under the protocol."


@pytest.mark.parametrize("text", [
    "Amnesty International called for the centres in Albania to be closed for good.",
    "Opposition senators want the Italy-Albania deal torn up.",
    "Charities urged the government to halt transfers to the centres in Albania.",
    "Protesters in Rome demanded an end to the Italy-Albania protocol.",
    "A petition to scrap the Italy-Albania protocol has gathered 40,000 signatures.",
    "Calls for the Albania centres to be shut grew louder after Italy's first transfers.",
])
def test_a_call_or_demand_is_no_stage_change(analyzer: Analyzer, text: str) -> None:
    assert stage(analyzer, text + CENTRES).get("italy-albania") != "cancelled"


@pytest.mark.parametrize("text", [
    "Rome tore up its migration protocol with Albania.",
    "Rights groups had demanded it for months, and Italy then scrapped the protocol with Albania.",
])
def test_the_deed_itself_is_still_read(analyzer: Analyzer, text: str) -> None:
    assert stage(analyzer, text + CENTRES) == {"italy-albania": "cancelled"}


def test_a_demand_over_a_deal_already_scrapped_keeps_its_stage(analyzer: Analyzer) -> None:
    text = "Albania demands €20m from Italy over the scrapped migration protocol." + CENTRES
    assert stage(analyzer, text) == {"italy-albania": "cancelled"}


@pytest.mark.parametrize(("title", "text", "expected"), [
    # money offered is an offer, not a deal signed
    ("Brussels offers Nouakchott €90m to curb boat departures", "The sum would fund patrols, officials said.",
     "negotiating"),
    # people arriving under the deal: it is running
    ("More deportees arrive in Eswatini on US flight", "", "implementing"),
    ("Ghana says it has accepted 20 more deportees from the US", "", "implementing"),
    ("Uganda agrees to receive deportees from the US", "", "signed"),
    ("Italy reopens its Albanian centres for asylum seekers", "", "implementing"),
    # a deal that lapses ends; migrants abandoned by guards end no deal
    ("Australia–Cambodia refugee arrangement quietly expired, officials admit", "", "cancelled"),
    ("Families challenge the Eswatini deportations in court", "", "legally-challenged"),
])
def test_the_main_event_of_a_short_item(analyzer: Analyzer, title: str, text: str, expected: str) -> None:
    assert set(stage(analyzer, text, title).values()) == {expected}


def test_migrants_abandoned_by_guards_are_no_cancelled_deal(analyzer: Analyzer) -> None:
    text = ("The EU has paid €40m to Tunisia under the migration memorandum. "
            "Rights groups accused Tunisian guards of abandoning migrants in the desert.")
    assert stage(analyzer, text).get("eu-tunisia") != "cancelled"


def test_an_offered_package_is_proposed(analyzer: Analyzer) -> None:
    a = analyzer.analyze(Story("o", "Brussels offers Mauritania a €90m migration package", ""))
    assert [(p.amount, p.status) for p in a.payments] == [(90e6, "proposed")]


@pytest.mark.parametrize(("title", "text", "expected"), [
    ("Danish government drops its plan to process asylum claims in Rwanda",
     "Ministers said they had ended talks with Kigali.", "cancelled"),
    ("Rwanda confirms it will host deportees", "Kigali said it had agreed with the United States to accept 100 people.",
     "signed"),
    ("EU-funded Libyan coast guard returns migrants to detention camps", "", "implementing"),
])
def test_the_main_event_of_a_short_item_again(analyzer: Analyzer, title: str, text: str, expected: str) -> None:
    assert set(stage(analyzer, text, title).values()) == {expected}


def test_an_event_is_dated_when_it_happened_not_when_it_was_reported(analyzer: Analyzer) -> None:
    from datetime import UTC, datetime

    text = ("Britain's deal to send asylum seekers to Rwanda was ruled unlawful by the Supreme Court in a "
            "November 2023 ruling. The new government scrapped the deal in July. "
            "Rwanda says it is still owed money over the cancelled deal.")
    a = analyzer.analyze(Story("d", "", text, published=datetime(2025, 5, 5, tzinfo=UTC)))
    events = [(e.stage, e.when) for e in a.stages if e.agreement_id == "uk-rwanda"]
    # "in July" in a story of May 2025 is July 2024; "the cancelled deal" retells that cancellation
    assert ("struck-down", "2023-11") in events
    assert events[-1] == ("cancelled", "2024-07")
    assert all(when for stage, when in events if stage != "legally-challenged")


@pytest.mark.parametrize(("title", "text", "expected"), [
    ("Mauritania's coastguard receives four EU patrol boats under migration pact", "", "implementing"),
    ("Italy extends its Albania migrant protocol to people awaiting deportation", "", "implementing"),
])
def test_equipment_delivered_and_a_deal_extended_are_the_deal_running(analyzer: Analyzer, title: str, text: str,
                                                                     expected: str) -> None:
    assert set(stage(analyzer, text, title).values()) == {expected}
