"""The catalogue of tracked agreements: the bundled ones plus the user's own from config.

The bundled states and agreements are data (feeds/understand/rules/catalogue.toml); this module builds the
lookups. A user's agreement has only an id, a title, parties, aliases and keywords, so everything the matcher needs
beyond that (the ways a country is named, its currency) lives here keyed by country, not by agreement:
an agreement between two countries we know is matched as well as a bundled one.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from functools import cached_property
from importlib import resources
from typing import Any

from feeds.models import Agreement, TimelineEvent


def _read_catalogue() -> dict[str, Any]:
    """rules/catalogue.toml: the states and the bundled agreements, as data."""
    # (through the `feeds` package: importing feeds.understand here would import this module again)
    text = resources.files("feeds").joinpath("understand", "rules", "catalogue.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


_DATA = _read_catalogue()
# canonical name -> (ways stories name it, ISO 4217 currency)
COUNTRIES: dict[str, tuple[tuple[str, ...], str | None]] = {
    name: (tuple(row["forms"]), row.get("currency")) for name, row in _DATA["countries"].items()
}
# Short forms that are also ordinary words or other places: the matcher must not read them as the state.
_FORM_GUARDS: dict[str, str] = dict(_DATA.get("guards", {}))

_FORM_TO_COUNTRY: dict[str, str] = {}
for _name, (_forms, _cur) in COUNTRIES.items():
    _FORM_TO_COUNTRY[_name.lower()] = _name
    for _form in _forms:
        _FORM_TO_COUNTRY.setdefault(_form.lower(), _name)
_FORM_TO_COUNTRY.update({"usa": "United States", "u.s": "United States", "uk": "United Kingdom"})


def canonical_party(name: str) -> str:
    """The catalogue's name for a country however a user or story writes it ("UK", "Britain")."""
    key = name.strip().lower().rstrip(".")
    return _FORM_TO_COUNTRY.get(key) or _FORM_TO_COUNTRY.get(key + ".") or name.strip()


def party_forms(party: str) -> tuple[str, ...]:
    """Every way a story may name a party; an unknown party is matched by its own name."""
    canon = canonical_party(party)
    known = COUNTRIES.get(canon)
    if known is None:
        return (party.strip(),)
    return (canon, *known[0])


def currency_of(party: str | None) -> str | None:
    if not party:
        return None
    known = COUNTRIES.get(canonical_party(party))
    return known[1] if known else None


def form_pattern(form: str) -> str:
    """A regex for one surface form: exact case when it has capitals, whole words only."""
    guarded = _FORM_GUARDS.get(form)
    if guarded:
        return rf"\b{guarded}"
    body = r"[\s\-]+".join(re.escape(part) for part in re.split(r"[\s\-]+", form))
    if form.endswith("."):
        # "U.S." ends in a dot: it may end a sentence, and must not be read inside "U.S.A."
        return rf"(?<![\w.]){body}(?![A-Za-z])"
    body = rf"(?<![\w.]){body}(?![\w])" if form[:1].isalnum() else body
    if form == form.lower():
        body = f"(?i:{body})"
    return body


def _agreement(row: dict[str, Any]) -> Agreement:
    return Agreement(
        id=row["id"], title=row["title"], parties=tuple(row["parties"]), aliases=tuple(row.get("aliases", ())),
        keywords=tuple(row.get("keywords", ())),
        timeline=tuple(TimelineEvent(date=t["date"], stage=t.get("stage") or None, note=t.get("note", ""))
                       for t in row.get("timeline", ())),
    )


# Parties are ordered sender first: a sentence must name the first party and one other (or an alias) to
# count, so "EU and Italy" alone does not raise eu-libya, nor Nauru and PNG alone australia-nauru.
BUNDLED: tuple[Agreement, ...] = tuple(_agreement(row) for row in _DATA["agreements"])


class Catalogue:
    """The agreements to match, keyed by id; compiled lookups are built once on first use."""

    def __init__(self, agreements: Iterable[Agreement]) -> None:
        by_id: dict[str, Agreement] = {}
        for agreement in agreements:
            by_id[agreement.id] = agreement
        self._by_id = by_id

    def __iter__(self) -> Iterator[Agreement]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def __contains__(self, agreement_id: object) -> bool:
        return agreement_id in self._by_id

    def __repr__(self) -> str:
        return f"Catalogue({len(self._by_id)} agreements)"

    def get(self, agreement_id: str) -> Agreement | None:
        return self._by_id.get(agreement_id)

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)

    @cached_property
    def index(self) -> CatalogueIndex:
        """The compiled matcher for this catalogue (see feeds.match)."""
        return CatalogueIndex(tuple(self._by_id.values()))

    def __getstate__(self) -> dict[str, object]:
        # The compiled index is rebuilt in the worker on first use rather than pickled.
        return {"_by_id": self._by_id}

    def __setstate__(self, state: dict[str, object]) -> None:
        self._by_id = state["_by_id"]  # type: ignore[assignment]


