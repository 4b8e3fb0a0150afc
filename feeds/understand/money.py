"""Money as news copy writes it: "£50m", "50 million pounds", "A$408 million", "1.2bn euros", with
conversions ("50 million pounds ($66m)") kept but flagged as restatements of the amount before them."""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = (
    r"(?:\s*(?:thousand|million|billion|trillion)\b|\s?(?:mln|mn|bln|bn|tn|trn)\b|(?:m|b|k)\b)"
)
_PREFIX = (
    r"US\$|U\.S\.\s?\$|A\$|AU\$|AUD\s?\$?|NZ\$|NZD|C\$|CA\$|CAD|USD|EUR|GBP|RWF|Rwf|FRw|DKK|CHF|ILS|"
    r"£|€|₪|\$"
)
_SUFFIX = (
    r"(?:(?:US|U\.S\.|American|Australian|Canadian|New\s+Zealand)\s+)?dollars?|"
    r"pounds?(?:\s+sterling)?|sterling|euros?|(?:Rwandan\s+)?francs?|Danish\s+kroner|kroner|shekels?|"
    r"USD|EUR|GBP|AUD|RWF|DKK|CAD|NZD|ILS"
)
_MONEY = re.compile(
    rf"(?<![\w$£€])(?P<pre>{_PREFIX})\s?(?P<num1>{_NUM})(?P<scale1>{_SCALE})?(?:\s+(?P<post1>{_SUFFIX})\b)?"
    rf"|(?<![\w.,$£€])(?P<num2>{_NUM})(?P<scale2>{_SCALE})?\s*(?P<post2>{_SUFFIX})\b"
    rf"|(?<![\w.,$£€])(?P<num3>{_NUM})(?P<scale3>\s?(?:mln|mn|bln|bn)\b|\s(?:million|billion)\b)"
    # "six billion euros", "half a billion dollars": a number word before a scale and a currency word
    rf"|\b(?P<num4>(?i:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
    rf"forty|fifty|sixty|seventy|eighty|ninety|a\s+hundred|half\s+a|a))(?P<scale4>\s+(?:million|billion))"
    rf"\s+(?P<post4>{_SUFFIX})\b",
)
_NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "a hundred": 100, "half a": 0.5, "a": 1,
}
_SCALES = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mln": 1e6, "mn": 1e6, "m": 1e6,
    "billion": 1e9, "bln": 1e9, "bn": 1e9, "b": 1e9, "trillion": 1e12, "tn": 1e12, "trn": 1e12,
}
_CURRENCY_WORDS = {
    "us$": "USD", "u.s.$": "USD", "usd": "USD", "a$": "AUD", "au$": "AUD", "aud": "AUD", "aud$": "AUD",
    "nz$": "NZD", "nzd": "NZD", "c$": "CAD", "ca$": "CAD", "cad": "CAD", "eur": "EUR", "gbp": "GBP",
    "rwf": "RWF", "frw": "RWF", "dkk": "DKK", "chf": "CHF", "ils": "ILS", "£": "GBP", "€": "EUR",
    "₪": "ILS", "pound": "GBP", "pounds": "GBP", "sterling": "GBP", "pounds sterling": "GBP",
    "pound sterling": "GBP", "euro": "EUR", "euros": "EUR", "franc": "RWF", "francs": "RWF",
    "rwandan franc": "RWF", "rwandan francs": "RWF", "danish kroner": "DKK", "kroner": "DKK",
    "shekel": "ILS", "shekels": "ILS", "us dollar": "USD", "us dollars": "USD", "u.s. dollars": "USD",
    "american dollars": "USD", "australian dollar": "AUD", "australian dollars": "AUD",
    "canadian dollars": "CAD", "new zealand dollars": "NZD",
}
_CONVERSION_LEAD = re.compile(
    r"\s*(?:\(\s*|,\s*or\s+|\s+or\s+|—\s*|–\s*)(?:about|around|approximately|approx\.?|roughly|some|nearly|"
    r"almost|over|more\s+than|just\s+over|just\s+under|~|c\.|equivalent\s+to|worth)?\s*$"
)


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of money as written: `amount` in currency units, `start`/`end` its span in the text."""

    amount: float
    currency: str | None  # ISO 4217; None when the text names no currency ("126mln")
    start: int
    end: int
    explicit: bool = True  # False for a bare "$", which may be Australian, or no currency at all
    conversion: bool = False  # a restatement of the amount before it ("50 million pounds ($66m)")


def _currency(pre: str | None, post: str | None) -> tuple[str | None, bool]:
    for word in (pre, post):
        if word:
            key = re.sub(r"\s+", " ", word.strip().lower())
            if key in ("$", "dollar", "dollars"):
                continue
            if key in _CURRENCY_WORDS:
                return _CURRENCY_WORDS[key], True
    if (pre and pre.strip() == "$") or (post and post.lower().startswith("dollar")):
        return "USD", False
    return None, False


_MAX_AMOUNT = 1e15  # beyond any budget; longer digit runs are not money (and float() of them is inf)


def parse_money(text: str) -> list[Money]:
    """Every amount of money in `text`, in order; conversions are kept but flagged.

    Handles "£50m", "50 million pounds", "$6 million", "€105m", "A$408 million", "1.2bn euros",
    "US$12,000", "AUD 40m", "126mln" (no currency: `currency` None), and shares a scale across a range
    ("£6.87 and £8.59 million").
    """
    found: list[Money] = []
    scales: list[str | None] = []
    for m in _MONEY.finditer(text):
        word = m.group("num4")
        num = m.group("num1") or m.group("num2") or m.group("num3") or ""
        scale = m.group("scale1") or m.group("scale2") or m.group("scale3") or m.group("scale4")
        pre = m.group("pre")
        post = m.group("post1") or m.group("post2") or m.group("post4")
        try:
            value = float(_NUMBER_WORDS[" ".join(word.lower().split())]) if word else float(num.replace(",", ""))
        except (ValueError, KeyError):
            continue
        currency, explicit = _currency(pre, post)
        if pre is None and post is None:
            explicit = False
        factor = _SCALES.get(scale.strip().lower(), 1.0) if scale else 1.0
        if not value * factor <= _MAX_AMOUNT:  # hundreds of digits (even inf): no state's money
            continue
        # A money-less year after a currency sign ("$2024") is not money; neither is "m" in "5m tall".
        found.append(Money(value * factor, currency, m.start(), m.end(), explicit))
        scales.append(scale)
    # "between £6.87 and £8.59 million": the scale of the second amount belongs to the first.
    for k in range(len(found) - 1):
        a, b = found[k], found[k + 1]
        if scales[k] is None and scales[k + 1] and re.fullmatch(r"\s*(?:and|to|-|–)\s*", text[a.end : b.start]):
            factor = _SCALES.get((scales[k + 1] or "").strip().lower(), 1.0)
            if a.amount * factor <= _MAX_AMOUNT:
                found[k] = Money(a.amount * factor, a.currency, a.start, a.end, a.explicit)
    # A restatement in another currency right after an amount is the same money.
    out: list[Money] = []
    paren_close = -1
    for k, money in enumerate(found):
        if k and out:
            prev = out[-1]
            gap = text[prev.end : money.start]
            same_paren = money.start < paren_close
            if (same_paren or _CONVERSION_LEAD.fullmatch(gap)) and money.currency != prev.currency:
                if "(" in gap and not same_paren:
                    close = text.find(")", money.end)
                    paren_close = close if close != -1 and close - money.end < 80 else -1
                base = prev
                j = len(out) - 1
                while j >= 0 and out[j].conversion:
                    j -= 1
                base = out[j] if j >= 0 else prev
                if money.currency != base.currency:
                    out.append(Money(money.amount, money.currency, money.start, money.end, money.explicit, True))
                    continue
        out.append(money)
    return out
