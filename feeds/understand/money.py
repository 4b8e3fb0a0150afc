"""Money as news copy writes it: "£50m", "50 million pounds", "A$408 million", "1.2bn euros", with
conversions ("50 million pounds ($66m)") kept but flagged as restatements of the amount before them.
Signs, codes, currency words and scales are data: rules/money.toml."""

from __future__ import annotations

import re
from dataclasses import dataclass

from feeds.understand.lexicon import tables

_WORDS = tables("money")
_NUM = _WORDS["patterns"]["number"]
_SCALE = _WORDS["patterns"]["scale"]
_PREFIX = _WORDS["patterns"]["prefix"]
_SUFFIX = _WORDS["patterns"]["suffix"]
# longest first, so "a hundred" is read before "a"
_NUMBER_WORDS_RX = "|".join(r"\s+".join(map(re.escape, w.split())) for w in sorted(_WORDS["numbers"], key=len, reverse=True))
_MONEY = re.compile(
    rf"(?<![\w$£€])(?P<pre>{_PREFIX})\s?(?P<num1>{_NUM})(?P<scale1>{_SCALE})?(?:\s+(?P<post1>{_SUFFIX})\b)?"
    rf"|(?<![\w.,$£€])(?P<num2>{_NUM})(?P<scale2>{_SCALE})?\s*(?P<post2>{_SUFFIX})\b"
    rf"|(?<![\w.,$£€])(?P<num3>{_NUM})(?P<scale3>\s?(?:mln|mn|bln|bn)\b|\s(?:million|billion)\b)"
    # "six billion euros", "half a billion dollars": a number word before a scale and a currency word
    rf"|\b(?P<num4>(?i:{_NUMBER_WORDS_RX}))(?P<scale4>\s+(?:million|billion))"
    rf"\s+(?P<post4>{_SUFFIX})\b",
)
_NUMBER_WORDS: dict[str, float] = {k: float(v) for k, v in _WORDS["numbers"].items()}
_SCALES: dict[str, float] = {k: float(v) for k, v in _WORDS["scales"].items()}
_CURRENCY_WORDS: dict[str, str] = dict(_WORDS["currency"])
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
