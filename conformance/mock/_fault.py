"""Fault: one rule of the contract broken on purpose, everything else faithful."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.registry import Registry

from ._behaviour import Stage
from ._change import ReplyPatch, SchemaPatch
from ._framing import FAITHFUL, Framing

Expect = Literal["fail", "warn"]


@dataclass(frozen=True)
class Fault:
    """One entry of the catalogue.

    `caught_by` names what must report it: a family, a check, or `family::check` when only that
    family's finding of that check counts; `*` stands for any characters (`*@envelope-chunked`).
    `expect` is the verdict the suite must reach: a `fail` (exit 1), or a `warn` (exit 0) in
    `category` for what the contract tolerates (lenient parsing, a server stricter than the schema).
    A fault caught only by some other rule does not count.
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

    def covers(self, family: str, check: str) -> bool:
        """Whether a finding of `check` in `family` is one of the rules this fault breaks. A rule may
        be a pattern: `*@envelope-chunked` is every rule's member sent on that envelope."""
        names = (family, check, f"{family}::{check}")
        return any(fnmatch.fnmatchcase(name, rule) for rule in self.caught_by for name in names)

    def killed_by(self, finding: Mapping[str, Any]) -> bool:
        """Whether a `summary.json` finding reports this fault as it must be reported."""
        if finding["verdict"] != self.expect or not self.covers(finding["family"], finding["check"]):
            return False
        return self.category is None or finding["category"] == self.category


FAULTS: Registry[Fault] = Registry("fault")
