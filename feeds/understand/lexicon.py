"""The rules as data: `rules/*.toml` read, validated and compiled once per process.

A rules file holds `[defs]` (named pieces of pattern, used as `{{name}}`) and `[[rule]]` tables:

    [[rule]]
    name = "a court rules a scheme unlawful"      # the construction of news English it names
    label = "struck-down"                         # what a match means (a stage, a status, a concern …)
    pattern = '''\\b(?:ruled|declared)\\s+…'''       # a regular expression, case-insensitive
    examples = ["…", "…"]                         # sentences it must match (from more than one story)
    counter = ["…"]                               # sentences it must not match

Files may carry extra keys per rule (`canon`, `kind`, `weight` …) that the module using them reads.
The engine modules never hold a cue word: they ask `lexicon()` for compiled tables.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from re import _constants as _C  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

_MACRO = re.compile(r"\{\{(\w+)\}\}")


class RulesError(ValueError):
    """A rules file that cannot be used; the message names the file and the rule."""


@dataclass(frozen=True, slots=True)
class Rule:
    kind: str  # the file it came from ("stages", "warnings" …)
    name: str
    label: str
    pattern: str  # with every {{macro}} expanded
    examples: tuple[str, ...] = ()
    counter: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    case_sensitive: bool = False

    def compiled(self) -> re.Pattern[str]:
        return re.compile(self.pattern, 0 if self.case_sensitive else re.IGNORECASE)


def _expand(pattern: str, defs: dict[str, str], where: str) -> str:
    def one(m: re.Match[str]) -> str:
        name = m.group(1)
        if name not in defs:
            raise RulesError(f"{where}: unknown {{{{{name}}}}}")
        return defs[name]

    for _ in range(5):  # defs may use defs
        pattern, n = _MACRO.subn(one, pattern)
        if not n:
            return pattern
    raise RulesError(f"{where}: {{{{…}}}} nested too deeply")


def read_rules(kind: str, text: str) -> tuple[tuple[Rule, ...], dict[str, Any]]:
    """Rules and the other top-level tables of one rules file."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"rules/{kind}.toml: {exc}") from None
    defs = {k: str(v) for k, v in data.pop("defs", {}).items()}
    defs = {k: _expand(v, defs, f"rules/{kind}.toml [defs] {k}") for k, v in defs.items()}
    rules: list[Rule] = []
    known = {"name", "label", "pattern", "examples", "counter", "case_sensitive"}
    for n, raw in enumerate(data.pop("rule", [])):
        where = f"rules/{kind}.toml rule {n + 1} ({raw.get('name', '?')})"
        if not isinstance(raw.get("name"), str) or not isinstance(raw.get("pattern"), str):
            raise RulesError(f"{where}: a rule needs a name and a pattern")
        rule = Rule(
            kind=kind, name=raw["name"], label=str(raw.get("label", "")),
            pattern=_expand(raw["pattern"], defs, where),
            examples=tuple(raw.get("examples", ())), counter=tuple(raw.get("counter", ())),
            extra={k: v for k, v in raw.items() if k not in known},
            case_sensitive=bool(raw.get("case_sensitive", False)),
        )
        try:
            rule.compiled()
        except re.error as exc:
            raise RulesError(f"{where}: bad pattern: {exc}") from None
        rules.append(rule)
    data["defs"] = defs
    return tuple(rules), data


@cache
def load(kind: str) -> tuple[tuple[Rule, ...], dict[str, Any]]:
    """The rules of `rules/<kind>.toml` (read once per process)."""
    text = resources.files("feeds.understand").joinpath("rules", f"{kind}.toml").read_text(encoding="utf-8")
    return read_rules(kind, text)


def rules(kind: str) -> tuple[Rule, ...]:
    return load(kind)[0]


def tables(kind: str) -> dict[str, Any]:
    """The file's other tables (word lists, weights), as written."""
    return load(kind)[1]


