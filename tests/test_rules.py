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
