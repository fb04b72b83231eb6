"""Rules: the named rules of the contract, one identifier each.

A rule is where a JSON Schema validator reports a broken Webhook: the instance path, array indices
as `*`, and the keyword that fails there. Its id is `path:keyword`. The body itself has the empty
path, so its rules start with the colon: `:additionalProperties`, `:required`, `:type`. Two rules are
the suite's own, for bodies that never reach the schema: `:json` (the body is JSON) and `:body`
(there is a body).

The id is the one name a family says it breaks (`Family.breaks`), a check gives as the cause of an
invalid Webhook accepted (`accepted a Webhook that breaks numbers/*:pattern`), a fault says it must
be caught by (`Fault.caught_by`), and a summary group carries (`rule`).

>>> rule = Rule.parse("numbers/*:pattern")
>>> rule.path, rule.keyword
('numbers/*', 'pattern')
>>> str(rule), Rule.parse(":additionalProperties").path
('numbers/*:pattern', '')
>>> Rule.at(["numbers", 0], "maxLength")
Rule('numbers/*:maxLength')
>>> sorted([Rule.parse("event:enum"), NOT_JSON, Rule.parse("numbers:minItems")])
[Rule(':json'), Rule('event:enum'), Rule('numbers:minItems')]
>>> Rule.parse("pattern")
Traceback (most recent call last):
...
ValueError: not a rule id: 'pattern' (expected path:keyword, e.g. numbers/*:pattern; ...)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["NOT_JSON", "NO_BODY", "WIRE_RULES", "Rule", "UnknownRule", "find", "schema_rules"]

_ID = re.compile(r"(?P<path>[^:]*):(?P<keyword>[A-Za-z]+)")


@dataclass(frozen=True, order=True)
class Rule:
    """One rule of the contract: `path` (array indices as `*`, `""` for the body) and `keyword`."""

    path: str
    keyword: str

    def __post_init__(self) -> None:
        if _ID.fullmatch(f"{self.path}:{self.keyword}") is None:
            raise ValueError(f"not a rule: path {self.path!r}, keyword {self.keyword!r}")

    @property
    def id(self) -> str:
        """`numbers/*:pattern`; `:additionalProperties` for a rule of the body itself."""
        return f"{self.path}:{self.keyword}"

    @property
    def wire(self) -> bool:
        """One of the suite's own rules (`:json`, `:body`), not a keyword of the schema."""
        return self in WIRE_RULES

    def __str__(self) -> str:
        return self.id

    def __repr__(self) -> str:
        return f"Rule({self.id!r})"

    @classmethod
    def parse(cls, rule_id: str) -> Rule:
        """The rule an id names; a string that is no rule id is a ValueError saying what one looks like."""
        match = _ID.fullmatch(rule_id)
        if match is None:
            raise ValueError(
                f"not a rule id: {rule_id!r} (expected path:keyword, e.g. numbers/*:pattern; "
                "the body's own rules have an empty path, :additionalProperties)"
            )
        return cls(match["path"], match["keyword"])

    @classmethod
    def is_id(cls, name: str) -> bool:
        """Is `name` spelled as a rule id (one colon)? `family::check` and family names are not.

        >>> Rule.is_id("numbers/*:pattern"), Rule.is_id("numbers-empty::status"), Rule.is_id("status")
        (True, False, False)
        """
        return _ID.fullmatch(name) is not None

    @classmethod
    def at(cls, path: Iterable[str | int], keyword: str) -> Rule:
        """The rule a validator error reports (its `absolute_path`, its `validator`)."""
        return cls("/".join("*" if isinstance(part, int) else str(part) for part in path), keyword)


NOT_JSON = Rule("", "json")  # the body is JSON (no JSON5 reading makes sense of it either)
NO_BODY = Rule("", "body")  # there is a body
WIRE_RULES = (NOT_JSON, NO_BODY)

# Keywords that fail at the instance they are written for (a subschema's own errors are its keywords').
_ASSERTIONS = (
    "type",
    "enum",
    "const",
    "pattern",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "required",
    "minProperties",
    "maxProperties",
    "dependencies",
    "minItems",
    "maxItems",
    "uniqueItems",
    "contains",
    "anyOf",
    "oneOf",
    "not",
)


def schema_rules(schema: Mapping[str, Any], path: str = "") -> Iterator[Rule]:
    """The rules a JSON Schema (Draft 7, `$ref`s inlined) can report, walking its properties and items.

    >>> sorted(schema_rules({"type": "object", "properties": {"n": {"type": "array", "items": {"pattern": "x"}}}}))
    [Rule(':type'), Rule('n:type'), Rule('n/*:pattern')]
    """
    for keyword in _ASSERTIONS:
        if keyword in schema:
            yield Rule(path, keyword)
    if schema.get("additionalProperties") is False:
        yield Rule(path, "additionalProperties")
    for name, subschema in (schema.get("properties") or {}).items():
        if isinstance(subschema, Mapping):
            yield from schema_rules(subschema, f"{path}/{name}" if path else str(name))
    items = schema.get("items")
    if isinstance(items, Mapping):
        yield from schema_rules(items, f"{path}/*" if path else "*")
    for subschema in schema.get("allOf") or ():
        if isinstance(subschema, Mapping):
            yield from schema_rules(subschema, path)


class UnknownRule(LookupError):
    """A rule id the contract does not have: the message names the closest ones it does."""

    def __str__(self) -> str:
        return str(self.args[0])


def find(rules: Iterable[Rule], rule_id: str | Rule) -> Rule:
    """The rule of `rules` that `rule_id` names; UnknownRule, saying which rules there are, otherwise."""
    known = {rule.id: rule for rule in rules}
    wanted = str(rule_id)
    if wanted in known:
        return known[wanted]
    close = difflib.get_close_matches(wanted, known, n=2, cutoff=0.9)
    hint = f"did you mean {' or '.join(close)}? " if close else ""
    every = ", ".join(rule.id for rule in sorted(known.values()))
    raise UnknownRule(f"no rule {wanted!r} in this contract: {hint}its rules are {every}")
