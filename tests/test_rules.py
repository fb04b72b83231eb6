"""Named rules (issue 19, item 2): one identifier per rule of the contract, `numbers/*:pattern`."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from helpers.suite_runs import TOKEN

import conformance
from conformance.contract import load, vendored
from conformance.mock import FAULTS, MockServer
from conformance.report import outputs
from conformance.report.summary import schema
from conformance.rules import NO_BODY, NOT_JSON, Rule, UnknownRule
from conformance.strategies import FAMILIES

VENDORED = vendored()

# The vendored Webhook schema's rules, and the suite's two wire rules.
VENDORED_RULES = {
    ":additionalProperties",
    ":required",
    ":type",
    "id:type",
    "target:type",
    "event:type",
    "event:enum",
    "numbers:type",
    "numbers:minItems",
    "numbers/*:type",
    "numbers/*:pattern",
    "numbers/*:minLength",
    "numbers/*:maxLength",
    ":json",
    ":body",
}


def test_the_vendored_contract_lists_its_rules() -> None:
    assert {rule.id for rule in VENDORED.rules} == VENDORED_RULES
    assert list(VENDORED.rules) == sorted(VENDORED.rules)
    assert NOT_JSON in VENDORED.rules and NO_BODY in VENDORED.rules
    assert NOT_JSON.wire and NO_BODY.wire and not VENDORED.rule("numbers/*:pattern").wire


@pytest.mark.parametrize("rule", VENDORED.rules, ids=str)
def test_a_rule_id_round_trips(rule: Rule) -> None:
    assert Rule.parse(rule.id) == rule
    assert str(rule) == rule.id == f"{rule.path}:{rule.keyword}"
    assert Rule.is_id(rule.id)
    assert VENDORED.rule(rule.id) is rule
    assert VENDORED.rule(rule) is rule


def test_rules_are_ordered_by_path_then_keyword() -> None:
    ids = ["numbers/*:pattern", ":required", "event:enum", "numbers:minItems", ":additionalProperties"]
    ordered = sorted(Rule.parse(i) for i in ids)
    assert [r.id for r in ordered] == [
        ":additionalProperties",
        ":required",
        "event:enum",
        "numbers:minItems",
        "numbers/*:pattern",
    ]


@pytest.mark.parametrize(
    "text",
    ["pattern", "additionalProperties", "numbers/*:", "numbers-empty::status", "numbers:pat tern", "", "a:b:c"],
)
def test_a_string_that_is_no_rule_id_is_refused(text: str) -> None:
    assert not Rule.is_id(text)
    with pytest.raises(ValueError, match="not a rule id.*path:keyword"):
        Rule.parse(text)


def test_an_unknown_rule_is_refused_naming_the_closest() -> None:
    closest = r"no rule 'numbers/\*:patern' in this contract: did you mean numbers/\*:pattern\?"
    with pytest.raises(UnknownRule, match=closest):
        VENDORED.rule("numbers/*:patern")
    with pytest.raises(LookupError, match="its rules are :additionalProperties, "):
        VENDORED.rule("target:format")


def test_a_validator_error_names_its_rule() -> None:
    errors = VENDORED.errors("Webhook", {"target": "https://a.example", "event": "fax_sent", "numbers": ["12"]})
    assert {Rule.at(e.absolute_path, str(e.validator)) for e in errors} == {VENDORED.rule("numbers/*:pattern")}


def test_another_version_of_the_contract_has_its_own_rules(tmp_path: Path) -> None:
    document = json.loads(json.dumps(VENDORED.document))
    webhook = document["components"]["schemas"]["Webhook"]
    del webhook["properties"]["numbers"]["minItems"]
    webhook["properties"]["target"]["maxLength"] = 2048
    spec = tmp_path / "other.json"
    spec.write_text(json.dumps(document))
    other = load(str(spec))
    ids = {rule.id for rule in other.rules}
    assert ids == VENDORED_RULES - {"numbers:minItems"} | {"target:maxLength"}
    with pytest.raises(UnknownRule):
        other.rule("numbers:minItems")


@pytest.mark.parametrize("name", FAMILIES.names())
def test_every_family_breaks_rules_of_the_contract(name: str) -> None:
    family = FAMILIES[name]
    assert family.breaks and all(isinstance(rule, Rule) for rule in family.breaks), name
    for rule in family.breaks:
        assert VENDORED.rule(rule.id) == rule, f"{name}: {rule} is no rule of the vendored contract"
    assert family.rule == ", ".join(rule.id for rule in sorted(family.breaks))


def test_a_fault_that_drops_the_pattern_is_one_group_of_that_rule(tmp_path: Path) -> None:
    """numbers/*:pattern from end to end: the fault says it, the family breaks it, the check names
    it as the cause, and the summary group carries it."""
    fault = FAULTS["numbers-pattern-ignored"]
    pattern = VENDORED.rule("numbers/*:pattern")
    assert fault.rules == {pattern}
    assert pattern in FAMILIES["numbers-letters"].breaks
    # Three ways to break the pattern, each judged its own way: a family of the default path, the
    # rule's smallest member on another path (`numbers-missing-plus@envelope-chunked`), and a stack
    # family judged by its kind (`body-duplicate-keys`). A whole run's group has ~30 such families.
    select = "numbers-letters or envelope-chunked or body-duplicate-keys"
    with MockServer(token=TOKEN, fault=fault) as mock:
        target = conformance.Target(base_url=mock.url, token=TOKEN, output_dir=tmp_path, select=select)
        conformance.run(target, reporters=outputs.reporters(allure=False))
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["exit_code"] == fault.exit_code == 1
    assert jsonschema.Draft202012Validator(schema()).is_valid(summary)
    (group,) = [g for g in summary["groups"] if g["rule"] == "numbers/*:pattern"]
    assert group["verdict"] == "fail" and group["check"] == "status"
    assert group["cause"] == "accepted a Webhook that breaks numbers/*:pattern"
    assert {"numbers-letters", "numbers-missing-plus@envelope-chunked", "body-duplicate-keys"} <= set(group["families"])
    killing = [f for f in summary["findings"] if fault.killed_by(f)]
    assert killing and {f["rule"] for f in killing} == {"numbers/*:pattern"}
    assert {f["group"] for f in killing} == {group["id"]}
    # A group that concerns no one rule says so.
    assert all(g["rule"] is None for g in summary["groups"] if g["check"] != "status")
    assert "rule" in schema()["$defs"]["group"]["properties"]
