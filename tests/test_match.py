"""Story → agreements: about the agreement, not merely naming its countries. All text here is ours."""

from __future__ import annotations

import pickle

import pytest

from feeds.agreements import BUNDLED, Catalogue, canonical_party, load_catalogue
from feeds.match import could_match, match, split_sentences
from feeds.models import Agreement, Story

DOMAIN_IDS = {
    "uk-rwanda", "us-rwanda", "us-el-salvador", "us-libya", "us-guantanamo", "us-south-sudan", "us-eswatini",
    "us-uganda", "us-ghana", "us-costa-rica", "us-panama", "italy-albania", "eu-tunisia", "eu-turkey",
    "eu-libya", "eu-mauritania", "eu-egypt", "denmark-rwanda", "israel-rwanda", "australia-nauru",
    "australia-cambodia",
}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def about(catalogue: Catalogue, text: str, title: str = "") -> tuple[set[str], set[str]]:
    story = Story(id="t", title=title, text=text)
    matches = match(story, catalogue)
    # the cheap gate the pipeline runs first must let through every story that matches
    assert could_match(story, catalogue.index) or not matches
    return {m.agreement_id for m in matches if m.main}, {m.agreement_id for m in matches if not m.main}


class TestCatalogue:
    def test_every_domain_id_is_bundled(self, catalogue: Catalogue) -> None:
        assert DOMAIN_IDS <= set(catalogue.ids)
        assert all(a.bundled for a in BUNDLED)

    def test_timeline_of_uk_rwanda(self, catalogue: Catalogue) -> None:
        uk = catalogue.get("uk-rwanda")
        assert uk is not None
        assert any(t.stage == "cancelled" and t.date.startswith("2024-07") for t in uk.timeline)
        assert any(t.stage == "struck-down" and t.date == "2023-11-15" for t in uk.timeline)

    def test_user_agreement_added_and_overrides(self) -> None:
        mine = Agreement(id="us-mexico", title="Remain in Mexico", parties=("USA", "Mexico"),
                         aliases=("Remain in Mexico",), keywords=("Migrant Protection Protocols",))
        override = Agreement(id="uk-rwanda", title="Mine", parties=("UK", "Rwanda"))
        cat = load_catalogue([mine, override])
        assert cat.get("us-mexico") is not None and cat.get("us-mexico").bundled is False  # type: ignore[union-attr]
        assert cat.get("uk-rwanda").title == "Mine"  # type: ignore[union-attr]
        assert len(cat) == len(BUNDLED) + 1

    def test_canonical_party(self) -> None:
        assert canonical_party("UK") == canonical_party("Britain") == "United Kingdom"
        assert canonical_party("U.S.") == "United States"
        assert canonical_party("Atlantis") == "Atlantis"

    def test_catalogue_pickles_without_its_index(self, catalogue: Catalogue) -> None:
        catalogue.index  # noqa: B018 - built
        clone = pickle.loads(pickle.dumps(catalogue))
        assert clone.ids == catalogue.ids
        assert about(clone, "Britain will send asylum seekers to Rwanda, the Home Office said.")[0] == {"uk-rwanda"}