def _first_chars(seq: Any) -> tuple[set[str] | None, bool]:
    """The characters a parsed regex can start with (None: any or unknown), and whether it can match empty."""
    acc: set[str] = set()
    for op, av in seq:
        if op is _C.LITERAL:
            acc.add(chr(av))
            return acc, False
        if op is _C.IN:
            chars = _class_chars(av)
            return (None if chars is None else acc | chars), False
        if op in (_C.AT, _C.ASSERT, _C.ASSERT_NOT):
            continue  # zero-width
        if op is _C.SUBPATTERN:
            first, empty = _first_chars(av[-1])
            if first is not None and av[1] & re.IGNORECASE:  # "(?i:…)": either case
                first = {c.lower() for c in first} | {c.upper() for c in first}
        elif op is _C.BRANCH:
            first, empty = set(), False
            for item in av[1]:
                f, e = _first_chars(item)
                if f is None:
                    return None, False
                first |= f
                empty = empty or e
        elif op in (_C.MAX_REPEAT, _C.MIN_REPEAT, _C.POSSESSIVE_REPEAT):
            first, empty = _first_chars(av[2])
            empty = empty or av[0] == 0
        else:
            return None, False
        if first is None:
            return None, False
        acc |= first
        if not empty:
            return acc, False
    return acc, True


def _class_chars(items: Any) -> set[str] | None:
    out: set[str] = set()
    for op, av in items:
        if op is _C.LITERAL:
            out.add(chr(av))
        elif op is _C.RANGE and av[1] - av[0] <= 400:
            out.update(chr(x) for x in range(av[0], av[1] + 1))
        else:
            return None
    return out


def first_guard(pattern: str, ignorecase: bool = True) -> str:
    """A lookahead for the characters `pattern` can start with ("" when any may): put before each rule of
    a big alternation, it lets `re` pass over a whole rule at a word no branch of it starts like, where it
    would otherwise enter every branch (a branch that starts with \\b is not checked by its first letter)."""
    try:
        first, empty = _first_chars(_parser.parse(pattern, re.IGNORECASE if ignorecase else 0))
    except (re.error, TypeError, ValueError):
        return ""
    if first is None or empty or not first:
        return ""
    if ignorecase:
        first = {c.lower() for c in first} | {c.upper() for c in first}
    return "(?=[" + "".join("\\" + c if c in "\\]^-[" else c for c in sorted(first)) + "])"


def alternation(kind: str, prefix: str = "r", lead: str = r"\b(?=[a-z])") -> re.Pattern[str]:
    """All of a file's rules as one case-insensitive regex with a named group per rule (`prefix` + its
    index): one scan of the text finds every rule's matches. `lead` starts every match (a word start)."""
    body = "|".join(f"{first_guard(rule.pattern)}(?P<{prefix}{n}>{rule.pattern})" for n, rule in enumerate(rules(kind)))
    return re.compile(f"{lead}(?:{body})", re.IGNORECASE)


def rule_of(kind: str, m: re.Match[str], prefix: str = "r") -> Rule:
    """The rule whose group matched in an `alternation`."""
    return rules(kind)[int((m.lastgroup or f"{prefix}0")[len(prefix):])]


def kinds() -> tuple[str, ...]:
    """Every rules file there is."""
    folder = resources.files("feeds.understand").joinpath("rules")
    return tuple(sorted(p.name[: -len(".toml")] for p in folder.iterdir() if p.name.endswith(".toml")))


@dataclass(frozen=True, slots=True)
class Prefilter:
    migration: re.Pattern[str]
    context: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Lexicon:
    prefilter: Prefilter


@cache
def lexicon() -> Lexicon:
    """The compiled tables the engines use, built once per process."""
    pre = {r.label: r.compiled() for r in rules("prefilter")}
    return Lexicon(prefilter=Prefilter(migration=pre["migration"], context=pre["context"]))
