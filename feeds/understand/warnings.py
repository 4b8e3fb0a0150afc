"""Rights warnings: who warned of what, and who denied it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from feeds.agreements import COUNTRIES
from feeds.models import RightsWarning
from feeds.understand.doc import Doc, Folded
from feeds.understand.refer import attribute

_KNOWN_SPEAKERS: tuple[tuple[str, str], ...] = (
    (r"UNHCR|U\.?N\.?(?:[’']s)?\s+[Rr]efugee\s+[Aa]gency|United\s+Nations(?:[’']s)?\s+refugee\s+agency|"
     r"(?:Office\s+of\s+the\s+)?(?:United\s+Nations|UN)\s+High\s+Commissioner\s+for\s+Refugees|"
     r"Filippo\s+Grandi", "UNHCR"),
    (r"Amnesty(?:\s+International)?", "Amnesty International"),
    (r"Human\s+Rights\s+Watch|HRW", "Human Rights Watch"),
    (r"Council\s+of\s+Europe", "Council of Europe"),
    (r"European\s+Court\s+of\s+Human\s+Rights|ECtHR|Strasbourg\s+court", "European Court of Human Rights"),
    (r"European\s+Parliament|MEPs", "European Parliament"),
    (r"OHCHR|Volker\s+T[üu]rk|(?:UN|U\.N\.|United\s+Nations)\s+High\s+Commissioner\s+for\s+Human\s+Rights",
     "UN human rights office"),
    (r"International\s+Organi[sz]ation\s+for\s+Migration|IOM", "IOM"),
    (r"Médecins\s+Sans\s+Frontières|Medecins\s+Sans\s+Frontieres|Doctors\s+Without\s+Borders|MSF",
     "Médecins Sans Frontières"),
    (r"(?:International\s+Committee\s+of\s+the\s+)?Red\s+Cross|ICRC", "Red Cross"),
    (r"American\s+Civil\s+Liberties\s+Union|ACLU", "ACLU"),
    (r"Refugee\s+Council(?:\s+of\s+Australia)?|Freedom\s+from\s+Torture|Save\s+the\s+Children|Oxfam|"
     r"International\s+Rescue\s+Committee|Refugees\s+International|Care4Calais|Detention\s+Action|"
     r"Jesuit\s+Refugee\s+Service|Sea-Watch|SOS\s+M[ée]diterran[ée]e|SOS\s+Humanity|Cristosal|"
     r"Asylum\s+Aid|Refugee\s+Action|Human\s+Rights\s+First|Global\s+Detention\s+Project|"
     r"Physicians\s+for\s+Human\s+Rights|Committee\s+to\s+Protect\s+Journalists|"
     r"Reporters\s+Without\s+Borders|Euro-Med(?:iterranean)?\s+[\w\s]*?Monitor|EuroMed\s+Rights|"
     r"Alarm\s+Phone|Asylum\s+Seeker\s+Resource\s+Centre|Kaldor\s+Centre|Law\s+Society|Bar\s+Council|"
     r"(?:Australian\s+|Equality\s+and\s+)?Human\s+Rights\s+Commission|Inter-American\s+Commission\s+on\s+"
     r"Human\s+Rights|IACHR|Human\s+Rights\s+Council|[Oo]mbudsman|Caritas|Mediterranea|ASGI|"
     r"Legal\s+Aid\s+Society|National\s+Immigration\s+Law\s+Center|Southern\s+Poverty\s+Law\s+Center|"
     r"Democracy\s+Forward|Human\s+Rights\s+Law\s+Centre|Women[’']s\s+Refugee\s+Commission", ""),
    (r"(?:UN|U\.N\.|United\s+Nations)(?:[’']s)?\s+(?:[Ss]pecial\s+[Rr]apporteurs?|[Rr]apporteurs?|"
     r"(?:human\s+rights\s+)?experts?|[Hh]uman\s+[Rr]ights\s+(?:[Oo]ffice|[Cc]hief|[Cc]ouncil|[Cc]ommittee)|"
     r"Committee\s+(?:[Aa]gainst|[Oo]n)\s+[A-Z]\w+|fact-finding\s+mission|[Ff]act-[Ff]inding\s+[Mm]ission|"
     r"[Ii]nvestigators|Working\s+Group[\w\s]*?|[Ss]ecretary-[Gg]eneral|[Cc]hild\s+rights\s+committee|"
     r"Committee\s+on\s+the\s+Rights\s+of\s+the\s+Child|report|mission|[Hh]uman\s+[Rr]ights)"
     r"|[Ss]pecial\s+[Rr]apporteur(?:\s+on\s+[\w\s]+?(?=[,.]))?", "=UN"),
    (r"Supreme\s+Court|Court\s+of\s+Appeal|High\s+Court|Court\s+of\s+Justice(?:\s+of\s+the\s+European\s+"
     r"Union)?|appeals\s+court|federal\s+court|district\s+court|[Cc]onstitutional\s+[Cc]ourt|tribunal"
     r"|[Jj]udges?(?:\s+[A-Z][a-z]+){0,2}", "=COURT"),
    (r"(?i:(?:(?:human|migrant|refugee|civil)\s+)?rights\s+(?:groups?|organi[sz]ations?|campaigners|activists|"
     r"advocates|defenders|watchdogs?|lawyers|experts|NGOs)|[Hh]uman\s+rights\s+(?:groups|organi[sz]ations|"
     r"campaigners|activists|advocates|lawyers|experts|defenders|watchdogs?)|NGOs|non-governmental\s+"
     r"organi[sz]ations|aid\s+(?:groups|agencies|organi[sz]ations|workers)|charities|campaigners|activists|"
     r"advocacy\s+groups|civil\s+society(?:\s+(?:groups|organi[sz]ations))?|refugee\s+(?:groups|charities|"
     r"advocates|organi[sz]ations|lawyers)|humanitarian\s+(?:groups|organi[sz]ations|agencies)|lawyers|"
     r"attorneys|legal\s+experts|immigration\s+lawyers|advocates|rights\s+watchdog|"
     r"church\s+(?:leaders|groups)|churches|bishops|clergy|faith\s+(?:leaders|groups)|"
     r"(?:(?:Democratic|Republican|opposition|Labour|Green|Greens|Liberal)\s+)?(?:senators|lawmakers|MPs|"
     r"legislators|parliamentarians))", "=GROUP"),
    (r"(?:Arch)?[Bb]ishop\s+of\s+[A-Z]\w+|Church\s+of\s+England|Catholic\s+Church|Pope(?:\s+[A-Z][a-z]+)?|"
     r"Conference\s+of\s+(?:Catholic\s+)?Bishops", ""),
)
_SPEAKER_RE = re.compile(
    r"\b(?=[A-Za-zÉé])(?:" + "|".join(f"(?P<k{n}>{rx})" for n, (rx, _) in enumerate(_KNOWN_SPEAKERS)) + ")"
)
_ORG_SUFFIX = re.compile(
    r"\b(?:[A-Z][\w’'-]+\s+(?:for\s+|of\s+|on\s+|and\s+)?){1,4}(?:Watch|International|Foundation|Network|"
    r"Institute|Centre|Center|Project|Alliance|Coalition|Initiative|Federation|Association|Monitor|"
    r"Trust|Society)\b"
)
_NOT_ORG = re.compile(r"^(?:European|Senate|Security|Department|Ministry|White|National\s+Security)\b")
_APPOSITIVE_ORG = re.compile(
    r"\b([A-Z][\w’'&-]+(?:\s+[A-Z][\w’'&-]+){0,3}),\s+(an?\s+(?:[\w-]+\s+){0,4}?(?:charity|NGO|"
    r"non-governmental\s+organi[sz]ation|(?:rights|advocacy|campaign|aid|humanitarian|legal|watchdog)\s+"
    r"(?:group|organi[sz]ation|charity|body)|organi[sz]ation|watchdog|monitor|think\s+tank|rights\s+group))\b"
)
_STATE_WORDS = frozenset(form for forms, _ in COUNTRIES.values() for form in forms) | frozenset(COUNTRIES)
_CONJOINED = re.compile(r"^(?:\s*\([A-Z]{2,}\))?\s*(?:and|,)\s+([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,3})")
_PERSON_EXPERT = re.compile(
    r"\b([A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){1,2}),\s+(?:a|an|the)?\s*(?:[\w’'-]+\s+){0,6}?"
    r"(?:professor|expert|researcher|lawyer|attorney|advocate|activist|campaigner|analyst|rapporteur|"
    r"director|founder|scholar|academic)\b"
)
_SPEECH = re.compile(
    r"\b(?=[a-z])(?:warn\w*|caution\w*|condemn\w*|critici[sz]\w*|denounc\w*|decr(?:y|ied|ies)|slam\w*|blast\w*|"
    r"urg(?:e|ed|es|ing)|call(?:ed|s|ing)?\s+(?:on|for)|concern\w*|alarm\w*|fear\w*|accus\w*|"
    r"raised?|rais(?:es|ing)|voic\w+|sa(?:y|id|ys|ying)|stated|told|argu\w*|describ\w+|report\w*|"
    r"document\w*|found|finds|finding|echo\w*|question\w*|oppos\w*|object\w*|protest\w*|according\s+to|"
    r"letter|statement|appeal\w*|insist\w*|highlight\w*|noted|notes|criticism|condemnation|ruled|"
    r"ruling|held|labell?ed|branded|called|cited|citing|urgent|claim\w*|alleg\w*|believe\w*|grounds)\b",
    re.IGNORECASE,
)
_STRONG_SPEECH = re.compile(
    r"\b(?=[a-z])(?:warn\w*|condemn\w*|critici[sz]\w*|denounc\w*|decr(?:y|ied|ies)|slam\w*|urg(?:e|ed|es|ing)|"
    r"call(?:ed|s|ing)?\s+on|alarm\w*|raised?\s+(?:\w+\s+){0,2}concerns?|voic\w+\s+(?:\w+\s+){0,2}concerns?)\b",
    re.IGNORECASE,
)
_OBJECT_POSITION = re.compile(
    r"\b(?:accus\w+|critici[sz]\w+|blam\w+|attack\w+|dismiss\w+|reject\w+|in|to|before|at|into|"
    r"through|against|with|(?<!\bjustices\s)(?<!\bjudges\s)(?<!\bgroup\s)(?<!\bpanel\s)(?<!\bmembers\s)"
    r"(?<!\bteam\s)(?<!\bexperts\s)(?<!\bcoalition\s)of|sued|suing)\s+(?:the\s+|a\s+)?(?:\w+\s+)?$",
    re.IGNORECASE,
)
_CONCERNS: tuple[tuple[str, str, bool], ...] = (
    # (label, pattern, substantive: enough for a court, which "unlawful" alone is not)
    ("refoulement", r"refoulement|refouled|returned\s+to\s+(?:\w+\s+){0,4}(?:countr(?:y|ies)|homelands?|"
     r"places?)\s+(?:\w+\s+){0,4}(?:fled|escaped)|(?:returned|sent|deported|removed)\s+(?:back\s+)?to\s+"
     r"(?:their|his|her)\s+(?:home\s*(?:countr(?:y|ies)|lands?)|countr(?:y|ies)\s+of\s+origin)|(?:sent|forced|returned|deported|pushed)\s+back|"
     r"countr(?:y|ies)\s+of\s+origin|persecution|onward\s+(?:removal|deportation)|(?:sent|deported|flown|removed)\s+"
     r"on\s+to|chain\s+deportation|"
     r"returned\s+to\s+danger|intercepting\s+and\s+returning|pull-?backs?", True),
    ("detention conditions", r"detention\s+conditions|(?:harsh|poor|unsafe|appalling|dire|prison)\s+"
     r"conditions|conditions\s+(?:for|of|in)\s+\w+|inhumane|degrading|overcrowd\w*|solitary\s+confinement|"
     r"squalid|concentration\s+camps?|indefinite(?:ly)?\s+detention|detained\s+indefinitely|arbitrary\s+detention|cruel\w*|"
     r"(?:prolonged|mandatory)\s+detention|detention\s+(?:of\s+)?(?:children|families)", True),
    ("torture and abuse", r"tortur\w*|abus(?:e|es|ed|ive)|mistreat\w*|ill-treat\w*|sexual\s+violence|rape|"
     r"enforced\s+disappearances?|disappeared|whereabouts|(?:no|without)\s+(?:proof|sign|word)\s+(?:\w+\s+){0,4}"
     r"alive|beaten|beatings|violence|exploitation|harrowing", True),
    ("due process", r"due\s+process|legal\s+safeguards?|access\s+to\s+(?:lawyers|legal|justice|asylum)|"
     r"fair\s+(?:hearing|trial|procedure)|opportunity\s+to\s+challenge|incommunicado|"
     r"without\s+(?:a\s+|any\s+)?(?:\w+\s+)?(?:hearings?|trials?|due\s+process|legal\s+(?:advice|counsel|"
     r"representation))|right\s+to\s+appeal|arbitrar\w+|meaningful\s+opportunity", True),
    ("political repression", r"political\s+(?:opponents|repression|prisoners|detainees|dissent)|repress\w*|"
     r"jail\w*\s+(?:\w+\s+)?(?:critics|opponents|journalists|activists|dissidents)|"
     r"crack(?:ing)?\s+down\s+on|crackdown|dissidents?|judicial\s+independence|authoritarian\w*", True),
    ("press freedom", r"press\s+freedom|freedom\s+of\s+(?:the\s+press|expression|speech)|media\s+freedom|"
     r"journalists", True),
    ("danger to life", r"deaths?|die|died|dying|danger\w*|endanger\w*|lives|unsafe|killed|risk\s+to\s+life|"
     r"war-torn|harm|lethal|drown\w*", True),
    ("human trafficking", r"traffick\w*", True),
    ("legality", r"unlawful|illegal|unconstitutional|breach\w*\s+(?:of\s+)?international\s+law|violat\w+|international\s+"
     r"(?:law|obligations)|unconscionable|irresponsible|unsustainable|shameful|reckless|immoral|"
     r"outsourc\w+\s+(?:of\s+)?(?:asylum|responsibility)|shift\w*\s+(?:the\s+)?(?:\w+\s+)?responsibilit\w+|"
     r"(?:burden|responsibility)[\s-]shifting", False),
    ("human rights", r"human\s+rights(?:\s+(?:violations|abuses|concerns|record))?|rights\s+(?:violations|"
     r"abuses)|racis\w+|xenophob\w+|discriminat\w+", False),
    ("transparency", r"transparen\w+|secre(?:t|cy|tive)|murky|opaque|accountab\w+", False),
)
_CONCERN_RE = re.compile(
    r"\b(?=[a-z])(?:" + "|".join(f"(?P<c{n}>{rx})" for n, (_, rx, _s) in enumerate(_CONCERNS)) + ")", re.I
)
_DENIAL = re.compile(
    r"\b(?=[a-z])(?:den(?:y|ies|ied|ying)|reject\w*|dismiss\w*|refut\w*|rebuff\w*|disput\w*|contest\w*)\s+"
    r"(?:\w+\s+){0,3}?(?:the\s+|these\s+|those\s+|such\s+|all\s+|any\s+)?(?:allegations?|claims?|"
    r"accusations?|reports?|charges?|criticism|concerns|findings|assertions?)\b"
    r"|\b(?:called|calling|dismissed)\s+(?:\w+\s+){0,3}(?:lies|false|untrue|fake\s+news|baseless)\b"
    r"|\bden(?:y|ies|ied|ying)\s+that\b",
    re.IGNORECASE,
)


_SPEECH_F, _STRONG_SPEECH_F = Folded(_SPEECH), Folded(_STRONG_SPEECH)
_CONCERN_F, _DENIAL_F = Folded(_CONCERN_RE), Folded(_DENIAL)


@dataclass(slots=True)
class _Speaker:
    name: str
    kind: str  # org | un | court | group | person
    start: int
    end: int


def _speakers(sentence: str) -> list[_Speaker]:
    found: list[_Speaker] = []
    for m in _SPEAKER_RE.finditer(sentence):
        group = m.lastgroup or ""
        rx_index = int(group[1:])
        canon = _KNOWN_SPEAKERS[rx_index][1]
        surface = m.group(0).strip()
        s = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        if canon == "=UN":
            found.append(_Speaker(_un_name(surface), "un", s, m.end()))
        elif canon == "=COURT":
            name = re.sub(r"^(?:a|the|The)\s+", "", surface)
            if re.search(r"[Jj]udges?\b", name):
                # "a U.S. district judge" and "District Judge Brian Murphy" are one speaker, the judge.
                tail = re.search(r"[Jj]udges?((?:\s+[A-Z][a-z]+){0,2})$", name)
                name = ("Judge" + tail.group(1)) if tail and tail.group(1) else "judge"
            found.append(_Speaker(name, "court", s, m.end()))
        elif canon == "=GROUP":
            found.append(_Speaker(surface.lower() if not surface.isupper() else surface, "group", s, m.end()))
        else:
            found.append(_Speaker(canon or surface, "org", s, m.end()))
    for m in _ORG_SUFFIX.finditer(sentence):
        if _NOT_ORG.match(m.group(0)) or any(sp.start <= m.start() < sp.end for sp in found):
            continue
        found.append(_Speaker(m.group(0), "org", m.start(), m.end()))
    if not any(sp.kind in ("org", "un") for sp in found):
        for m in _PERSON_EXPERT.finditer(sentence):
            if any(sp.start <= m.start(1) < sp.end for sp in found):
                continue
            found.append(_Speaker(m.group(1), "person", m.start(1), m.end(1)))
    # "ActionAid, a charity that …", "Cristosal, a Salvadoran human rights organisation, said": the name
    # before the appositive is the speaker, not the common noun inside it.
    for m in _APPOSITIVE_ORG.finditer(sentence):
        name = m.group(1)
        if _NOT_ORG.match(name) or name in _STATE_WORDS:
            continue
        found = [sp for sp in found if not (m.start(2) <= sp.start < m.end(2))]
        found.append(_Speaker(name, "org", m.start(1), m.end(1)))
    found.sort(key=lambda sp: sp.start)
    return found


def _un_name(surface: str) -> str:
    name = re.sub(r"^(?:U\.N\.|United\s+Nations)", "UN", surface)
    name = re.sub(r"[’']s\b", "", name)
    name = re.sub(r"\s+(?:report|mission)$", "", name) if name.lower() not in ("un report", "un mission") else name
    if not name.startswith("UN"):
        name = "UN " + name
    return re.sub(r"\s+", " ", name)


def _concerns(sentence: str, masked: list[tuple[int, int]]) -> list[tuple[str, bool]]:
    if masked:
        chars = list(sentence)
        for s, e in masked:
            chars[s:e] = " " * (e - s)
        sentence = "".join(chars)
    labels: list[tuple[str, bool]] = []
    for m in _CONCERN_F.finditer(sentence):
        label, _, substantive = _CONCERNS[int((m.lastgroup or "c0")[1:])]
        if (label, substantive) not in labels:
            labels.append((label, substantive))
    return labels


def extract_warnings(doc: Doc) -> list[RightsWarning]:
    """Who warned of what (UNHCR, Amnesty, courts, rights groups …), with denials attached."""
    if not any(m.main for m in doc.matched.values()):
        return []
    merged: dict[str, dict[str, object]] = {}
    order: list[str] = []
    last_key: str | None = None
    last_sentence = -10
    for i, (a, b) in enumerate(doc.spans):
        sentence = doc.text[a:b]
        # a denial only counts right after a warning, so only there is it looked for
        denial = _DENIAL_F.search(sentence) if last_key is not None and i - last_sentence <= 2 else None
        if denial and last_key is not None:
            entry = merged[last_key]
            if entry.get("denied_by") is None:
                entry["denied_by"] = _denier(doc, i, denial.start() + a)
                entry["denial"] = doc.evidence(i)
            continue
        if not doc.has(_SPEECH_F, i):
            continue
        # Nothing to warn of (no concern here or in a quote that carries on, no strong verb): no speaker
        # can make this sentence a warning, so the speaker scan is skipped.
        if not (doc.has(_CONCERN_F, i) or doc.has(_STRONG_SPEECH_F, i)
                or (i + 1 < len(doc.spans) and doc.sentence(i + 1)[:1] in "“\"‘")):
            continue
        speakers = _speakers(sentence)
        if not speakers:
            continue
        speakers = [sp for sp in speakers if not _OBJECT_POSITION.search(sentence[max(0, sp.start - 30) : sp.start])
                    or re.search(r"\bby\s+(?:the\s+)?$", sentence[max(0, sp.start - 12) : sp.start])]
        if not speakers:
            continue
        concerns = _concerns(sentence, [(sp.start, sp.end) for sp in speakers])
        # '"…," said X, an expert. "There is no focus on human rights."': the quote goes on after the
        # speaker's sentence, and what it warns of is in the sentences that continue it.
        j = i + 1
        while j < len(doc.spans) and j <= i + 2 and doc.sentence(j)[:1] in "“\"‘":
            concerns += [c for c in _concerns(doc.sentence(j), []) if c not in concerns]
            j += 1
        chosen = [speakers[0]]
        rest = sentence[speakers[0].end :]
        conj = _CONJOINED.match(rest)
        if conj:
            for sp in speakers[1:]:
                if sp.start <= speakers[0].end + conj.end(1):
                    chosen.append(sp)
            if len(chosen) == 1 and speakers[0].kind in ("org", "un"):
                name = conj.group(1)
                start = speakers[0].end + conj.start(1)
                chosen.append(_Speaker(name, "org", start, start + len(name)))
        strong = doc.has(_STRONG_SPEECH_F, i)
        for speaker in chosen:
            if speaker.kind == "court":
                labels = [lab for lab, substantive in concerns if substantive]
            elif speaker.kind == "person":
                labels = [lab for lab, _ in concerns]
            else:
                labels = [lab for lab, _ in concerns]
                if not labels and strong:
                    labels = ["criticism of the arrangement"]
            if not labels:
                continue
            key = _speaker_key(speaker.name)
            agreement_id = attribute(doc, i, a + speaker.start, fallback=True)
            if key not in merged:
                merged[key] = {"by": speaker.name, "concerns": list(labels), "evidence": doc.evidence(i),
                               "agreement_id": agreement_id, "denied_by": None, "denial": None}
                order.append(key)
            else:
                existing = merged[key]["concerns"]
                assert isinstance(existing, list)
                existing.extend(lab for lab in labels if lab not in existing)
                if len(speaker.name) > len(str(merged[key]["by"])) and key == "judge":
                    merged[key]["by"] = speaker.name
            last_key = key
            last_sentence = i
    out = []
    for key in order:
        entry = merged[key]
        out.append(RightsWarning(
            by=str(entry["by"]), concern="; ".join(entry["concerns"]),  # type: ignore[arg-type]
            evidence=entry["evidence"], agreement_id=entry["agreement_id"],  # type: ignore[arg-type]
            denied_by=entry["denied_by"], denial=entry["denial"],  # type: ignore[arg-type]
        ))
    return out


def _speaker_key(name: str) -> str:
    low = name.lower()
    if low.startswith("judge"):
        return "judge"
    if "unhcr" in low or "refugee agency" in low:
        return "unhcr"
    if low in ("rights groups", "human rights groups", "human rights organisations", "human rights organizations",
               "rights organisations", "rights organizations"):
        return "rights groups"
    return low


def _denier(doc: Doc, i: int, pos: int) -> str:
    """Who denies: the last state named before the denial verb in its sentence, else the sentence's first."""
    before = [h for h in doc.hits[i] if h.kind == "party" and h.start < pos]
    if before:
        return before[-1].key
    anywhere = [h for h in doc.hits[i] if h.kind == "party"]
    if anywhere:
        return anywhere[0].key
    m = re.match(r"\s*((?:The\s+)?[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+){0,3})", doc.sentence(i))
    return m.group(1) if m else "unnamed"
