"""The attribution grammar of rights warnings, on sentences written for these tests."""

from __future__ import annotations

import pytest

from feeds.analyze import Analyzer
from feeds.models import Story


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


def speakers(analyzer: Analyzer, text: str, title: str = "") -> list[str]:
    return [w.by for w in analyzer.analyze(Story(id="w", title=title, text=text)).warnings]


LEAD = "The United States has begun deporting migrants to Eswatini under a new agreement. "


@pytest.mark.parametrize(("text", "by"), [
    # a court and what it found
    (LEAD + "The High Court found that the men had been held incommunicado for weeks.", "High Court"),
    # a judge writing an opinion
    (LEAD + "Justice Mara Olsen wrote that the deportees faced a real risk of torture.", "Justice Mara Olsen"),
    # a person introduced with a role: their name
    (LEAD + "Dana Kowal, the executive director of a legal aid clinic and lead counsel for the men, said her "
     "clients could face persecution.", "Dana Kowal"),
    # a person speaking for an organisation the ledger knows: the organisation
    (LEAD + "Pia Lund, a researcher at Human Rights Watch, said detainees were beaten.", "Human Rights Watch"),
    # a role before the name
    (LEAD + "Opposition senator Tom Reyes said the men were denied due process.", "Tom Reyes"),
    # unnamed groups, as written
    (LEAD + "Rights advocates note that the detainees have no access to lawyers.", "rights advocates"),
    (LEAD + "Lawyers and civil society groups have challenged the detentions, arguing they are arbitrary.",
     "lawyers"),
    (LEAD + "Critics say the arrangement breaches its obligations under international law.", "critics"),
    # a UN body expressing caution, fearing a harm
    (LEAD + "UN experts expressed caution, fearing the men could be sent back to the countries they fled.",
     "UN experts"),
    # "according to X", "X told Reuters", a judgment's summary read by the court's president
    (LEAD + "According to Human Rights Watch, the deportees are held incommunicado.", "Human Rights Watch"),
    (LEAD + "The men face torture if returned, Amnesty International told reporters.", "Amnesty International"),
    (LEAD + "Reading a summary of the judgment, the court's president, Lady Imani Ross, said there was a real "
     "risk of refoulement.", "court"),
    # a quote attributed after it to a person with a role
    (LEAD + "“They have no lawyer and no hearing,” said Sara Lind, a researcher at a refugee law project.",
     "Sara Lind"),
    (LEAD + "The Law Society condemned the detentions as arbitrary and unlawful.", "Law Society"),
    # legal action: who sued, and what their filing alleges
    (LEAD + "A coalition of legal groups sued the administration, saying the men were denied due process.",
     "coalition of legal groups"),
    (LEAD + "In the complaint, attorneys allege the men were tortured in custody.", "attorneys"),
    (LEAD + "The men’s lawyers say they have not been allowed to see their clients.", "lawyers"),
    # a passive suit and its agent, a footnote mark after a speaker
    (LEAD + "A class action was filed in the federal court in Maryland on Monday by the Refugee Council, "
     "which says the men face torture.", "Refugee Council"),
    (LEAD + "UN experts* today said the transfers could amount to refoulement.", "UN experts"),
    # a noun for the act of speaking: "calls from X", "criticism by X"
    (LEAD + "Calls from rights groups to halt the transfers grew louder this week.", "rights groups"),
    # the judgment speaks for the court; a breach of the constitution; notice and hearings never given
    (LEAD + "The ruling said the deportees had been removed without notice.", "court"),
    (LEAD + "The three judges concluded that the decree breached the constitution.", "judge"),
    (LEAD + "Judge Tomas Reid said the government had flown the men out without notice.", "Judge Tomas Reid"),
    # a bare "UN" as the subject of a stance verb; an opposition party
    (LEAD + "The UN has condemned the transfers as a breach of international law.", "UN"),
    (LEAD + "The main opposition party slammed the detentions as cruel.", "opposition party"),
    # a person introduced by what they do rather than a role noun
    (LEAD + "Kofi Asante, who represents six of the deportees, said they were held without lawyers.", "Kofi Asante"),
    (LEAD + "Mira Stone, who took over as Amnesty International's director in May, said the camps were "
     "overcrowded.", "Amnesty International"),
    # one person named by their role alone: the role is the speaker
    (LEAD + "Their lawyer said the women had been flown out despite the risk of torture.", "lawyer"),
    (LEAD + "A lawyer for the families said the children were held without charge.", "lawyer"),
    # a closing quote attributed to a name, before or after the verb
    (LEAD + "“Not one of them was given a fair hearing,” said Ruth Okello.", "Ruth Okello"),
    (LEAD + "“These men are being held incommunicado,” Okello told the BBC.", "Okello"),
    (LEAD + "“They were removed without notice,” remarked Hal Brandt.", "Hal Brandt"),
])
def test_speaker(analyzer: Analyzer, text: str, by: str) -> None:
    assert speakers(analyzer, text)[:1] == [by]