class CatalogueIndex:
    """One regex over every party form, alias and keyword of every agreement, plus the lookups behind it.

    A hit's lowercased text maps to what it names: ("party", country) or ("alias"/"keyword", agreement id).
    """

    def __init__(self, agreements: tuple[Agreement, ...]) -> None:
        self.agreements = agreements
        self.parties: dict[str, tuple[str, ...]] = {}
        self.required: dict[str, tuple[str, tuple[str, ...]]] = {}
        targets: dict[str, set[tuple[str, str]]] = {}
        patterns: dict[str, str] = {}

        def add(surface: str, target: tuple[str, str]) -> None:
            key = _norm(surface)
            if not key:
                return
            targets.setdefault(key, set()).add(target)
            patterns.setdefault(surface, form_pattern(surface))

        countries: set[str] = set(COUNTRIES)
        for agreement in agreements:
            parties = tuple(canonical_party(p) for p in agreement.parties)
            self.parties[agreement.id] = parties
            first, rest = (parties[0], parties[1:]) if parties else ("", ())
            self.required[agreement.id] = (first, rest)
            countries.update(parties)
            for alias in agreement.aliases:
                add(alias, ("alias", agreement.id))
            for keyword in agreement.keywords:
                add(keyword, ("keyword", agreement.id))
        for country in countries:
            for form in party_forms(country):
                add(form, ("party", country))
        # An alias or keyword that names a party ("Libyan coast guard", "flight to Rwanda") names that
        # party too; and such an alias names the deal itself, not a general idea ("offshore processing").
        party_res = [(re.compile(form_pattern(f)), c) for c in countries for f in party_forms(c)]
        # keywords as feeds.match.normalized writes them, for its prefilter
        self.keyword_stems: tuple[str, ...] = tuple(sorted({
            " ".join(re.sub(r"[-\u2010\u2011\u2013\u2014]", " ", k.lower()).split())
            for a in agreements for k in a.keywords if k.strip()
        }))
        from feeds.understand.match import (
            CUE_STEMS,  # a keyword holding a cue stem is found by that stem already
        )

        self.keyword_stems = tuple(k for k in self.keyword_stems
                                   if not any(_starts_a_word_in(c, k) for c in CUE_STEMS))
        # a stem holding a shorter one ("mega prison camp", "mega prison") is found by the shorter
        self.prefilter_stems: tuple[str, ...] = tuple(sorted(
            k for k in self.keyword_stems if not any(o != k and _starts_a_word_in(o, k) for o in self.keyword_stems)
        ))
        # Stems are looked for where a word starts: one trie regex for those that start with a letter or
        # digit, over the lower-cased text, where a stem's space stands for any run of white space and
        # dashes (what feeds.match.normalized makes one space); a plain search of the normalised text for
        # any other ("£50m deal").
        stems = (*CUE_STEMS, *self.prefilter_stems)
        words = [x for x in stems if x[:1].isalnum()]
        self.prefilter_rx = re.compile(r"\b" + trie_pattern(words, r"[\s\-\u2010\u2011\u2013\u2014]+")) \
            if words else None
        self.prefilter_other: tuple[str, ...] = tuple(x for x in stems if not x[:1].isalnum())
        self.named_surfaces: set[str] = set()
        for surface in patterns:
            key = _norm(surface)
            target_set = targets[key]
            if all(kind == "party" for kind, _ in target_set):
                continue
            inside = {c for rx, c in party_res if rx.search(surface)}
            for kind, agreement_id in list(target_set):
                own = inside & set(self.parties.get(agreement_id, ()))
                if kind != "party" and own:
                    self.named_surfaces.add(key)
                    target_set.update(("party", c) for c in own)
        self.targets: dict[str, tuple[tuple[str, str], ...]] = {k: tuple(sorted(v)) for k, v in targets.items()}
        # the aliases that name a party ("Rwanda scheme"): in a headline with its sender, the deal itself
        # (one trie of the forms, in their own case, as `re` reads an alternation branch by branch; a form
        # in lower case or with a guard keeps its own pattern)
        party_aliases = [surface for surface in patterns
                         if _norm(surface) in self.named_surfaces
                         and any(kind == "alias" for kind, _ in self.targets[_norm(surface)])]
        plain = [f for f in party_aliases if f != f.lower() and f[:1].isalnum() and not f.endswith(".")
                 and f not in _FORM_GUARDS]
        spaced = [" ".join(re.split(r"[\s\-]+", f)) for f in plain]
        sources = [r"(?<![\w.])" + trie_pattern(spaced, r"[\s\-]+") + r"(?![\w])"] if plain else []
        sources += [patterns[f] for f in party_aliases if f not in plain]
        self.party_alias_rx: re.Pattern[str] | None = re.compile("|".join(sources)) if sources else None
        # One big alternation costs milliseconds a story in `re`; instead each form is filed under its
        # first run of letters, and only the forms whose first word is at hand are tried there.
        # Longest first so "South Sudan" wins over "Sudan" and "Manus Island" over "Manus".
        # Runs of ASCII letters are far cheaper for `re` to find than runs of any letter; they serve while
        # every form starts with one ("Shëngjin" is filed under "sh", and the form's own pattern, with its
        # word boundaries, decides at each place).
        self.words = _ASCII_LETTERS if all(s[:1].isascii() and s[:1].isalpha() for s in patterns) else _LETTERS
        by_first: dict[str, list[str]] = {}
        for surface in patterns:
            first_run = self.words.search(surface)
            if first_run:
                by_first.setdefault(first_run.group(0).lower(), []).append(surface)
        self.by_first: dict[str, tuple[tuple[re.Pattern[str], tuple[tuple[str, str], ...], str, int], ...]] = {
            key: tuple(
                (re.compile(patterns[s]), self.targets[_norm(s)], *_last_word(s))
                for s in sorted(forms, key=len, reverse=True)
            )
            for key, forms in by_first.items()
        }
        # In lower-cased text the first words themselves are found by one regex, a trie of them between
        # non-letters: `re` then skips the words no form starts with in C instead of in this loop.
        self.first_words_low: re.Pattern[str] | None = None
        if self.words is _ASCII_LETTERS and by_first:
            self.first_words_low = re.compile(r"(?<![A-Za-z])" + trie_pattern(by_first) + r"(?![A-Za-z])")
        self.by_party: dict[str, tuple[str, ...]] = {}
        for agreement_id, parties in self.parties.items():
            for party in parties:
                self.by_party.setdefault(party, ())
                self.by_party[party] += (agreement_id,)

    def names_party(self, surface: str) -> bool:
        """Whether an alias or keyword names one of its own agreement's parties ("Rwanda scheme")."""
        return _norm(surface) in self.named_surfaces

    def lookup(self, surface: str) -> tuple[tuple[str, str], ...]:
        return self.targets.get(_norm(surface), ())

    def finditer(
        self, text: str, low: str | None = None
    ) -> Iterator[tuple[re.Match[str], tuple[tuple[str, str], ...]]]:
        """Every non-overlapping party form, alias or keyword in `text`, longest at each place, with what
        it names. `low`, the text lower-cased with the same offsets, saves lower-casing word by word."""
        by_first = self.by_first
        end = -1
        folded = low is not None and len(low) == len(text)
        runs = self.first_words_low if folded and self.first_words_low is not None else self.words
        for run in runs.finditer(low if folded else text):  # type: ignore[arg-type]
            start = run.start()
            if start < end:
                continue
            candidates = by_first.get(run.group(0) if folded else run.group(0).lower())
            if not candidates:
                continue
            for pattern, targets, last, reach in candidates:
                # "the" starts "the bloc" and "the administration": the form's last word must be near
                if folded and last and low.find(last, start, start + reach) < 0:  # type: ignore[union-attr]
                    continue
                m = pattern.match(text, start)
                if m:
                    end = m.end()
                    yield m, targets
                    break


