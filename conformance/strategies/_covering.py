"""Orthogonal cases: a payload (valid, or breaking one named rule) on an envelope, composed freely.

A server can validate on one path and not on another: only when a body has a Content-Length, only
when the media type is exactly `application/json`, not on the OAuth path. So the ci tier sends a
covering array, the smallest member of every broken rule on every envelope and client profile, and
the nightly tier draws further combinations (`on_envelope`).

The smallest member of a rule is chosen from the catalogue's own examples, so an example-level bug
shows on the default path too, and only a path-level one shows on a single envelope.

>>> from conformance.contract import load
>>> [example.rule.id for example in rule_examples(load())][:3]
[':additionalProperties', ':body', ':json']
>>> on_envelope("numbers-letters", "envelope-chunked")
'numbers-letters@envelope-chunked'
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass

from hypothesis import strategies as st

from conformance.contract import Contract
from conformance.json_body import MISSING, strict_json
from conformance.rules import NO_BODY, NOT_JSON, Rule

from ._family import FAMILIES, Family
from ._limits import STACK_FAMILIES
from ._payload import Payload, RawBody

__all__ = ["RuleExample", "covered_rules", "on_envelope", "path_of", "rule_examples", "rule_families", "rule_members"]

AT = "@"  # family@envelope: a family's member sent on an envelope other than the default one


def on_envelope(family: str, envelope: str) -> str:
    """The family name of `family`'s members sent on `envelope`."""
    return f"{family}{AT}{envelope}"


def path_of(family: str) -> str | None:
    """The envelope a family name says its members travelled on, or None (the default path).

    >>> path_of("event-unknown@client-axios"), path_of("event-unknown")
    ('client-axios', None)
    """
    _, at, envelope = family.partition(AT)
    return envelope if at else None


@dataclass(frozen=True)
class RuleExample:
    """The smallest catalogue example that breaks `rule`, and its family."""

    rule: Rule
    family: str
    payload: Payload


def broken_rules(payload: Payload, contract: Contract) -> frozenset[Rule]:
    """The rules a payload breaks under `contract`; `{:json}` for a body no JSON5 reading makes
    sense of either (a lenient form is not plainly broken JSON), empty for a valid Webhook."""
    value = payload
    if isinstance(payload, RawBody):
        if payload.content is None:
            return frozenset({NO_BODY})
        value = strict_json(payload.content)
        if value is MISSING:
            return frozenset({NOT_JSON}) if not _lenient(payload.content) else frozenset()
    errors = contract.errors("Webhook", value)
    return frozenset(Rule.at(e.absolute_path, str(e.validator)) for e in errors)


def _lenient(content: bytes) -> bool:
    """Does a JSON5 reading (comments, single quotes, NaN, ...) make a JSON value of it?"""
    import json5  # only bodies that are not JSON get here

    try:
        json5.loads(content.decode("utf-8", "replace"))
    except Exception:  # noqa: BLE001 - json5 raises several types; no reading is what we want to know
        return False
    return True


def _size(payload: Payload) -> int:
    if isinstance(payload, RawBody):
        return len(payload.content or b"")
    return len(json.dumps(payload, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def rule_families(contract: Contract, families: Iterable[Family] | None = None) -> list[Family]:
    """The families that break a rule by their value (no `kind` of their own), applicable to `contract`;
    not the inputs that crash stacks (`STACK_FAMILIES`), which travel the default path last."""
    chosen = FAMILIES if families is None else families
    return [f for f in chosen if f.kind is None and f.name not in STACK_FAMILIES and f.not_applicable(contract) is None]


def rule_examples(contract: Contract, families: Iterable[Family] | None = None) -> tuple[RuleExample, ...]:
    """The smallest example of every rule the catalogue breaks, one per rule, in rule order.

    An example that breaks only that rule is preferred; where none does (the E.164 pattern already
    caps a number's length, so no number breaks `maxLength` alone) the smallest that breaks it with
    others stands in. One example may stand for several rules: it is listed once, under the first.
    """
    if families is None:
        return _catalogue_examples(contract)  # every envelope's test asks again: choose once per contract
    return _choose(contract, families)


@functools.cache
def _catalogue_examples(contract: Contract) -> tuple[RuleExample, ...]:
    return _choose(contract, None)


def _choose(contract: Contract, families: Iterable[Family] | None) -> tuple[RuleExample, ...]:
    candidates = [
        (family.name, example, broken_rules(example, contract))
        for family in rule_families(contract, families)
        for example in family.examples
    ]
    rules = sorted({rule for _, _, broken in candidates for rule in broken})
    chosen: list[RuleExample] = []
    for rule in rules:
        breaking = [c for c in candidates if rule in c[2]]
        name, example, _ = min(breaking, key=lambda c: (c[2] != {rule}, len(c[2]), _size(c[1])))
        if not any(e.payload is example for e in chosen):
            chosen.append(RuleExample(rule, name, example))
    return tuple(chosen)


def covered_rules(contract: Contract, families: Iterable[Family] | None = None) -> frozenset[Rule]:
    """Every rule `rule_examples` covers (some example stands for several)."""
    return frozenset(
        rule for example in rule_examples(contract, families) for rule in broken_rules(example.payload, contract)
    )


def rule_members(
    contract: Contract, families: Iterable[Family] | None = None
) -> st.SearchStrategy[tuple[str, Payload]]:
    """(family name, payload): any member of any rule family, for the nightly tier's combinations."""
    return st.sampled_from(rule_families(contract, families)).flatmap(
        lambda family: family.strategy(contract).map(lambda payload: (family.name, payload))
    )