def test_quote_attributed_after_it(analyzer: Analyzer) -> None:
    text = (LEAD + "Ana Silva, a lawyer for two of the men, spoke outside the court. "
            "“They were flown out without a hearing,” she added.")
    assert speakers(analyzer, text) == ["Ana Silva"]


def test_quote_in_the_paragraph_after_a_colon(analyzer: Analyzer) -> None:
    text = (LEAD + "Amnesty International said in a statement:\n"
            "“These men are at grave risk of torture and ill-treatment.”")
    assert speakers(analyzer, text) == ["Amnesty International"]


def test_criticism_without_a_warning_verb(analyzer: Analyzer) -> None:
    text = LEAD + "The European Parliament condemned the transfers."
    assert speakers(analyzer, text) == ["European Parliament"]


def test_a_headline_warning_counts(analyzer: Analyzer) -> None:
    title = "Doctors ‘deeply concerned’ over plan to send asylum seekers to Rwanda"
    text = "The UK government plans to send asylum seekers to Rwanda under its partnership with Kigali."
    assert speakers(analyzer, text, title) == ["doctors"]


def test_a_harm_reported_with_nobody_named_has_no_speaker(analyzer: Analyzer) -> None:
    title = "Despite EU-Tunisia pact, migrants abandoned in the desert without food"
    text = "The EU has promised Tunisia aid to curb crossings."
    (w,) = analyzer.analyze(Story(id="w", title=title, text=text)).warnings
    assert w.by == "" and w.evidence.source == "headline"


def test_a_ruling_retold_in_passing_is_no_warning(analyzer: Analyzer) -> None:
    text = "Britain's Rwanda deportation scheme, ruled unlawful by the Supreme Court in 2023, was scrapped."
    assert speakers(analyzer, text) == []


def test_a_pronoun_refers_to_the_person_introduced(analyzer: Analyzer) -> None:
    text = (LEAD + "Joy Mensah, a lawyer representing the deportees, visited the prison on Friday. "
            "She said the men were kept in overcrowded cells.")
    assert speakers(analyzer, text) == ["Joy Mensah"]


def test_a_denial_is_recorded(analyzer: Analyzer) -> None:
    text = (LEAD + "Amnesty International said deportees were tortured in custody. "
            "Eswatini has rejected the allegations.")
    (w,) = analyzer.analyze(Story(id="w", title="", text=text)).warnings
    assert w.by == "Amnesty International" and w.denied_by == "Eswatini"


def test_the_accused_is_not_the_speaker(analyzer: Analyzer) -> None:
    text = LEAD + "The government accused Human Rights Watch of bias."
    assert speakers(analyzer, text) == []


def test_the_head_of_a_speaker_named_before_is_that_speaker(analyzer: Analyzer) -> None:
    text = (LEAD + "UN human rights experts said the men were held incommunicado. "
            "The experts also said the men faced torture.")
    assert speakers(analyzer, text) == ["UN human rights experts"]


def warnings_of(analyzer: Analyzer, text: str, title: str = "") -> list[tuple[str, str]]:
    return [(w.by, w.concern) for w in analyzer.analyze(Story(id="w", title=title, text=text)).warnings]