def _starts_a_word_in(stem: str, text: str) -> bool:
    """Whether `stem` occurs in `text` where a word starts (anywhere, for a stem that is no word)."""
    if not stem[:1].isalnum():
        return stem in text
    return re.search(r"\b" + re.escape(stem), text) is not None


def trie_pattern(words: Iterable[str], space: str | None = None) -> str:
    """A regex source matching any of `words` (literal strings), factored by shared prefixes: `re` tries an
    alternation branch by branch at every place, a trie one character at a time. Longer words are tried
    before their prefixes. `space`: the regex a space in a word stands for (by default a space)."""
    trie: dict[str, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:  # type: ignore[type-arg]
        branches = [(space if ch == " " and space else re.escape(ch)) + build(child)
                    for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" in node:  # a word ends here: the longer ones are optional
            return body + "?" if len(branches) == 1 and len(body) == 1 else "(?:" + body + ")?"
        return body

    return build(trie)


def _last_word(surface: str) -> tuple[str, int]:
    """For a form of several words, its last word lower-cased and how far from the form's start it can
    end (white space between the words may be longer in a story); ("", 0) for a single word."""
    words = re.findall(r"[^\W_]+", surface.lower())
    if len(words) < 2:
        return "", 0
    return words[-1], len(surface) + 64


_NORM_SPACE = re.compile(r"[\s\-]+")
_LETTERS = re.compile(r"[^\W\d_]+")
_ASCII_LETTERS = re.compile(r"[A-Za-z]+")


def _norm(surface: str) -> str:
    return _NORM_SPACE.sub(" ", surface.strip().lower())


def load_catalogue(extra: Iterable[Agreement] = ()) -> Catalogue:
    """The bundled agreements plus the user's (marked `bundled=False`); a user's id replaces a bundled one."""
    mine = []
    for agreement in extra:
        if agreement.bundled:
            agreement = Agreement(
                id=agreement.id, title=agreement.title, parties=agreement.parties, aliases=agreement.aliases,
                keywords=agreement.keywords, timeline=agreement.timeline, bundled=False,
            )
        mine.append(agreement)
    return Catalogue((*BUNDLED, *mine))


_DEFAULT: Catalogue | None = None


def default_catalogue() -> Catalogue:
    """The bundled catalogue, shared: its compiled index is built once per process."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = load_catalogue()
    return _DEFAULT
