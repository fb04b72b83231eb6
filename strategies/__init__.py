"""Hypothesis strategies for the `POST /hooks` contract.

`webhooks()` draws schema-valid Webhooks; `FAMILIES` is the registry of labelled invalid
families, each breaking exactly the rule it names.

>>> from strategies import FAMILIES, webhooks
>>> "numbers-empty" in FAMILIES.names()
True
"""

from . import _families  # noqa: F401  (registers every family)
from ._family import FAMILIES, NO_BODY, NOT_JSON, Family, Registry, Rule, register
from ._payload import Payload, RawBody
from ._webhook import DEFAULT_TARGET_DOMAIN, e164_numbers, targets, webhooks

__all__ = [
    "DEFAULT_TARGET_DOMAIN",
    "FAMILIES",
    "NOT_JSON",
    "NO_BODY",
    "Family",
    "Payload",
    "RawBody",
    "Registry",
    "Rule",
    "e164_numbers",
    "register",
    "targets",
    "webhooks",
]