@pytest.mark.parametrize(("title", "text", "by"), [
    ("Rights group condemns Italy-Albania centres",
     "Amnesty International criticised the centres Italy runs in Albania for asylum seekers, saying detention "
     "there breaches international law.", "Amnesty International"),
    ("Charity warns over Nauru camps",
     "Australia's offshore processing on Nauru has left refugees in despair. The Refugee Council said children "
     "held on the island were denied medical care.", "Refugee Council"),
    ("UN agency alarmed by deportations to South Sudan",
     "The United States deported eight men to South Sudan this week. UNHCR said the men risked being sent on "
     "to countries where they face persecution.", "UNHCR"),
])
def test_a_described_speaker_the_body_names_is_one_warning(analyzer: Analyzer, title: str, text: str,
                                                           by: str) -> None:
    assert [b for b, _ in warnings_of(analyzer, text, title)] == [by]


def test_the_group_refers_back_to_the_organisation_named(analyzer: Analyzer) -> None:
    text = ("Human Rights Watch said Tunisian police had driven migrants to the desert near the Libyan border under "
            "the EU-Tunisia deal, where lawyers could not reach them. The group warned that the expulsions put "
            "lives at risk.")
    assert warnings_of(analyzer, text) == [("Human Rights Watch", "danger to life")]


def test_a_harm_named_replaces_the_generic_concern(analyzer: Analyzer) -> None:
    text = (LEAD + "Amnesty International condemned the transfers. It said the men were held without charge and "
            "denied access to lawyers.")
    assert warnings_of(analyzer, text) == [("Amnesty International", "due process")]


def test_a_stance_with_no_harm_named_keeps_the_generic_concern(analyzer: Analyzer) -> None:
    assert warnings_of(analyzer, LEAD + "Amnesty International condemned the agreement on Tuesday.") == [
        ("Amnesty International", "criticism of the arrangement")]


def test_a_justice_named_again_by_surname(analyzer: Analyzer) -> None:
    text = (LEAD + "Justices Ines Varga and Paul Okoro dissented from the order. "
            "Varga further warns that the order exposes hundreds of people to torture.")
    assert speakers(analyzer, text) == ["Justice Ines Varga"]


def test_a_safe_country_that_cannot_be_treated_as_one(analyzer: Analyzer) -> None:
    text = LEAD + "The Supreme Court ruled that Eswatini could not be treated as a safe third country."
    assert warnings_of(analyzer, text) == [("Supreme Court", "refoulement")]


def test_a_denial_quoted_is_no_warning(analyzer: Analyzer) -> None:
    text = LEAD + "“We reject these claims of torture entirely,” Sipho Dube, a government spokesman, said."
    assert speakers(analyzer, text) == []


def test_a_lawyer_for_the_state_is_no_critic(analyzer: Analyzer) -> None:
    text = LEAD + "A government lawyer told the court the men were dangerous criminals."
    assert speakers(analyzer, text) == []


@pytest.mark.parametrize(("title", "text", "by"), [
    # the speaker before a colon, with no reporting verb: the quote in the next paragraph …
    ("", LEAD + "Kofi Asante, a lawyer for six of the deportees, was blunt:\n\n"
     "“These men are being held without charge.”", "Kofi Asante"),
    # … or after the colon in the same sentence, as press releases and headlines put it
    ("", LEAD + "Refugee commissioner Lorna Dee: “The transfers raise concerns about compliance with "
     "international law.”", "Lorna Dee"),
    ("Amnesty: deportees to Eswatini held without charge", LEAD, "Amnesty International"),
])
def test_a_colon_attributes_what_follows(analyzer: Analyzer, title: str, text: str, by: str) -> None:
    assert speakers(analyzer, text, title) == [by]


def test_a_colon_after_a_topic_is_no_speaker(analyzer: Analyzer) -> None:
    title = "Eswatini deportations: what we know about the men held without charge"
    assert speakers(analyzer, LEAD, title) == []


def test_according_to_after_a_quote(analyzer: Analyzer) -> None:
    text = LEAD + "The flights are “a flagrant breach of international law,” according to the UN refugee agency."
    assert speakers(analyzer, text) == ["UNHCR"]


def test_a_headline_attributed_after_its_claim(analyzer: Analyzer) -> None:
    title = "Eswatini deportees held without charge, say rights groups"
    assert speakers(analyzer, LEAD, title) == ["rights groups"]


def test_a_legal_team_speaks_as_lawyers(analyzer: Analyzer) -> None:
    text = ("Deportees flown from the US to Eswatini are being held without charge in a maximum-security prison, "
            "their legal team said on Monday.")
    assert speakers(analyzer, text) == ["lawyers"]
