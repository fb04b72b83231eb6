"""Fault: one rule of the contract broken on purpose, everything else faithful."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.registry import Registry
from conformance.rules import Rule

from ._behaviour import Stage
from ._change import ReplyPatch, SchemaPatch
from ._framing import FAITHFUL, Framing

Expect = Literal["fail", "warn"]


@dataclass(frozen=True)
class Fault:
    """One entry of the catalogue.

    `caught_by` names what must report it: a rule of the contract by its id (`numbers/*:pattern`,
    one colon: a finding whose root cause is that rule, whichever family hit it), a family, a check,
    or `family::check` when only that family's finding of that check counts; in a family or check
    name `*` stands for any characters (`*@envelope-chunked`). A fault that drops a rule is caught
    by the rule; one that bends it (an unanchored regex, a trimmed value) by the family probing the bend.
    `expect` is the verdict the suite must reach: a `fail` (exit 1), or a `warn` (exit 0) in
    `category` for what the contract tolerates (lenient parsing, a server stricter than the schema).
    A fault caught only by some other rule does not count.

    >>> fault = Fault("f", "accepts any string as a phone number", frozenset({"numbers/*:pattern", "status"}))
    >>> sorted(map(str, fault.rules)), fault.covers("numbers-letters@client-axios", "status", "numbers/*:pattern")
    (['numbers/*:pattern'], True)
    >>> fault.covers("numbers-letters", "no-server-error"), fault.covers("x", "y", "numbers/*:maxLength")
    (False, False)
    """

    name: str
    description: str
    caught_by: frozenset[str]
    schema: SchemaPatch | None = None
    stages: Mapping[str, Stage] = field(default_factory=dict)
    reply: ReplyPatch | None = None
    wire: Framing = FAITHFUL
    expect: Expect = "fail"
    category: str | None = None  # the finding category a warn must carry (e.g. "lenient parsing")

    def __post_init__(self) -> None:
        if (self.expect == "warn") != (self.category is not None):
            raise ValueError(f"fault {self.name!r}: a warn names its category, a fail does not")

    @property
    def exit_code(self) -> int:
        """What `faxplus-conformance run` must exit with against this fault."""
        return 1 if self.expect == "fail" else 0

    @property
    def rules(self) -> frozenset[Rule]:
        """The rules of the contract `caught_by` names by id."""
        return frozenset(Rule.parse(name) for name in self.caught_by if Rule.is_id(name))

    def covers(self, family: str, check: str, rule: str | Rule | None = None) -> bool:
        """Whether a finding of `check` in `family`, whose cause concerns `rule` (an id, or None), is
        one of the rules this fault breaks. A family or check may be a pattern: `*@envelope-chunked`
        is every rule's member sent on that envelope; a rule id is matched as it is."""
        if rule is not None and Rule.parse(str(rule)) in self.rules:
            return True
        names = (family, check, f"{family}::{check}")
        patterns = [entry for entry in self.caught_by if not Rule.is_id(entry)]
        return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns for name in names)

    def killed_by(self, finding: Mapping[str, Any]) -> bool:
        """Whether a `summary.json` finding reports this fault as it must be reported."""
        covered = self.covers(finding["family"], finding["check"], finding.get("rule"))
        if finding["verdict"] != self.expect or not covered:
            return False
        return self.category is None or finding["category"] == self.category


FAULTS: Registry[Fault] = Registry("fault")