class TestAbout:
    def test_parties_with_a_migration_cue(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Ministers in London confirmed that the first asylum seekers would be "
                                   "flown to Kigali under the partnership with Rwanda signed by Britain.")
        assert main == {"uk-rwanda"}

    def test_alias_alone_is_enough(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Guards at CECOT refused to let lawyers see the deportees held there for weeks.")
        assert "us-el-salvador" in main

    def test_italy_albania_by_place_names(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Boats carrying men rescued at sea docked at Shengjin, and the migrants "
                                   "were bussed to the camp at Gjadër.")
        assert main == {"italy-albania"}

    def test_offshore_processing(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Canberra said offshore processing on Nauru would continue for people "
                                   "arriving by boat, despite the cost to Australian taxpayers.")
        assert main == {"australia-nauru"}

    def test_a_list_of_deals_in_a_deportation_story(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "The administration has already sent deportees to third countries. "
                                   "Washington has similar agreements with Uganda, Ghana and Eswatini.")
        assert {"us-uganda", "us-ghana", "us-eswatini"} <= main

    def test_refoulement_is_a_migration_cue(self, catalogue: Catalogue) -> None:
        # no asylum, deport or migrant anywhere: refoulement alone says what the story is about
        text = ("UNHCR said on Tuesday that people the UK sends to Rwanda could face refoulement. "
                "The agency said Rwanda had yet to show it would respect the principle of non-refoulement.")
        main, _ = about(catalogue, text, "UNHCR warns of refoulement risk under Rwanda deal")
        assert main == {"uk-rwanda"}

    def test_user_agreement_matches_like_a_bundled_one(self) -> None:
        cat = load_catalogue([Agreement(id="uk-albania", title="UK–Albania returns", parties=("Britain", "Albania"),
                                        aliases=("Albania returns deal",), bundled=False)])
        main, _ = about(cat, "The UK flew 40 Albanian migrants home on Tuesday under its returns agreement "
                             "with Tirana, the Home Office said.")
        assert "uk-albania" in main


class TestNotAbout:
    """Stories that name the countries, money or migration without concerning any agreement."""

    @pytest.mark.parametrize("title,text", [
        ("Rwanda's national airline joins football sponsorship",
         "Rwanda agreed a sponsorship deal with a London football club on Friday to promote tourism. "
         "The club will wear the Visit Rwanda logo on its sleeves for three seasons, worth £10m a year."),
        ("Net migration to the UK falls",
         "Net migration to Britain fell to 431,000 last year, the Office for National Statistics said. "
         "The fall was driven by fewer student visas, the UK government said."),
        ("Immigration court backlog grows",
         "The backlog in US immigration courts passed three million cases this year. "
         "Judges in Washington said the number of asylum hearings had doubled since 2020."),
        ("IMF reaches staff-level agreement with Tunisia",
         "The IMF and Tunisia reached a staff-level agreement on a $1.9 billion loan, officials in Tunis said. "
         "The European Union welcomed the deal, which still needs board approval."),
        ("El Salvador bond deal",
         "El Salvador agreed a $1.4 billion programme with the IMF in Washington on Wednesday. "
         "Bukele's government will scale back its bitcoin purchases under the agreement."),
        ("Nauru signs security treaty",
         "Australia and Nauru signed a security treaty pledging A$100 million in budget support. "
         "The treaty lets Canberra veto other countries' security deals with the island."),
        ("US aid for refugees in Uganda",
         "The United States announced $50 million in humanitarian aid for Sudanese refugees sheltering in "
         "Uganda. Aid workers in Kampala said the camps were full."),
        ("EU earthquake aid for Turkey",
         "The European Union pledged €400 million to help Turkey rebuild after the earthquake, which also "
         "damaged camps housing Syrian refugees."),
    ])
    def test_matches_nothing(self, catalogue: Catalogue, title: str, text: str) -> None:
        main, _ = about(catalogue, text, title)
        assert main == set()


class TestMainAndMention:
    def test_passing_mention(self, catalogue: Catalogue) -> None:
        text = ("Rwanda's government says talks with the United States on receiving deported migrants are "
                "in the early stages. Officials in Kigali said deportees from the US would get housing. "
                "Washington is also reported to be considering Libya as a destination.")
        main, mentioned = about(catalogue, text, "Rwanda in talks to take US deportees")
        assert "us-rwanda" in main
        assert "us-libya" in mentioned

    def test_title_counts(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Officials gave no timetable for the plan.",
                        "Denmark and Rwanda discuss asylum transfers")
        assert main == {"denmark-rwanda"}


class TestSentences:
    def test_abbreviations_do_not_split(self) -> None:
        text = "The U.S. and Mr. Smith agreed. Then the U.K. Home Office said no.\nNew line here."
        spans = split_sentences(text)
        assert [text[a:b] for a, b in spans] == [
            "The U.S. and Mr. Smith agreed.", "Then the U.K. Home Office said no.", "New line here."]

    def test_quotes_end_sentences(self) -> None:
        text = '"We are talking," he said. "Nothing is signed." Officials agreed.'
        assert len(split_sentences(text)) == 3

    def test_empty(self) -> None:
        assert split_sentences("") == []
        assert match(Story(id="x", title="", text=""), load_catalogue()) == []


class TestKnownMisses:
    def test_transferred_from_sender_to_prison_is_about_the_deal(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Scores of Venezuelans transferred from the United States to El Salvador's "
                                   "CECOT prison are still held without charge, relatives say.")
        assert main == {"us-el-salvador"}

    def test_a_deportation_flight_alone_is_not_the_rwanda_scheme(self, catalogue: Catalogue) -> None:
        main, mentions = about(catalogue, "A deportation flight left Stansted on Tuesday with 40 people on "
                                          "board, the Home Office said.")
        assert "uk-rwanda" not in main | mentions

    def test_a_generic_keyword_beside_a_many_deal_sender_is_not_that_deal(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Four men deported from the United States to Eswatini are held in a "
                                   "maximum-security prison outside Mbabane, their lawyers said.")
        assert main == {"us-eswatini"}

    def test_another_pair_in_the_title_does_not_raise_the_uk_deal(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Kigali has agreed to accept up to 100 migrants deported from the United "
                                   "States, a spokesperson said.", title="What the US-Rwanda deportation deal says")
        assert main == {"us-rwanda"}

    def test_a_line_break_inside_a_sentence_reads_as_a_space(self, catalogue: Catalogue) -> None:
        flat = ("Officials said Kampala would take in migrants deported from the United States under a new "
                "arrangement. The foreign ministry confirmed it.")
        broken = flat.replace("take in ", "take in\n").replace("a new ", "a new\n")
        assert about(catalogue, flat) == about(catalogue, broken)
        assert split_sentences(broken) == split_sentences(flat)

    def test_interception_by_a_named_coast_guard_is_the_libya_deal(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "A charity said the Libyan coast guard fired at its ship while intercepting "
                                   "a dinghy with 50 people aboard.")
        assert main == {"eu-libya"}


class TestPrefilter:
    """`could_match` must pass every story the matcher can match; it exists to skip the rest cheaply."""

    @pytest.mark.parametrize("text", [
        "Britain will send asylum seekers to Rwanda.",
        "The U.S. deported 40 men to Eswatini.",
        "Italy's centres in Albania for migrants stood empty.",
        "The third-country deal with Uganda was signed.",
        "Small boats kept arriving, the Home Office said, as Rwanda waited.",
        "Men were transferred from the United States to El Salvador.",
        "Non-citizens were flown from Washington to Juba.",
        "Noncitizens were flown from Washington to Juba.",
        "Britain's anti-immigration drive reached Rwanda.",
        "Immigration officials in Kigali met their British counterparts.",
        "The Libyan coast guard intercepted 60 people.",
        "Push-backs at sea continued, Italy and Libya said.",
        "Gang members were held in El Salvador's mega-prison under a deal with the US.",
        "UNHCR warned of refoulement if Britain went ahead with Rwanda.",
        "Rwanda's respect for non-refoulement was doubted in London.",
        "Rwanda's respect for nonrefoulement was doubted in London.",
    ])
    def test_every_cue_passes(self, catalogue: Catalogue, text: str) -> None:
        from feeds.match import could_match

        story = Story(id="t", title="", text=text)
        assert could_match(story, catalogue.index)

    def test_news_without_cues_is_skipped(self, catalogue: Catalogue) -> None:
        from feeds.analyze import Analyzer

        story = Story(id="t", title="Italy beat Albania 2-1 in Dortmund",
                      text="Italy came from behind to beat Albania. The coach praised the team's spirit.")
        from feeds.match import could_match

        assert not could_match(story, catalogue.index)
        assert Analyzer(catalogue).analyze(story).fingerprint == b""

    def test_a_users_keyword_passes(self) -> None:
        from feeds.match import could_match

        mine = load_catalogue([Agreement(id="x-y", title="X–Y", parties=("Canada", "Paraguay"),
                                         keywords=("safe-haven scheme",))])
        story = Story(id="t", title="", text="Canada's safe haven scheme with Paraguay starts next week.")
        assert could_match(story, mine.index)


class TestShortItems:
    """Headline-and-a-sentence items, as most feeds send them: the deal is named by where people are sent,
    by a scheme named after its receiving state, by its places beside a headline cue, or by money."""

    def test_the_receiving_state_as_the_destination_names_its_only_deal(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Campaigners said the men had been given no chance to see a lawyer.",
                        title="Second plane of deportees lands in Eswatini after flight to Eswatini")
        assert main == {"us-eswatini"}
        main, _ = about(catalogue, "Officials in Juba confirmed the arrivals on Tuesday night.",
                        title="Court lets deportations to South Sudan go ahead")
        assert main == {"us-south-sudan"}

    def test_a_destination_shared_by_several_deals_or_another_sender_is_not_enough(self, catalogue: Catalogue) -> None:
        # Rwanda receives under four tracked deals; Britain sending people to Ghana is not the US deal
        assert about(catalogue, "The ministry gave no numbers.", title="More deportations to Rwanda planned")[0] == set()
        assert about(catalogue, "Most had overstayed their visas.",
                     title="Britain deports 40 people to Ghana on a charter flight") == (set(), set())

    def test_a_scheme_named_after_its_receiving_state_with_its_sender_in_the_headline(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Ministers refused to say what the contract had cost.",
                        title="Home Office quietly winds down Rwanda plan")
        assert main == {"uk-rwanda"}

    def test_the_deals_own_places_beside_a_migration_headline(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Inspectors visited Gjader twice in the spring.",
                        title="Italy's migrant centres abroad face fresh scrutiny")
        assert main == {"italy-albania"}

    def test_money_offered_or_earmarked_between_the_parties_in_a_headline(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Officials said the package would be discussed at a summit in June.",
                        title="EU earmarks €80m for Mauritania coastguard")
        assert main == {"eu-mauritania"}

    def test_a_deal_named_by_its_only_receiving_state(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "", title="Eswatini agreement faces court test as deportees wait in prison")
        assert main == {"us-eswatini"}
        # Rwanda receives under several deals: "the Rwanda deal" alone says not which
        assert "us-rwanda" not in about(catalogue, "", title="Rwanda deal faces court test as deportees wait")[0]
        # and a receiving state's deal in a story that is not about migration is some other deal
        assert about(catalogue, "Cocoa exporters welcomed the terms.", title="Ghana agreement signed") == (set(), set())

    def test_the_deals_own_place_in_a_migration_headline(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "The flight left from Texas overnight.",
                        title="Pentagon sends more migrants to Guantanamo")
        assert main == {"us-guantanamo"}

    def test_money_a_receiving_state_gets_from_its_partner(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "The first tranche is due in the autumn.",
                        title="Tunisia gets €50m from EU for border management")
        assert main == {"eu-tunisia"}

    def test_halting_transfers_to_a_receiving_state_with_its_sender_named(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Those sent there could face torture, the deportees' lawyers said.",
                        title="Senators press Washington to stop removals to South Sudan")
        assert main == {"us-south-sudan"}
        # flights to a receiving state in a story that is not about migration are only flights
        assert about(catalogue, "Airlines added seats for the summer.", title="More flights to Albania") == (set(), set())

    def test_a_headline_with_both_parties_and_a_migration_cue_over_a_body_about_the_deal(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Diplomats said payments under the 2023 memorandum could be frozen.",
                        title="EU weighs cutting Tunisia migration funds")
        assert main == {"eu-tunisia"}

    def test_a_deal_with_the_only_receiving_state_in_a_migration_sentence(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "Reports of migrants abandoned in the desert in Tunisia put the deal under strain.")
        assert main == {"eu-tunisia"}

    def test_people_sent_to_the_only_receiving_state(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "The agency said it would monitor the transfers.",
                        title="Watchdog alarmed as more asylum seekers sent to Albania camps")
        assert main == {"italy-albania"}

    def test_the_headline_names_one_side_and_the_body_the_other_beside_a_cue(self, catalogue: Catalogue) -> None:
        main, _ = about(catalogue, "“Sending asylum claims to Rwanda breaks the convention,” the group's director said.",
                        title="Copenhagen charity warns against offshore asylum")
        assert main == {"denmark-rwanda"}
        main, _ = about(catalogue, "The Home Office said more deportation flights would follow.",
                        title="Kigali hostel for deportees stands empty")
        assert main == {"uk-rwanda"}

    def test_deportees_in_the_only_receiving_state_and_countries_such_as_it(self, catalogue: Catalogue) -> None:
        assert about(catalogue, "", title="Deportees in Eswatini go on hunger strike")[0] == {"us-eswatini"}
        main, _ = about(catalogue, "Officials may now remove migrants before they are heard, after being sent to "
                        "countries such as South Sudan.", title="Trump wins appeal on third-country removals")
        assert main == {"us-south-sudan"}

    def test_money_handed_over_and_a_deals_keyword_under_a_headline_naming_it(self, catalogue: Catalogue) -> None:
        assert about(catalogue, "Aid groups said the money rewarded a crackdown.",
                     title="EU hands Tunisia €60m for migration control")[0] == {"eu-tunisia"}
        main, _ = about(catalogue, "Only 40 people went back from the Greek islands in the spring.",
                        title="EU and Turkey deal stalls")
        assert main == {"eu-turkey"}
        main, _ = about(catalogue, "Critics say the deal with the US was never put to parliament.",
                        title="Ghana judges hear case against deportee accord")
        assert main == {"us-ghana"}
