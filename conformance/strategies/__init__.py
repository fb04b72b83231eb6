"""Hypothesis strategies for the `POST /hooks` contract.

Strategies are pure functions of the contract they are drawn under: `webhooks(contract)` draws
schema-valid Webhooks of that contract; `FAMILIES` is the registry of labelled invalid families,
each breaking exactly the rule it names, whose strategy is built from a contract
(`FAMILIES[name].strategy(contract)`).

>>> from conformance.contract import vendored
>>> from conformance.strategies import FAMILIES, webhooks
>>> "numbers-empty" in FAMILIES.names()
True
>>> webhooks(vendored()).example()  # doctest: +SKIP
{'target': 'https://example.com/fax', 'event': 'fax_sent'}
>>> FAMILIES["event-unknown"].strategy(vendored()).example()  # doctest: +SKIP
{'target': 'https://example.com/fax', 'event': 'fax_deleted'}
"""

from conformance.registry import Registry
from conformance.rules import Rule

from . import _families, _limits  # noqa: F401  (register every family)
from ._covering import RuleExample, on_envelope, path_of, rule_examples, rule_members
from ._envelopes import CREDENTIALS, ENVELOPES, Credential, Envelope
from ._families import escaped
from ._family import FAMILIES, NO_BODY_RULE, NOT_JSON_RULE, Build, Family, register
from ._limits import STACK_FAMILIES
from ._payload import Payload, RawBody
from ._schema_values import NO_VALUE, sample_value
from ._valid_space import exotic_space, valid_space
from ._webhook import (
    DEFAULT_TARGET_DOMAIN,
    client_ids,
    e164_numbers,
    ip_path_marker,
    number_bounds,
    number_edges,
    number_lists,
    property_values,
    targets,
    webhooks,
)

__all__ = [
    "NO_VALUE",
    "Build",
    "escaped",
    "ip_path_marker",
    "number_bounds",
    "number_edges",
    "sample_value",
    "CREDENTIALS",
    "DEFAULT_TARGET_DOMAIN",
    "ENVELOPES",
    "FAMILIES",
    "NOT_JSON_RULE",
    "NO_BODY_RULE",
    "Credential",
    "Envelope",
    "Family",
    "Payload",
    "RawBody",
    "RuleExample",
    "STACK_FAMILIES",
    "Registry",
    "Rule",
    "client_ids",
    "e164_numbers",
    "exotic_space",
    "number_lists",
    "on_envelope",
    "property_values",
    "path_of",
    "rule_examples",
    "rule_members",
    "register",
    "targets",
    "valid_space",
    "webhooks",
]
