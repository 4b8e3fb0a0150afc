"""Every rule in feeds/understand/rules/*.toml is checked against the examples written beside it."""

from __future__ import annotations

import pytest

from feeds.understand.lexicon import RulesError, kinds, read_rules, rules

ALL = [(kind, rule) for kind in kinds() for rule in rules(kind)]


@pytest.mark.parametrize(("kind", "rule"), ALL, ids=[f"{k}:{r.name}" for k, r in ALL])
def test_rule_matches_its_examples(kind, rule):
    rx = rule.compiled()
    assert len(rule.examples) >= 2, f"{kind}: '{rule.name}' needs examples from more than one story"
    for example in rule.examples:
        assert rx.search(example), f"{kind}: '{rule.name}' does not match its example {example!r}"
    for counter in rule.counter:
        assert not rx.search(counter), f"{kind}: '{rule.name}' matches its counter-example {counter!r}"


def test_every_rules_file_loads():
    assert {"stages", "prefilter"} <= set(kinds())


def test_a_bad_rule_is_refused_with_its_name():
    with pytest.raises(RulesError, match="broken"):
        read_rules("x", '[[rule]]\nname = "broken"\npattern = "(unclosed"\n')
    with pytest.raises(RulesError, match="unknown"):
        read_rules("x", '[[rule]]\nname = "m"\npattern = "{{NOPE}}"\n')


@pytest.mark.parametrize("kind", kinds())
def test_a_rule_guard_never_hides_a_match(kind):
    """The first-character lookahead put before each rule of an alternation lets through every example."""
    import re

    from feeds.understand.lexicon import first_guard

    for rule in rules(kind):
        guarded = re.compile(first_guard(rule.pattern, not rule.case_sensitive) + f"(?:{rule.pattern})",
                             0 if rule.case_sensitive else re.IGNORECASE)
        for example in rule.examples:
            plain = [m.span() for m in rule.compiled().finditer(example)]
            assert [m.span() for m in guarded.finditer(example)] == plain, (kind, rule.name, example)


def test_first_guard_reads_the_characters_a_pattern_starts_with():
    from feeds.understand.lexicon import first_guard

    assert first_guard(r"\bscrap(?:ped)?\b|\bcancel\w*") == "(?=[CScs])"
    assert first_guard(r"(?:a|b)?c") == "(?=[ABCabc])"
    assert first_guard(r"\w+") == ""  # any word character: no guard
    assert first_guard(r"(?i:judge)s?", ignorecase=False) == "(?=[Jj])"
